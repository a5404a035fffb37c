#pragma once
/// Internal to the query library (includes xapian.h): the facet values of every record held in
/// memory, so that counting facets over a match set is an array walk instead of a value-slot read
/// and string parse per match.
///
/// Records share few distinct value sets per facet (a set of codes with their ancestors, one
/// lifecycle stage...), so each distinct set of a facet is a "combination" with a small id, and the
/// table keeps one combination id per record and facet: 2 bytes each (4 when a facet has more than
/// 65,535 combinations), row-major, so the facets of one record share a cache line. A query counts
/// combinations per match (one increment per facet) and expands them to values once at the end.
/// Built once per Searcher (on first use) from the facets' value slots.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// Splits a facet slot value ("2\x1f2.2\x1f2.2.2") and calls `visit` with each part.
template <typename Visit> void for_each_slot_value(std::string_view slot, Visit&& visit) {
    std::size_t start = 0;
    while (start < slot.size()) {
        std::size_t sep = slot.find('\x1f', start);
        if (sep == std::string_view::npos)
            sep = slot.size();
        if (sep > start)
            visit(slot.substr(start, sep - start));
        start = sep + 1;
    }
}

class FacetTable {
  public:
    /// A facet and the value slot that holds its values.
    struct Facet {
        std::string name;
        unsigned slot = 0;
    };

    explicit FacetTable(std::vector<Facet> facets);

    /// Reads every facet slot of `db` (one database: match docids are the table's row numbers).
    void load(const Xapian::Database& db);
    [[nodiscard]] bool loaded() const { return loaded_; }

    /// Calls visit(facet index, combination id) for each facet of loaded row `docid`.
    template <typename Visit> void visit_row(Xapian::docid docid, Visit&& visit) const {
        if (docid >= rows_)
            return;
        const std::size_t base = static_cast<std::size_t>(docid) * facets_.size();
        if (wide_) {
            for (std::size_t f = 0; f < facets_.size(); ++f)
                visit(f, cells32_[base + f]);
        } else {
            for (std::size_t f = 0; f < facets_.size(); ++f)
                visit(f, std::uint32_t{cells16_[base + f]});
        }
    }
    /// Adds 1 to counts[f][c] for the combination c of each facet f of loaded row `docid`: the
    /// hot loop of counting a plain match set. Each counts[f] must hold combination_count(f)
    /// entries (a loaded table learns no combination later, so every id of a row is below that).
    void count_row(Xapian::docid docid, std::uint64_t* const* counts) const {
        if (docid >= rows_)
            return;
        const std::size_t n = facets_.size();
        const std::size_t base = static_cast<std::size_t>(docid) * n;
        if (wide_) {
            const std::uint32_t* row = cells32_.data() + base;
            for (std::size_t f = 0; f < n; ++f)
                ++counts[f][row[f]];
        } else {
            const std::uint16_t* row = cells16_.data() + base;
            for (std::size_t f = 0; f < n; ++f)
                ++counts[f][row[f]];
        }
    }
    /// Reads the combination ids of a document from its slots into `out` (one per facet), learning
    /// new combinations: for several databases, where a match's docid is not a row number.
    void read_document(const Xapian::Document& doc, std::vector<std::uint32_t>& out);

    [[nodiscard]] const std::vector<Facet>& facets() const { return facets_; }
    /// Index of a facet by name, or facets().size().
    [[nodiscard]] std::size_t facet_index(std::string_view name) const;
    /// Combinations of facet `f` known so far; id 0 is the empty set.
    [[nodiscard]] std::size_t combination_count(std::size_t f) const {
        return combinations_[f].starts.size() - 1;
    }
    /// The value ids of combination `c` of facet `f` (valid until a combination is learned).
    [[nodiscard]] std::span<const std::uint32_t> combination(std::size_t f, std::uint32_t c) const {
        const Combinations& all = combinations_[f];
        return {all.values.data() + all.starts[c], all.starts[c + 1] - all.starts[c]};
    }
    /// Value ids are dense over all facets.
    [[nodiscard]] std::size_t value_count() const { return values_.size(); }
    [[nodiscard]] const std::string& value(std::uint32_t id) const { return values_[id]; }
    /// Index of the facet a value id belongs to.
    [[nodiscard]] std::size_t facet_of(std::uint32_t id) const { return facet_of_[id]; }
    /// The value ids of facet `f`, ascending.
    [[nodiscard]] std::span<const std::uint32_t> values_of(std::size_t f) const {
        return values_of_[f];
    }

  private:
    std::uint32_t value_id(std::size_t facet, std::string_view value);
    std::uint32_t combination_id(std::size_t facet, const std::string& slot);

    std::vector<Facet> facets_;
    std::vector<std::string> values_;
    std::vector<std::uint32_t> facet_of_;
    std::vector<std::vector<std::uint32_t>> values_of_;        ///< [facet] -> its value ids
    std::unordered_map<std::string, std::uint32_t> value_ids_; ///< key: facet index, '\0', value
    /// The combinations of one facet, their value ids end to end: counting a query's matches
    /// walks them all, and one array does not scatter them over the heap.
    struct Combinations {
        std::vector<std::uint32_t> starts{0}; ///< combination c: values[starts[c], starts[c + 1])
        std::vector<std::uint32_t> values;
    };
    std::vector<Combinations> combinations_; ///< by facet
    std::vector<std::unordered_map<std::string, std::uint32_t>>
        combination_ids_; ///< [facet]: slot -> id
    std::vector<std::uint16_t> cells16_;
    std::vector<std::uint32_t> cells32_;
    std::size_t rows_ = 0;
    bool wide_ = false;
    bool loaded_ = false;
};

} // namespace airm::detail
