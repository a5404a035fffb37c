#include "query/search/facets.hpp"

#include "engine/codes.hpp"

#include <algorithm>

namespace airm {
namespace {

bool is_selected(const std::vector<std::string>& selected, const std::string& value) {
    return std::find(selected.begin(), selected.end(), value) != selected.end();
}

std::uint64_t count_of(const std::map<std::string, std::uint64_t>& counts,
                       const std::string& value) {
    auto it = counts.find(value);
    return it == counts.end() ? 0 : it->second;
}

} // namespace

FacetLayout::FacetLayout(std::string facet, const IndexMetadata& metadata)
    : facet_(std::move(facet)) {
    const FacetInfo* info = metadata.facet(facet_);
    hierarchical_ = info != nullptr && info->hierarchical;
    const Taxonomy* taxonomy = metadata.taxonomy(facet_);
    if (!hierarchical_ || taxonomy == nullptr)
        return;
    for (const auto& code : taxonomy->codes()) { // parents come before their children
        const std::size_t n = nodes_.size();
        nodes_.push_back(Node{code, taxonomy->name_of(code), {}});
        index_.emplace(code, n);
        auto parent = index_.find(parent_code(code));
        if (parent_code(code).empty() || parent == index_.end()) {
            roots_.push_back(n);
        } else {
            nodes_[parent->second].children.push_back(n);
        }
    }
}

FacetValue FacetLayout::node_value(std::size_t n,
                                   const std::map<std::string, std::uint64_t>& counts,
                                   const std::vector<std::string>& selected, bool& keep) const {
    const Node& node = nodes_[n];
    FacetValue v{
        node.code, node.name, count_of(counts, node.code), is_selected(selected, node.code), {}};
    keep = v.count != 0 || v.selected;
    if (!keep)
        return v;
    for (std::size_t c : node.children) {
        bool child_keep = false;
        FacetValue cv = node_value(c, counts, selected, child_keep);
        if (child_keep)
            v.children.push_back(std::move(cv));
    }
    return v;
}

FacetCounts FacetLayout::build(const std::map<std::string, std::uint64_t>& counts,
                               const std::vector<std::string>& selected) const {
    FacetCounts out;
    out.facet = facet_;
    out.hierarchical = hierarchical_;
    if (hierarchical_) {
        // Codes outside the taxonomy (none in an index built with one) are placed by their code.
        const bool complete =
            std::all_of(counts.begin(), counts.end(),
                        [&](const auto& c) { return index_.count(c.first) != 0; }) &&
            std::all_of(selected.begin(), selected.end(),
                        [&](const auto& s) { return index_.count(s) != 0; });
        if (!complete) {
            FacetLayout extended = *this;
            std::vector<std::string> extra;
            for (const auto& [c, n] : counts)
                extra.push_back(c);
            extra.insert(extra.end(), selected.begin(), selected.end());
            std::sort(extra.begin(), extra.end(),
                      [](const std::string& a, const std::string& b) { return code_less(a, b); });
            for (const auto& code : extra) {
                for (const auto& step : code_path(code)) {
                    if (extended.index_.count(step) != 0)
                        continue;
                    const std::size_t n = extended.nodes_.size();
                    extended.nodes_.push_back(Node{step, "", {}});
                    extended.index_.emplace(step, n);
                    auto parent = extended.index_.find(parent_code(step));
                    if (parent == extended.index_.end()) {
                        extended.roots_.push_back(n);
                    } else {
                        extended.nodes_[parent->second].children.push_back(n);
                    }
                }
            }
            return extended.build(counts, selected);
        }
        for (std::size_t r : roots_) {
            bool keep = false;
            FacetValue v = node_value(r, counts, selected, keep);
            if (keep)
                out.values.push_back(std::move(v));
        }
        return out;
    }
    for (const auto& [value, n] : counts) {
        if (n == 0 && !is_selected(selected, value))
            continue;
        out.values.push_back(FacetValue{value, "", n, is_selected(selected, value), {}});
    }
    for (const auto& s : selected) {
        if (counts.find(s) == counts.end())
            out.values.push_back(FacetValue{s, "", 0, true, {}});
    }
    std::stable_sort(out.values.begin(), out.values.end(),
                     [](const FacetValue& a, const FacetValue& b) { return a.count > b.count; });
    return out;
}

FacetCounts build_facet_counts(const std::string& facet, const IndexMetadata& metadata,
                               const std::map<std::string, std::uint64_t>& counts,
                               const std::vector<std::string>& selected) {
    return FacetLayout(facet, metadata).build(counts, selected);
}

} // namespace airm
