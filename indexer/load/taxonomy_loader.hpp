#pragma once
/// Reads taxonomy files: airm's own "airm-taxonomy" format, and nested JSON of the shape
/// {"categories": [{"code", "name", "description", "examples", "subcategories": [...]}]}
/// (also "children" or "nodes" lists), as the MIT taxonomy is published.

#include "engine/taxonomy.hpp"

#include <string>

namespace airm {

/// Loads a taxonomy file; `facet` names the facet it codes unless the file names one itself.
/// Throws NotFound or InvalidInput naming the file and the fix.
[[nodiscard]] Taxonomy load_taxonomy_file(const std::string& path,
                                          const std::string& facet = "category");

/// Parses taxonomy JSON already in memory; `name` names it in error messages.
[[nodiscard]] Taxonomy parse_taxonomy(std::string_view json, const std::string& name,
                                      const std::string& facet = "category");

} // namespace airm
