#include "query/search/detail/similar.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

namespace airm::detail {
namespace {

/// A record's own stem terms ("Z" + stem) with their field-weighted counts, less what its source
/// adds: no stop words, numbers or stems under three letters.
using Counts = std::vector<std::pair<std::string, double>>;

Counts own_counts(Xapian::TermIterator it, Xapian::TermIterator end,
                  const std::set<std::string>& stops) {
    const std::string z(schema::kStemPrefix);
    const std::string source = schema::field_stem_term(schema::Field::source, "");
    const double source_weight = schema::field_wdf(schema::Field::source);
    std::vector<std::pair<std::string, Xapian::termcount>> terms;
    std::map<std::string, double> in_source;
    for (; it != end; ++it) {
        std::string t = *it;
        if (t.size() > source.size() && t.compare(0, source.size(), source) == 0)
            in_source[t.substr(source.size())] = it.get_wdf() * source_weight;
        terms.emplace_back(std::move(t), it.get_wdf());
    }
    Counts out;
    for (auto& [t, wdf] : terms) {
        if (t.size() < z.size() + 3 || t.compare(0, z.size(), z) != 0)
            continue;
        const char first = t[z.size()];
        if (first >= 'A' && first <= 'Z')
            continue; // a per-field term
        const std::string stem = t.substr(z.size());
        if (stops.count(stem) != 0 ||
            std::any_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        double count = wdf;
        if (auto src = in_source.find(stem); src != in_source.end())
            count -= src->second;
        if (count > 0)
            out.emplace_back(std::move(t), count);
    }
    return out;
}

/// TF-IDF weights (1 + ln count) * (ln((1 + N) / (1 + df)) + 1), inverse document frequencies
/// cached across records.
class TfIdf {
  public:
    explicit TfIdf(const Xapian::Database& db) : db_(db), n_(db.get_doccount()) {}

    [[nodiscard]] std::map<std::string, double> vector(const Counts& counts) {
        std::map<std::string, double> out;
        for (const auto& [t, c] : counts)
            out[t] = (1 + std::log(c)) * idf(t);
        return out;
    }

  private:
    double idf(const std::string& t) {
        auto [it, added] = idf_.try_emplace(t, 0.0);
        if (added)
            it->second = std::log((1.0 + n_) / (1.0 + db_.get_termfreq(t))) + 1;
        return it->second;
    }
    const Xapian::Database& db_;
    double n_;
    std::map<std::string, double> idf_;
};

double norm(const std::map<std::string, double>& v) {
    double sum = 0;
    for (const auto& [t, w] : v)
        sum += w * w;
    return std::sqrt(sum);
}

/// The facets whose codes vote: the taxonomies (hierarchical facets), or every facet of an index
/// without one. A flat facet beside a taxonomy (the MIT export's source document) would pull up
/// records of the same document rather than of the same codes: voting with it lowered the share
/// of the top 5 sharing the record's code from 0.426 to 0.383 (every third MIT record).
std::vector<const FacetInfo*> voting_facets(const IndexMetadata& metadata) {
    std::vector<const FacetInfo*> out;
    for (const auto& [name, info] : metadata.facets) {
        if (info.hierarchical)
            out.push_back(&info);
    }
    if (out.empty()) {
        for (const auto& [name, info] : metadata.facets)
            out.push_back(&info);
    }
    return out;
}

/// The codes of each voting facet of a document (hierarchical ones with their ancestors).
std::vector<std::vector<std::string>> codes_of(const Xapian::Document& doc,
                                               const std::vector<const FacetInfo*>& facets) {
    std::vector<std::vector<std::string>> out;
    for (const FacetInfo* info : facets) {
        std::vector<std::string> codes;
        schema::for_each_value(doc.get_value(info->slot),
                               [&](std::string_view v) { codes.emplace_back(v); });
        out.push_back(std::move(codes));
    }
    return out;
}

struct Candidate {
    std::string id;
    double cosine = 0;
    std::vector<std::vector<std::string>> codes; ///< by facet
    double score = 0;
};

} // namespace

SimilarQuery similar_query(const SimilarContext& context, std::string_view id,
                           const std::string& where) {
    const Xapian::Database& db = context.db;
    const std::string id_term = schema::id_term(id);
    Xapian::PostingIterator post = db.postlist_begin(id_term);
    if (post == db.postlist_end(id_term)) {
        throw NotFound("no record with id '" + std::string(id) + "' in " + where +
                       "; find ids with 'airm search'");
    }
    TfIdf tfidf(db);
    const auto record =
        tfidf.vector(own_counts(db.termlist_begin(*post), db.termlist_end(*post), context.stops));

    SimilarQuery out;
    if (record.empty()) {
        out.query = QNode::none();
        out.description = "(the record has no words to compare)";
        return out;
    }
    std::vector<std::pair<std::string, double>> by_weight(record.begin(), record.end());
    std::stable_sort(by_weight.begin(), by_weight.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (std::size_t i = 0; i < by_weight.size() && i < kSimilarTerms; ++i) {
        const std::string stem = by_weight[i].first.substr(schema::kStemPrefix.size());
        out.highlight.stems.insert(stem);
        out.description += (out.description.empty() ? "" : " ") + stem;
    }

    // Candidates: BM25 over every own word of the record, each as telling as its TF-IDF weight.
    const double top = by_weight.front().second;
    std::vector<Xapian::Query> words;
    for (const auto& [t, w] : by_weight)
        words.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(t), w / top);
    Xapian::Query query(Xapian::Query::OP_OR, words.begin(), words.end());
    query = Xapian::Query(Xapian::Query::OP_AND_NOT, query, Xapian::Query(id_term));
    if (context.filter != nullptr)
        query = Xapian::Query(Xapian::Query::OP_FILTER, query, *context.filter);
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    const auto many = static_cast<Xapian::doccount>(std::max(kSimilarCandidates, context.wanted));
    const Xapian::MSet mset = enquire.get_mset(0, many);

    // Their cosine with the record.
    const double record_norm = norm(record);
    const std::vector<const FacetInfo*> voting = voting_facets(context.metadata);
    std::vector<Candidate> candidates;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        const auto vec =
            tfidf.vector(own_counts(db.termlist_begin(*it), db.termlist_end(*it), context.stops));
        double dot = 0;
        for (const auto& [t, w] : vec) {
            if (auto r = record.find(t); r != record.end())
                dot += w * r->second;
        }
        const double n = norm(vec) * record_norm;
        const Xapian::Document doc = it.get_document();
        candidates.push_back(
            {doc.get_value(schema::kSlotId), n > 0 ? dot / n : 0.0, codes_of(doc, voting), 0.0});
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.cosine > b.cosine; });

    // The nearest candidates vote with their codes; a candidate gains the mean share of the vote
    // its codes hold (over the facets it has codes in).
    const std::size_t facets = voting.size();
    std::vector<std::map<std::string, double>> votes(facets);
    double total = 0;
    for (std::size_t i = 0; i < candidates.size() && i < kSimilarVoters; ++i) {
        total += candidates[i].cosine;
        for (std::size_t f = 0; f < facets; ++f) {
            for (const auto& code : candidates[i].codes[f])
                votes[f][code] += candidates[i].cosine;
        }
    }
    for (auto& c : candidates) {
        double bonus = 0;
        std::size_t coded = 0;
        for (std::size_t f = 0; f < facets && total > 0; ++f) {
            if (c.codes[f].empty())
                continue;
            double share = 0;
            for (const auto& code : c.codes[f]) {
                auto v = votes[f].find(code);
                share += v == votes[f].end() ? 0.0 : v->second / total;
            }
            bonus += share / static_cast<double>(c.codes[f].size());
            ++coded;
        }
        c.score =
            c.cosine + (coded > 0 ? kSimilarVoteWeight * bonus / static_cast<double>(coded) : 0.0);
    }

    std::vector<std::pair<std::string, double>> weights;
    std::vector<QNode> ids;
    for (auto& c : candidates) {
        ids.push_back(QNode::leaf(schema::id_term(c.id)));
        weights.emplace_back(std::move(c.id), c.score);
    }
    if (ids.empty()) {
        out.query = QNode::none();
        return out;
    }
    out.query = QNode::combine(QOp::filter, {QNode::valued(schema::kSlotId, std::move(weights)),
                                             QNode::combine(QOp::or_, std::move(ids))});
    return out;
}

} // namespace airm::detail
