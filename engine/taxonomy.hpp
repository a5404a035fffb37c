#pragma once
/// A hierarchical taxonomy of dotted codes for one facet: names, descriptions and examples, used to
/// validate codes at index time, to name facet values and to give suggestion a cold start.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// One code of a taxonomy.
struct TaxonomyNode {
    std::string code;
    std::string parent; ///< empty for a top-level code
    std::string name;
    std::string description;
    std::vector<std::string> examples;
    bool from_data = false; ///< added from records, not from a taxonomy file
};

/// The codes of one hierarchical facet. Codes are kept in taxonomy order ("1.9" before "1.10").
class Taxonomy {
  public:
    Taxonomy() = default;
    explicit Taxonomy(std::string facet) : facet_(std::move(facet)) {}

    /// Adds a node, or completes the existing one (a name or description fills an empty one).
    void add(TaxonomyNode node);
    /// Adds `code` (and any missing ancestors) as nodes from data, naming it when a name is given.
    void add_from_data(std::string_view code, std::string_view name);

    [[nodiscard]] const TaxonomyNode* find(std::string_view code) const;
    [[nodiscard]] bool contains(std::string_view code) const { return find(code) != nullptr; }
    /// The node's name, or an empty string when unknown.
    [[nodiscard]] std::string name_of(std::string_view code) const;
    [[nodiscard]] std::vector<std::string> children(std::string_view code) const;
    [[nodiscard]] std::vector<std::string> roots() const;
    /// Every code, in taxonomy order.
    [[nodiscard]] std::vector<std::string> codes() const;
    /// Up to `limit` existing codes closest to `code`, for "did you mean" in error messages.
    [[nodiscard]] std::vector<std::string> nearest(std::string_view code,
                                                   std::size_t limit = 3) const;
    /// True when at least one node came from a taxonomy file: then unknown codes are errors.
    [[nodiscard]] bool curated() const;

    [[nodiscard]] const std::string& facet() const { return facet_; }
    void set_facet(std::string facet) { facet_ = std::move(facet); }
    [[nodiscard]] const std::string& title() const { return title_; }
    void set_title(std::string title) { title_ = std::move(title); }
    [[nodiscard]] std::size_t size() const { return nodes_.size(); }
    [[nodiscard]] bool empty() const { return nodes_.empty(); }

    /// Serialises in the "airm-taxonomy" file format, version 1.
    [[nodiscard]] std::string to_json() const;
    /// Reads the "airm-taxonomy" format; `where` names the input for error messages.
    [[nodiscard]] static Taxonomy from_json(std::string_view json, std::string_view where);

  private:
    static Taxonomy from_json_unchecked(std::string_view json, std::string_view where);
    struct CodeOrder {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const;
    };
    std::string facet_;
    std::string title_;
    std::map<std::string, TaxonomyNode, CodeOrder> nodes_;
};

} // namespace airm
