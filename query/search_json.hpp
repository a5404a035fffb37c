#pragma once
/// The JSON shape of search results, versioned by its "schema" key (documented in the README):
/// {"schema": 1, "query": ..., "total": N, "results": [{"id", "title", "score", "snippet", "facets",
///  "source"}], "facets": {"category": [{"value", "name", "count", "children": [...]}]},
///  "did_you_mean": null | "..."}

#include "engine/metadata.hpp"
#include "query/searcher.hpp"

#include <nlohmann/json.hpp>

namespace airm {

/// Version of the result JSON; bumped when a key changes meaning or disappears.
inline constexpr int kSearchJsonSchema = 1;

/// The snippet as {"field", "text", "html", "marks": [[begin, end], ...]} (byte offsets into text).
[[nodiscard]] nlohmann::ordered_json snippet_json(const Snippet& snippet);

/// The counts of one facet as an array of {"value", ("name",) "count", ("selected",) ("children")}.
[[nodiscard]] nlohmann::ordered_json facet_counts_json(const FacetCounts& counts);

/// The whole result.
[[nodiscard]] nlohmann::ordered_json search_result_json(const SearchResult& result, const SearchRequest& request,
                                                        const IndexMetadata& metadata);

} // namespace airm
