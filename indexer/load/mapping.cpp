#include "indexer/load/mapping.hpp"

#include "engine/error.hpp"
#include "engine/record/record.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace airm {
namespace {

constexpr const char* kKeys = "id, title, text, reasoning, source.ref, source.title, "
                              "source.authors, source.year, source.url, "
                              "facet:NAME, split:NAME";

std::vector<std::string> split_plus(std::string_view value) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto plus = value.find('+', start);
        std::string part(value.substr(start, plus == std::string_view::npos ? std::string_view::npos
                                                                            : plus - start));
        if (!part.empty()) {
            out.push_back(std::move(part));
        }
        if (plus == std::string_view::npos) {
            break;
        }
        start = plus + 1;
    }
    return out;
}

} // namespace

void ColumnMapping::assign(std::string_view assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == assignment.size()) {
        throw InvalidInput("--map '" + std::string(assignment) +
                           "' is not KEY=COLUMN; keys are: " + kKeys);
    }
    std::string key(assignment.substr(0, eq));
    std::string value(assignment.substr(eq + 1));
    if (key == "id") {
        id = value;
    } else if (key == "title") {
        title = split_plus(value);
    } else if (key == "text") {
        text = split_plus(value);
    } else if (key == "reasoning") {
        reasoning = split_plus(value);
    } else if (key == "source" || key == "source.ref") {
        source_ref = value;
    } else if (key == "source.title") {
        source_title = value;
    } else if (key == "source.authors") {
        source_authors = value;
    } else if (key == "source.year") {
        source_year = value;
    } else if (key == "source.url") {
        source_url = value;
    } else if (key.rfind("facet:", 0) == 0 && key.size() > 6) {
        check_facet_name(key.substr(6), "--map '" + std::string(assignment) + "'");
        facets[key.substr(6)] = value;
    } else if (key.rfind("split:", 0) == 0 && key.size() > 6) {
        separators[key.substr(6)] = value;
    } else {
        throw InvalidInput("--map key '" + key + "' is unknown; keys are: " + kKeys);
    }
}

ColumnMapping ColumnMapping::from_json(std::string_view text_json, std::string_view where) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text_json.begin(), text_json.end());
    } catch (const nlohmann::json::exception& e) {
        throw InvalidInput(std::string(where) + ": malformed JSON (" + e.what() + ")");
    }
    if (!doc.is_object()) {
        throw InvalidInput(std::string(where) +
                           ": a mapping file must be a JSON object such as "
                           "{\"id\": \"Action ID\", \"text\": [\"Name\", \"Definition\"]}");
    }
    ColumnMapping mapping;
    for (const auto& [key, value] : doc.items()) {
        if (value.is_string()) {
            mapping.assign(key + "=" + value.get<std::string>());
        } else if (value.is_array()) {
            std::string joined;
            for (const auto& v : value) {
                if (!v.is_string()) {
                    throw InvalidInput(std::string(where) + ": '" + key +
                                       "' must list column names as strings");
                }
                joined += (joined.empty() ? "" : "+") + v.get<std::string>();
            }
            mapping.assign(key + "=" + joined);
        } else {
            throw InvalidInput(std::string(where) + ": '" + key +
                               "' must be a column name or a list of them");
        }
    }
    if (mapping.id.empty()) {
        throw InvalidInput(std::string(where) +
                           ": the mapping has no \"id\" column; add \"id\": \"COLUMN\"");
    }
    return mapping;
}

ColumnMapping ColumnMapping::mit_csv() {
    ColumnMapping m;
    m.id = "Action ID";
    m.title = {"Action Name"};
    m.text = {"Action Definition"};
    m.source_ref = "Action Source";
    m.facets["category"] = "MitigationCode";
    m.facets["source"] = "Action Source"; // the source document, to filter and count by
    return m;
}

std::vector<std::string> ColumnMapping::columns() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& c) {
        if (!c.empty() && std::find(out.begin(), out.end(), c) == out.end())
            out.push_back(c);
    };
    add(id);
    for (const auto& c : title)
        add(c);
    for (const auto& c : text)
        add(c);
    for (const auto& c : reasoning)
        add(c);
    add(source_ref);
    add(source_title);
    add(source_authors);
    add(source_year);
    add(source_url);
    for (const auto& [name, c] : facets)
        add(c);
    return out;
}

} // namespace airm
