#include "engine/record/record.hpp"

#include "engine/error.hpp"
#include "engine/json_string.hpp"
#include "engine/record/json.hpp"

#include <algorithm>

namespace airm {
namespace {

using nlohmann::json;

bool is_blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

std::string where_prefix(std::string_view where) {
    return where.empty() ? std::string() : std::string(where) + ": ";
}

std::string optional_string(const json& object, const char* key, std::string_view where) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return {};
    }
    if (!it->is_string()) {
        throw InvalidInput(where_prefix(where) + "field '" + key + "' must be a string, found " +
                           it->type_name() + " " + it->dump());
    }
    return it->get<std::string>();
}

std::optional<int> optional_year(const json& object, std::string_view where) {
    auto it = object.find("year");
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (it->is_number_integer()) {
        return it->get<int>();
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        if (s.empty()) {
            return std::nullopt;
        }
        if (s.size() <= 6 && std::all_of(s.begin(), s.end(), ::isdigit)) {
            return std::stoi(s);
        }
    }
    throw InvalidInput(where_prefix(where) +
                       "field 'source.year' must be a whole number such as 2024, found " +
                       it->dump());
}

} // namespace

void check_id_length(std::string_view id, std::string_view where) {
    if (id.size() > kMaxIdBytes) {
        throw InvalidInput(where_prefix(where) + "id '" + std::string(id.substr(0, 40)) +
                           "...' is " + std::to_string(id.size()) +
                           " bytes long; ids may be at most " + std::to_string(kMaxIdBytes) +
                           " bytes, so shorten it");
    }
}

void check_facet_name(std::string_view name, std::string_view where) {
    if (name.empty() || name.size() > kMaxFacetNameBytes ||
        name.find(':') != std::string_view::npos) {
        throw InvalidInput(where_prefix(where) + "facet name '" + std::string(name.substr(0, 60)) +
                           "' is not usable; name facets with 1 to " +
                           std::to_string(kMaxFacetNameBytes) +
                           " bytes and no ':', e.g. \"category\"");
    }
}

bool Record::has_no_text() const {
    return is_blank(title) && is_blank(text) && is_blank(reasoning);
}

json record_to_json(const Record& record) {
    json out = json::object();
    out["id"] = record.id;
    out["title"] = record.title;
    out["text"] = record.text;
    if (!record.reasoning.empty()) {
        out["reasoning"] = record.reasoning;
    }
    if (!record.source.empty()) {
        json source = json::object();
        const Source& s = record.source;
        if (!s.ref.empty())
            source["ref"] = s.ref;
        if (!s.title.empty())
            source["title"] = s.title;
        if (!s.authors.empty())
            source["authors"] = s.authors;
        if (s.year)
            source["year"] = *s.year;
        if (!s.url.empty())
            source["url"] = s.url;
        out["source"] = std::move(source);
    }
    json facets = json::object();
    for (const auto& [name, values] : record.facets) {
        facets[name] = values;
    }
    out["facets"] = std::move(facets);
    return out;
}

Record record_from_json(const json& object, std::string_view where) {
    if (!object.is_object()) {
        throw InvalidInput(where_prefix(where) + "expected a JSON object for a record, found " +
                           object.type_name());
    }
    Record record;
    auto id = object.find("id");
    if (id == object.end() || id->is_null()) {
        throw InvalidInput(where_prefix(where) +
                           "field 'id' is missing; every record needs a unique, non-empty id");
    }
    if (id->is_number_integer()) {
        record.id = std::to_string(id->get<long long>());
    } else if (id->is_string()) {
        record.id = id->get<std::string>();
    } else {
        throw InvalidInput(where_prefix(where) + "field 'id' must be a string, found " +
                           id->dump());
    }
    if (is_blank(record.id)) {
        throw InvalidInput(where_prefix(where) +
                           "field 'id' is empty; every record needs a unique, non-empty id");
    }
    check_id_length(record.id, where);
    record.title = optional_string(object, "title", where);
    record.text = optional_string(object, "text", where);
    record.reasoning = optional_string(object, "reasoning", where);

    if (auto src = object.find("source"); src != object.end() && !src->is_null()) {
        if (src->is_string()) {
            record.source.ref = src->get<std::string>();
        } else if (src->is_object()) {
            record.source.ref = optional_string(*src, "ref", where);
            record.source.title = optional_string(*src, "title", where);
            record.source.authors = optional_string(*src, "authors", where);
            record.source.url = optional_string(*src, "url", where);
            record.source.year = optional_year(*src, where);
        } else {
            throw InvalidInput(where_prefix(where) +
                               "field 'source' must be an object {\"ref\", \"title\", \"authors\", "
                               "\"year\", \"url\"}, found " +
                               src->type_name());
        }
    }

    if (auto facets = object.find("facets"); facets != object.end() && !facets->is_null()) {
        if (!facets->is_object()) {
            throw InvalidInput(
                where_prefix(where) +
                "field 'facets' must be an object of name -> list of values, found " +
                facets->type_name());
        }
        for (const auto& item : facets->items()) {
            const std::string& name = item.key();
            const json& values = item.value();
            check_facet_name(name, where);
            std::vector<std::string> list;
            auto add = [&](const json& v) {
                if (!v.is_string()) {
                    throw InvalidInput(where_prefix(where) + "facet '" + name +
                                       "' values must be strings, found " + v.dump());
                }
                if (!is_blank(v.get_ref<const std::string&>())) {
                    list.push_back(v.get<std::string>());
                }
            };
            if (values.is_array()) {
                for (const auto& v : values) {
                    add(v);
                }
            } else if (!values.is_null()) {
                add(values);
            }
            if (!list.empty()) {
                record.facets[name] = std::move(list);
            }
        }
    }
    return record;
}

std::string to_json_line(const Record& record) {
    // Written directly rather than through a json object (which a bulk build built and dumped for
    // every record), with the same bytes as record_to_json(record).dump(): members in key order, no
    // spaces. Invalid UTF-8, which loaders refuse, takes the json path and its replacement
    // characters.
    std::string out;
    out.reserve(96 + record.id.size() + record.title.size() + record.text.size() +
                record.reasoning.size());
    bool valid = true;
    auto quoted = [&out, &valid](std::string_view text) {
        valid = valid && append_json_string_if_valid(out, text);
    };
    auto member = [&out, &quoted](bool& first, std::string_view key, std::string_view value) {
        out += first ? "\"" : ",\"";
        first = false;
        out += key;
        out += "\":";
        quoted(value);
    };
    out += "{\"facets\":{";
    bool first_facet = true;
    for (const auto& [name, values] : record.facets) {
        if (!first_facet) {
            out += ',';
        }
        first_facet = false;
        quoted(name);
        out += ":[";
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            quoted(values[i]);
        }
        out += ']';
    }
    out += "},\"id\":";
    quoted(record.id);
    if (!record.reasoning.empty()) {
        out += ",\"reasoning\":";
        quoted(record.reasoning);
    }
    const Source& s = record.source;
    if (!s.empty()) {
        out += ",\"source\":{";
        bool first = true;
        if (!s.authors.empty()) {
            member(first, "authors", s.authors);
        }
        if (!s.ref.empty()) {
            member(first, "ref", s.ref);
        }
        if (!s.title.empty()) {
            member(first, "title", s.title);
        }
        if (!s.url.empty()) {
            member(first, "url", s.url);
        }
        if (s.year) {
            out += first ? "" : ",";
            out += "\"year\":" + std::to_string(*s.year);
        }
        out += '}';
    }
    out += ",\"text\":";
    quoted(record.text);
    out += ",\"title\":";
    quoted(record.title);
    out += '}';
    if (!valid) {
        return record_to_json(record).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return out;
}

Record parse_record(std::string_view text, std::string_view where) {
    json parsed;
    try {
        parsed = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw InvalidInput(where_prefix(where) + "malformed JSON (" + std::string(e.what()) +
                           "); each line must be one complete JSON object");
    }
    return record_from_json(parsed, where);
}

} // namespace airm
