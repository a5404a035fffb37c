#include "query/search_json.hpp"

namespace airm {

using nlohmann::ordered_json;

namespace {

ordered_json facet_value_json(const FacetValue& v, bool hierarchical) {
    ordered_json out;
    out["value"] = v.value;
    if (hierarchical) out["name"] = v.name;
    out["count"] = v.count;
    if (v.selected) out["selected"] = true;
    if (hierarchical) {
        ordered_json children = ordered_json::array();
        for (const auto& c : v.children) children.push_back(facet_value_json(c, true));
        out["children"] = std::move(children);
    }
    return out;
}

ordered_json record_facets_json(const Record& record, const IndexMetadata& metadata) {
    ordered_json out = ordered_json::object();
    for (const auto& [facet, values] : record.facets) {
        ordered_json list = ordered_json::array();
        const Taxonomy* taxonomy = metadata.taxonomy(facet);
        for (const auto& value : values) {
            ordered_json v;
            v["value"] = value;
            if (taxonomy != nullptr) v["name"] = taxonomy->name_of(value);
            list.push_back(std::move(v));
        }
        out[facet] = std::move(list);
    }
    return out;
}

ordered_json source_json(const Source& s) {
    ordered_json out = ordered_json::object();
    if (!s.ref.empty()) out["ref"] = s.ref;
    if (!s.title.empty()) out["title"] = s.title;
    if (!s.authors.empty()) out["authors"] = s.authors;
    if (s.year) out["year"] = *s.year;
    if (!s.url.empty()) out["url"] = s.url;
    return out;
}

} // namespace

ordered_json snippet_json(const Snippet& snippet) {
    ordered_json marks = ordered_json::array();
    for (const auto& [b, e] : snippet.marks) marks.push_back({b, e});
    ordered_json out;
    out["field"] = snippet.field;
    out["text"] = snippet.text;
    out["html"] = snippet_html(snippet);
    out["marks"] = std::move(marks);
    return out;
}

ordered_json facet_counts_json(const FacetCounts& counts) {
    ordered_json out = ordered_json::array();
    for (const auto& v : counts.values) out.push_back(facet_value_json(v, counts.hierarchical));
    return out;
}

ordered_json search_result_json(const SearchResult& result, const SearchRequest& request,
                                const IndexMetadata& metadata) {
    ordered_json out;
    out["schema"] = kSearchJsonSchema;
    out["query"] = result.query;
    if (result.corrected) out["original_query"] = result.original_query;
    out["parsed"] = result.parsed;
    out["total"] = result.total;
    out["offset"] = request.offset;
    out["limit"] = request.limit;
    ordered_json hits = ordered_json::array();
    for (const auto& hit : result.hits) {
        ordered_json h;
        h["rank"] = hit.rank;
        h["id"] = hit.record.id;
        h["title"] = hit.record.title;
        h["score"] = hit.score;
        if (request.snippets) h["snippet"] = snippet_json(hit.snippet);
        h["facets"] = record_facets_json(hit.record, metadata);
        h["source"] = source_json(hit.record.source);
        if (request.explain) {
            ordered_json parts = ordered_json::array();
            for (const auto& p : hit.explain) {
                ordered_json part;
                part["query"] = p.label;
                part["weight"] = p.weight;
                part["fields"] = p.fields;
                parts.push_back(std::move(part));
            }
            h["explain"] = std::move(parts);
        }
        hits.push_back(std::move(h));
    }
    out["results"] = std::move(hits);
    ordered_json facets = ordered_json::object();
    ordered_json sideways = ordered_json::array();
    for (const auto& f : result.facets) {
        facets[f.facet] = facet_counts_json(f);
        if (f.drill_sideways) sideways.push_back(f.facet);
    }
    out["facets"] = std::move(facets);
    out["drill_sideways"] = std::move(sideways);
    out["did_you_mean"] = result.did_you_mean ? ordered_json(*result.did_you_mean) : ordered_json(nullptr);
    out["corrected"] = result.corrected;
    out["notices"] = result.notices;
    if (request.explain) out["ranking"] = result.ranking;
    return out;
}

} // namespace airm
