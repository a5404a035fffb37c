#pragma once
/// Readers that stream records out of input files: native JSON Lines, a JSON array of the same
/// objects, or CSV through a column mapping (with the MIT export as a built-in preset).

#include "engine/record/record.hpp"
#include "indexer/load/mapping.hpp"

#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace airm {

/// A record and where it came from ("line 12 of records.jsonl"), for error messages.
struct LoadedRecord {
    Record record;
    std::string origin;
};

/// The largest record airm reads: a JSON line, a JSON file's record or a CSV field. Larger input is
/// refused with an error instead of being read into memory without bound.
inline constexpr std::size_t kMaxRecordBytes = 16U << 20;

enum class InputFormat { jsonl, json, csv, mit_csv };

/// Parses "jsonl", "json", "csv" or "mit-csv"; throws InvalidInput listing them.
[[nodiscard]] InputFormat parse_input_format(std::string_view name);
/// The format a file name suggests (.jsonl/.ndjson, .json, .csv); JSON Lines when unsure.
[[nodiscard]] InputFormat guess_input_format(std::string_view path);

struct LoadOptions {
    std::optional<InputFormat> format; ///< guessed from the file name when absent
    ColumnMapping mapping;             ///< for csv; mit-csv uses its preset when this is empty
    std::string documents_csv;         ///< optional source documents table joined on source.ref
    char delimiter = ',';              ///< the CSV inputs' separator (not the documents table's)
    /// When set, a JSON Lines line that is not a valid record (malformed JSON, invalid UTF-8, a
    /// missing id, a field of the wrong type) is handed to it with its InvalidInput message, which
    /// names the line, and skipped, instead of ending the read (`--skip-bad-lines`).
    std::function<void(const std::string& message)> on_bad_line;
};

/// Streams records from one input.
class RecordReader {
  public:
    virtual ~RecordReader() = default;
    /// Reads the next record; false at the end. Throws InvalidInput naming file, line and field.
    virtual bool next(LoadedRecord& out) = 0;
};

/// Opens `path` ("-" reads standard input). Throws NotFound when the file does not exist.
[[nodiscard]] std::unique_ptr<RecordReader> open_records(const std::string& path,
                                                         const LoadOptions& options);

/// Reads records from an open stream; `name` names it in error messages. The stream must outlive
/// the reader.
[[nodiscard]] std::unique_ptr<RecordReader> open_records(std::istream& in, const std::string& name,
                                                         const LoadOptions& options);

/// Reads a source documents table (columns such as ShortRef, Title, First author, Year, URL) keyed
/// by its reference column.
[[nodiscard]] std::map<std::string, Source> load_source_documents(const std::string& path);

} // namespace airm
