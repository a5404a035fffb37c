#pragma once
/// Searching an index: the query language, field-weighted BM25, filters, exact facet counts with
/// drill-sideways, snippets, spelling suggestions, synonyms and similar records.
///
/// A Searcher belongs to one thread and must not outlive its Index. With keep_in_memory it loads
/// record lengths and facet values on first use and keeps them: after Index::refresh() (or any
/// change to the index) make a new Searcher. Nothing here exposes Xapian.

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/record/record.hpp"
#include "query/search/facets.hpp"
#include "query/search/snippets.hpp"
#include "query/search/synonyms.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace airm {

/// BM25 parameters and how much synonym alternatives count relative to the words typed.
/// Defaults were chosen on the judged query set (tests/data/judged-queries-mit.tsv); see README.
struct RankingOptions {
    double k1 = 1.2;             ///< term frequency saturation
    double b = 0.5;              ///< document length normalisation
    double min_normlen = 0.5;    ///< shortest normalised length BM25 assumes
    double synonym_weight = 0.8; ///< scale of the weight of synonym alternatives
    /// A plain word also scores its title occurrences again, times this (0: off), on top of the
    /// title's field weight: titles of curated records name the mitigation.
    double title_boost = 1.0;
    /// A word found in more than this share of the records is not required when the query has
    /// rarer words: it only adds weight (like Elasticsearch's cutoff_frequency). 0: off.
    double common_cutoff = 0.2;
    /// Soft coordination: a record's score is multiplied by (share of the query's words it
    /// matches)^coordination, so records matching only some words rank by that score among the full
    /// matches rather than after all of them (0: plain BM25 order).
    double coordination = 0.5;
    /// Code prior: records coded like the best five results gain this share of the best score,
    /// times the share of those five's scores their code holds (0: off).
    double code_prior = 0.2;

    /// Reads "k1=1.2 b=0.5 min_normlen=0.5 synonyms=0.8 title=0.5 common=0 coord=0.5 prior=0.2"
    /// (any subset, spaces or commas); throws InvalidInput naming the bad item.
    void set(std::string_view assignments);
};

struct SearcherOptions {
    SynonymTable synonyms;
    RankingOptions ranking;
    /// Keep record lengths and facet values in memory (loaded on first use, a few bytes a record)
    /// and score in memory: much faster for many searches, a one-time cost for one. Off, or with
    /// several shards, Xapian's matcher runs every search.
    bool keep_in_memory = true;
};

/// Result order.
enum class SortOrder { relevance, year, id };

/// One `--filter FIELD=VALUE`. Facet values of one field are OR-ed, different fields AND-ed.
/// FIELD is a facet (a hierarchical value also matches every code below it) or `year`
/// (2024, 2023..2025).
struct Filter {
    std::string field;
    std::string value;
};

/// "FIELD=VALUE" (as typed after --filter or in the API's `filter`) as a Filter; nullopt when it
/// has no '=' or either side is empty, so that each front end names the input in its own words.
[[nodiscard]] std::optional<Filter> filter_from_spec(std::string_view spec);

/// A filter no record can match: a field the index lacks, a value no record has, or a year filter
/// on an index without years. Carries what front ends offer instead (the HTTP API's `nearest`).
class FilterError : public QueryError {
  public:
    FilterError(const std::string& message, Filter filter, bool unknown_field,
                std::vector<std::string> nearest);
    [[nodiscard]] const Filter& filter() const { return filter_; }
    /// True when the field itself is unknown (nearest then lists field names).
    [[nodiscard]] bool unknown_field() const { return unknown_field_; }
    /// The closest valid field names or values, best first (at most 5; may be empty).
    [[nodiscard]] const std::vector<std::string>& nearest() const { return nearest_; }

  private:
    Filter filter_;
    bool unknown_field_;
    std::vector<std::string> nearest_;
};

/// Checks `filter` against `index` before searching; throws FilterError naming the filter, why it
/// can match nothing and the nearest valid fields or values. Searcher::search checks every filter
/// the same way, so a wrong value never answers with a silent 0.
void check_filter(const Index& index, const Filter& filter);

/// The closest of `candidates` to `value` (edit distance up to 3, or `value` starts one), best
/// first, at most 5: what an error offers for a mistyped name.
[[nodiscard]] std::vector<std::string> nearest_names(std::string_view value,
                                                     const std::vector<std::string>& candidates);

/// The order named "relevance", "year" or "id"; nullopt for any other name.
[[nodiscard]] std::optional<SortOrder> sort_order_named(std::string_view name);

struct SearchRequest {
    std::string query;
    std::vector<Filter> filters;
    std::vector<std::string> facets; ///< facets to count over all matches
    std::size_t offset = 0;
    std::size_t limit = 10;
    SortOrder sort = SortOrder::relevance;
    bool strict = false;       ///< refuse a malformed query instead of reading it as plain words
    bool auto_correct = false; ///< search the spelling suggestion when a word is unknown
    bool explain = false;      ///< fill Hit::explain
    bool snippets = true;
    SnippetOptions snippet;
};

/// What one part of the query contributed to a hit's score.
struct ExplainPart {
    std::string label;               ///< the query part ("red", "\"model weights\"", "red teaming")
    double weight = 0;               ///< its BM25 weight in this record (0: did not match)
    std::vector<std::string> fields; ///< the fields it matched in
    /// The synonym alternatives of its words that matched (label: the synonym), each with its
    /// share of `weight`: what matched a synonym rather than the words typed.
    std::vector<ExplainPart> synonyms;
};

/// One matching record.
struct Hit {
    Record record;
    double score = 0;
    std::size_t rank = 0; ///< 1-based, counting from the first result of the whole match set
    Snippet snippet;
    std::vector<ExplainPart> explain;
    /// Matches only some of the query's words: ranked among the full matches by its score times
    /// the coordination factor (RankingOptions::coordination; after every full match when sorted
    /// by year or id); not counted in `total`.
    bool partial = false;
};

struct SearchResult {
    std::string query;          ///< the query searched (the corrected one with --auto-correct)
    std::string original_query; ///< as typed
    std::string parsed;      ///< how the query was read (describe()), with its synonym expansions
    std::uint64_t total = 0; ///< exact number of records matching the whole query
    std::uint64_t partial_total =
        0; ///< records matching only some words (counted when any are shown)
    std::vector<Hit> hits;
    std::vector<FacetCounts> facets;
    std::optional<std::string> did_you_mean;
    bool corrected = false;           ///< the query was replaced by did_you_mean
    std::vector<std::string> notices; ///< how a malformed query was read, unknown filter values...
    std::string ranking;              ///< the ranking formula and its parameters (for --explain)
    /// The taxonomy name of every code, by hierarchical facet (facet -> code -> name), made once
    /// per index state and shared by the results: showing hits looks names up here (a code
    /// missing from it has no name).
    std::shared_ptr<const std::map<std::string, std::unordered_map<std::string, std::string>>>
        code_names;
};

class Searcher {
  public:
    explicit Searcher(const Index& index, SearcherOptions options = {});
    Searcher(Searcher&&) noexcept;
    Searcher& operator=(Searcher&&) noexcept;
    ~Searcher();

    /// Runs a search. Throws QueryError for a query refused in strict mode or a filter on a facet
    /// the index lacks, naming the value and the fix.
    [[nodiscard]] SearchResult search(const SearchRequest& request);

    /// Records most like record `id` (more-like-this on its most telling terms); `request.query`
    /// is ignored, its filters, facets and paging apply. Throws NotFound for an unknown id.
    [[nodiscard]] SearchResult similar(std::string_view id, const SearchRequest& request);

    [[nodiscard]] const Index& index() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The facet names of the index a batch search counts by default: category, lifecycle and actor
/// when present, else every facet.
[[nodiscard]] std::vector<std::string> default_facets(const IndexMetadata& metadata);

} // namespace airm
