#include "query/search/detail/shard_search.hpp"

#include "engine/schema.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <thread>
#include <utility>

namespace airm::detail {

namespace {

/// The terms wildcard `node` stands for, in term order.
std::vector<std::string> wildcard_terms(const QNode& node, const Xapian::Database& db) {
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
    std::vector<std::string> out;
    out.reserve(terms.size());
    for (auto& entry : terms)
        out.push_back(std::move(entry.second));
    return out;
}

} // namespace

QNode expand_wildcards(const QNode& node, const Xapian::Database& db, WildcardCache* cache) {
    if (node.op == QOp::wildcard) {
        std::vector<std::string> made;
        const std::vector<std::string>* terms = &made;
        if (cache != nullptr) {
            const auto key = std::make_pair(node.term, node.limit);
            auto found = cache->find(key);
            if (found == cache->end())
                found = cache->emplace(key, wildcard_terms(node, db)).first;
            terms = &found->second;
        } else {
            made = wildcard_terms(node, db);
        }
        if (terms->empty())
            return QNode::none();
        std::vector<QNode> kids;
        kids.reserve(terms->size());
        for (const auto& term : *terms)
            kids.push_back(QNode::leaf(term));
        QNode out;
        out.op = QOp::synonym; // even of one term: weighted as Xapian weights a wildcard
        out.kids = std::move(kids);
        return out;
    }
    QNode out = node;
    for (auto& kid : out.kids)
        kid = expand_wildcards(kid, db, cache);
    return out;
}

SlotSpies::SlotSpies(Xapian::Enquire& enquire, const std::vector<unsigned>& slots) {
    for (unsigned slot : slots) {
        spies_.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(slot));
        enquire.add_matchspy(spies_.back().get());
    }
}

std::vector<std::map<std::string, std::uint64_t>> SlotSpies::counts() const {
    std::vector<std::map<std::string, std::uint64_t>> out(spies_.size());
    for (std::size_t i = 0; i < spies_.size(); ++i) {
        for (auto it = spies_[i]->values_begin(); it != spies_[i]->values_end(); ++it)
            out[i][*it] = it.get_termfreq();
    }
    return out;
}

std::vector<std::map<std::string, std::uint64_t>> count_slots(const Xapian::Database& db,
                                                              const Xapian::Query& query,
                                                              const std::vector<unsigned>& slots,
                                                              std::uint64_t* total) {
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    const SlotSpies spies(enquire, slots);
    const Xapian::MSet mset = enquire.get_mset(0, 0, db.get_doccount());
    if (total != nullptr)
        *total = mset.get_matches_estimated();
    return spies.counts();
}

std::optional<std::map<Xapian::docid, MatchedParts>>
matched_parts(const Xapian::Database& db, const Xapian::Query& docs,
              const std::vector<Xapian::Query>& parts, unsigned slot, std::size_t n) {
    constexpr std::size_t kMostParts = 50; // 2^51 and every sum below it are exact doubles
    if (parts.empty() || parts.size() > kMostParts)
        return std::nullopt;
    // Under CoordWeight every matching term weighs 1 (times its scale), and a synonym weighs as
    // one term: a part as a synonym weighs 1 wherever it matches, whatever its own terms.
    auto weighing = [](double weight, const Xapian::Query& part) {
        return Xapian::Query(weight, Xapian::Query(Xapian::Query::OP_SYNONYM, &part, &part + 1));
    };
    // MatchAll (scaled or not) weighs 0 under CoordWeight, and a synonym of it is MatchAll: such
    // a part would read as matched by no document. It is matched by every one, so its bit is
    // set without asking.
    auto matches_all = [](Xapian::Query part) {
        while (part.get_type() == Xapian::Query::OP_SCALE_WEIGHT)
            part = part.get_subquery(0);
        return part.get_type() == Xapian::Query::LEAF_MATCH_ALL;
    };
    std::uint64_t every_document = 0; // the bits of the parts that match every document
    std::vector<Xapian::Query> optional;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (matches_all(parts[k]))
            every_document |= std::uint64_t{1} << k;
        else
            optional.push_back(weighing(std::ldexp(1.0, static_cast<int>(k)), parts[k]));
    }
    // Every document of `docs` carries the bit above the parts': a weight without it, or not a
    // whole number, means the weights do not read as sets.
    const double every = std::ldexp(1.0, static_cast<int>(parts.size()));
    Xapian::Enquire enquire(db);
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_AND_MAYBE, weighing(every, docs),
                      Xapian::Query(Xapian::Query::OP_OR, optional.begin(), optional.end())));
    enquire.set_weighting_scheme(Xapian::CoordWeight());
    enquire.set_sort_by_value_then_relevance(slot, false); // a value sort's key is the value
    Xapian::MSet mset;
    try {
        mset = enquire.get_mset(0, static_cast<Xapian::doccount>(n));
    } catch (const Xapian::InvalidArgumentError&) {
        return std::nullopt; // a part a synonym cannot hold: matched one by one instead
    } catch (const Xapian::UnimplementedError&) {
        return std::nullopt;
    } catch (const Xapian::SerialisationError&) {
        return std::nullopt; // a server that does not know CoordWeight
    }
    std::map<Xapian::docid, MatchedParts> out;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        const double w = it.get_weight() - every;
        if (w < 0 || w >= every || w != std::floor(w))
            return std::nullopt;
        out.emplace(
            *it, MatchedParts{static_cast<std::uint64_t>(w) | every_document, it.get_sort_key()});
    }
    return out;
}

std::map<Xapian::docid, std::string> best_values(const Xapian::Database& db,
                                                 const Xapian::Query& query,
                                                 const Xapian::Weight& weight, unsigned slot,
                                                 double least, std::size_t n) {
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(weight);
    enquire.set_sort_by_relevance_then_value(slot, false);
    enquire.set_cutoff(0, least);
    std::map<Xapian::docid, std::string> out;
    const Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(n));
    for (auto it = mset.begin(); it != mset.end(); ++it)
        out.emplace(*it, it.get_sort_key());
    return out;
}

std::vector<Xapian::Document> documents(const std::vector<Xapian::Database>& shards,
                                        const std::vector<Xapian::docid>& dids) {
    const std::size_t n = shards.size();
    std::vector<Xapian::Document> out(dids.size());
    // Xapian interleaves the docids of several databases: docid d is (d - 1) / n + 1 of shard
    // (d - 1) % n.
    std::vector<std::vector<std::size_t>> of_shard(n);
    for (std::size_t i = 0; i < dids.size(); ++i)
        of_shard[(dids[i] - 1) % n].push_back(i);
    auto read = [&](std::size_t shard) {
        for (std::size_t i : of_shard[shard]) {
            const Xapian::docid local = static_cast<Xapian::docid>((dids[i] - 1) / n + 1);
            out[i] = shards[shard].get_document(local, Xapian::DOC_ASSUME_VALID);
        }
    };
    std::vector<std::size_t> busy;
    for (std::size_t k = 0; k < n; ++k) {
        if (!of_shard[k].empty())
            busy.push_back(k);
    }
    if (busy.size() < 2) {
        for (std::size_t k : busy)
            read(k);
        return out;
    }
    // Each shard is its own Xapian database (and connection), used by one thread only; the
    // first error is rethrown here once every thread is done.
    std::vector<std::exception_ptr> errors(busy.size());
    std::vector<std::thread> threads;
    threads.reserve(busy.size() - 1);
    for (std::size_t t = 1; t < busy.size(); ++t) {
        threads.emplace_back([&, t] {
            try {
                read(busy[t]);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    }
    try {
        read(busy[0]);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& thread : threads)
        thread.join();
    for (const auto& error : errors) {
        if (error)
            std::rethrow_exception(error);
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
