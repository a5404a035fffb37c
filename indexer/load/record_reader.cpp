#include "indexer/load/record_reader.hpp"

#include "engine/error.hpp"
#include "engine/record/json.hpp"
#include "engine/utf8.hpp"
#include "indexer/load/csv_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace airm {
namespace {

std::string display_name(const std::string& path) {
    return path == "-" ? std::string("standard input") : path;
}

/// Owns the stream of a file, or borrows standard input.
class InputStream {
  public:
    explicit InputStream(const std::string& path) {
        if (path == "-") {
            stream_ = &std::cin;
            return;
        }
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            throw NotFound("input file '" + path + "' does not exist; check the path");
        }
        if (std::filesystem::is_directory(path, ec)) {
            throw InvalidInput("input '" + path +
                               "' is a folder; pass a .jsonl, .json or .csv file");
        }
        file_.open(path, std::ios::binary);
        if (!file_) {
            throw NotFound("cannot read input file '" + path + "'; check its permissions");
        }
        stream_ = &file_;
    }
    explicit InputStream(std::istream& borrowed) : stream_(&borrowed) {}
    InputStream(InputStream&& other) noexcept
        : file_(std::move(other.file_)),
          stream_(other.stream_ == &other.file_ ? &file_ : other.stream_) {}
    InputStream& operator=(InputStream&&) = delete;
    std::istream& get() { return *stream_; }

  private:
    std::ifstream file_;
    std::istream* stream_ = nullptr;
};

void check_utf8(std::string_view text, const std::string& where) {
    if (auto bad = utf8::first_invalid(text)) {
        throw InvalidInput(where + ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                           " of the line; re-save the file as UTF-8");
    }
}

class JsonLinesReader : public RecordReader {
  public:
    using BadLine = std::function<void(const std::string&)>;
    JsonLinesReader(const std::string& path, BadLine on_bad_line)
        : input_(path), name_(display_name(path)), on_bad_line_(std::move(on_bad_line)) {}
    JsonLinesReader(std::istream& in, std::string name, BadLine on_bad_line)
        : input_(in), name_(std::move(name)), on_bad_line_(std::move(on_bad_line)) {}

    bool next(LoadedRecord& out) override {
        std::string line;
        while (std::getline(input_.get(), line)) {
            ++line_number_;
            if (line_number_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) {
                line.erase(0, 3);
            }
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            if (std::all_of(line.begin(), line.end(),
                            [](unsigned char c) { return std::isspace(c) != 0; })) {
                continue;
            }
            out.origin = "line " + std::to_string(line_number_) + " of " + name_;
            if (line.size() > kMaxRecordBytes) {
                throw InvalidInput(
                    out.origin + ": the line is " + std::to_string(line.size() >> 20) +
                    " MiB; a record may be at most " + std::to_string(kMaxRecordBytes >> 20) +
                    " MiB, so split its text or check that the file has one record per line");
            }
            try {
                check_utf8(line, out.origin);
                out.record = parse_record(line, out.origin);
            } catch (const InvalidInput& e) {
                if (!on_bad_line_)
                    throw;
                on_bad_line_(e.what());
                continue;
            }
            return true;
        }
        return false;
    }

  private:
    InputStream input_;
    std::string name_;
    BadLine on_bad_line_;
    std::size_t line_number_ = 0;
};

class JsonArrayReader : public RecordReader {
  public:
    explicit JsonArrayReader(const std::string& path) : name_(display_name(path)) {
        InputStream input(path);
        parse(input.get());
    }
    JsonArrayReader(std::istream& in, std::string name) : name_(std::move(name)) { parse(in); }

    bool next(LoadedRecord& out) override {
        if (position_ >= doc_.size()) {
            return false;
        }
        out.origin = "record " + std::to_string(position_ + 1) + " of " + name_;
        out.record = record_from_json(doc_[position_], out.origin);
        ++position_;
        return true;
    }

  private:
    void parse(std::istream& in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
            text.erase(0, 3);
        }
        if (auto bad = utf8::first_invalid(text)) {
            const auto line =
                std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n') +
                1;
            throw InvalidInput("line " + std::to_string(line) + " of " + name_ +
                               ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                               " of the file; re-save the file as UTF-8");
        }
        try {
            doc_ = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw InvalidInput(name_ + ": malformed JSON (" + e.what() +
                               "); a .json input must be one array of record objects");
        }
        if (doc_.is_object()) {
            doc_ = nlohmann::json::array({std::move(doc_)});
        }
        if (!doc_.is_array()) {
            throw InvalidInput(name_ +
                               ": a .json input must be an array of record objects, found " +
                               doc_.type_name());
        }
    }

    std::string name_;
    nlohmann::json doc_;
    std::size_t position_ = 0;
};

std::string join_columns(const std::vector<std::string>& row,
                         const std::vector<std::size_t>& columns, const char* separator) {
    std::string out;
    for (auto c : columns) {
        const std::string& cell = row[c];
        if (cell.empty())
            continue;
        if (!out.empty())
            out += separator;
        out += cell;
    }
    return out;
}

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

/// When a header read with `delimiter` is one column holding another usual separator, the hint
/// that names it ("; the header looks semicolon-separated: pass --delimiter ';'"); else "".
std::string separator_hint(const std::vector<std::string>& header, char delimiter) {
    if (header.size() != 1)
        return {};
    const std::pair<char, const char*> separators[] = {
        {';', "semicolon-separated: pass --delimiter ';'"},
        {'\t', "tab-separated: pass --delimiter tab"},
        {',', "comma-separated: pass --delimiter ','"},
        {'|', "separated by '|': pass --delimiter '|'"}};
    for (const auto& [c, hint] : separators) {
        if (c != delimiter && header.front().find(c) != std::string::npos)
            return std::string("; the header is one column, and looks ") + hint;
    }
    return {};
}

class CsvRecordReader : public RecordReader {
  public:
    CsvRecordReader(InputStream input, const std::string& name, ColumnMapping mapping,
                    std::map<std::string, Source> documents, std::string documents_name,
                    char delimiter)
        : input_(std::move(input)), csv_(input_.get(), name, delimiter),
          mapping_(std::move(mapping)), documents_(std::move(documents)),
          documents_name_(std::move(documents_name)) {
        if (mapping_.empty()) {
            throw InvalidInput(csv_.name() +
                               ": CSV input needs a column mapping; pass --map id=COLUMN "
                               "--map text=COLUMN ... (or --format mit-csv for the MIT export)");
        }
        if (!documents_name_.empty() && mapping_.source_ref.empty()) {
            throw InvalidInput("--documents " + documents_name_ +
                               " is joined on the records' source.ref, but the "
                               "column mapping of " +
                               csv_.name() +
                               " maps no column to it; add --map "
                               "source.ref=COLUMN, or leave out --documents");
        }
        std::vector<std::string> header;
        if (!csv_.next(header)) {
            throw InvalidInput(csv_.name() +
                               " is empty; a CSV input needs a header row and records");
        }
        width_ = header.size();
        for (std::size_t i = 0; i < header.size(); ++i) {
            columns_.emplace(trim(header[i]), i);
        }
        for (const auto& wanted : mapping_.columns()) {
            if (!columns_.count(wanted)) {
                std::string list;
                for (std::size_t i = 0; i < header.size() && i < 50; ++i) {
                    list += (i ? ", " : "") + trim(header[i]);
                }
                if (header.size() > 50)
                    list += ", ... (" + std::to_string(header.size()) + " columns)";
                throw InvalidInput("line 1 of " + csv_.name() + ": column '" + wanted +
                                   "' not found; columns are: " + list +
                                   separator_hint(header, delimiter));
            }
        }
        id_ = columns_.at(mapping_.id);
        title_ = resolve(mapping_.title);
        text_ = resolve(mapping_.text);
        reasoning_ = resolve(mapping_.reasoning);
    }

    bool next(LoadedRecord& out) override {
        std::vector<std::string> row;
        while (csv_.next(row)) {
            if (row.size() == 1 && trim(row[0]).empty()) {
                continue; // a blank line
            }
            out.origin = "line " + std::to_string(csv_.row_line()) + " of " + csv_.name();
            if (row.size() != width_) {
                throw InvalidInput(out.origin + ": the row has " + std::to_string(row.size()) +
                                   " fields but the header has " + std::to_string(width_) +
                                   "; quote fields that contain commas, quotes or line breaks");
            }
            Record r;
            r.id = trim(row[id_]);
            if (r.id.empty()) {
                throw InvalidInput(
                    out.origin + ": column '" + mapping_.id +
                    "' (the id) is empty; every record needs a unique, non-empty id");
            }
            check_id_length(r.id, out.origin + ", column '" + mapping_.id + "'");
            r.title = trim(join_columns(row, title_, " "));
            r.text = trim(join_columns(row, text_, "\n\n"));
            r.reasoning = trim(join_columns(row, reasoning_, "\n\n"));
            r.source.ref = cell(row, mapping_.source_ref);
            if (!r.source.ref.empty())
                note_ref(r.source.ref);
            if (auto it = documents_.find(r.source.ref);
                !r.source.ref.empty() && it != documents_.end()) {
                std::string ref = r.source.ref;
                r.source = it->second;
                r.source.ref = ref;
                ++joined_;
            }
            if (auto v = cell(row, mapping_.source_title); !v.empty())
                r.source.title = v;
            if (auto v = cell(row, mapping_.source_authors); !v.empty())
                r.source.authors = v;
            if (auto v = cell(row, mapping_.source_url); !v.empty())
                r.source.url = v;
            if (auto v = cell(row, mapping_.source_year); !v.empty()) {
                if (v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
                    throw InvalidInput(out.origin + ", column '" + mapping_.source_year +
                                       "': year '" + v + "' is not a whole number such as 2024");
                }
                r.source.year = std::stoi(v);
            }
            for (const auto& [facet, column] : mapping_.facets) {
                std::string value = cell(row, column);
                if (value.empty())
                    continue;
                std::vector<std::string> values;
                auto sep = mapping_.separators.find(facet);
                if (sep == mapping_.separators.end() || sep->second.empty()) {
                    values.push_back(value);
                } else {
                    std::size_t start = 0;
                    while (true) {
                        auto at = value.find(sep->second, start);
                        std::string part = trim(value.substr(
                            start, at == std::string::npos ? std::string::npos : at - start));
                        if (!part.empty())
                            values.push_back(std::move(part));
                        if (at == std::string::npos)
                            break;
                        start = at + sep->second.size();
                    }
                }
                if (!values.empty())
                    r.facets[facet] = std::move(values);
            }
            out.record = std::move(r);
            return true;
        }
        check_documents_joined();
        return false;
    }

  private:
    void note_ref(const std::string& ref) {
        if (ref_examples_.size() < 3 &&
            std::find(ref_examples_.begin(), ref_examples_.end(), ref) == ref_examples_.end()) {
            ref_examples_.push_back(ref);
        }
    }

    /// A documents table that no record's source matches is surely the wrong file: refuse it.
    void check_documents_joined() const {
        if (documents_name_.empty() || joined_ > 0 || ref_examples_.empty())
            return;
        auto quoted = [](const std::vector<std::string>& refs) {
            std::string out;
            for (const auto& ref : refs)
                out += (out.empty() ? "'" : ", '") + ref + "'";
            return out;
        };
        std::vector<std::string> documents;
        for (const auto& entry : documents_) {
            if (documents.size() == 3)
                break;
            documents.push_back(entry.first);
        }
        throw InvalidInput("--documents " + documents_name_ + ": no record of " + csv_.name() +
                           " has a source (column '" + mapping_.source_ref +
                           "') that matches any of its " + std::to_string(documents_.size()) +
                           (documents_.size() == 1 ? " document" : " documents") +
                           "; the records name sources such as " + quoted(ref_examples_) +
                           ", the documents " + quoted(documents) +
                           "; pass the documents table of the same export");
    }

    std::vector<std::size_t> resolve(const std::vector<std::string>& names) const {
        std::vector<std::size_t> out;
        for (const auto& n : names)
            out.push_back(columns_.at(n));
        return out;
    }
    std::string cell(const std::vector<std::string>& row, const std::string& column) const {
        if (column.empty())
            return {};
        return trim(row[columns_.at(column)]);
    }

    InputStream input_;
    CsvReader csv_;
    ColumnMapping mapping_;
    std::map<std::string, Source> documents_;
    std::string documents_name_;            ///< the documents table's path, empty without one
    std::size_t joined_ = 0;                ///< records whose source was found in the documents
    std::vector<std::string> ref_examples_; ///< a few source refs of the records, for the error
    std::map<std::string, std::size_t> columns_;
    std::size_t width_ = 0;
    std::size_t id_ = 0;
    std::vector<std::size_t> title_, text_, reasoning_;
};

} // namespace

InputFormat parse_input_format(std::string_view name) {
    if (name == "jsonl" || name == "ndjson")
        return InputFormat::jsonl;
    if (name == "json")
        return InputFormat::json;
    if (name == "csv")
        return InputFormat::csv;
    if (name == "mit-csv")
        return InputFormat::mit_csv;
    throw InvalidInput("--format '" + std::string(name) +
                       "' is unknown; use jsonl, json, csv or mit-csv");
}

InputFormat guess_input_format(std::string_view path) {
    auto ends_with = [&](std::string_view suffix) {
        return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
    };
    if (ends_with(".csv") || ends_with(".CSV"))
        return InputFormat::csv;
    if (ends_with(".json") || ends_with(".JSON"))
        return InputFormat::json;
    return InputFormat::jsonl;
}

std::map<std::string, Source> load_source_documents(const std::string& path) {
    InputStream input(path);
    CsvReader csv(input.get(), path);
    std::vector<std::string> header;
    if (!csv.next(header)) {
        throw InvalidInput(path + " is empty; a documents table needs a header row");
    }
    auto find = [&](std::initializer_list<const char*> names) -> std::optional<std::size_t> {
        for (const char* n : names) {
            for (std::size_t i = 0; i < header.size(); ++i) {
                if (trim(header[i]) == n)
                    return i;
            }
        }
        return std::nullopt;
    };
    // Only a documents table's own key: "Action Source" would take the mitigations table itself.
    auto ref = find({"ShortRef", "ref", "Ref"});
    if (!ref) {
        std::string list;
        for (std::size_t i = 0; i < header.size() && i < 50; ++i)
            list += (i ? ", " : "") + trim(header[i]);
        if (header.size() > 50)
            list += ", ... (" + std::to_string(header.size()) + " columns)";
        throw InvalidInput(
            "line 1 of " + path +
            ": column 'ShortRef' not found (the source documents table is joined on it, or on "
            "'ref'); columns are: " +
            list + "; pass the source documents table of the export");
    }
    auto title = find({"Title", "title"});
    auto authors = find({"First author", "Authors", "authors", "Author"});
    auto year = find({"Year", "year"});
    auto url = find({"URL", "url", "Url"});
    std::map<std::string, Source> out;
    std::vector<std::string> row;
    while (csv.next(row)) {
        if (row.size() != header.size()) {
            if (row.size() == 1 && trim(row[0]).empty())
                continue;
            throw InvalidInput("line " + std::to_string(csv.row_line()) + " of " + path +
                               ": the row has " + std::to_string(row.size()) +
                               " fields but the header has " + std::to_string(header.size()));
        }
        Source s;
        s.ref = trim(row[*ref]);
        if (title)
            s.title = trim(row[*title]);
        if (authors)
            s.authors = trim(row[*authors]);
        if (url)
            s.url = trim(row[*url]);
        if (year) {
            std::string y = trim(row[*year]);
            if (!y.empty() && y.size() <= 6 && std::all_of(y.begin(), y.end(), ::isdigit))
                s.year = std::stoi(y);
        }
        if (!s.ref.empty())
            out[s.ref] = std::move(s);
    }
    if (out.empty()) {
        throw InvalidInput(path + " holds no documents (no row with a value in column '" +
                           trim(header[*ref]) +
                           "'); pass the source documents table of the export");
    }
    return out;
}

namespace {

std::unique_ptr<RecordReader> make_reader(InputStream input, const std::string& name,
                                          InputFormat format, const LoadOptions& options) {
    std::map<std::string, Source> documents;
    if (!options.documents_csv.empty()) {
        documents = load_source_documents(options.documents_csv);
    }
    const std::string documents_name =
        options.documents_csv.empty() ? "" : display_name(options.documents_csv);
    switch (format) {
    case InputFormat::jsonl:
        return std::make_unique<JsonLinesReader>(input.get(), name, options.on_bad_line);
    case InputFormat::json:
        return std::make_unique<JsonArrayReader>(input.get(), name);
    case InputFormat::csv:
        return std::make_unique<CsvRecordReader>(std::move(input), name, options.mapping,
                                                 std::move(documents), documents_name,
                                                 options.delimiter);
    case InputFormat::mit_csv: {
        ColumnMapping mapping =
            options.mapping.empty() ? ColumnMapping::mit_csv() : options.mapping;
        return std::make_unique<CsvRecordReader>(std::move(input), name, std::move(mapping),
                                                 std::move(documents), documents_name,
                                                 options.delimiter);
    }
    }
    throw InvalidInput("unknown input format");
}

} // namespace

std::unique_ptr<RecordReader> open_records(const std::string& path, const LoadOptions& options) {
    InputFormat format = options.format ? *options.format : guess_input_format(path);
    switch (format) {
    case InputFormat::jsonl:
        return std::make_unique<JsonLinesReader>(path, options.on_bad_line);
    case InputFormat::json:
        return std::make_unique<JsonArrayReader>(path);
    default:
        return make_reader(InputStream(path), display_name(path), format, options);
    }
}

std::unique_ptr<RecordReader> open_records(std::istream& in, const std::string& name,
                                           const LoadOptions& options) {
    return make_reader(InputStream(in), name, options.format.value_or(InputFormat::jsonl), options);
}

} // namespace airm
