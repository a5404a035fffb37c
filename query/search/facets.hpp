#pragma once
/// Facet counts as users see them: flat facets as values sorted by count, hierarchical facets as a
/// tree in taxonomy order whose every node counts the records at or below it (each record once).

#include "engine/metadata.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace airm {

/// One value of a facet with the number of matching records that carry it.
struct FacetValue {
    std::string value; ///< the code (hierarchical) or the value as indexed
    std::string name;  ///< taxonomy name of a code; empty for flat facets
    std::uint64_t count = 0;
    bool selected = false;            ///< a filter of the request names this value
    std::vector<FacetValue> children; ///< codes directly below (hierarchical only)
};

/// The counts of one facet.
struct FacetCounts {
    std::string facet;
    bool hierarchical = false;
    /// True when the facet was filtered: its counts then ignore its own filter (drill-sideways),
    /// so they show what choosing another value would give.
    bool drill_sideways = false;
    std::vector<FacetValue> values;
};

/// The shape of one facet's counts, prepared once: for a hierarchical facet, its taxonomy as a tree
/// in taxonomy order with names.
class FacetLayout {
  public:
    FacetLayout(std::string facet, const IndexMetadata& metadata);

    /// The user-facing counts from per-value record counts (hierarchical counts already include
    /// every ancestor, as the index stores them). Values counted zero are left out unless selected.
    [[nodiscard]] FacetCounts build(const std::map<std::string, std::uint64_t>& counts,
                                    const std::vector<std::string>& selected) const;

  private:
    struct Node {
        std::string code;
        std::string name;
        std::vector<std::size_t> children;
    };
    FacetValue node_value(std::size_t n, const std::map<std::string, std::uint64_t>& counts,
                          const std::vector<std::string>& selected, bool& keep) const;

    std::string facet_;
    bool hierarchical_ = false;
    std::vector<Node> nodes_;
    std::vector<std::size_t> roots_;
    std::unordered_map<std::string, std::size_t> index_;
};

/// FacetLayout(facet, metadata).build(counts, selected), for a single use.
[[nodiscard]] FacetCounts build_facet_counts(const std::string& facet,
                                             const IndexMetadata& metadata,
                                             const std::map<std::string, std::uint64_t>& counts,
                                             const std::vector<std::string>& selected);

} // namespace airm
