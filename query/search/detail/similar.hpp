#pragma once
/// Internal to the query library (includes xapian.h): records like a given one. Candidates are the
/// records sharing the record's own words (BM25 over them); they are ranked by TF-IDF cosine over
/// those words, and records coded like the record's nearest neighbours move up: a vote of the
/// neighbours' codes, so a record's own codes are never used and a new, uncoded record is served
/// as well as a coded one (tools/bench/similar.py measures both).

#include "engine/metadata.hpp"
#include "query/search/detail/query_tree.hpp"
#include "query/search/snippets.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <xapian.h>

namespace airm::detail {

struct SimilarQuery {
    QNode query;
    HighlightTerms highlight;
    std::string description; ///< the record's most telling stems, for the user
};

/// How many of the record's stems describe it and are highlighted.
inline constexpr std::size_t kSimilarTerms = 25;
/// How many candidates (the best by BM25 over the record's words) are ranked by cosine.
inline constexpr std::size_t kSimilarCandidates = 200;
/// How many of the nearest candidates (by cosine) vote with their codes.
inline constexpr std::size_t kSimilarVoters = 10;
/// What agreeing with the neighbours' codes adds to a cosine (in [0, 1]): the mean share of the
/// vote held by a candidate's codes, times this.
inline constexpr double kSimilarVoteWeight = 0.5;

/// What a similar-records query needs besides the record.
struct SimilarContext {
    const Xapian::Database& db;
    const IndexMetadata& metadata;      ///< the facets whose codes vote
    const std::set<std::string>& stops; ///< stop words' stems, never compared
    const Xapian::Query* filter;        ///< the request's filters (null: none)
    std::size_t wanted;                 ///< results asked for (offset + limit)
};

/// The similar-records query of record `id`: the candidates, weighted by their final score; throws
/// NotFound naming `where` when the record is not there.
[[nodiscard]] SimilarQuery similar_query(const SimilarContext& context, std::string_view id,
                                         const std::string& where);

} // namespace airm::detail
