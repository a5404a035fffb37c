#include "query/search/detail/facet_column.hpp"

namespace airm::detail {

FacetTable::FacetTable(std::vector<Facet> facets)
    : facets_(std::move(facets)), values_of_(facets_.size()), combinations_(facets_.size()),
      combination_ids_(facets_.size()) {
    for (std::size_t f = 0; f < facets_.size(); ++f) {
        combinations_[f].starts.push_back(0); // id 0: no value
        combination_ids_[f].emplace(std::string(), 0);
    }
}

std::size_t FacetTable::facet_index(std::string_view name) const {
    for (std::size_t i = 0; i < facets_.size(); ++i) {
        if (facets_[i].name == name)
            return i;
    }
    return facets_.size();
}

std::uint32_t FacetTable::value_id(std::size_t facet, std::string_view value) {
    std::string key = std::to_string(facet);
    key += '\0';
    key += value;
    auto it = value_ids_.find(key);
    if (it != value_ids_.end())
        return it->second;
    const auto id = static_cast<std::uint32_t>(values_.size());
    values_.emplace_back(value);
    facet_of_.push_back(static_cast<std::uint32_t>(facet));
    values_of_[facet].push_back(id);
    value_ids_.emplace(std::move(key), id);
    return id;
}

std::uint32_t FacetTable::combination_id(std::size_t facet, const std::string& slot) {
    auto& ids = combination_ids_[facet];
    auto it = ids.find(slot);
    if (it != ids.end())
        return it->second;
    Combinations& all = combinations_[facet];
    const auto id = static_cast<std::uint32_t>(all.starts.size() - 1);
    for_each_slot_value(slot,
                        [&](std::string_view v) { all.values.push_back(value_id(facet, v)); });
    all.starts.push_back(static_cast<std::uint32_t>(all.values.size()));
    ids.emplace(slot, id);
    return id;
}

void FacetTable::read_document(const Xapian::Document& doc, std::vector<std::uint32_t>& out) {
    out.resize(facets_.size());
    for (std::size_t f = 0; f < facets_.size(); ++f)
        out[f] = combination_id(f, doc.get_value(facets_[f].slot));
}

void FacetTable::load(const Xapian::Database& db) {
    rows_ = static_cast<std::size_t>(db.get_lastdocid()) + 1;
    const std::size_t n = facets_.size();
    std::vector<std::uint32_t> cells(rows_ * n, 0);
    for (std::size_t f = 0; f < n; ++f) {
        for (auto it = db.valuestream_begin(facets_[f].slot);
             it != db.valuestream_end(facets_[f].slot); ++it) {
            const std::size_t did = it.get_docid();
            if (did < rows_)
                cells[did * n + f] = combination_id(f, *it);
        }
    }
    wide_ = false;
    for (std::size_t f = 0; f < n; ++f)
        wide_ = wide_ || combination_count(f) > 0xffff;
    if (wide_) {
        cells32_ = std::move(cells);
    } else {
        cells16_.assign(cells.begin(), cells.end());
    }
    loaded_ = true;
}

} // namespace airm::detail
