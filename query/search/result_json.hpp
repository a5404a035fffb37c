#pragma once
/// The JSON shape of search results, versioned by its "schema" key (documented in the README):
/// {"schema": 1, "query": ..., "total": N, "results": [{"id", "title", "score", "snippet",
/// "facets",
///  "source"}], "facets": {"category": [{"value", "name", "count", "children": [...]}]},
///  "did_you_mean": null | "..."}
/// Written directly as text (one line), without building a JSON tree: batch searches print
/// thousands of these.

#include "engine/metadata.hpp"
#include "query/search/searcher.hpp"

#include <string>

namespace airm {

/// Version of the result JSON; bumped when a key changes meaning or disappears.
inline constexpr int kSearchJsonSchema = 1;

/// The whole result as one line of JSON (an object; `airm search --batch` adds "took_ms").
[[nodiscard]] std::string search_result_json(const SearchResult& result,
                                             const SearchRequest& request,
                                             const IndexMetadata& metadata);

/// The facet counts alone (for `airm facets`): schema, query, total, facets, drill_sideways,
/// notices.
[[nodiscard]] std::string facet_result_json(const SearchResult& result);

} // namespace airm
