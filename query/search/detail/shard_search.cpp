#include "query/search/detail/shard_search.hpp"

#include "engine/schema.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace airm::detail {

QNode expand_wildcards(const QNode& node, const Xapian::Database& db) {
    if (node.op == QOp::wildcard) {
        std::vector<std::pair<Xapian::doccount, std::string>> terms;
        for (auto it = db.allterms_begin(node.term); it != db.allterms_end(node.term); ++it)
            terms.emplace_back(it.get_termfreq(), *it);
        if (node.limit != 0 && terms.size() > node.limit) {
            // The most frequent first; among equals, in term order.
            std::stable_sort(terms.begin(), terms.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
            terms.resize(node.limit);
            std::sort(terms.begin(), terms.end(),
                      [](const auto& a, const auto& b) { return a.second < b.second; });
        }
        if (terms.empty())
            return QNode::none();
        std::vector<QNode> kids;
        kids.reserve(terms.size());
        for (auto& [freq, term] : terms)
            kids.push_back(QNode::leaf(std::move(term)));
        QNode out;
        out.op = QOp::synonym; // even of one term: weighted as Xapian weights a wildcard
        out.kids = std::move(kids);
        return out;
    }
    QNode out = node;
    for (auto& kid : out.kids)
        kid = expand_wildcards(kid, db);
    return out;
}

std::vector<std::map<std::string, std::uint64_t>> count_slots(const Xapian::Database& db,
                                                              const Xapian::Query& query,
                                                              const std::vector<unsigned>& slots,
                                                              std::uint64_t* total) {
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
    for (unsigned slot : slots) {
        spies.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(slot));
        enquire.add_matchspy(spies.back().get());
    }
    const Xapian::MSet mset = enquire.get_mset(0, 0, db.get_doccount());
    if (total != nullptr)
        *total = mset.get_matches_estimated();
    std::vector<std::map<std::string, std::uint64_t>> out(slots.size());
    for (std::size_t i = 0; i < spies.size(); ++i) {
        for (auto it = spies[i]->values_begin(); it != spies[i]->values_end(); ++it)
            out[i][*it] = it.get_termfreq();
    }
    return out;
}

std::map<std::string, std::uint64_t>
per_value(const std::map<std::string, std::uint64_t>& combinations) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& [values, n] : combinations) {
        const std::uint64_t count = n; // a structured binding cannot be captured in C++17
        schema::for_each_value(values, [&](std::string_view v) { out[std::string(v)] += count; });
    }
    return out;
}

} // namespace airm::detail
