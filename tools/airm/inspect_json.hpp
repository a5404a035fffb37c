#pragma once
/// The JSON faces of `airm stats`, `airm taxonomy` and `airm train` (schema as printed by their
/// --json), shared by the CLI and `airm serve` so that both answer with the same shapes.

#include "engine/index.hpp"
#include "query/suggest/model.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace airm::cli {

/// `airm stats --json`: records, sizes, schema, analyzer and every facet's values with counts.
[[nodiscard]] nlohmann::json stats_json(const Index& index);

/// `airm taxonomy --json`: {"facet", "title", "tree"} with record counts. Throws NotFound naming
/// the hierarchical facets when `facet` has no taxonomy.
[[nodiscard]] nlohmann::json taxonomy_json(const Index& index, const std::string& facet);

/// The taxonomy tree of `facet` below `parent` with record counts: [{"value", "name", "count",
/// "children"}].
[[nodiscard]] nlohmann::json taxonomy_tree_json(const Taxonomy& taxonomy,
                                                const std::map<std::string, std::uint64_t>& counts,
                                                const std::string& parent);

/// One entry of `airm train --json`: what the model of `field`, saved at `path`, was built from.
[[nodiscard]] nlohmann::json train_report_json(const SuggestModel& model, const std::string& field,
                                               const std::string& path);

} // namespace airm::cli
