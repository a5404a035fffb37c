#pragma once
/// Internal to the query library (includes xapian.h; tools never include it): turns a parsed query
/// into a query tree over the schema's terms (runnable in memory or as a Xapian query), and records
/// what snippets highlight, what --explain reports and which words spelling checks.
///
/// How a word matches (the unprefixed terms carry the field weight as wdf, so BM25 ranks a title
/// match above a text match above a reasoning match):
///   plain word            Z+stem ("testing" -> Ztest), or the whole term for codes and numbers
///   ("2.2.2") compound ("GPT-4")    OP_SYNONYM(compound term "gpt-4", joined "gpt4", PHRASE(gpt
///   4)) "phrase"              OP_PHRASE over the unstemmed terms (one word: that exact term)
///   prefix*               OP_WILDCARD over unstemmed terms (the 200 most frequent expansions)
///   title:word            Z+S+stem; non-words S+term (field terms have no positions, so a fielded
///                         phrase is the phrase anywhere AND its words in the field); text:word
///                         Z+XT+stem, which the index does not hold: it is derived when searched
///   facet:value           the facet's boolean filter term, weight 0
///   synonyms              OR(typed words, alternatives scaled by the synonym weight)

#include "engine/analysis/analyzer.hpp"
#include "engine/metadata.hpp"
#include "query/search/detail/matcher.hpp"
#include "query/search/detail/query_tree.hpp"
#include "query/search/parser.hpp"
#include "query/search/snippets.hpp"
#include "query/search/synonyms.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <xapian.h>

namespace airm::detail {

struct CompileContext {
    const Analyzer& analyzer;
    const IndexMetadata& metadata;
    const SynonymTable* synonyms = nullptr;
    double synonym_weight = 1.0;
    double title_boost = 0.0; ///< extra weight of a word's title occurrences (0: none)
    /// Function words ("the", "of"): beside other words they are optional, adding weight where
    /// they occur. Empty: every word is required.
    const std::set<std::string>* stopwords = nullptr;
    /// Words in more than this share of the records are optional like stop words (0: never).
    double common_cutoff = 0.0;
    std::function<std::uint64_t(const std::string&)> termfreq; ///< records holding a term
    std::uint64_t doccount = 0;
};

/// The built-in stop words of a language ("english"; empty for the others), folded.
[[nodiscard]] const std::set<std::string>& stopwords_for(std::string_view language);

/// One top-level part of a query, scored separately by --explain.
struct ExplainLeaf {
    std::string label; ///< the part of the query it came from
    QNode query;
    /// The synonym alternatives inside `query` (label: the member, query: its scaled part), so
    /// that --explain says which weight came from a synonym rather than the words typed.
    std::vector<ExplainLeaf> synonyms;
    /// A top-level stop word beside other words: it only adds weight, so a full match may lack
    /// it (every other top-level part is held by every full match).
    bool optional = false;
};

/// A plain word of the query and the terms it searched, for "did you mean".
struct WordLeaf {
    std::size_t begin = 0; ///< byte range in the query string
    std::size_t end = 0;
    std::string text;
    std::vector<std::string> terms;
};

struct CompiledQuery {
    QNode query; ///< match_all for the empty query
    /// What a relaxed search (records matching only some of the words, shown after the full
    /// matches when those are too few) is made of: the top-level words and phrases it may drop, and
    /// what it keeps: '+' parts, facet and year filters, exclusions. Empty `droppable` when the
    /// query has fewer than two such words.
    struct Relaxation {
        std::vector<QNode> droppable;
        std::vector<QNode> required;
        std::vector<QNode> excluded;
    } relaxation;
    bool match_nothing = false; ///< the query had text but no searchable word
    /// Each synonym expansion, as "typed = alternative | alternative" (for `parsed`).
    std::vector<std::string> expansions;
    HighlightTerms highlight;
    std::vector<ExplainLeaf> leaves;
    std::vector<WordLeaf> words;
};

/// Compiles a parsed query. Throws QueryError for facet values a facet cannot have.
[[nodiscard]] CompiledQuery compile_query(const ParsedQuery& parsed, std::string_view query_text,
                                          const CompileContext& context);

/// The boolean filter term for `value` of `facet` (a code, "code name" or a taxonomy name for
/// hierarchical facets). Throws QueryError naming the facet, the value and the nearest codes.
[[nodiscard]] std::string facet_filter_term(std::string_view facet, std::string_view value,
                                            const CompileContext& context);

/// The year range filter on the year value slot (weight 0).
[[nodiscard]] QNode year_query(std::optional<int> from, std::optional<int> to);

/// What a Xapian query needs to search the text field's stem terms, which the index derives
/// rather than holds (query/search/detail/derived_terms.hpp): the database searched and the BM25
/// parameters of the search.
struct DerivedTermContext {
    Xapian::Database db;
    Bm25Params params;
};

/// The Xapian query of a tree (match_all and value ranges get weight 0). Terms and wildcards of
/// the derived field become posting sources over `derived`; without it (a query only described,
/// never run) they stay terms.
[[nodiscard]] Xapian::Query to_xapian(const QNode& node,
                                      const DerivedTermContext* derived = nullptr);

} // namespace airm::detail
