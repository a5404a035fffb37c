#include "query/searcher.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"
#include "engine/xapian_access.hpp"
#include "query/facet_column.hpp"
#include "query/matcher.hpp"
#include "query/record_decode.hpp"
#include "query/similar.hpp"
#include "query/spelling.hpp"
#include "query/xapian_query.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <span>

namespace airm {

using detail::FacetTable;
using detail::QNode;
using detail::QOp;

namespace {

/// A filtered facet whose counts are drill-sideways: which of its combinations pass its filter.
struct SidewaysFilter {
    std::size_t facet = 0; ///< index in the facet table
    std::function<bool(const std::string&)> accepts;
    std::vector<std::int8_t> known; ///< per combination: -1 not yet known, 0 fails, 1 passes

    bool accepted_value(std::uint32_t id, const FacetTable& table) const {
        return table.facet_of(id) == facet && accepts(table.value(id));
    }
    bool passes(std::uint32_t c, const FacetTable& table) {
        if (c >= known.size()) known.resize(c + 1, -1);
        if (known[c] < 0) {
            known[c] = 0;
            for (std::uint32_t id : table.combination(facet, c)) {
                if (accepted_value(id, table)) known[c] = 1;
            }
        }
        return known[c] == 1;
    }
};

/// Record counts per facet and combination, over the hits and, for each drill-sideways facet, over
/// the records that fail that facet's filter only.
class FacetCounter {
public:
    FacetCounter(const FacetTable& table, std::vector<SidewaysFilter>& sideways)
        : table_(table), sideways_(sideways), hits_(table.facets().size()), side_(table.facets().size()) {
        for (std::size_t f = 0; f < hits_.size(); ++f) {
            hits_[f].assign(table.combination_count(f), 0);
            side_[f].assign(table.combination_count(f), 0);
        }
    }

    /// Counts a record of the base match set given its combination per facet; true when it is a
    /// hit (passes every drill-sideways filter).
    bool record(std::span<const std::uint32_t> cells) {
        std::size_t failed = sideways_.size();
        for (std::size_t k = 0; k < sideways_.size(); ++k) {
            if (!sideways_[k].passes(cells[sideways_[k].facet], table_)) {
                if (failed != sideways_.size()) return false; // fails two: counted nowhere
                failed = k;
            }
        }
        if (failed == sideways_.size()) {
            for (std::size_t f = 0; f < cells.size(); ++f) add(hits_[f], cells[f]);
            return true;
        }
        const std::size_t f = sideways_[failed].facet;
        add(side_[f], cells[f]);
        return false;
    }

    /// Records counted for combination `c` of facet `f` (hits, plus sideways ones if asked).
    [[nodiscard]] std::uint64_t count(std::size_t f, std::uint32_t c, bool with_sideways) const {
        std::uint64_t n = c < hits_[f].size() ? hits_[f][c] : 0;
        if (with_sideways && c < side_[f].size()) n += side_[f][c];
        return n;
    }

private:
    static void add(std::vector<std::uint64_t>& v, std::uint32_t c) {
        if (c >= v.size()) v.resize(c + 1, 0);
        ++v[c];
    }
    const FacetTable& table_;
    std::vector<SidewaysFilter>& sideways_;
    std::vector<std::vector<std::uint64_t>> hits_;
    std::vector<std::vector<std::uint64_t>> side_;
};

/// The combinations of a Xapian match: its table row (one database) or read from its slots.
class CellReader {
public:
    explicit CellReader(FacetTable& table) : table_(table), cells_(table.facets().size()) {}
    std::span<const std::uint32_t> read(const Xapian::Document& doc) {
        if (table_.loaded()) {
            table_.visit_row(doc.get_docid(), [this](std::size_t f, std::uint32_t c) { cells_[f] = c; });
        } else {
            table_.read_document(doc, cells_);
        }
        return cells_;
    }

private:
    FacetTable& table_;
    std::vector<std::uint32_t> cells_;
};

/// Xapian path: counts every match (no drill-sideways filter).
class CountingSpy : public Xapian::MatchSpy {
public:
    CountingSpy(CellReader& cells, FacetCounter& counter) : cells_(cells), counter_(counter) {}
    void operator()(const Xapian::Document& doc, double) override { (void)counter_.record(cells_.read(doc)); }

private:
    CellReader& cells_;
    FacetCounter& counter_;
};

/// Xapian path with drill-sideways filters: applies them itself while counting.
class SidewaysDecider : public Xapian::MatchDecider {
public:
    SidewaysDecider(CellReader& cells, FacetCounter& counter) : cells_(cells), counter_(counter) {}
    bool operator()(const Xapian::Document& doc) const override { return counter_.record(cells_.read(doc)); }

private:
    CellReader& cells_;
    FacetCounter& counter_;
};

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

QNode year_filter(const std::string& value) {
    const std::string fix = "; write year=2024, year=2023..2025, year=..2023 or year=2023..";
    auto dots = value.find("..");
    if (dots == std::string::npos) {
        auto y = to_int(value);
        if (!y) throw QueryError("filter year='" + value + "' is not a year" + fix);
        return detail::year_query(y, y);
    }
    std::optional<int> from, to;
    const std::string a = value.substr(0, dots), b = value.substr(dots + 2);
    if (!a.empty() && !(from = to_int(a))) throw QueryError("filter year='" + value + "': '" + a + "' is not a year" + fix);
    if (!b.empty() && !(to = to_int(b))) throw QueryError("filter year='" + value + "': '" + b + "' is not a year" + fix);
    if (!from && !to) throw QueryError("filter year='" + value + "' is an empty range" + fix);
    return detail::year_query(from, to);
}

std::string format_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string facet_names(const IndexMetadata& meta) {
    std::string names;
    for (const auto& [name, info] : meta.facets) names += (names.empty() ? "" : ", ") + name;
    return names.empty() ? std::string("none") : names;
}

void collect_terms(const QNode& n, std::vector<std::string>& out) {
    if (n.op == QOp::term) out.push_back(n.term);
    for (const auto& k : n.kids) collect_terms(k, out);
}

} // namespace

/// More words than this are never relaxed (2^n subsets).
constexpr std::size_t kMostDroppable = 10;

struct Searcher::Impl {
    const Index* index;
    const Xapian::Database& db;
    Analyzer analyzer;
    SearcherOptions options;
    QuerySyntax syntax;
    bool single_database;
    std::unique_ptr<FacetTable> facet_table;
    std::unique_ptr<detail::DocLengths> lengths;
    std::map<std::string, FacetLayout> layouts;

    Impl(const Index& idx, SearcherOptions opts)
        : index(&idx), db(detail::IndexAccess::database(idx)), analyzer(idx.make_analyzer()),
          options(std::move(opts)), single_database(idx.paths().size() == 1) {
        for (const auto& [name, info] : idx.metadata().facets) syntax.facets.push_back(name);
    }

    detail::CompileContext context() const {
        return detail::CompileContext{analyzer, index->metadata(), &options.synonyms, options.ranking.synonym_weight,
                                      options.ranking.title_boost,
                                      &detail::stopwords_for(index->metadata().analyzer.language)};
    }

    /// Memory-resident data is used for one database when the options allow it.
    [[nodiscard]] bool in_memory() const { return single_database && options.keep_in_memory; }

    FacetTable& table() {
        if (!facet_table) {
            std::vector<FacetTable::Facet> all;
            for (const auto& [name, info] : index->metadata().facets) all.push_back({name, info.slot});
            facet_table = std::make_unique<FacetTable>(std::move(all));
            if (in_memory()) facet_table->load(db);
        }
        return *facet_table;
    }

    const detail::DocLengths& doc_lengths() {
        if (!lengths) lengths = std::make_unique<detail::DocLengths>(detail::DocLengths::load(db));
        return *lengths;
    }

    detail::Bm25Params bm25() const {
        return detail::Bm25Params{options.ranking.k1, options.ranking.b, options.ranking.min_normlen};
    }

    std::string ranking_description() const {
        const auto& r = options.ranking;
        return "BM25 (k1=" + format_double(r.k1) + ", b=" + format_double(r.b) +
               ", min_normlen=" + format_double(r.min_normlen) +
               ") over stemmed terms whose within-record frequency carries the field weights title " +
               std::to_string(schema::field_wdf(schema::Field::title)) + ", text " +
               std::to_string(schema::field_wdf(schema::Field::text)) + ", reasoning " +
               std::to_string(schema::field_wdf(schema::Field::reasoning)) + ", source " +
               std::to_string(schema::field_wdf(schema::Field::source)) + "; title occurrences again x" +
               format_double(r.title_boost) + "; synonym alternatives x" + format_double(r.synonym_weight);
    }

    /// What a search runs: the query and what highlighting and --explain need.
    struct Plan {
        QNode query;
        HighlightTerms highlight;
        std::vector<detail::ExplainLeaf> leaves;
        detail::CompiledQuery::Relaxation relaxation;
    };

    /// Matches of a page, best first, from either path.
    struct Page {
        std::uint64_t total = 0;
        std::vector<detail::ScoredDoc> hits;
    };

    SearchResult search(const SearchRequest& request);
    SearchResult run(const SearchRequest& request, const Plan& plan, SearchResult result);
    Page run_in_memory(const QNode& query, const SearchRequest& request, FacetCounter* counter,
                       bool by_presence = false);
    Page run_xapian(const QNode& query, const SearchRequest& request, FacetCounter* counter, bool sideways);
    std::optional<std::string> correction(const std::string& query, const std::vector<detail::WordLeaf>& words);
    /// How rare a query part is: its terms' BM25 inverse document frequency (summed for an AND,
    /// the best alternative's for an OR).
    [[nodiscard]] double idf_of(const QNode& node) const;
    std::vector<ExplainPart> explain(const Plan& plan, Xapian::docid did, const std::string& id,
                                     const Xapian::Document& doc);
};

std::optional<std::string> Searcher::Impl::correction(const std::string& query,
                                                      const std::vector<detail::WordLeaf>& words) {
    std::string corrected;
    std::size_t at = 0;
    bool changed = false;
    for (const auto& w : words) {
        if (w.terms.size() != 1 || w.begin < at) continue;
        if (db.get_termfreq(w.terms.front()) != 0) continue;
        auto tokens = analyzer.analyze(w.text);
        if (tokens.size() != 1 || tokens.front().kind != TokenKind::word) continue;
        auto fix = suggest_spelling(*index, tokens.front().term);
        if (!fix || *fix == tokens.front().term) continue;
        corrected.append(query, at, w.begin - at);
        corrected += *fix;
        at = w.end;
        changed = true;
    }
    if (!changed) return std::nullopt;
    corrected.append(query, at, std::string::npos);
    return corrected;
}

double Searcher::Impl::idf_of(const QNode& node) const {
    switch (node.op) {
    case QOp::term: {
        // BM25's term weight, as the matcher computes it.
        const double n = db.get_doccount();
        const double tf = db.get_termfreq(node.term);
        if (tf == 0) return 0;
        double tw = (n - tf + 0.5) / (tf + 0.5);
        if (tw < 2) tw = tw * 0.5 + 1;
        return std::log(tw);
    }
    case QOp::and_:
    case QOp::phrase: {
        double sum = 0;
        for (const auto& k : node.kids) sum += idf_of(k);
        return sum;
    }
    case QOp::or_:
    case QOp::synonym: {
        double best = 0;
        for (const auto& k : node.kids) best = std::max(best, idf_of(k));
        return best;
    }
    case QOp::scale: return node.factor * idf_of(node.kids.front());
    case QOp::filter:
    case QOp::and_not:
    case QOp::and_maybe: return node.kids.empty() ? 0 : idf_of(node.kids.front());
    case QOp::match_all:
    case QOp::match_nothing:
    case QOp::wildcard:
    case QOp::value_range: return 0;
    }
    return 0;
}

SearchResult Searcher::Impl::search(const SearchRequest& request) {
    SearchResult result;
    result.original_query = request.query;
    result.query = request.query;
    ParsedQuery parsed = request.strict ? parse_query_strict(request.query, syntax) : parse_query(request.query, syntax);
    if (!parsed.notice.empty()) result.notices.push_back(parsed.notice);
    result.parsed = describe(parsed.root);
    detail::CompiledQuery compiled = detail::compile_query(parsed, request.query, context());

    try {
        result.did_you_mean = correction(request.query, compiled.words);
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
    if (compiled.match_nothing) result.notices.push_back("the query has no searchable word");
    Plan plan{std::move(compiled.query), std::move(compiled.highlight), std::move(compiled.leaves),
              std::move(compiled.relaxation)};
    return run(request, plan, std::move(result));
}

Searcher::Impl::Page Searcher::Impl::run_in_memory(const QNode& query, const SearchRequest& request,
                                                   FacetCounter* counter, bool by_presence) {
    Page page;
    detail::Matcher matcher(db, doc_lengths(), bm25(), query);
    const std::size_t keep = request.offset + request.limit;
    if (counter == nullptr) {
        page.total = matcher.run(keep, [](Xapian::docid) { return true; }, page.hits, by_presence);
    } else {
        const FacetTable& t = *facet_table;
        std::vector<std::uint32_t> cells(t.facets().size());
        page.total = matcher.run(
            keep,
            [&](Xapian::docid did) {
                t.visit_row(did, [&](std::size_t f, std::uint32_t c) { cells[f] = c; });
                return counter->record(cells);
            },
            page.hits);
    }
    page.hits.erase(page.hits.begin(), page.hits.begin() + static_cast<std::ptrdiff_t>(std::min(request.offset, page.hits.size())));
    return page;
}

Searcher::Impl::Page Searcher::Impl::run_xapian(const QNode& query, const SearchRequest& request,
                                                FacetCounter* counter, bool sideways) {
    Page page;
    Xapian::Enquire enquire(db);
    enquire.set_query(detail::to_xapian(query));
    const auto& r = options.ranking;
    enquire.set_weighting_scheme(Xapian::BM25Weight(r.k1, 0, 1, r.b, r.min_normlen));
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    switch (request.sort) {
    case SortOrder::relevance: break;
    case SortOrder::year: enquire.set_sort_by_value_then_relevance(schema::kSlotYear, true); break;
    case SortOrder::id: enquire.set_sort_by_value(schema::kSlotId, false); break;
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
    Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(request.offset),
                                         static_cast<Xapian::doccount>(request.limit), db.get_doccount(), nullptr,
                                         decider ? &*decider : nullptr);
    page.total = mset.get_matches_estimated();
    for (auto it = mset.begin(); it != mset.end(); ++it) page.hits.push_back({*it, it.get_weight()});
    return page;
}

SearchResult Searcher::Impl::run(const SearchRequest& request, const Plan& plan, SearchResult result) {
    const IndexMetadata& meta = index->metadata();
    const detail::CompileContext ctx = context();
    result.ranking = ranking_description();

    // Filters: facet values (OR-ed within a facet), year ranges; facets to count.
    std::map<std::string, std::vector<std::string>> facet_terms;
    std::vector<QNode> filters;
    for (const auto& f : request.filters) {
        if (f.field == "year") {
            filters.push_back(year_filter(f.value));
            continue;
        }
        if (meta.facet(f.field) == nullptr) {
            throw QueryError("--filter " + f.field + "=" + f.value + ": this index has no facet '" + f.field +
                             "'; filter on one of: " + facet_names(meta) + ", year");
        }
        facet_terms[f.field].push_back(detail::facet_filter_term(f.field, f.value, ctx));
    }
    std::vector<std::string> facets;
    for (const auto& name : request.facets) {
        if (meta.facet(name) == nullptr) {
            throw QueryError("--facets " + name + ": this index has no facet '" + name + "'; count one of: " +
                             facet_names(meta));
        }
        if (std::find(facets.begin(), facets.end(), name) == facets.end()) facets.push_back(name);
    }

    try {
        // Facets both filtered and counted get drill-sideways counts: their filters are applied while
        // counting; every other filter is part of the query.
        FacetTable* table = facets.empty() ? nullptr : &this->table();
        std::vector<SidewaysFilter> sideways;
        for (const auto& [facet, terms] : facet_terms) {
            if (table == nullptr || std::find(facets.begin(), facets.end(), facet) == facets.end()) {
                std::vector<QNode> alternatives;
                for (const auto& t : terms) alternatives.push_back(QNode::leaf(t));
                filters.push_back(QNode::combine(QOp::or_, std::move(alternatives)));
                continue;
            }
            SidewaysFilter s;
            s.facet = table->facet_index(facet);
            std::set<std::string> wanted; // codes, or folded flat values
            for (const auto& t : terms) wanted.insert(t.substr(schema::facet_term_prefix(facet).size()));
            if (meta.facet(facet)->hierarchical) {
                s.accepts = [wanted](const std::string& v) { return wanted.count(v) != 0; };
            } else {
                const Analyzer* a = &analyzer;
                s.accepts = [wanted, a](const std::string& v) { return wanted.count(a->fold(v)) != 0; };
            }
            sideways.push_back(std::move(s));
        }

        QNode query = plan.query;
        if (!filters.empty() && !query.is_nothing()) {
            std::vector<QNode> parts{std::move(query)};
            for (const auto& f : filters) parts.push_back(f);
            query = QNode::combine(QOp::filter, std::move(parts));
        }

        std::optional<FacetCounter> counter;
        if (table != nullptr) counter.emplace(*table, sideways);
        const bool memory = in_memory() && request.sort == SortOrder::relevance && detail::runs_in_memory(query);
        Page page = memory ? run_in_memory(query, request, counter ? &*counter : nullptr)
                           : run_xapian(query, request, counter ? &*counter : nullptr, !sideways.empty());
        result.total = page.total;

        // Too few full matches for the page: fill it with records matching some of the words.
        // Records matching rarer words come first: the subsets of the words are taken in order of
        // their summed inverse document frequency, each one's records (matching exactly those
        // words) ranked by BM25. Each subset is an AND, so this never walks a common word's whole
        // posting list.
        std::vector<bool> partial(page.hits.size(), false);
        const std::size_t wanted = request.offset + request.limit;
        const auto& relax = plan.relaxation;
        if (relax.droppable.size() >= 2 && relax.droppable.size() <= kMostDroppable && page.total < wanted) {
            const std::vector<QNode>& words = relax.droppable;
            std::vector<QNode> keep = relax.required;
            keep.insert(keep.end(), filters.begin(), filters.end());
            for (const auto& [facet, terms] : facet_terms) {
                std::vector<QNode> alternatives;
                for (const auto& t : terms) alternatives.push_back(QNode::leaf(t));
                keep.push_back(QNode::combine(QOp::or_, std::move(alternatives)));
            }
            std::vector<double> rarity;
            for (const auto& w : words) rarity.push_back(idf_of(w));
            const std::size_t n = words.size();
            std::vector<std::pair<double, unsigned>> subsets; // (summed rarity, bit set), full and empty left out
            for (unsigned set = 1; set + 1 < (1U << n); ++set) {
                double sum = 0;
                for (std::size_t i = 0; i < n; ++i) sum += (set >> i) & 1U ? rarity[i] : 0.0;
                subsets.emplace_back(sum, set);
            }
            std::stable_sort(subsets.begin(), subsets.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
            std::uint64_t above = page.total; // records ranked before this subset
            for (const auto& [sum, set] : subsets) {
                if (above >= wanted) break;
                std::vector<QNode> in{}, out = relax.excluded;
                out.push_back(plan.query); // the full matches are ranked above
                for (std::size_t i = 0; i < n; ++i) ((set >> i) & 1U ? in : out).push_back(words[i]);
                std::vector<QNode> parts{QNode::combine(QOp::and_, std::move(in))};
                parts.insert(parts.end(), keep.begin(), keep.end());
                QNode q = QNode::combine(QOp::filter, std::move(parts));
                q = QNode::combine(QOp::and_not, {std::move(q), QNode::combine(QOp::or_, std::move(out))});
                SearchRequest rest = request;
                rest.offset = request.offset > above ? request.offset - above : 0;
                rest.limit = wanted - std::max<std::uint64_t>(above, request.offset);
                const bool memory_path = in_memory() && request.sort == SortOrder::relevance && detail::runs_in_memory(q);
                Page more = memory_path ? run_in_memory(q, rest, nullptr) : run_xapian(q, rest, nullptr, false);
                result.partial_total += more.total;
                above += more.total;
                for (const auto& h : more.hits) {
                    page.hits.push_back(h);
                    partial.push_back(true);
                }
            }
        }

        // Facet counts: combinations expanded to values, marking the values filtered on.
        for (const auto& name : facets) {
            const std::size_t fi = table->facet_index(name);
            const SidewaysFilter* side = nullptr;
            for (const auto& s : sideways) {
                if (s.facet == fi) side = &s;
            }
            std::vector<std::uint64_t> per_value(table->value_count(), 0);
            for (std::uint32_t c = 0; c < table->combination_count(fi); ++c) {
                const std::uint64_t n = counter->count(fi, c, side != nullptr);
                if (n == 0) continue;
                for (std::uint32_t id : table->combination(fi, c)) per_value[id] += n;
            }
            std::map<std::string, std::uint64_t> by_value;
            std::vector<std::string> selected;
            for (std::uint32_t id = 0; id < table->value_count(); ++id) {
                if (table->facet_of(id) != fi) continue;
                if (per_value[id] != 0) by_value[table->value(id)] = per_value[id];
                if (side != nullptr && side->accepted_value(id, *table)) selected.push_back(table->value(id));
            }
            if (side != nullptr && meta.facet(name)->hierarchical) {
                for (const auto& t : facet_terms[name]) {
                    std::string code = t.substr(schema::facet_term_prefix(name).size());
                    if (std::find(selected.begin(), selected.end(), code) == selected.end()) selected.push_back(code);
                }
            }
            const FacetLayout& layout = layouts.try_emplace(name, name, meta).first->second;
            FacetCounts fc = layout.build(by_value, selected);
            fc.drill_sideways = side != nullptr;
            result.facets.push_back(std::move(fc));
        }

        // The page of hits: only these records are read.
        std::size_t rank = request.offset;
        for (std::size_t i = 0; i < page.hits.size(); ++i) {
            const detail::ScoredDoc& scored = page.hits[i];
            Hit hit;
            hit.partial = partial[i];
            Xapian::Document doc = db.get_document(scored.did, Xapian::DOC_ASSUME_VALID);
            hit.record = decode_stored_record(doc.get_data(), index->paths().front() + ", document " +
                                                                  std::to_string(scored.did));
            hit.score = scored.score;
            hit.rank = ++rank;
            if (request.snippets) hit.snippet = make_snippet(hit.record, plan.highlight, analyzer, request.snippet);
            if (request.explain) hit.explain = explain(plan, scored.did, hit.record.id, doc);
            result.hits.push_back(std::move(hit));
        }
    } catch (const Xapian::Error& e) {
        if (std::string(e.get_type()) == "InvalidArgumentError") {
            throw QueryError("query '" + request.query + "' cannot be run: " + e.get_msg());
        }
        detail::rethrow_xapian(e, index->paths().front());
    }
    return result;
}

std::vector<ExplainPart> Searcher::Impl::explain(const Plan& plan, Xapian::docid did, const std::string& id,
                                                 const Xapian::Document& doc) {
    std::vector<ExplainPart> parts;
    for (const auto& leaf : plan.leaves) {
        ExplainPart part;
        part.label = leaf.label;
        if (in_memory() && detail::runs_in_memory(leaf.query)) {
            detail::Matcher m(db, doc_lengths(), bm25(), leaf.query);
            part.weight = m.score_of(did);
        } else {
            Xapian::Enquire e(db);
            e.set_query(Xapian::Query(Xapian::Query::OP_FILTER, detail::to_xapian(leaf.query),
                                      Xapian::Query(schema::id_term(id))));
            const auto& r = options.ranking;
            e.set_weighting_scheme(Xapian::BM25Weight(r.k1, 0, 1, r.b, r.min_normlen));
            Xapian::MSet m = e.get_mset(0, 1);
            if (!m.empty()) part.weight = m.begin().get_weight();
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
                    field_term = std::string(schema::kStemPrefix) + prefix + term.substr(schema::kStemPrefix.size());
                } else {
                    auto tokens = analyzer.analyze(term);
                    std::string stem = tokens.size() == 1 ? analyzer.stem(tokens.front()) : std::string();
                    field_term = stem.empty() ? prefix + term : std::string(schema::kStemPrefix) + prefix + stem;
                }
                Xapian::TermIterator ti = doc.termlist_begin();
                ti.skip_to(field_term);
                if (ti != doc.termlist_end() && *ti == field_term && part.weight > 0) fields.insert(field);
            }
        }
        for (schema::Field field : schema::kAllFields) {
            if (fields.count(field) != 0) part.fields.emplace_back(schema::field_name(field));
        }
        parts.push_back(std::move(part));
    }
    return parts;
}

Searcher::Searcher(const Index& index, SearcherOptions options)
    : impl_(std::make_unique<Impl>(index, std::move(options))) {}
Searcher::Searcher(Searcher&&) noexcept = default;
Searcher& Searcher::operator=(Searcher&&) noexcept = default;
Searcher::~Searcher() = default;

SearchResult Searcher::search(const SearchRequest& request) {
    return impl_->search(request);
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
        similar = detail::similar_query(impl_->db, id, impl_->index->paths().front(), stop_stems);
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
    std::size_t i = 0;
    while (i < assignments.size()) {
        while (i < assignments.size() && (assignments[i] == ' ' || assignments[i] == ',')) ++i;
        std::size_t j = i;
        while (j < assignments.size() && assignments[j] != ' ' && assignments[j] != ',') ++j;
        if (j == i) break;
        const std::string item(assignments.substr(i, j - i));
        i = j;
        const auto eq = item.find('=');
        double value = 0;
        const char* begin = item.data() + (eq == std::string::npos ? 0 : eq + 1);
        auto [end, ec] = std::from_chars(begin, item.data() + item.size(), value);
        if (eq == std::string::npos || ec != std::errc() || end != item.data() + item.size() || value < 0) {
            throw InvalidInput("ranking setting '" + item +
                               "' is not NAME=NUMBER (>= 0); names: k1, b, min_normlen, synonyms, title");
        }
        const std::string name = item.substr(0, eq);
        if (name == "k1") k1 = value;
        else if (name == "b") b = std::min(value, 1.0);
        else if (name == "min_normlen") min_normlen = value;
        else if (name == "synonyms") synonym_weight = value;
        else if (name == "title") title_boost = value;
        else throw InvalidInput("ranking setting '" + name + "' is unknown; names: k1, b, min_normlen, synonyms, title");
    }
}

std::vector<std::string> default_facets(const IndexMetadata& metadata) {
    std::vector<std::string> out;
    for (const char* name : {"category", "lifecycle", "actor"}) {
        if (metadata.facet(name) != nullptr) out.emplace_back(name);
    }
    if (out.empty()) {
        for (const auto& [name, info] : metadata.facets) out.push_back(name);
    }
    return out;
}

} // namespace airm
