#include "table_output.hpp"

#include "cli_context.hpp"
#include "engine/error.hpp"
#include "query/search/record_view.hpp"

#include <algorithm>
#include <cstdio>

namespace airm::cli {

std::optional<TableFormat> TableArgs::table() const {
    if (format == "csv")
        return TableFormat::csv;
    if (format == "tsv")
        return TableFormat::tsv;
    return std::nullopt;
}

void add_table_options(CLI::App& command, TableArgs& args, const std::string& format_names,
                       const std::string& fields) {
    command
        .add_option(format_names, args.format,
                    "Output as a table for spreadsheets: csv (RFC 4180) or tsv (tabs, newlines "
                    "and backslashes escaped as \\t \\n \\\\), with a header line; text and json "
                    "are the other formats")
        ->check(one_of({"text", "json", "csv", "tsv"}));
    command
        .add_option("--fields", args.fields,
                    "The columns of --format csv|tsv, comma-separated, in order: " + fields)
        ->delimiter(',')
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::string table_cell(std::string_view value, TableFormat format) {
    std::string out;
    if (format == TableFormat::tsv) {
        for (const char c : value) {
            switch (c) {
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                out += c;
            }
        }
        return out;
    }
    if (value.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(value);
    out += '"';
    for (const char c : value) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string table_line(const std::vector<std::string>& cells, TableFormat format) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i > 0)
            out += format == TableFormat::csv ? ',' : '\t';
        out += table_cell(cells[i], format);
    }
    out += format == TableFormat::csv ? "\r\n" : "\n";
    return out;
}

std::vector<std::string> table_columns(const std::vector<std::string>& requested,
                                       const std::vector<std::string>& offered,
                                       const std::vector<std::string>& defaults,
                                       std::string_view command) {
    if (requested.empty())
        return defaults;
    for (const auto& field : requested) {
        if (std::find(offered.begin(), offered.end(), field) == offered.end()) {
            std::string list;
            for (const auto& f : offered)
                list += (list.empty() ? "" : ",") + f;
            throw InvalidInput("--fields '" + field + "' is not a field of 'airm " +
                               std::string(command) + "'; choose from " + list);
        }
    }
    return requested;
}

void check_fields_need_table(const TableArgs& args, std::string_view command) {
    if (!args.fields.empty() && !args.table()) {
        throw InvalidInput("--fields chooses the columns of a table, but 'airm " +
                           std::string(command) + "' prints " +
                           (args.format.empty() ? "text" : args.format) +
                           "; add --format csv or --format tsv");
    }
}

std::vector<std::string> record_fields(const IndexMetadata& metadata) {
    std::vector<std::string> out = {"id", "title", "text", "reasoning", "codes"};
    for (const auto& [name, info] : metadata.facets) {
        if (std::find(out.begin(), out.end(), name) == out.end())
            out.push_back(name);
    }
    for (const char* f : {"source", "authors", "year", "url"}) {
        if (std::find(out.begin(), out.end(), f) == out.end())
            out.push_back(f);
    }
    return out;
}

namespace {

std::string joined(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values)
        out += (out.empty() ? "" : "; ") + v;
    return out;
}

std::string number(const char* format, double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

} // namespace

std::string record_cell(const Record& record, std::string_view field,
                        const IndexMetadata& metadata) {
    if (field == "id")
        return record.id;
    if (field == "title")
        return record.title;
    if (field == "text")
        return record.text;
    if (field == "reasoning")
        return record.reasoning;
    if (field == "codes") {
        std::vector<std::string> codes;
        for (const auto& [facet, values] : record.facets) {
            const FacetInfo* info = metadata.facet(facet);
            if (info != nullptr && info->hierarchical)
                codes.insert(codes.end(), values.begin(), values.end());
        }
        return joined(codes);
    }
    if (auto it = record.facets.find(std::string(field)); it != record.facets.end())
        return joined(it->second);
    if (metadata.facet(field) != nullptr)
        return {};
    if (field == "source")
        return !record.source.title.empty() ? record.source.title : record.source.ref;
    if (field == "authors")
        return record.source.authors;
    if (field == "year")
        return record.source.year ? std::to_string(*record.source.year) : std::string();
    if (field == "url")
        return record.source.url;
    return {};
}

std::string search_table(const SearchResult& result, const IndexMetadata& metadata,
                         const TableArgs& args) {
    const TableFormat format = *args.table();
    std::vector<std::string> offered = {"rank", "score", "partial", "snippet"};
    const std::vector<std::string> fields = record_fields(metadata);
    offered.insert(offered.end(), fields.begin(), fields.end());
    const std::vector<std::string> columns =
        table_columns(args.fields, offered, {"rank", "id", "score", "title", "codes"}, "search");
    std::string out = table_line(columns, format);
    for (const Hit& hit : result.hits) {
        std::vector<std::string> cells;
        for (const auto& c : columns) {
            if (c == "rank")
                cells.push_back(std::to_string(hit.rank));
            else if (c == "score")
                cells.push_back(number("%.4f", hit.score));
            else if (c == "partial")
                cells.push_back(hit.partial ? "true" : "false");
            else if (c == "snippet")
                cells.push_back(hit.snippet.text);
            else
                cells.push_back(record_cell(hit.record, c, metadata));
        }
        out += table_line(cells, format);
    }
    return out;
}

std::string record_table(const Record& record, const IndexMetadata& metadata,
                         const TableArgs& args) {
    const TableFormat format = *args.table();
    const std::vector<std::string> offered = record_fields(metadata);
    const std::vector<std::string> columns = table_columns(args.fields, offered, offered, "show");
    std::vector<std::string> cells;
    for (const auto& c : columns)
        cells.push_back(record_cell(record, c, metadata));
    return table_line(columns, format) + table_line(cells, format);
}

const std::vector<std::string>& suggestion_fields() {
    static const std::vector<std::string> fields = {"id",   "rank",       "code",
                                                    "name", "confidence", "category"};
    return fields;
}

std::vector<std::string> suggestion_columns(const TableArgs& args, bool batch) {
    std::vector<std::string> defaults = {"rank", "code", "name", "confidence"};
    if (batch)
        defaults.insert(defaults.begin(), "id");
    return table_columns(args.fields, suggestion_fields(), defaults, "suggest");
}

std::string suggestion_rows(const SuggestResult& result, std::string_view id,
                            const std::vector<std::string>& columns, TableFormat format) {
    std::string out;
    for (std::size_t i = 0; i < result.suggestions.size(); ++i) {
        const Suggestion& s = result.suggestions[i];
        std::vector<std::string> cells;
        for (const auto& c : columns) {
            if (c == "id")
                cells.emplace_back(id);
            else if (c == "rank")
                cells.push_back(std::to_string(i + 1));
            else if (c == "code")
                cells.push_back(s.code);
            else if (c == "name")
                cells.push_back(s.name);
            else if (c == "confidence")
                cells.push_back(number("%.4f", s.confidence));
            else if (c == "category")
                cells.push_back(s.category);
        }
        out += table_line(cells, format);
    }
    return out;
}

} // namespace airm::cli
