#pragma once
/// Internal to the query library: a compiled query as a small tree over index terms. Either the
/// in-memory matcher (query/search/detail/matcher.hpp) runs it, or it becomes a Xapian::Query
/// (query/search/detail/xapian_query.hpp) for the operators only Xapian implements.

#include <string>
#include <utility>
#include <vector>

namespace airm::detail {

/// Operators, with Xapian's meaning.
enum class QOp {
    term,          ///< one index term
    match_all,     ///< every record (weight 0)
    match_nothing, ///< no record
    and_,          ///< all children; weights add up
    or_,           ///< any child; weights of the matching ones add up
    and_not,       ///< first child, none of the others; the first child's weight
    and_maybe,     ///< first child; each other child adds its weight where it matches too
    filter,        ///< first child, all the others as boolean filters; the first child's weight
    scale,         ///< one child, weight multiplied by `factor`
    synonym,       ///< any child, weighted as one term (Xapian only)
    phrase,        ///< children (terms) at consecutive positions; weights add up
    wildcard,      ///< every term starting with `term`, as a synonym (Xapian only)
    value_range,   ///< value slot `slot` within [lo, hi] (empty: open end), weight 0 (Xapian only)
    value_weights, ///< records whose value in `slot` is listed in `weights`, weighted so (Xapian
                   ///< only)
};

struct QNode {
    QOp op = QOp::match_nothing;
    std::string term;                                    ///< term, or wildcard prefix
    double factor = 1.0;                                 ///< scale
    unsigned slot = 0;                                   ///< value_range
    std::string lo, hi;                                  ///< value_range bounds (serialised values)
    unsigned limit = 0;                                  ///< wildcard: most expansions
    std::vector<std::pair<std::string, double>> weights; ///< value_weights: value -> weight
    std::vector<QNode> kids;

    [[nodiscard]] static QNode leaf(std::string term);
    [[nodiscard]] static QNode all();
    [[nodiscard]] static QNode none();
    /// A node of `op` over `kids`; one child of an and/or/synonym is returned as itself.
    [[nodiscard]] static QNode combine(QOp op, std::vector<QNode> kids);
    [[nodiscard]] static QNode scaled(QNode kid, double factor);
    [[nodiscard]] static QNode wildcard(std::string prefix, unsigned limit);
    [[nodiscard]] static QNode range(unsigned slot, std::string lo, std::string hi);
    /// Records whose value in `slot` is a listed value, each weighted by its value's weight.
    [[nodiscard]] static QNode valued(unsigned slot,
                                      std::vector<std::pair<std::string, double>> weights);

    [[nodiscard]] bool is_nothing() const { return op == QOp::match_nothing; }
    bool operator==(const QNode& other) const = default;
};

/// True when the in-memory matcher can run this tree (no synonym, wildcard or value slot).
[[nodiscard]] bool runs_in_memory(const QNode& node);

} // namespace airm::detail
