#include "query/search/detail/facet_counter.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace airm::detail {

SidewaysFilter SidewaysFilter::make(const FacetTable& table, const std::string& facet,
                                    const std::vector<std::string>& values, bool hierarchical,
                                    const Analyzer& analyzer) {
    SidewaysFilter s;
    s.facet = table.facet_index(facet);
    std::set<std::string> wanted(values.begin(), values.end());
    if (hierarchical) {
        s.accepts = [wanted](const std::string& v) { return wanted.count(v) != 0; };
    } else {
        const Analyzer* a = &analyzer;
        s.accepts = [wanted, a](const std::string& v) { return wanted.count(a->fold(v)) != 0; };
    }
    return s;
}

bool SidewaysFilter::learn(std::uint32_t c, const FacetTable& table) {
    if (c >= known.size())
        known.resize(c + 1, -1);
    if (known[c] < 0) {
        known[c] = 0;
        for (std::uint32_t id : table.combination(facet, c)) {
            if (accepted_value(id, table))
                known[c] = 1;
        }
    }
    return known[c] == 1;
}

FacetCounter::FacetCounter(const FacetTable& table, std::vector<SidewaysFilter>& sideways)
    : table_(table), sideways_(sideways), hits_(table.facets().size()),
      side_(table.facets().size()) {
    // Counts of records failing a filter are kept only for the drill-sideways facets (and grow
    // as combinations are seen): most searches filter nothing.
    for (std::size_t f = 0; f < hits_.size(); ++f) {
        hits_[f].assign(table.combination_count(f), 0);
        hit_rows_.push_back(hits_[f].data());
    }
    for (const auto& s : sideways_) {
        if (s.facet < side_.size())
            side_[s.facet].assign(table.combination_count(s.facet), 0);
    }
}

bool FacetCounter::record(std::span<const std::uint32_t> cells) {
    std::size_t failed = sideways_.size();
    for (std::size_t k = 0; k < sideways_.size(); ++k) {
        if (!sideways_[k].passes(cells[sideways_[k].facet], table_)) {
            if (failed != sideways_.size())
                return false; // fails two: counted nowhere
            failed = k;
        }
    }
    if (failed == sideways_.size()) {
        for (std::size_t f = 0; f < cells.size(); ++f)
            add(hits_[f], cells[f]);
        return true;
    }
    const std::size_t f = sideways_[failed].facet;
    add(side_[f], cells[f]);
    return false;
}

FacetCounts FacetCounter::counts(const std::string& name, const FacetLayout& layout,
                                 std::vector<std::string> selected) const {
    const std::size_t fi = table_.facet_index(name);
    const SidewaysFilter* side = nullptr;
    for (const auto& s : sideways_) {
        if (s.facet == fi)
            side = &s;
    }
    // Combinations expanded to values.
    std::vector<std::uint64_t> per_value(table_.value_count(), 0);
    for (std::uint32_t c = 0; c < table_.combination_count(fi); ++c) {
        std::uint64_t n = c < hits_[fi].size() ? hits_[fi][c] : 0;
        if (side != nullptr && c < side_[fi].size())
            n += side_[fi][c];
        if (n == 0)
            continue;
        for (std::uint32_t id : table_.combination(fi, c))
            per_value[id] += n;
    }
    std::map<std::string, std::uint64_t> by_value;
    for (std::uint32_t id : table_.values_of(fi)) { // in value id order
        if (per_value[id] != 0)
            by_value[table_.value(id)] = per_value[id];
        // A flat filter value as stored ("Developer" for "developer").
        if (side != nullptr && side->accepted_value(id, table_) &&
            std::find(selected.begin(), selected.end(), table_.value(id)) == selected.end()) {
            selected.push_back(table_.value(id));
        }
    }
    FacetCounts out = layout.build(by_value, selected);
    out.drill_sideways = side != nullptr;
    return out;
}

std::span<const std::uint32_t> CellReader::read(const Xapian::Document& doc) {
    if (table_.loaded()) {
        table_.visit_row(doc.get_docid(),
                         [this](std::size_t f, std::uint32_t c) { cells_[f] = c; });
    } else {
        table_.read_document(doc, cells_);
    }
    return cells_;
}

} // namespace airm::detail
