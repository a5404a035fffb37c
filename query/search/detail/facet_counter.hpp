#pragma once
/// Internal to the query library (includes xapian.h): counting facets over a match set with the
/// in-memory facet table, drill-sideways included, and turning the counts into FacetCounts.

#include "engine/analysis/analyzer.hpp"
#include "engine/metadata.hpp"
#include "query/search/detail/facet_column.hpp"
#include "query/search/facets.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// A filtered facet whose counts are drill-sideways: which of its combinations pass its filter.
struct SidewaysFilter {
    std::size_t facet = 0; ///< index in the facet table
    std::function<bool(const std::string&)> accepts;
    std::vector<std::int8_t> known; ///< per combination: -1 not yet known, 0 fails, 1 passes

    /// The filter of `facet` on its filter terms' values (codes, or folded flat values).
    [[nodiscard]] static SidewaysFilter make(const FacetTable& table, const std::string& facet,
                                             const std::vector<std::string>& values,
                                             bool hierarchical, const Analyzer& analyzer);

    [[nodiscard]] bool accepted_value(std::uint32_t id, const FacetTable& table) const {
        return table.facet_of(id) == facet && accepts(table.value(id));
    }
    /// Whether combination `c` passes: decided once per combination (learn()), then looked up.
    bool passes(std::uint32_t c, const FacetTable& table) {
        if (c < known.size() && known[c] >= 0)
            return known[c] == 1;
        return learn(c, table);
    }

  private:
    bool learn(std::uint32_t c, const FacetTable& table);
};

/// Record counts per facet and combination, over the hits and, for each drill-sideways facet, over
/// the records that fail that facet's filter only.
class FacetCounter {
  public:
    FacetCounter(const FacetTable& table, std::vector<SidewaysFilter>& sideways);
    FacetCounter(const FacetCounter&) = delete; // hit_rows_ points into hits_
    FacetCounter& operator=(const FacetCounter&) = delete;

    /// Counts a record of the base match set given its combination per facet; true when it is a
    /// hit (passes every drill-sideways filter).
    bool record(std::span<const std::uint32_t> cells);

    /// True when no facet is drill-sideways: every record of the match set is a hit, and it can
    /// be counted row by row with count_hit_row().
    [[nodiscard]] bool plain() const { return sideways_.empty(); }
    /// Counts row `did` of the (loaded) table as a hit, every facet at once (when plain()).
    void count_hit_row(Xapian::docid did) { table_.count_row(did, hit_rows_.data()); }

    /// The counts of facet `name` as users see them; `selected` are the values filtered on.
    [[nodiscard]] FacetCounts counts(const std::string& name, const FacetLayout& layout,
                                     std::vector<std::string> selected) const;

  private:
    static void add(std::vector<std::uint64_t>& v, std::uint32_t c) {
        if (c >= v.size())
            v.resize(c + 1, 0);
        ++v[c];
    }
    const FacetTable& table_;
    std::vector<SidewaysFilter>& sideways_;
    std::vector<std::vector<std::uint64_t>> hits_;
    std::vector<std::uint64_t*> hit_rows_; ///< hits_[f].data(), for count_hit_row()
    std::vector<std::vector<std::uint64_t>> side_;
};

/// The combinations of a Xapian match: its table row (one database) or read from its slots.
class CellReader {
  public:
    explicit CellReader(FacetTable& table) : table_(table), cells_(table.facets().size()) {}
    std::span<const std::uint32_t> read(const Xapian::Document& doc);

  private:
    FacetTable& table_;
    std::vector<std::uint32_t> cells_;
};

/// Xapian's matcher: counts every match (no drill-sideways filter).
class CountingSpy : public Xapian::MatchSpy {
  public:
    CountingSpy(CellReader& cells, FacetCounter& counter) : cells_(cells), counter_(counter) {}
    void operator()(const Xapian::Document& doc, double) override {
        (void)counter_.record(cells_.read(doc));
    }

  private:
    CellReader& cells_;
    FacetCounter& counter_;
};

/// Xapian's matcher with drill-sideways filters: applies them itself while counting.
class SidewaysDecider : public Xapian::MatchDecider {
  public:
    SidewaysDecider(CellReader& cells, FacetCounter& counter) : cells_(cells), counter_(counter) {}
    bool operator()(const Xapian::Document& doc) const override {
        return counter_.record(cells_.read(doc));
    }

  private:
    CellReader& cells_;
    FacetCounter& counter_;
};

} // namespace airm::detail
