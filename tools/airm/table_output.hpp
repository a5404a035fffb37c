#pragma once
/// Table output for spreadsheets and scripts (`--format csv|tsv` with `--fields`): the cells of
/// search hits, suggestions and records, one row a line under a header line.

#include "engine/metadata.hpp"
#include "engine/record/record.hpp"
#include "query/search/searcher.hpp"
#include "query/suggest/suggest.hpp"

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm::cli {

/// csv: RFC 4180 (a cell holding a comma, a quote, CR or LF is quoted, its quotes doubled; lines
/// end in CRLF). tsv: tab-separated, a tab, newline, carriage return or backslash in a cell written
/// as \t, \n, \r or \\, so every row is one line.
enum class TableFormat { csv, tsv };

/// The table options of one command: `--format` (also `--output-format`) and `--fields`.
struct TableArgs {
    std::string format; ///< "", "text", "json", "csv" or "tsv"
    std::vector<std::string> fields;

    /// The table format asked for; nullopt for text or JSON output.
    [[nodiscard]] std::optional<TableFormat> table() const;
};

/// Adds `--fields` and the output format option to `command`. `format_names` are the option's
/// names ("--format,--output-format", or "--output-format" where --format means something else);
/// `fields` lists the fields offered, for --help.
void add_table_options(CLI::App& command, TableArgs& args, const std::string& format_names,
                       const std::string& fields);

/// One cell of `format`, quoted or escaped as needed.
[[nodiscard]] std::string table_cell(std::string_view value, TableFormat format);
/// A whole line of cells, with its line end.
[[nodiscard]] std::string table_line(const std::vector<std::string>& cells, TableFormat format);

/// The columns: `requested` (from --fields) or else `defaults`; each must be one of `offered`, or
/// InvalidInput names it, the command and the fields there are.
[[nodiscard]] std::vector<std::string> table_columns(const std::vector<std::string>& requested,
                                                     const std::vector<std::string>& offered,
                                                     const std::vector<std::string>& defaults,
                                                     std::string_view command);

/// Throws InvalidInput when --fields was given without a table format (it would be ignored).
void check_fields_need_table(const TableArgs& args, std::string_view command);

/// The fields of a record: id, title, text, reasoning, codes (the values of the hierarchical
/// facets), each facet of the index by name, source, authors, year, url.
[[nodiscard]] std::vector<std::string> record_fields(const IndexMetadata& metadata);
/// The record's cell for one of record_fields(); several values are joined with "; ".
[[nodiscard]] std::string record_cell(const Record& record, std::string_view field,
                                      const IndexMetadata& metadata);

/// The table of a search's hits: rank, id, score, partial, snippet and the record fields.
[[nodiscard]] std::string search_table(const SearchResult& result, const IndexMetadata& metadata,
                                       const TableArgs& args);
/// The table of one record (`airm show`).
[[nodiscard]] std::string record_table(const Record& record, const IndexMetadata& metadata,
                                       const TableArgs& args);

/// The suggestion fields: id (of a batch record), rank, code, name, confidence, category.
[[nodiscard]] const std::vector<std::string>& suggestion_fields();
/// The header line of a suggestion table, with the columns chosen (checked once).
[[nodiscard]] std::vector<std::string> suggestion_columns(const TableArgs& args, bool batch);
/// The rows of one text's suggestions, `id` being the batch record's id ("" for a single text).
[[nodiscard]] std::string suggestion_rows(const SuggestResult& result, std::string_view id,
                                          const std::vector<std::string>& columns,
                                          TableFormat format);

} // namespace airm::cli
