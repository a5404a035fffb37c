#include "query/search/searcher.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/record/codec.hpp"
#include "engine/record/decode.hpp"
#include "engine/record/store.hpp"
#include "engine/schema.hpp"
#include "engine/utf8.hpp"
#include "query/search/detail/derived_terms.hpp"
#include "query/search/detail/facet_column.hpp"
#include "query/search/detail/facet_counter.hpp"
#include "query/search/detail/matcher.hpp"
#include "query/search/detail/rerank.hpp"
#include "query/search/detail/shard_search.hpp"
#include "query/search/detail/similar.hpp"
#include "query/search/detail/xapian_query.hpp"
#include "query/search/spelling.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <span>

namespace airm {

using detail::CellReader;
using detail::CountingSpy;
using detail::FacetCounter;
using detail::FacetTable;
using detail::QNode;
using detail::QOp;
using detail::SidewaysDecider;
using detail::SidewaysFilter;

namespace {

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

QNode year_filter(const std::string& value) {
    const std::string fix = "; write year=2024, year=2023..2025, year=..2023 or year=2023..";
    auto dots = value.find("..");
    if (dots == std::string::npos) {
        auto y = to_int(value);
        if (!y)
            throw QueryError("filter year='" + value + "' is not a year" + fix);
        return detail::year_query(y, y);
    }
    std::optional<int> from, to;
    const std::string a = value.substr(0, dots), b = value.substr(dots + 2);
    if (!a.empty() && !(from = to_int(a)))
        throw QueryError("filter year='" + value + "': '" + a + "' is not a year" + fix);
    if (!b.empty() && !(to = to_int(b)))
        throw QueryError("filter year='" + value + "': '" + b + "' is not a year" + fix);
    if (!from && !to)
        throw QueryError("filter year='" + value + "' is an empty range" + fix);
    return detail::year_query(from, to);
}

std::string format_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string facet_names(const IndexMetadata& meta) {
    std::string names;
    for (const auto& [name, info] : meta.facets)
        names += (names.empty() ? "" : ", ") + name;
    return names.empty() ? std::string("none") : names;
}

/// "filter FIELD=VALUE", as every filter message begins.
std::string filter_label(const Filter& f) {
    return "filter " + f.field + "=" + f.value;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

/// Refuses a year filter on an index where no record has a year: it could only match nothing.
void check_year_filter(const Xapian::Database& db, const Filter& f) {
    if (db.get_value_freq(schema::kSlotYear) != 0)
        return;
    throw FilterError(filter_label(f) +
                          ": no record of this index has a year, so it would match nothing; index "
                          "the years (source.year, or --documents for the MIT export) or leave "
                          "the year filter out",
                      f, true, {});
}

/// The filter term of facet filter `f`, after checking that the facet exists and that some record
/// can have the value (a hierarchical facet's taxonomy codes and names are checked by
/// facet_filter_term); throws FilterError naming the nearest fields or values otherwise.
std::string checked_facet_term(const Index& index, const Filter& f,
                               const detail::CompileContext& ctx,
                               const std::function<std::uint64_t(const std::string&)>& termfreq) {
    const IndexMetadata& meta = index.metadata();
    const FacetInfo* info = meta.facet(f.field);
    if (info == nullptr) {
        std::vector<std::string> names{"year"};
        for (const auto& [name, facet] : meta.facets)
            names.push_back(name);
        throw FilterError(filter_label(f) + ": this index has no facet '" + f.field +
                              "'; filter on one of: " + facet_names(meta) + ", year",
                          f, true, nearest_names(f.field, names));
    }
    std::string term;
    try {
        term = detail::facet_filter_term(f.field, f.value, ctx);
    } catch (const FilterError&) {
        throw;
    } catch (const QueryError& e) {
        throw FilterError(filter_label(f) + ": " + e.what(), f, false, {});
    }
    const Taxonomy* taxonomy = meta.taxonomy(f.field);
    const bool checked_by_taxonomy =
        info->hierarchical && taxonomy != nullptr && !taxonomy->empty();
    if (checked_by_taxonomy || termfreq(term) != 0)
        return term;
    std::vector<std::string> values;
    for (const auto& [value, count] : index.facet_counts(f.field))
        values.push_back(value);
    std::vector<std::string> near = nearest_names(f.value, values);
    const std::string message = filter_label(f) + ": no record has this value" +
                                (near.empty() ? std::string() : "; nearest: " + joined(near)) +
                                "; list the values with 'airm facets --facets " + f.field + "'";
    throw FilterError(message, f, false, std::move(near));
}

void collect_terms(const QNode& n, std::vector<std::string>& out) {
    if (n.op == QOp::term)
        out.push_back(n.term);
    for (const auto& k : n.kids)
        collect_terms(k, out);
}

} // namespace

struct Searcher::Impl {
    const Index* index;
    const Xapian::Database& db;
    Analyzer analyzer;
    SearcherOptions options;
    QuerySyntax syntax;
    bool single_database;
    /// The remote-servable layout: every term is written (none derived), records are document
    /// data, and facets are counted with Xapian's own spy (see detail/shard_search.hpp).
    bool servable;
    /// Some shard is served by a shard server, which runs only Xapian's own classes: facets are
    /// then counted with ValueCountMatchSpy (servable_counts) instead of the facet table.
    bool remote;
    std::unique_ptr<FacetTable> facet_table;
    /// The leaf codes of each combination of the code facet's column (by combination id), made
    /// on first use: the rerank asks them for every pooled record. Valid for facet_table.
    std::vector<std::optional<std::vector<std::string>>> leaf_codes_of;
    std::unique_ptr<detail::DocLengths> lengths;
    /// Every document's stored-record pointer, by docid (0: none), loaded on the second search of
    /// a state: a batch then reads its pages of hits from the record files alone, while a single
    /// search does not pay for loading them.
    std::vector<RecordPointer> pointers;
    unsigned searches_in_state = 0;
    std::map<std::string, FacetLayout> layouts;
    using CodeNames = std::map<std::string, std::unordered_map<std::string, std::string>>;
    std::shared_ptr<const CodeNames> code_names; ///< made on first use, see SearchResult
    /// What drill-sideways filters decided per combination (SidewaysFilter::known), by facet and
    /// filter values: searches repeat filters, and a decision compares every value of a
    /// combination. Valid for the facet table it was learned on.
    std::map<std::string, std::vector<std::int8_t>> sideways_known;
    mutable detail::TermFreqs termfreqs; ///< asked by compiling, matching and ranking subsets
    /// Wildcard expansions made for this state (remote-servable layout): each asks every shard.
    mutable detail::WildcardCache wildcards;
    std::string ranking_text; ///< ranking_description(), made once

    Impl(const Index& idx, SearcherOptions opts)
        : index(&idx), db(detail::IndexAccess::database(idx)), analyzer(idx.make_analyzer()),
          options(std::move(opts)),
          single_database(idx.shard_names().size() == 1 && idx.remote_shards() == 0),
          servable(idx.metadata().servable()), remote(idx.remote_shards() > 0),
          termfreqs(db, !servable), state_revision(revision()) {
        for (const auto& [name, info] : idx.metadata().facets)
            syntax.facets.push_back(name);
        ranking_text = ranking_description();
    }

    /// The revision the per-state data was made for (one database only; else 0).
    Xapian::rev state_revision = 0;

    /// The database's revision (one glass database only; else 0: refresh() alone tells).
    [[nodiscard]] Xapian::rev revision() const {
        if (!single_database)
            return 0;
        try {
            return db.get_revision();
        } catch (const Xapian::InvalidOperationError&) {
            return 0;
        }
    }

    /// Moves to the latest committed state, dropping the in-memory columns of an older one. Other
    /// Searchers over the same Index may have reopened it already (refresh() is then false): the
    /// revision tells that the columns, lengths and term statistics made here are out of date.
    /// `again`: the search is run again after a commit overwrote what it read (shard servers are
    /// then asked at once, else at most once a second: Index::refresh).
    void follow_latest_commit(bool again) {
        const bool reopened = index->refresh(again);
        const Xapian::rev now = revision();
        if (reopened || now != state_revision) {
            state_revision = now;
            facet_table.reset();
            leaf_codes_of.clear();
            sideways_known.clear();
            lengths.reset();
            pointers.clear();
            searches_in_state = 0;
            layouts.clear();
            code_names.reset();
            termfreqs.clear();
            wildcards.clear();
            syntax.facets.clear();
            for (const auto& entry : index->metadata().facets)
                syntax.facets.push_back(entry.first);
        }
    }

    detail::CompileContext context() const {
        detail::TermFreqs* freqs = &termfreqs;
        return detail::CompileContext{
            analyzer,
            index->metadata(),
            &options.synonyms,
            options.ranking.synonym_weight,
            options.ranking.title_boost,
            &detail::stopwords_for(index->metadata().analyzer.language),
            options.ranking.common_cutoff,
            [freqs](const std::string& t) { return std::uint64_t{freqs->get(t)}; },
            db.get_doccount()};
    }

    /// Memory-resident data is used for one database when the options allow it.
    [[nodiscard]] bool in_memory() const { return single_database && options.keep_in_memory; }

    /// Every hierarchical facet's code names (Taxonomy::name_of of each code).
    std::shared_ptr<const CodeNames> names() {
        if (!code_names) {
            auto made = std::make_shared<CodeNames>();
            for (const auto& [facet, taxonomy] : index->metadata().taxonomies) {
                auto& names_of = (*made)[facet];
                for (const auto& code : taxonomy.codes())
                    names_of.emplace(code, taxonomy.name_of(code));
            }
            code_names = std::move(made);
        }
        return code_names;
    }

    FacetTable& table() {
        if (!facet_table) {
            std::vector<FacetTable::Facet> all;
            for (const auto& [name, info] : index->metadata().facets)
                all.push_back({name, info.slot});
            facet_table = std::make_unique<FacetTable>(std::move(all));
            if (in_memory())
                facet_table->load(db);
        }
        return *facet_table;
    }

    /// The stored record of document `did` (compress_record's form), valid until the next read.
    std::string_view stored_record(Xapian::docid did, std::string_view where) {
        if (in_memory() && !servable && pointers.empty() && searches_in_state > 1) {
            pointers.assign(std::size_t{db.get_lastdocid()} + 1, RecordPointer{});
            for (auto v = db.valuestream_begin(schema::kSlotRecord);
                 v != db.valuestream_end(schema::kSlotRecord); ++v) {
                const auto p = decode_record_pointer(*v);
                if (p && v.get_docid() < pointers.size())
                    pointers[v.get_docid()] = *p;
            }
        }
        if (did < pointers.size() && pointers[did].length != 0)
            return detail::IndexAccess::stored_record(*index, did, pointers[did], where);
        const std::string pointer =
            db.get_document(did, Xapian::DOC_ASSUME_VALID).get_value(schema::kSlotRecord);
        return detail::IndexAccess::stored_record(*index, did, pointer, where);
    }

    const detail::DocLengths& doc_lengths() {
        if (!lengths) {
            lengths = std::make_unique<detail::DocLengths>(detail::DocLengths::load(db));
            lengths->prepare(bm25());
        }
        return *lengths;
    }

    detail::Bm25Params bm25() const {
        return detail::Bm25Params{options.ranking.k1, options.ranking.b,
                                  options.ranking.min_normlen};
    }

    std::string ranking_description() const {
        const auto& r = options.ranking;
        return "BM25 (k1=" + format_double(r.k1) + ", b=" + format_double(r.b) +
               ", min_normlen=" + format_double(r.min_normlen) +
               ") over stemmed terms whose within-record frequency carries the field weights "
               "title " +
               std::to_string(schema::field_wdf(schema::Field::title)) + ", text " +
               std::to_string(schema::field_wdf(schema::Field::text)) + ", reasoning " +
               std::to_string(schema::field_wdf(schema::Field::reasoning)) + ", source " +
               std::to_string(schema::field_wdf(schema::Field::source)) +
               "; title occurrences again x" + format_double(r.title_boost) +
               "; words in more than " + format_double(r.common_cutoff * 100) +
               "% of records optional" + "; synonym alternatives x" +
               format_double(r.synonym_weight) + "; times (share of the words matched)^" +
               format_double(r.coordination) + "; plus " + format_double(r.code_prior) +
               " x the best score x the share of the top 5's scores held by the record's code";
    }

    /// What a search runs: the query and what highlighting and --explain need.
    struct Plan {
        QNode query;
        HighlightTerms highlight;
        std::vector<detail::ExplainLeaf> leaves;
        detail::CompiledQuery::Relaxation relaxation;
        /// Rank by relevance over a pool of full and partial matches (detail/rerank.hpp).
        bool rerank = false;
    };

    /// Matches of a page, best first, from either path.
    struct Page {
        std::uint64_t total = 0;
        std::vector<detail::ScoredDoc> hits;
        /// Over shard servers, the ids of (most of) the hits when asked for (see run_xapian).
        std::map<Xapian::docid, std::string> ids;
    };

    /// Value slots whose combinations a match counts with Xapian's ValueCountMatchSpy (over
    /// shard servers), and what it counted, slot by slot.
    struct SlotCounts {
        std::vector<unsigned> slots;
        std::vector<std::map<std::string, std::uint64_t>> counts;
    };

    /// The filters of a request: facet filter terms by facet, year ranges, facets to count.
    struct Filters {
        std::map<std::string, std::vector<std::string>> facet_terms;
        std::vector<QNode> ranges;
        std::vector<std::string> counted;

        /// Every filter as a query part (facet values of one facet OR-ed).
        [[nodiscard]] std::vector<QNode> all_as_queries() const;
        [[nodiscard]] static QNode terms_query(const std::vector<std::string>& terms);
    };

    SearchResult search(const SearchRequest& request);
    SearchResult run(const SearchRequest& request, const Plan& plan, SearchResult result);
    [[nodiscard]] Filters collect_filters(const SearchRequest& request) const;
    /// Appends records matching only some words when the full matches do not fill the page: as
    /// many as the page lacks; or, for a pool of `pool` candidates to rerank (0: none), when they
    /// do not fill max(pool, offset + limit), the best max(pool, offset + limit) of them.
    void add_partial_matches(const SearchRequest& request, const Plan& plan, const Filters& filters,
                             Page& page, std::vector<bool>& partial, SearchResult& result,
                             std::size_t pool);
    /// Whether a search reranks a pool of candidates (relevance order, a text query).
    [[nodiscard]] bool pooled(const SearchRequest& request, const Plan& plan) const {
        return plan.rerank && request.sort == SortOrder::relevance &&
               plan.query.op != QOp::match_all && !plan.query.is_nothing();
    }
    /// Reorders the pool in `page` (detail/rerank.hpp) and keeps the request's page of it; what
    /// each hit's score gained or lost goes to `adjusted`, for --explain.
    void rerank_pool(const SearchRequest& request, const Plan& plan, Page& page,
                     std::vector<bool>& partial,
                     std::map<Xapian::docid, detail::Reranked>& adjusted);
    /// Over shard servers, the ids of a pooled search's hits that came with its matches.
    std::map<Xapian::docid, std::string> known_ids;
    /// The pool as a query on its records' id terms (any layout, any shards): the ids known,
    /// else read from the documents.
    [[nodiscard]] Xapian::Query pool_query(const std::vector<detail::RerankCandidate>& pool) {
        std::vector<Xapian::docid> unknown;
        for (const auto& c : pool) {
            if (known_ids.count(c.did) == 0)
                unknown.push_back(c.did);
        }
        read_remote(unknown);
        std::vector<Xapian::Query> ids;
        for (const auto& c : pool) {
            const auto known = known_ids.find(c.did);
            ids.emplace_back(schema::id_term(known != known_ids.end()
                                                 ? known->second
                                                 : document(c.did).get_value(schema::kSlotId)));
        }
        return Xapian::Query(Xapian::Query::OP_OR, ids.begin(), ids.end());
    }
    /// The facet whose codes the rerank's prior reads: the first hierarchical facet with a
    /// taxonomy (the MIT export: category), or nullptr.
    [[nodiscard]] const std::pair<const std::string, FacetInfo>* code_facet() const {
        const IndexMetadata& meta = index->metadata();
        for (const auto& facet : meta.facets) {
            const Taxonomy* taxonomy = meta.taxonomy(facet.first);
            if (facet.second.hierarchical && taxonomy != nullptr && !taxonomy->empty())
                return &facet;
        }
        return nullptr;
    }
    /// The value slot of code_facet().
    [[nodiscard]] std::optional<unsigned> code_slot() const {
        if (const auto* facet = code_facet())
            return facet->second.slot;
        return std::nullopt;
    }
    /// Over shard servers, how many of `words` each of the pool matches, added to `matched`, and
    /// its codes (`codes_known` then true), by one match for all the words
    /// (detail::matched_parts); false when that could not tell.
    [[nodiscard]] bool remote_coverage(std::vector<detail::RerankCandidate>& pool,
                                       const std::vector<detail::ExplainLeaf>& words,
                                       std::vector<std::size_t>& matched, bool& codes_known) {
        if (pool.empty()) { // nothing to count: no round trip
            codes_known = code_slot().has_value();
            return true;
        }
        std::vector<Xapian::Query> parts;
        for (const auto& leaf : words)
            parts.push_back(xapian_query(leaf.query));
        const std::optional<unsigned> slot = code_slot();
        const auto sets = detail::matched_parts(db, pool_query(pool), parts,
                                                slot.value_or(schema::kSlotId), pool.size());
        if (!sets || sets->size() != pool.size())
            return false;
        for (const auto& c : pool) {
            if (sets->count(c.did) == 0)
                return false;
        }
        for (std::size_t i = 0; i < pool.size(); ++i) {
            const detail::MatchedParts& found = sets->at(pool[i].did);
            matched[i] += static_cast<std::size_t>(std::popcount(found.parts));
            if (slot)
                pool[i].codes = detail::leaf_codes(found.value);
        }
        codes_known = slot.has_value();
        return true;
    }
    /// Over shard servers, reads the pool's documents at once (read_remote).
    void read_pool(const std::vector<detail::RerankCandidate>& pool) {
        std::vector<Xapian::docid> dids;
        for (const auto& c : pool)
            dids.push_back(c.did);
        read_remote(dids);
    }
    Page run_either(const QNode& query, const SearchRequest& request, FacetCounter* counter,
                    bool sideways, SlotCounts* slot_counts = nullptr, bool with_ids = false);
    Page run_in_memory(const QNode& query, const SearchRequest& request, FacetCounter* counter,
                       bool by_presence = false);
    /// `slot_counts` (over shard servers) gets its slots counted over every match of `query`:
    /// by the match itself in relevance order, else by a relevance-order pass that also counts
    /// the total (see detail::count_slots). `with_ids`: Page::ids gets the hits' ids from a
    /// second match (detail::best_values), for a pool to rerank over shard servers.
    Page run_xapian(const QNode& query, const SearchRequest& request, FacetCounter* counter,
                    bool sideways, SlotCounts* slot_counts = nullptr, bool with_ids = false);
    /// The Xapian query of `node`: the text's stem terms derived (local layout), or wildcards
    /// expanded over every shard (remote-servable layout).
    [[nodiscard]] Xapian::Query xapian_query(const QNode& node) const;
    /// The counts of facet `name` over shard servers, with Xapian's ValueCountMatchSpy:
    /// over the query with every filter (servable_base, counted with the match), or, when `name`
    /// is filtered, drill-sideways over the query with every filter but its own.
    [[nodiscard]] FacetCounts servable_counts(const std::string& name, const FacetLayout& layout,
                                              std::vector<std::string> selected, const Plan& plan,
                                              const Filters& filters);
    /// Combination counts of the facets not filtered, counted with the match, for
    /// servable_counts().
    std::map<std::string, std::map<std::string, std::uint64_t>> servable_base;
    /// Over shard servers, the documents read by this search: a reranked search reads its
    /// pool's ids and codes, then its page's records, each document once.
    std::map<Xapian::docid, Xapian::Document> read_documents;
    /// Reads those of `dids` not read yet (detail::documents: every shard's at once).
    void read_remote(const std::vector<Xapian::docid>& dids);
    /// Document `did`: over shard servers the one read_remote() read, else read now.
    [[nodiscard]] Xapian::Document document(Xapian::docid did) const;
    std::optional<std::string> correction(const std::string& query,
                                          const std::vector<detail::WordLeaf>& words);
    std::vector<ExplainPart> explain(const Plan& plan, Xapian::docid did, const std::string& id,
                                     const Xapian::Document& doc);
    ExplainPart explain_leaf(const detail::ExplainLeaf& leaf, Xapian::docid did,
                             const std::string& id, const Xapian::Document& doc);
};

namespace {

/// Appends what reranking changed to a hit's --explain parts, so that they add up to its score.
void explain_rerank(const detail::Reranked& r, std::vector<ExplainPart>& parts) {
    if (r.coordination != 0) {
        ExplainPart part;
        part.label = "(not every word: coordination)";
        part.weight = r.coordination;
        parts.push_back(std::move(part));
    }
    if (r.prior > 0) {
        ExplainPart part;
        part.label = "(code prior " + r.prior_code + ")";
        part.weight = r.prior;
        parts.push_back(std::move(part));
    }
}

} // namespace

std::optional<std::string> Searcher::Impl::correction(const std::string& query,
                                                      const std::vector<detail::WordLeaf>& words) {
    std::string corrected;
    std::size_t at = 0;
    bool changed = false;
    for (const auto& w : words) {
        if (w.terms.size() != 1 || w.begin < at)
            continue;
        if (termfreqs.get(w.terms.front()) != 0)
            continue;
        auto tokens = analyzer.analyze(w.text);
        if (tokens.size() != 1 || tokens.front().kind != TokenKind::word)
            continue;
        auto fix = suggest_spelling(*index, tokens.front().term);
        if (!fix || *fix == tokens.front().term)
            continue;
        corrected.append(query, at, w.begin - at);
        corrected += *fix;
        at = w.end;
        changed = true;
    }
    if (!changed)
        return std::nullopt;
    corrected.append(query, at, std::string::npos);
    return corrected;
}

SearchResult Searcher::Impl::search(const SearchRequest& request) {
    SearchResult result;
    result.original_query = request.query;
    result.query = request.query;
    ParsedQuery parsed = request.strict ? parse_query_strict(request.query, syntax)
                                        : parse_query(request.query, syntax);
    if (!parsed.notice.empty())
        result.notices.push_back(parsed.notice);
    result.parsed = describe(parsed.root);
    detail::CompiledQuery compiled = detail::compile_query(parsed, request.query, context());
    for (std::size_t i = 0; i < compiled.expansions.size(); ++i)
        result.parsed += (i == 0 ? "; synonyms: " : "; ") + compiled.expansions[i];

    try {
        result.did_you_mean = correction(request.query, compiled.words);
    } catch (const Xapian::DatabaseModifiedError&) {
        throw; // Searcher::search reopens and runs the query again
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, index->paths().front());
    }
    if (result.did_you_mean && request.auto_correct) {
        SearchRequest again = request;
        again.query = *result.did_you_mean;
        again.auto_correct = false;
        SearchResult fixed = search(again);
        fixed.original_query = request.query;
        fixed.did_you_mean = result.did_you_mean;
        fixed.corrected = true;
        fixed.notices.insert(fixed.notices.begin(), result.notices.begin(), result.notices.end());
        return fixed;
    }
    // Text that reads as nothing (a lone '"') is not the empty query, which lists every record.
    const bool typed = request.query.find_first_not_of(" \t\r\n") != std::string::npos;
    if (typed && parsed.root.kind == QueryNodeKind::match_all) {
        compiled.match_nothing = true;
        compiled.query = QNode::none();
        compiled.relaxation = {};
    }
    if (compiled.match_nothing)
        result.notices.push_back("the query has no searchable word");
    Plan plan{std::move(compiled.query), std::move(compiled.highlight), std::move(compiled.leaves),
              std::move(compiled.relaxation), true};
    result = run(request, plan, std::move(result));
    if (result.total == 0 && result.partial_total == 0 && !parsed.unknown_fields.empty()) {
        std::string fields;
        for (schema::Field f : schema::kAllFields)
            fields += std::string(fields.empty() ? "" : ", ") + std::string(schema::field_name(f));
        for (const auto& unknown : parsed.unknown_fields) {
            const std::string name = unknown.substr(0, unknown.find(':'));
            result.notices.push_back("'" + name + "' is not a field or facet of this index, so '" +
                                     unknown + "' was searched as text and matched nothing; " +
                                     "fields: " + fields +
                                     "; facets: " + facet_names(index->metadata()) + ", year");
        }
    }
    return result;
}

Searcher::Impl::Page Searcher::Impl::run_in_memory(const QNode& query, const SearchRequest& request,
                                                   FacetCounter* counter, bool by_presence) {
    Page page;
    detail::Matcher matcher(db, doc_lengths(), bm25(), query, &termfreqs);
    const std::size_t keep = request.offset + request.limit;
    if (counter == nullptr) {
        page.total = matcher.run(
            keep, [](Xapian::docid) { return true; }, page.hits, by_presence);
    } else {
        const FacetTable& t = *facet_table;
        if (counter->plain()) {
            // Every match is a hit: count its combinations straight from the table row.
            page.total = matcher.run(
                keep,
                [&](Xapian::docid did) {
                    counter->count_hit_row(did);
                    return true;
                },
                page.hits);
            page.hits.erase(page.hits.begin(),
                            page.hits.begin() + static_cast<std::ptrdiff_t>(
                                                    std::min(request.offset, page.hits.size())));
            return page;
        }
        std::vector<std::uint32_t> cells(t.facets().size());
        page.total = matcher.run(
            keep,
            [&](Xapian::docid did) {
                t.visit_row(did, [&](std::size_t f, std::uint32_t c) { cells[f] = c; });
                return counter->record(cells);
            },
            page.hits);
    }
    page.hits.erase(page.hits.begin(), page.hits.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                               request.offset, page.hits.size())));
    return page;
}

Searcher::Impl::Page Searcher::Impl::run_xapian(const QNode& query, const SearchRequest& request,
                                                FacetCounter* counter, bool sideways,
                                                SlotCounts* slot_counts, bool with_ids) {
    Page page;
    Xapian::Enquire enquire(db);
    const auto& r = options.ranking;
    const Xapian::Query xq = xapian_query(query);
    const Xapian::BM25Weight weight(r.k1, 0, 1, r.b, r.min_normlen);
    enquire.set_query(xq);
    enquire.set_weighting_scheme(weight);
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    switch (request.sort) {
    case SortOrder::relevance:
        break;
    case SortOrder::year:
        enquire.set_sort_by_value_then_relevance(schema::kSlotYear, true);
        break;
    case SortOrder::id:
        enquire.set_sort_by_value(schema::kSlotId, false);
        break;
    }
    std::optional<CellReader> cells;
    std::optional<CountingSpy> spy;
    std::optional<SidewaysDecider> decider;
    if (counter != nullptr) {
        cells.emplace(table());
        if (sideways) {
            decider.emplace(*cells, *counter);
        } else {
            spy.emplace(*cells, *counter);
            enquire.add_matchspy(&*spy);
        }
    }
    const bool sorted = request.sort != SortOrder::relevance;
    std::optional<detail::SlotSpies> spies;
    if (slot_counts != nullptr && !sorted)
        spies.emplace(enquire, slot_counts->slots);
    Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(request.offset),
                                         static_cast<Xapian::doccount>(request.limit),
                                         db.get_doccount(), nullptr, decider ? &*decider : nullptr);
    page.total = mset.get_matches_estimated();
    if (spies) {
        slot_counts->counts = spies->counts();
    } else if (remote && sorted) {
        // Counted in relevance order: see count_slots().
        const std::vector<unsigned> none;
        auto counts =
            detail::count_slots(db, xapian_query(query),
                                slot_counts != nullptr ? slot_counts->slots : none, &page.total);
        if (slot_counts != nullptr)
            slot_counts->counts = std::move(counts);
    }
    for (auto it = mset.begin(); it != mset.end(); ++it)
        page.hits.push_back({*it, it.get_weight()});
    if (with_ids && !page.hits.empty()) {
        // Twice the hits, for records tied with the last (ordered by id there, not by docid).
        page.ids = detail::best_values(db, xq, weight, schema::kSlotId, page.hits.back().score,
                                       2 * page.hits.size());
    }
    return page;
}

Xapian::Query Searcher::Impl::xapian_query(const QNode& node) const {
    if (servable) {
        constexpr std::size_t kMostWildcards = 1024; // bounds a long-lived searcher's memory
        if (wildcards.size() > kMostWildcards)
            wildcards.clear();
        return detail::to_xapian(detail::expand_wildcards(node, db, &wildcards), nullptr);
    }
    const detail::DerivedTermContext derived{db, bm25()};
    return detail::to_xapian(node, &derived);
}

FacetCounts Searcher::Impl::servable_counts(const std::string& name, const FacetLayout& layout,
                                            std::vector<std::string> selected, const Plan& plan,
                                            const Filters& filters) {
    const IndexMetadata& meta = index->metadata();
    // The query with every filter but those of `skip` (none: "").
    auto filtered = [&](const std::string& skip) {
        std::vector<QNode> parts{plan.query};
        parts.insert(parts.end(), filters.ranges.begin(), filters.ranges.end());
        for (const auto& [facet, terms] : filters.facet_terms) {
            if (facet != skip)
                parts.push_back(Filters::terms_query(terms));
        }
        if (parts.size() == 1 || plan.query.is_nothing())
            return plan.query;
        return QNode::combine(QOp::filter, std::move(parts));
    };
    const auto terms = filters.facet_terms.find(name);
    const bool sideways = terms != filters.facet_terms.end();
    std::map<std::string, std::uint64_t> combinations;
    if (sideways) {
        combinations =
            detail::count_slots(db, xapian_query(filtered(name)), {meta.facet(name)->slot}).front();
    } else {
        combinations = servable_base[name]; // counted with the match
    }
    std::map<std::string, std::uint64_t> by_value = detail::per_value(combinations);
    if (sideways && !meta.facet(name)->hierarchical) {
        // A flat filter value as stored ("Developer" for "developer").
        for (const auto& [value, n] : by_value) {
            const std::string term =
                schema::facet_term(name, utf8::truncate(analyzer.fold(value), 200));
            if (std::find(terms->second.begin(), terms->second.end(), term) !=
                    terms->second.end() &&
                std::find(selected.begin(), selected.end(), value) == selected.end()) {
                selected.push_back(value);
            }
        }
    }
    FacetCounts out = layout.build(by_value, selected);
    out.drill_sideways = sideways;
    return out;
}

Searcher::Impl::Filters Searcher::Impl::collect_filters(const SearchRequest& request) const {
    const IndexMetadata& meta = index->metadata();
    const detail::CompileContext ctx = context();
    Filters out;
    for (const auto& f : request.filters) {
        if (f.field == "year") {
            out.ranges.push_back(year_filter(f.value));
            check_year_filter(db, f);
            continue;
        }
        out.facet_terms[f.field].push_back(checked_facet_term(*index, f, ctx, ctx.termfreq));
    }
    for (const auto& name : request.facets) {
        if (meta.facet(name) == nullptr) {
            throw QueryError("--facets " + name + ": this index has no facet '" + name +
                             "'; count one of: " + facet_names(meta));
        }
        if (std::find(out.counted.begin(), out.counted.end(), name) == out.counted.end())
            out.counted.push_back(name);
    }
    return out;
}

std::vector<QNode> Searcher::Impl::Filters::all_as_queries() const {
    std::vector<QNode> out = ranges;
    for (const auto& [facet, terms] : facet_terms)
        out.push_back(terms_query(terms));
    return out;
}

QNode Searcher::Impl::Filters::terms_query(const std::vector<std::string>& terms) {
    std::vector<QNode> alternatives;
    for (const auto& t : terms)
        alternatives.push_back(QNode::leaf(t));
    return QNode::combine(QOp::or_, std::move(alternatives));
}

Searcher::Impl::Page Searcher::Impl::run_either(const QNode& query, const SearchRequest& request,
                                                FacetCounter* counter, bool sideways,
                                                SlotCounts* slot_counts, bool with_ids) {
    const bool memory = !with_ids && slot_counts == nullptr && in_memory() &&
                        request.sort == SortOrder::relevance && detail::runs_in_memory(query);
    return memory ? run_in_memory(query, request, counter)
                  : run_xapian(query, request, counter, sideways, slot_counts, with_ids);
}

void Searcher::Impl::add_partial_matches(const SearchRequest& request, const Plan& plan,
                                         const Filters& filters, Page& page,
                                         std::vector<bool>& partial, SearchResult& result,
                                         std::size_t pool) {
    // Records matching some but not all of the words, after the full matches: one query (any of
    // the words, minus the full matches), so they are ranked by their own BM25 score, or in the
    // requested sort order, exactly like the full matches above them.
    const std::size_t wanted = request.offset + request.limit;
    const auto& relax = plan.relaxation;
    // Only when the full matches do not fill the page, or, for a pool to rerank, the pool: every
    // page within the pool then reranks the same candidates, so pages neither repeat nor skip a
    // record (a pool already full of full matches is reranked without partial ones).
    if (relax.droppable.size() < 2 || page.total >= std::max<std::size_t>(wanted, pool))
        return;
    std::vector<QNode> parts{QNode::combine(QOp::or_, relax.droppable)};
    parts.insert(parts.end(), relax.required.begin(), relax.required.end());
    for (auto& f : filters.all_as_queries())
        parts.push_back(std::move(f));
    std::vector<QNode> out = relax.excluded;
    out.push_back(plan.query); // the full matches are ranked above
    QNode q = QNode::combine(QOp::filter, std::move(parts));
    q = QNode::combine(QOp::and_not, {std::move(q), QNode::combine(QOp::or_, std::move(out))});
    SearchRequest rest = request;
    if (pool > 0) {
        rest.offset = 0;
        rest.limit = std::max(wanted, pool);
    } else {
        rest.offset = request.offset > page.total ? request.offset - page.total : 0;
        rest.limit = wanted - std::max<std::uint64_t>(page.total, request.offset);
    }
    Page more = run_either(q, rest, nullptr, false, nullptr, remote && pool);
    result.partial_total = more.total;
    for (const auto& h : more.hits) {
        page.hits.push_back(h);
        partial.push_back(true);
    }
    page.ids.merge(more.ids);
}

void Searcher::Impl::rerank_pool(const SearchRequest& request, const Plan& plan, Page& page,
                                 std::vector<bool>& partial,
                                 std::map<Xapian::docid, detail::Reranked>& adjusted) {
    std::vector<detail::RerankCandidate> pool(page.hits.size());
    std::vector<std::size_t> by_docid(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        pool[i].did = page.hits[i].did;
        pool[i].score = page.hits[i].score;
        pool[i].partial = partial[i];
        by_docid[i] = i;
    }
    std::sort(by_docid.begin(), by_docid.end(),
              [&](std::size_t a, std::size_t b) { return pool[a].did < pool[b].did; });
    // Coverage: the share of the query's top-level parts (its words, a synonym's words as one)
    // each matches.
    const auto& words = plan.leaves;
    bool codes_known = false; // over shard servers, read with the coverage
    if (!words.empty()) {
        std::vector<std::size_t> matched(pool.size(), 0);
        std::map<Xapian::docid, std::size_t> at; // pool index by docid
        for (std::size_t i = 0; i < pool.size(); ++i)
            at[pool[i].did] = i;
        // Every full match holds every part but an optional stop word: only the others are
        // looked up (opening a word's posting lists costs more than the search at 100,000 records).
        std::vector<std::size_t> partials;
        for (std::size_t i : by_docid) {
            if (pool[i].partial)
                partials.push_back(i);
        }
        std::optional<Xapian::Query> pool_ids; // the pool, by id terms (any layout, any shards)
        const bool counted = remote && remote_coverage(pool, words, matched, codes_known);
        for (const auto& leaf : words) {
            if (counted)
                break;
            const QNode& word = leaf.query;
            const std::vector<std::size_t>& unknown = leaf.optional ? by_docid : partials;
            if (!leaf.optional) {
                for (std::size_t i = 0; i < pool.size(); ++i)
                    matched[i] += pool[i].partial ? 0 : 1;
            }
            if (unknown.empty())
                continue;
            if (in_memory() && detail::runs_in_memory(word)) {
                detail::Matcher m(db, doc_lengths(), bm25(), word, &termfreqs);
                for (std::size_t i : unknown)
                    matched[i] += m.matches(pool[i].did) ? 1 : 0;
                continue;
            }
            if (!pool_ids)
                pool_ids = pool_query(pool);
            Xapian::Enquire e(db);
            e.set_query(Xapian::Query(Xapian::Query::OP_FILTER, xapian_query(word), *pool_ids));
            e.set_weighting_scheme(Xapian::BoolWeight());
            Xapian::MSet m = e.get_mset(0, static_cast<Xapian::doccount>(pool.size()));
            for (auto it = m.begin(); it != m.end(); ++it) {
                auto found = at.find(*it);
                if (found != at.end() && (leaf.optional || pool[found->second].partial))
                    ++matched[found->second];
            }
        }
        // A record matching none of the parts (only some words of a synonym's phrase) counts as
        // matching a hundredth of one: after the records that match a part, in their own order.
        for (std::size_t i = 0; i < pool.size(); ++i) {
            const double parts = matched[i] == 0 ? 0.01 : static_cast<double>(matched[i]);
            pool[i].coverage = parts / static_cast<double>(words.size());
        }
    }
    // Codes: those of code_facet(), unless read with the coverage.
    const auto* facet = codes_known ? nullptr : code_facet();
    if (facet != nullptr) {
        const auto& [name, info] = *facet;
        // From the in-memory columns when they are loaded: reading 50 documents' values from
        // the database cost more than the search itself at 100,000 records.
        const bool columns = in_memory() && table().loaded();
        const std::size_t column = columns ? table().facet_index(name) : 0;
        if (!columns)
            read_pool(pool);
        for (std::size_t i : by_docid) {
            if (columns && column < table().facets().size()) {
                const FacetTable& t = table();
                t.visit_row(pool[i].did, [&](std::size_t f, std::uint32_t c) {
                    if (f != column)
                        return;
                    if (c >= leaf_codes_of.size())
                        leaf_codes_of.resize(c + 1);
                    if (!leaf_codes_of[c]) {
                        std::vector<std::string> values;
                        for (const std::uint32_t id : t.combination(f, c))
                            values.push_back(t.value(id));
                        leaf_codes_of[c] = detail::leaf_codes(std::move(values));
                    }
                    pool[i].codes = *leaf_codes_of[c];
                });
                continue;
            }
            pool[i].codes = detail::leaf_codes(document(pool[i].did).get_value(info.slot));
        }
    }
    const auto& r = options.ranking;
    auto ranked = detail::rerank(std::move(pool), {r.coordination, r.code_prior, 5});
    const std::size_t from = std::min(request.offset, ranked.size());
    const std::size_t to = std::min(from + request.limit, ranked.size());
    page.hits.clear();
    partial.clear();
    for (std::size_t i = from; i < to; ++i) {
        page.hits.push_back({ranked[i].did, ranked[i].score});
        partial.push_back(ranked[i].partial);
        adjusted.emplace(ranked[i].did, ranked[i]);
    }
}

void Searcher::Impl::read_remote(const std::vector<Xapian::docid>& dids) {
    if (!remote)
        return;
    std::vector<Xapian::docid> missing;
    for (Xapian::docid did : dids) {
        if (read_documents.count(did) == 0)
            missing.push_back(did);
    }
    auto read = detail::documents(detail::IndexAccess::shards(*index), missing);
    for (std::size_t i = 0; i < missing.size(); ++i)
        read_documents.emplace(missing[i], std::move(read[i]));
}

Xapian::Document Searcher::Impl::document(Xapian::docid did) const {
    if (auto found = read_documents.find(did); found != read_documents.end())
        return found->second;
    return db.get_document(did, Xapian::DOC_ASSUME_VALID);
}

SearchResult Searcher::Impl::run(const SearchRequest& request, const Plan& plan,
                                 SearchResult result) {
    ++searches_in_state;
    servable_base.clear();
    read_documents.clear();
    known_ids.clear();
    const IndexMetadata& meta = index->metadata();
    result.ranking = ranking_text;
    result.code_names = names();
    Filters filters = collect_filters(request);
    try {
        // Facets both filtered and counted get drill-sideways counts: their filters are applied
        // while counting; every other filter is part of the query.
        FacetTable* table = filters.counted.empty() || remote ? nullptr : &this->table();
        std::vector<SidewaysFilter> sideways;
        std::vector<std::string> sideways_keys; // their keys in sideways_known
        std::vector<QNode> query_filters = filters.ranges;
        for (const auto& [facet, terms] : filters.facet_terms) {
            const auto& counted = filters.counted;
            if (table == nullptr ||
                std::find(counted.begin(), counted.end(), facet) == counted.end()) {
                query_filters.push_back(Filters::terms_query(terms));
                continue;
            }
            std::vector<std::string> values;
            for (const auto& t : terms)
                values.push_back(t.substr(schema::facet_term_prefix(facet).size()));
            sideways.push_back(SidewaysFilter::make(*table, facet, values,
                                                    meta.facet(facet)->hierarchical, analyzer));
            std::string key = facet;
            for (const auto& v : values)
                key.append(1, '\0').append(v);
            if (auto known = sideways_known.find(key); known != sideways_known.end())
                sideways.back().known = known->second;
            sideways_keys.push_back(std::move(key));
        }
        QNode query = plan.query;
        if (!query_filters.empty() && !query.is_nothing()) {
            std::vector<QNode> parts{std::move(query)};
            parts.insert(parts.end(), query_filters.begin(), query_filters.end());
            query = QNode::combine(QOp::filter, std::move(parts));
        }

        std::optional<FacetCounter> counter;
        if (table != nullptr)
            counter.emplace(*table, sideways);
        // Over shard servers, the facets not filtered are counted by the match itself (see
        // run_xapian); the filtered ones get a drill-sideways pass each (servable_counts).
        std::vector<std::string> base_names;
        SlotCounts base;
        for (const auto& name : remote ? filters.counted : std::vector<std::string>{}) {
            if (filters.facet_terms.count(name) == 0) {
                base_names.push_back(name);
                base.slots.push_back(meta.facet(name)->slot);
            }
        }
        // A reranked search asks for a pool of the best matches by BM25, then keeps its page.
        constexpr std::size_t kPool = 50;
        const bool pool = pooled(request, plan);
        SearchRequest first = request;
        if (pool) {
            first.offset = 0;
            first.limit = std::max(request.offset + request.limit, kPool);
        }
        Page page = run_either(query, first, counter ? &*counter : nullptr, !sideways.empty(),
                               remote ? &base : nullptr, remote && pool);
        for (std::size_t i = 0; i < base_names.size() && i < base.counts.size(); ++i)
            servable_base[base_names[i]] = std::move(base.counts[i]);
        constexpr std::size_t kMostKnownFilters = 1024; // bounds a long-lived searcher's memory
        if (sideways_known.size() + sideways.size() > kMostKnownFilters)
            sideways_known.clear();
        for (std::size_t k = 0; k < sideways.size(); ++k)
            sideways_known[sideways_keys[k]] = sideways[k].known;
        result.total = page.total;
        std::vector<bool> partial(page.hits.size(), false);
        add_partial_matches(request, plan, filters, page, partial, result, pool ? kPool : 0);
        std::map<Xapian::docid, detail::Reranked> adjusted;
        known_ids = std::move(page.ids);
        if (pool)
            rerank_pool(request, plan, page, partial, adjusted);

        for (const auto& name : filters.counted) {
            std::vector<std::string> selected; // codes filtered on, shown even when counted 0
            auto terms = filters.facet_terms.find(name);
            if (meta.facet(name)->hierarchical && terms != filters.facet_terms.end()) {
                for (const auto& t : terms->second)
                    selected.push_back(t.substr(schema::facet_term_prefix(name).size()));
            }
            const FacetLayout& layout = layouts.try_emplace(name, name, meta).first->second;
            if (remote) {
                result.facets.push_back(
                    servable_counts(name, layout, std::move(selected), plan, filters));
                continue;
            }
            result.facets.push_back(counter->counts(name, layout, std::move(selected)));
        }

        // The page of hits: only these records are read, in docid order (records near each
        // other share the index blocks that lead to them).
        const std::size_t n = page.hits.size();
        std::vector<std::size_t> by_docid(n);
        std::iota(by_docid.begin(), by_docid.end(), std::size_t{0});
        std::sort(by_docid.begin(), by_docid.end(), [&](std::size_t a, std::size_t b) {
            return page.hits[a].did < page.hits[b].did;
        });
        // Read through the documents (not a value stream): Xapian keeps one cursor on the value
        // table for document reads, so its upper B-tree levels are reused across hits and searches.
        std::vector<Record> records(n);
        // Over shard servers, each document read is a round trip: every shard's are read at once
        // (none twice: a reranked search has read its pool's already).
        std::vector<std::string> fetched(remote ? n : 0);
        if (remote) {
            std::vector<Xapian::docid> dids;
            for (const auto& hit : page.hits)
                dids.push_back(hit.did);
            read_remote(dids);
            for (std::size_t i = 0; i < n; ++i)
                fetched[i] = document(page.hits[i].did).get_data();
        }
        for (std::size_t i : by_docid) {
            const Xapian::docid did = page.hits[i].did;
            const std::string where = "document " + std::to_string(did);
            const std::string_view stored =
                remote ? std::string_view(fetched[i]) : stored_record(did, where);
            records[i] = decode_stored_record(decompress_record(stored, where), where);
        }
        std::size_t rank = request.offset;
        for (std::size_t i = 0; i < n; ++i) {
            const detail::ScoredDoc& scored = page.hits[i];
            Hit hit;
            hit.partial = partial[i];
            hit.record = std::move(records[i]);
            hit.score = scored.score;
            hit.rank = ++rank;
            if (request.snippets)
                hit.snippet = make_snippet(hit.record, plan.highlight, analyzer, request.snippet);
            if (request.explain) {
                // Over shard servers, the document read for the page above (no round trip).
                hit.explain = explain(plan, scored.did, hit.record.id, document(scored.did));
                if (auto it = adjusted.find(scored.did); it != adjusted.end())
                    explain_rerank(it->second, hit.explain);
            }
            result.hits.push_back(std::move(hit));
        }
    } catch (const Xapian::DatabaseModifiedError&) {
        throw; // Searcher::search reopens and runs the query again
    } catch (const Xapian::Error& e) {
        if (std::string(e.get_type()) == "InvalidArgumentError") {
            throw QueryError("query '" + request.query + "' cannot be run: " + e.get_msg());
        }
        detail::rethrow_xapian(e, index->paths().front());
    }
    return result;
}

std::vector<ExplainPart> Searcher::Impl::explain(const Plan& plan, Xapian::docid did,
                                                 const std::string& id,
                                                 const Xapian::Document& doc) {
    std::vector<ExplainPart> parts;
    for (const auto& leaf : plan.leaves) {
        parts.push_back(explain_leaf(leaf, did, id, doc));
        for (const auto& alternative : leaf.synonyms) {
            ExplainPart synonym = explain_leaf(alternative, did, id, doc);
            if (synonym.weight > 0)
                parts.back().synonyms.push_back(std::move(synonym));
        }
    }
    return parts;
}

ExplainPart Searcher::Impl::explain_leaf(const detail::ExplainLeaf& leaf, Xapian::docid did,
                                         const std::string& id, const Xapian::Document& doc) {
    ExplainPart part;
    part.label = leaf.label;
    if (in_memory() && detail::runs_in_memory(leaf.query)) {
        detail::Matcher m(db, doc_lengths(), bm25(), leaf.query, &termfreqs);
        part.weight = m.score_of(did);
    } else {
        Xapian::Enquire e(db);
        e.set_query(Xapian::Query(Xapian::Query::OP_FILTER, xapian_query(leaf.query),
                                  Xapian::Query(schema::id_term(id))));
        const auto& r = options.ranking;
        e.set_weighting_scheme(Xapian::BM25Weight(r.k1, 0, 1, r.b, r.min_normlen));
        Xapian::MSet m = e.get_mset(0, 1);
        if (!m.empty())
            part.weight = m.begin().get_weight();
    }
    // The fields it matched in: the per-field forms of its terms present in the record.
    std::vector<std::string> terms;
    collect_terms(leaf.query, terms);
    std::set<schema::Field> fields;
    for (const auto& term : terms) {
        for (schema::Field field : schema::kAllFields) {
            const std::string prefix(schema::field_prefix(field));
            std::string field_term;
            if (term.rfind(schema::kStemPrefix, 0) == 0) {
                field_term = std::string(schema::kStemPrefix) + prefix +
                             term.substr(schema::kStemPrefix.size());
            } else {
                auto tokens = analyzer.analyze(term);
                std::string stem =
                    tokens.size() == 1 ? analyzer.stem(tokens.front()) : std::string();
                field_term =
                    stem.empty() ? prefix + term : std::string(schema::kStemPrefix) + prefix + stem;
            }
            if (part.weight <= 0)
                continue;
            if (const auto stem = schema::derived_field_stem(field_term); stem && !servable) {
                if (detail::derived_wdf(doc, *stem) > 0)
                    fields.insert(field);
                continue;
            }
            Xapian::TermIterator ti = doc.termlist_begin();
            ti.skip_to(field_term);
            if (ti != doc.termlist_end() && *ti == field_term)
                fields.insert(field);
        }
    }
    for (schema::Field field : schema::kAllFields) {
        if (fields.count(field) != 0)
            part.fields.emplace_back(schema::field_name(field));
    }
    return part;
}

Searcher::Searcher(const Index& index, SearcherOptions options)
    : impl_(std::make_unique<Impl>(index, std::move(options))) {}
Searcher::Searcher(Searcher&&) noexcept = default;
Searcher& Searcher::operator=(Searcher&&) noexcept = default;
Searcher::~Searcher() = default;

SearchResult Searcher::search(const SearchRequest& request) {
    // Matching and the partial-match fall-back grow faster than linearly with the number of words,
    // so very long queries are refused to keep every search within bounded time.
    constexpr std::size_t kMaxQueryWords = 256;
    std::size_t words = 0;
    for (std::size_t i = 0; i < request.query.size();) {
        while (i < request.query.size() &&
               std::isspace(static_cast<unsigned char>(request.query[i])))
            ++i;
        if (i < request.query.size())
            ++words;
        while (i < request.query.size() &&
               !std::isspace(static_cast<unsigned char>(request.query[i])))
            ++i;
    }
    if (words > kMaxQueryWords) {
        throw QueryError("the query has " + std::to_string(words) +
                         " words; airm searches at most " + std::to_string(kMaxQueryWords) +
                         ", so shorten it to its most telling words");
    }
    // Each search sees the latest committed state (over shard servers, as of at most a second
    // ago): a writer's commit moves the view on, and a revision overwritten under a long-lived
    // reader is reopened instead of failing.
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
        try {
            impl_->follow_latest_commit(attempt > 1);
            return impl_->search(request);
        } catch (const Xapian::DatabaseModifiedError& e) {
            if (attempt == kAttempts) {
                detail::rethrow_xapian(e, impl_->index->paths().front());
            }
        } catch (const IndexChanged&) {
            if (attempt == kAttempts) {
                throw;
            }
        }
    }
}

SearchResult Searcher::similar(std::string_view id, const SearchRequest& request) {
    SearchResult result;
    result.original_query = result.query = "similar:" + std::string(id);
    detail::SimilarQuery similar;
    try {
        std::set<std::string> stop_stems;
        for (const auto& w : detail::stopwords_for(impl_->index->metadata().analyzer.language)) {
            for (const Token& t : impl_->analyzer.analyze(w)) {
                const std::string stem = impl_->analyzer.stem(t);
                stop_stems.insert(stem.empty() ? t.term : stem);
            }
        }
        // The request's filters pick the candidates, so a filtered page is full.
        std::vector<Xapian::Query> filters;
        for (const auto& f : impl_->collect_filters(request).all_as_queries())
            filters.push_back(detail::to_xapian(f));
        const Xapian::Query filter(Xapian::Query::OP_AND, filters.begin(), filters.end());
        const detail::SimilarContext context{impl_->db, impl_->index->metadata(), stop_stems,
                                             filters.empty() ? nullptr : &filter,
                                             request.offset + request.limit};
        similar = detail::similar_query(context, id, impl_->index->paths().front());
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->index->paths().front());
    }
    result.parsed = "similar to " + std::string(id) + ": " + similar.description;
    Impl::Plan plan{std::move(similar.query), std::move(similar.highlight), {}, {}};
    return impl_->run(request, plan, std::move(result));
}

const Index& Searcher::index() const {
    return *impl_->index;
}

void RankingOptions::set(std::string_view assignments) {
    struct Setting {
        const char* name;
        double RankingOptions::*member;
        double most; ///< the largest accepted value (the least is 0)
    };
    static constexpr Setting kSettings[] = {
        {"k1", &RankingOptions::k1, 100},
        {"b", &RankingOptions::b, 1},
        {"min_normlen", &RankingOptions::min_normlen, 100},
        {"synonyms", &RankingOptions::synonym_weight, 100},
        {"title", &RankingOptions::title_boost, 100},
        {"common", &RankingOptions::common_cutoff, 1},
        {"coord", &RankingOptions::coordination, 10},
        {"prior", &RankingOptions::code_prior, 10},
    };
    const std::string names = "names: k1, b, min_normlen, synonyms, title, common, coord, prior";
    std::size_t i = 0;
    while (i < assignments.size()) {
        while (i < assignments.size() && (assignments[i] == ' ' || assignments[i] == ','))
            ++i;
        std::size_t j = i;
        while (j < assignments.size() && assignments[j] != ' ' && assignments[j] != ',')
            ++j;
        if (j == i)
            break;
        const std::string item(assignments.substr(i, j - i));
        i = j;
        const auto eq = item.find('=');
        const std::string name = item.substr(0, eq);
        const Setting* setting = nullptr;
        for (const auto& s : kSettings) {
            if (name == s.name)
                setting = &s;
        }
        if (eq != std::string::npos && setting == nullptr)
            throw InvalidInput("ranking setting '" + name + "' is unknown; " + names);
        double value = 0;
        const char* begin = item.data() + (eq == std::string::npos ? 0 : eq + 1);
        auto [end, ec] = std::from_chars(begin, item.data() + item.size(), value);
        if (eq == std::string::npos || ec != std::errc() || end != item.data() + item.size()) {
            throw InvalidInput("ranking setting '" + item + "' is not NAME=NUMBER; " + names);
        }
        // NaN or infinity would make every score null and the order arbitrary.
        if (!std::isfinite(value) || value < 0 || value > setting->most) {
            throw InvalidInput("ranking setting '" + item + "' is out of range; " + name +
                               " takes a number from 0 to " + format_double(setting->most));
        }
        this->*(setting->member) = value;
    }
}

std::vector<std::string> default_facets(const IndexMetadata& metadata) {
    std::vector<std::string> out;
    for (const char* name : {"category", "lifecycle", "actor"}) {
        if (metadata.facet(name) != nullptr)
            out.emplace_back(name);
    }
    if (out.empty()) {
        for (const auto& [name, info] : metadata.facets)
            out.push_back(name);
    }
    return out;
}

FilterError::FilterError(const std::string& message, Filter filter, bool unknown_field,
                         std::vector<std::string> nearest)
    : QueryError(message), filter_(std::move(filter)), unknown_field_(unknown_field),
      nearest_(std::move(nearest)) {}

void check_filter(const Index& index, const Filter& filter) {
    const Xapian::Database& db = detail::IndexAccess::database(index);
    try {
        if (filter.field == "year") {
            (void)year_filter(filter.value);
            check_year_filter(db, filter);
            return;
        }
        const Analyzer analyzer = index.make_analyzer();
        auto termfreq = [&db](const std::string& t) -> std::uint64_t { return db.get_termfreq(t); };
        const detail::CompileContext ctx{
            analyzer, index.metadata(), nullptr,          1.0, 0.0, nullptr,
            0.0,      termfreq,         db.get_doccount()};
        (void)checked_facet_term(index, filter, ctx, termfreq);
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, index.paths().front());
    }
}

std::vector<std::string> nearest_names(std::string_view value,
                                       const std::vector<std::string>& candidates) {
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(value, c, 4);
        if (d > 3 && c.rfind(value, 0) == 0)
            d = 3;
        if (d <= 3)
            scored.emplace_back(d, c);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < 5; ++i)
        out.push_back(scored[i].second);
    return out;
}

std::optional<Filter> filter_from_spec(std::string_view spec) {
    const auto eq = spec.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
        return std::nullopt;
    return Filter{std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
}

std::optional<SortOrder> sort_order_named(std::string_view name) {
    if (name == "relevance")
        return SortOrder::relevance;
    if (name == "year")
        return SortOrder::year;
    if (name == "id")
        return SortOrder::id;
    return std::nullopt;
}

} // namespace airm
