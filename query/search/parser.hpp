#pragma once
/// The airm query language, parsed into a small syntax tree that knows nothing about Xapian:
///
///   words            all must match (ranked by BM25)        red teaming
///   a OR b           either                                   audit OR evaluation
///   NOT a, -a        must not match                           incident -cyber
///   +a               must match, even in partial matches      +watermark
///   "a b"            exact phrase, unstemmed                   "model weights"
///   ( ... )          grouping                                 (audit OR review) external
///   field:word       title, text, reasoning or source only    title:board
///   word*            prefix                                   whistle*
///   facet:value      facet filter inside the query             category:3.1 actor:Developer
///   year:A..B        year range (either end may be left out)  year:2023..2025
///
/// A query that is not well formed (unbalanced quote or parenthesis, dangling operator, `field:`
/// with nothing after it) is refused by the strict parser with a message pointing at the column;
/// the lenient parser (the default) reads it as plain words instead and says so.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// What a node of a parsed query is.
enum class QueryNodeKind {
    match_all, ///< the empty query: every record
    word,      ///< a word as typed (may analyse to several tokens, e.g. "GPT-4")
    phrase,    ///< a quoted phrase
    prefix,    ///< word* (text holds the part before '*')
    facet,     ///< facet:value (facet and text hold name and value)
    year,      ///< year:A..B (year_from / year_to)
    all_of,    ///< children must all match (NOT children excluded)
    any_of,    ///< at least one child must match
};

/// One node of a parsed query.
struct QueryNode {
    QueryNodeKind kind = QueryNodeKind::match_all;
    std::string text;             ///< word, phrase or prefix text as typed; facet value
    std::string field;            ///< "title", "text", "reasoning", "source", or empty (all fields)
    std::string facet;            ///< facet name for kind == facet
    std::optional<int> year_from; ///< inclusive
    std::optional<int> year_to;   ///< inclusive
    bool negated = false;         ///< NOT / '-': must not match
    bool required = false;        ///< '+': must match even when a search relaxes to some words
    std::size_t begin = 0;        ///< byte offset of the node in the query string
    std::size_t end = 0;          ///< byte offset one past its end
    std::vector<QueryNode> children;

    bool operator==(const QueryNode& other) const = default;
};

/// Names the parser needs to tell facets and fields apart.
struct QuerySyntax {
    std::vector<std::string> facets; ///< facet names of the index (category, actor, ...)
};

/// The result of parsing: the tree, and a notice when the query was read leniently.
struct ParsedQuery {
    QueryNode root;
    /// Non-empty when the lenient parser fell back to plain words (says why), or when a word typed
    /// as "name:..." names no field but looks like a misspelt one (names the field).
    std::string notice;
    /// Words typed as "name:rest" where name is no field of the index and close to none: searched
    /// as text ("ISO:27001"), named in a notice when the query matches nothing.
    std::vector<std::string> unknown_fields;
};

/// Parses `query` strictly; throws QueryError naming the column and the fix when it is not well
/// formed.
[[nodiscard]] ParsedQuery parse_query_strict(std::string_view query, const QuerySyntax& syntax);

/// Parses `query`; a query that is not well formed is read as plain words (never throws).
[[nodiscard]] ParsedQuery parse_query(std::string_view query, const QuerySyntax& syntax);

/// A compact, unambiguous rendering of a tree, for tests and --explain:
/// AND(word:red, NOT word:x, OR(phrase:"a b", title:word:y), category=3.1, year=2023..2025).
[[nodiscard]] std::string describe(const QueryNode& node);

/// Every positive (not negated) word, phrase and prefix node, in query order: what a snippet
/// highlights and what spelling checks.
[[nodiscard]] std::vector<const QueryNode*> positive_text_nodes(const QueryNode& root);

} // namespace airm
