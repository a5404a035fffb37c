#pragma once
/// The last step of relevance ranking: a soft coordination factor and a taxonomy code prior,
/// applied to a pool of candidates (the best full and partial matches by BM25). Both were chosen
/// on the tuning half of the judged MIT queries and confirmed on the held-out half
/// (tools/bench/QUALITY.md).

#include <string>
#include <string_view>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// One candidate of the pool.
struct RerankCandidate {
    Xapian::docid did = 0;
    double score = 0;    ///< BM25 score of the query's words
    double coverage = 1; ///< share of the query's top-level words it matches, 0..1
    bool partial = false;
    std::vector<std::string> codes; ///< its taxonomy codes (most specific only)
};

/// The settings (RankingOptions::coordination and ::code_prior).
struct RerankOptions {
    /// A candidate's score is multiplied by coverage^coordination (0: plain BM25 order).
    double coordination = 0.5;
    /// Weight of the code prior, relative to the best score (0: off).
    double code_prior = 0.2;
    /// How many of the best candidates say which codes the query is about.
    std::size_t prior_depth = 5;
};

/// A candidate after reranking: its final score is score + coordination + prior.
struct Reranked {
    Xapian::docid did = 0;
    double score = 0;        ///< the final score
    double coordination = 0; ///< what the coordination factor changed (<= 0)
    double prior = 0;        ///< what the code prior added (>= 0)
    std::string prior_code;  ///< the code the prior came from ("" when none)
    bool partial = false;
};

/// The candidates in their final order, best first (ties by docid). The code prior: the best
/// `prior_depth` candidates (after coordination) share the query's weight between their codes;
/// a candidate gains code_prior x the best score x the share of its best code. Records coded like
/// the best matches move up, as a curator expects the query to be about one part of the taxonomy.
[[nodiscard]] std::vector<Reranked> rerank(std::vector<RerankCandidate> candidates,
                                           const RerankOptions& options);

/// The most specific of a record's hierarchical facet values (a slot holds every ancestor too).
[[nodiscard]] std::vector<std::string> leaf_codes(std::string_view slot_values);
/// The same from a record's values already split.
[[nodiscard]] std::vector<std::string> leaf_codes(std::vector<std::string> all);

} // namespace airm::detail
