#include "query/search/record_view.hpp"

#include "engine/record/json.hpp"

namespace airm {

nlohmann::json facets_with_names(const Record& record, const IndexMetadata& metadata) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [facet, values] : record.facets) {
        nlohmann::json list = nlohmann::json::array();
        const Taxonomy* taxonomy = metadata.taxonomy(facet);
        for (const auto& value : values) {
            nlohmann::json v = {{"value", value}};
            if (taxonomy != nullptr) {
                v["name"] = taxonomy->name_of(value);
            }
            list.push_back(std::move(v));
        }
        out[facet] = std::move(list);
    }
    return out;
}

nlohmann::json record_view(const Record& record, const IndexMetadata& metadata) {
    nlohmann::json out = record_to_json(record);
    out["facets"] = facets_with_names(record, metadata);
    return out;
}

std::string source_line(const Source& source) {
    std::string out;
    if (!source.title.empty()) {
        out = source.title;
        if (!source.authors.empty() || source.year) {
            out += " — ";
            out += source.authors;
            if (source.year) {
                out += (source.authors.empty() ? "" : " ") + std::string("(") +
                       std::to_string(*source.year) + ")";
            }
        }
    } else {
        out = source.ref;
    }
    return out;
}

} // namespace airm
