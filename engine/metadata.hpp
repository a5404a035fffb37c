#pragma once
/// What an index records about itself: schema version, analyzer configuration, facets and their
/// value slots, and the taxonomies of hierarchical facets.

#include "engine/analysis/analyzer.hpp"
#include "engine/taxonomy.hpp"

#include <map>
#include <string>
#include <string_view>

namespace airm {

/// One facet of the index.
struct FacetInfo {
    bool hierarchical = false; ///< values are dotted codes, filters match a code and all below it
    unsigned slot = 0;         ///< value slot holding the record's values (with ancestors)
};

/// The metadata saved inside every index, as JSON starting with format name and version.
struct IndexMetadata {
    int schema_version = 0;
    AnalyzerConfig analyzer;
    std::map<std::string, FacetInfo> facets;
    std::map<std::string, Taxonomy> taxonomies; ///< by facet name, hierarchical facets only

    /// Metadata for a new, empty index of the current schema.
    [[nodiscard]] static IndexMetadata fresh(AnalyzerConfig analyzer = {});
    /// Returns the facet, registering it with the next free slot when new.
    FacetInfo& ensure_facet(const std::string& name, bool hierarchical);
    [[nodiscard]] const FacetInfo* facet(std::string_view name) const;
    /// The taxonomy of a hierarchical facet, or nullptr.
    [[nodiscard]] const Taxonomy* taxonomy(std::string_view facet) const;

    [[nodiscard]] std::string to_json() const;
    /// Parses saved metadata; throws VersionMismatch for another format version, naming both.
    [[nodiscard]] static IndexMetadata from_json(std::string_view json, std::string_view where);
};

/// Name and version of the metadata format.
inline constexpr std::string_view kIndexFormatName = "airm-index";

} // namespace airm
