#include "query/facet_column.hpp"

namespace airm::detail {

std::uint32_t ValueDictionary::intern(std::string_view value) {
    auto it = ids_.find(std::string(value));
    if (it != ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(values_.size());
    values_.emplace_back(value);
    ids_.emplace(values_.back(), id);
    return id;
}

std::uint32_t ValueDictionary::find(std::string_view value) const {
    auto it = ids_.find(std::string(value));
    return it == ids_.end() ? kNone : it->second;
}

FacetColumn FacetColumn::load(const Xapian::Database& db, unsigned slot) {
    FacetColumn column;
    const Xapian::docid last = db.get_lastdocid();
    column.offsets_.assign(static_cast<std::size_t>(last) + 2, 0);
    column.ids_.reserve(db.get_doccount() * 2);
    // Slot values repeat a lot (one string per combination of codes): parse each distinct string once.
    std::unordered_map<std::string, std::vector<std::uint32_t>> parsed;
    Xapian::docid filled = 0; // offsets_[0..filled] are set
    for (auto it = db.valuestream_begin(slot); it != db.valuestream_end(slot); ++it) {
        const Xapian::docid did = it.get_docid();
        const auto here = static_cast<std::uint32_t>(column.ids_.size());
        while (filled < did) column.offsets_[++filled] = here;
        const std::string raw = *it;
        auto found = parsed.find(raw);
        if (found == parsed.end()) {
            std::vector<std::uint32_t> ids;
            for_each_slot_value(raw, [&](std::string_view v) { ids.push_back(column.dictionary_.intern(v)); });
            found = parsed.emplace(raw, std::move(ids)).first;
        }
        column.ids_.insert(column.ids_.end(), found->second.begin(), found->second.end());
        column.offsets_[++filled] = static_cast<std::uint32_t>(column.ids_.size());
    }
    const auto end = static_cast<std::uint32_t>(column.ids_.size());
    while (static_cast<std::size_t>(filled) + 1 < column.offsets_.size()) column.offsets_[++filled] = end;
    column.ids_.shrink_to_fit();
    return column;
}

} // namespace airm::detail
