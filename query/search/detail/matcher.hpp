#pragma once
/// Internal to the query library (includes xapian.h): runs a query tree over Xapian's posting lists
/// with BM25 computed from document lengths held in memory.
///
/// Why: Xapian reads every match's length from its document-length list, decoding that list from
/// the start of each chunk, which costs more than the rest of a typical search. Keeping the lengths
/// in an array (4 bytes a record, loaded once) and scoring here makes a search several times
/// cheaper. The weights are those of Xapian's BM25Weight (same formula and parameters), so results
/// do not depend on which of the two ran a query; a test compares them.

#include "engine/schema.hpp"
#include "query/search/detail/query_tree.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>
#include <xapian.h>

namespace airm::detail {

struct DerivedPostings;

/// BM25 parameters (Xapian's BM25Weight with k2 = 0, k3 = 1).
struct Bm25Params {
    double k1 = 1.0;
    double b = 0.5;
    double min_normlen = 0.5;
};

/// The inverse document frequency part of BM25's weight of a term that `termfreq` of `doccount`
/// records hold (Xapian's BM25Weight); the term weight is this * factor * (k1 + 1) at
/// within-query frequency 1 (with k3 = 1 the query part is 1).
[[nodiscard]] double bm25_idf(double doccount, double termfreq);
/// The part of BM25's denominator that depends on the record alone,
/// k1 * (max(length * inverse_average, min_normlen) * b + (1 - b)): a match of wdf w scores
/// term weight * w / (this + w).
[[nodiscard]] inline double bm25_length_factor(double length, double inverse_average,
                                               const Bm25Params& params) {
    const double normlen = std::max(length * inverse_average, params.min_normlen);
    return params.k1 * (normlen * params.b + (1 - params.b));
}

/// The length (sum of wdf) of every record of one database, by docid.
class DocLengths {
  public:
    [[nodiscard]] static DocLengths load(const Xapian::Database& db);

    [[nodiscard]] std::uint32_t length(Xapian::docid did) const {
        return did < lengths_.size() ? lengths_[did] : 0;
    }
    [[nodiscard]] bool exists(Xapian::docid did) const {
        return did < present_.size() && present_[did] != 0;
    }
    [[nodiscard]] Xapian::docid last() const {
        return static_cast<Xapian::docid>(present_.empty() ? 0 : present_.size() - 1);
    }
    [[nodiscard]] double average() const { return average_; }
    [[nodiscard]] Xapian::doccount count() const { return count_; }
    /// Docids covered (the highest docid + 1): length(did) is 0 from there on.
    [[nodiscard]] std::size_t rows() const { return lengths_.size(); }

    /// Computes, for `params`, the part of BM25's denominator that depends on the record alone,
    /// k1 * (max(length / average, min_normlen) * b + (1 - b)), once for every record: scoring a
    /// match then adds its wdf to it (the same arithmetic, so the same weights).
    void prepare(const Bm25Params& params);
    /// That part by docid (rows() of them) when prepared for `params`, else nullptr.
    [[nodiscard]] const double* length_factors(const Bm25Params& params) const {
        return prepared_ && params.k1 == params_.k1 && params.b == params_.b &&
                       params.min_normlen == params_.min_normlen
                   ? factors_.data()
                   : nullptr;
    }
    /// 1 / average(), or 0 for an empty database: how every length is normalised.
    [[nodiscard]] double inverse_average() const { return average_ > 0 ? 1.0 / average_ : 0.0; }

  private:
    std::vector<std::uint32_t> lengths_;
    std::vector<std::uint8_t> present_;
    double average_ = 0;
    Xapian::doccount count_ = 0;
    std::vector<double> factors_; ///< by docid, see prepare(); as many as lengths_
    Bm25Params params_;
    bool prepared_ = false;
};

/// The number of records holding each term of one database, each looked up once: a search asks
/// for the same terms several times (compiling, matching, relaxed subsets) and successive searches
/// share words, while each lookup walks the posting table. Drop it when the database changes.
class TermFreqs {
  public:
    /// `derive`: the index derives the text's stem terms (the local layout); false when it
    /// holds them (the remote-servable layout).
    explicit TermFreqs(const Xapian::Database& db, bool derive = true)
        : db_(&db), derive_(derive) {}
    [[nodiscard]] Xapian::doccount get(const std::string& term);
    /// True when `term` is derived rather than held by the index.
    [[nodiscard]] bool is_derived(const std::string& term) const {
        return derive_ && schema::derived_field_stem(term).has_value();
    }
    /// The postings of a term of schema::kDerivedField (see query/search/detail/derived_terms.hpp),
    /// derived once.
    [[nodiscard]] std::shared_ptr<const DerivedPostings> derived(const std::string& term);
    void clear() {
        freqs_.clear();
        derived_.clear();
        derived_postings_ = 0;
    }

  private:
    /// Terms kept at most (then the cache starts again): bounds a long-lived searcher's memory.
    static constexpr std::size_t kMostTerms = 1 << 16;
    /// Derived postings kept at most, over all lists (8 bytes each: 32 MB), so that a long-lived
    /// searcher's memory stays bounded on a large index.
    static constexpr std::size_t kMostDerivedPostings = std::size_t{1} << 22;
    const Xapian::Database* db_;
    bool derive_ = true;
    std::unordered_map<std::string, Xapian::doccount> freqs_;
    std::unordered_map<std::string, std::shared_ptr<const DerivedPostings>> derived_;
    std::size_t derived_postings_ = 0; ///< postings held by derived_
};

/// A position in the matches of a (sub)query, in ascending docid order.
class PostingCursor {
  public:
    static constexpr Xapian::docid kEnd = std::numeric_limits<Xapian::docid>::max();
    virtual ~PostingCursor() = default;
    [[nodiscard]] Xapian::docid doc() const { return did_; }
    /// Moves to the first match at or after `target` (never backwards).
    virtual void skip_to(Xapian::docid target) = 0;
    /// The weight of the current match.
    [[nodiscard]] virtual double score() const = 0;
    /// The weight the current match would have if each of its terms occurred once, in a record of
    /// average length: how rare the matched terms are, whatever their frequency in the record.
    [[nodiscard]] virtual double presence() const = 0;
    /// Matches expected (for ordering the children of an AND).
    [[nodiscard]] virtual Xapian::doccount estimate() const = 0;

  protected:
    Xapian::docid did_ = 0;
};

/// A scored match.
struct ScoredDoc {
    Xapian::docid did = 0;
    double score = 0;
    double presence = 0; ///< set when ranking by presence
};

class Matcher {
  public:
    /// Prepares `query` (which runs_in_memory()) over `db`. Each term weighs as a leaf of a Xapian
    /// query does (within-query frequency 1). Term frequencies come from `freqs` when given.
    Matcher(const Xapian::Database& db, const DocLengths& lengths, Bm25Params params,
            const QNode& query, TermFreqs* freqs = nullptr);
    ~Matcher();
    Matcher(const Matcher&) = delete;
    Matcher& operator=(const Matcher&) = delete;

    /// Visits every match in docid order; `accept(did)` says whether it counts (filters applied
    /// outside the tree). Keeps the `keep` best accepted matches, best first (ties: lower docid),
    /// and returns how many were accepted. With `by_presence`, matches of rarer terms rank first
    /// (presence()), then by weight: how records matching only some words are ranked.
    template <typename Accept>
    std::uint64_t run(std::size_t keep, Accept&& accept, std::vector<ScoredDoc>& best,
                      bool by_presence = false) {
        best.clear();
        std::uint64_t accepted = 0;
        PostingCursor& root = *root_;
        // "a ranks above b": (more presence,) higher weight, then lower docid (as Xapian orders
        // ties).
        auto worse = [](const ScoredDoc& a, const ScoredDoc& b) {
            if (a.presence != b.presence)
                return a.presence > b.presence;
            return a.score > b.score || (a.score == b.score && a.did < b.did);
        };
        for (root.skip_to(1); root.doc() != PostingCursor::kEnd; root.skip_to(root.doc() + 1)) {
            const Xapian::docid did = root.doc();
            // Scoring reads the record's length factor: start loading it while accept() reads
            // the record's facet row, so that the two memory reads overlap.
            if (did < factor_rows_)
                __builtin_prefetch(length_factors_ + did);
            if (!accept(did))
                continue;
            ++accepted;
            if (keep == 0)
                continue;
            const ScoredDoc scored{did, root.score(), by_presence ? root.presence() : 0.0};
            if (best.size() < keep) {
                best.push_back(scored);
                std::push_heap(best.begin(), best.end(), worse);
            } else if (worse(scored, best.front())) {
                std::pop_heap(best.begin(), best.end(), worse);
                best.back() = scored;
                std::push_heap(best.begin(), best.end(), worse);
            }
        }
        std::sort_heap(best.begin(), best.end(), worse);
        return accepted;
    }

    /// The weight of the query in record `did`, or 0 when it does not match.
    [[nodiscard]] double score_of(Xapian::docid did);
    /// Whether record `did` matches the query (a weightless match too); `did` only increasing.
    [[nodiscard]] bool matches(Xapian::docid did);

  private:
    std::unique_ptr<PostingCursor> root_;
    const double* length_factors_ = nullptr; ///< DocLengths::length_factors(), when prepared
    std::size_t factor_rows_ = 0;            ///< their number (0 without them)
};

} // namespace airm::detail
