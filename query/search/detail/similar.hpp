#pragma once
/// Internal to the query library (includes xapian.h): more-like-this. The record's most telling
/// stemmed terms (Xapian's relevance-feedback expansion with the record as the only relevant one)
/// are OR-ed into a query that leaves the record itself out.

#include "query/search/detail/query_tree.hpp"
#include "query/search/snippets.hpp"

#include <set>
#include <string>
#include <string_view>
#include <xapian.h>

namespace airm::detail {

struct SimilarQuery {
    QNode query;
    HighlightTerms highlight;
    std::string description; ///< the terms chosen, for the user
};

/// How many terms of the record the query uses.
inline constexpr Xapian::termcount kSimilarTerms = 25;

/// The more-like-this query of record `id` over the stems of its title, text and reasoning, leaving
/// out `stop_stems`; throws NotFound naming `where` when it is not there.
[[nodiscard]] SimilarQuery similar_query(const Xapian::Database& db, std::string_view id,
                                         const std::string& where,
                                         const std::set<std::string>& stop_stems);

} // namespace airm::detail
