#pragma once
/// Internal to the query library (includes xapian.h): the values of one facet for every record, held
/// in memory as small integers (docid -> value ids), so that counting a facet over a match set is
/// an array walk instead of a value-slot read per match. Loaded once per Searcher and facet.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// Interned facet values: value string <-> small id.
class ValueDictionary {
public:
    /// The id of `value`, adding it when new.
    std::uint32_t intern(std::string_view value);
    /// The id of `value`, or -1 (as uint32) when unknown.
    [[nodiscard]] std::uint32_t find(std::string_view value) const;
    [[nodiscard]] const std::string& value(std::uint32_t id) const { return values_[id]; }
    [[nodiscard]] std::size_t size() const { return values_.size(); }

    static constexpr std::uint32_t kNone = 0xffffffffU;

private:
    std::vector<std::string> values_;
    std::unordered_map<std::string, std::uint32_t> ids_;
};

/// Splits a facet slot value ("2\x1f2.2\x1f2.2.2") and calls `visit` with each part.
template <typename Visit>
void for_each_slot_value(std::string_view slot, Visit&& visit) {
    std::size_t start = 0;
    while (start < slot.size()) {
        std::size_t sep = slot.find('\x1f', start);
        if (sep == std::string_view::npos) sep = slot.size();
        if (sep > start) visit(slot.substr(start, sep - start));
        start = sep + 1;
    }
}

/// docid -> value ids of one facet, for a single database (docids as Xapian numbers them).
class FacetColumn {
public:
    /// Reads the facet's value slot for every record of `db`.
    [[nodiscard]] static FacetColumn load(const Xapian::Database& db, unsigned slot);

    /// The value ids of record `docid` (empty for a docid the column does not know).
    [[nodiscard]] std::span<const std::uint32_t> values(Xapian::docid docid) const {
        if (docid + 1 >= offsets_.size()) return {};
        return {ids_.data() + offsets_[docid], ids_.data() + offsets_[docid + 1]};
    }
    [[nodiscard]] const ValueDictionary& dictionary() const { return dictionary_; }
    [[nodiscard]] ValueDictionary& dictionary() { return dictionary_; }

private:
    std::vector<std::uint32_t> offsets_; ///< size lastdocid + 2
    std::vector<std::uint32_t> ids_;
    ValueDictionary dictionary_;
};

} // namespace airm::detail
