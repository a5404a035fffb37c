#include "query/facets.hpp"

#include "engine/codes.hpp"

#include <algorithm>
#include <set>

namespace airm {
namespace {

std::uint64_t count_of(const std::map<std::string, std::uint64_t>& counts, const std::string& value) {
    auto it = counts.find(value);
    return it == counts.end() ? 0 : it->second;
}

bool is_selected(const std::vector<std::string>& selected, const std::string& value) {
    return std::find(selected.begin(), selected.end(), value) != selected.end();
}

/// Children of `parent` among `codes` (taxonomy codes plus any counted code missing from it).
std::vector<FacetValue> tree(const std::string& parent, const std::map<std::string, std::vector<std::string>>& children,
                             const Taxonomy* taxonomy, const std::map<std::string, std::uint64_t>& counts,
                             const std::vector<std::string>& selected) {
    std::vector<FacetValue> out;
    auto it = children.find(parent);
    if (it == children.end()) return out;
    for (const auto& code : it->second) {
        FacetValue v;
        v.value = code;
        v.name = taxonomy != nullptr ? taxonomy->name_of(code) : std::string();
        v.count = count_of(counts, code);
        v.selected = is_selected(selected, code);
        if (v.count == 0 && !v.selected) continue;
        v.children = tree(code, children, taxonomy, counts, selected);
        out.push_back(std::move(v));
    }
    return out;
}

} // namespace

FacetCounts build_facet_counts(const std::string& facet, const IndexMetadata& metadata,
                               const std::map<std::string, std::uint64_t>& counts,
                               const std::vector<std::string>& selected) {
    FacetCounts out;
    out.facet = facet;
    const FacetInfo* info = metadata.facet(facet);
    out.hierarchical = info != nullptr && info->hierarchical;
    if (out.hierarchical) {
        const Taxonomy* taxonomy = metadata.taxonomy(facet);
        std::set<std::string, bool (*)(std::string_view, std::string_view)> codes(&code_less);
        if (taxonomy != nullptr) {
            for (const auto& c : taxonomy->codes()) codes.insert(c);
        }
        for (const auto& [c, n] : counts) codes.insert(c);
        for (const auto& c : selected) codes.insert(c);
        std::map<std::string, std::vector<std::string>> children;
        for (const auto& c : codes) children[parent_code(c)].push_back(c);
        out.values = tree("", children, taxonomy, counts, selected);
        return out;
    }
    for (const auto& [value, n] : counts) {
        if (n == 0 && !is_selected(selected, value)) continue;
        out.values.push_back(FacetValue{value, "", n, is_selected(selected, value), {}});
    }
    for (const auto& s : selected) {
        if (counts.find(s) == counts.end()) out.values.push_back(FacetValue{s, "", 0, true, {}});
    }
    std::stable_sort(out.values.begin(), out.values.end(),
                     [](const FacetValue& a, const FacetValue& b) { return a.count > b.count; });
    return out;
}

} // namespace airm
