#include "query/searcher.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"
#include "engine/xapian_access.hpp"
#include "query/facet_column.hpp"
#include "query/similar.hpp"
#include "query/spelling.hpp"
#include "query/xapian_query.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <span>
#include <map>
#include <set>

namespace airm {

using detail::FacetColumn;
using detail::ValueDictionary;
using Q = Xapian::Query;

namespace {

/// Reads the value ids of one facet for a matching document: from the in-memory column (a single
/// database, where match docids are the column's docids) or from the document's value slot.
class FacetReader {
public:
    FacetReader(const FacetColumn* column, ValueDictionary* dictionary, unsigned slot)
        : column_(column), dictionary_(dictionary), slot_(slot) {}

    std::span<const std::uint32_t> values(const Xapian::Document& doc) {
        if (column_ != nullptr) return column_->values(doc.get_docid());
        scratch_.clear();
        const std::string raw = doc.get_value(slot_);
        detail::for_each_slot_value(raw, [&](std::string_view v) { scratch_.push_back(dictionary_->intern(v)); });
        return scratch_;
    }
    [[nodiscard]] const ValueDictionary& dictionary() const { return *dictionary_; }

private:
    const FacetColumn* column_;
    ValueDictionary* dictionary_;
    unsigned slot_;
    std::vector<std::uint32_t> scratch_;
};

/// Per-value counters that grow as a dictionary learns new values.
struct Counter {
    std::vector<std::uint64_t> counts;
    void add(std::span<const std::uint32_t> ids) {
        for (std::uint32_t id : ids) {
            if (id >= counts.size()) counts.resize(id + 1, 0);
            ++counts[id];
        }
    }
};

/// Counts the requested facets over every match.
class CountingSpy : public Xapian::MatchSpy {
public:
    CountingSpy(std::vector<FacetReader>& readers, std::vector<Counter>& counters)
        : readers_(readers), counters_(counters) {}
    void operator()(const Xapian::Document& doc, double) override {
        for (std::size_t f = 0; f < readers_.size(); ++f) counters_[f].add(readers_[f].values(doc));
    }

private:
    std::vector<FacetReader>& readers_;
    std::vector<Counter>& counters_;
};

/// One filtered facet whose counts are drill-sideways: which of its value ids pass the filter.
struct SidewaysFilter {
    std::size_t facet = 0; ///< index into the requested facets
    std::function<bool(const std::string&)> accepts;
    std::vector<std::int8_t> known; ///< per value id: -1 unknown, 0 rejected, 1 accepted

    bool passes(std::span<const std::uint32_t> ids, const ValueDictionary& dict) {
        for (std::uint32_t id : ids) {
            if (id >= known.size()) known.resize(id + 1, -1);
            if (known[id] < 0) known[id] = accepts(dict.value(id)) ? 1 : 0;
            if (known[id] == 1) return true;
        }
        return false;
    }
};

/// Applies the drill-sideways facet filters itself: a record passing all of them is a hit and is
/// counted for every facet; a record failing exactly one is counted for that facet only.
class SidewaysDecider : public Xapian::MatchDecider {
public:
    SidewaysDecider(std::vector<FacetReader>& readers, std::vector<Counter>& counters,
                    std::vector<SidewaysFilter>& filters, std::vector<Counter>& sideways)
        : readers_(readers), counters_(counters), filters_(filters), sideways_(sideways) {}

    bool operator()(const Xapian::Document& doc) const override {
        std::size_t failed = filters_.size();
        for (std::size_t k = 0; k < filters_.size(); ++k) {
            FacetReader& r = readers_[filters_[k].facet];
            if (!filters_[k].passes(r.values(doc), r.dictionary())) {
                if (failed != filters_.size()) return false; // fails two: counted nowhere
                failed = k;
            }
        }
        if (failed != filters_.size()) {
            sideways_[failed].add(readers_[filters_[failed].facet].values(doc));
            return false;
        }
        for (std::size_t f = 0; f < readers_.size(); ++f) counters_[f].add(readers_[f].values(doc));
        return true;
    }

private:
    std::vector<FacetReader>& readers_;
    std::vector<Counter>& counters_;
    std::vector<SidewaysFilter>& filters_;
    std::vector<Counter>& sideways_;
};

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

Q year_filter(const std::string& value) {
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

} // namespace

struct Searcher::Impl {
    const Index* index;
    const Xapian::Database& db;
    Analyzer analyzer;
    SearcherOptions options;
    QuerySyntax syntax;
    bool single_database;
    std::map<std::string, std::unique_ptr<FacetColumn>> columns;   ///< single database
    std::map<std::string, std::unique_ptr<ValueDictionary>> dicts; ///< several databases

    Impl(const Index& idx, SearcherOptions opts)
        : index(&idx), db(detail::IndexAccess::database(idx)), analyzer(idx.make_analyzer()),
          options(std::move(opts)), single_database(idx.paths().size() == 1) {
        for (const auto& [name, info] : idx.metadata().facets) syntax.facets.push_back(name);
    }

    detail::CompileContext context() const {
        return detail::CompileContext{analyzer, index->metadata(), &options.synonyms, options.ranking.synonym_weight};
    }

    FacetReader reader(const std::string& facet) {
        const FacetInfo* info = index->metadata().facet(facet);
        if (single_database) {
            auto& col = columns[facet];
            if (!col) col = std::make_unique<FacetColumn>(FacetColumn::load(db, info->slot));
            return FacetReader(col.get(), &col->dictionary(), info->slot);
        }
        auto& dict = dicts[facet];
        if (!dict) dict = std::make_unique<ValueDictionary>();
        return FacetReader(nullptr, dict.get(), info->slot);
    }

    std::string ranking_description() const {
        const auto& r = options.ranking;
        return "BM25 (k1=" + format_double(r.k1) + ", b=" + format_double(r.b) +
               ", min_normlen=" + format_double(r.min_normlen) +
               ") over stemmed terms whose within-record frequency carries the field weights title " +
               std::to_string(schema::field_wdf(schema::Field::title)) + ", text " +
               std::to_string(schema::field_wdf(schema::Field::text)) + ", reasoning " +
               std::to_string(schema::field_wdf(schema::Field::reasoning)) + ", source " +
               std::to_string(schema::field_wdf(schema::Field::source)) + "; synonym alternatives x" +
               format_double(r.synonym_weight);
    }

    Xapian::BM25Weight weighting() const {
        const auto& r = options.ranking;
        return Xapian::BM25Weight(r.k1, 0, 1, r.b, r.min_normlen);
    }

    /// What a search runs: the query and what highlighting and --explain need.
    struct Plan {
        Q query;
        HighlightTerms highlight;
        std::vector<detail::ExplainLeaf> leaves;
    };

    SearchResult search(const SearchRequest& request);
    SearchResult run(const SearchRequest& request, const Plan& plan, SearchResult result);
    std::optional<std::string> correction(const std::string& query, const std::vector<detail::WordLeaf>& words);
    std::vector<ExplainPart> explain(const Plan& plan, const std::string& id, const Xapian::Document& doc);
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
    if (compiled.match_nothing) {
        result.notices.push_back("the query has no searchable word");
    }
    Plan plan{compiled.match_nothing ? Q() : compiled.query, std::move(compiled.highlight), std::move(compiled.leaves)};
    return run(request, plan, std::move(result));
}

SearchResult Searcher::Impl::run(const SearchRequest& request, const Plan& plan, SearchResult result) {
    const IndexMetadata& meta = index->metadata();
    const detail::CompileContext ctx = context();
    result.ranking = ranking_description();

    // Filters: facet filters by facet (values OR-ed), year ranges.
    std::map<std::string, std::vector<std::string>> facet_terms;
    std::map<std::string, std::vector<std::string>> facet_values;
    std::vector<Q> other_filters;
    for (const auto& f : request.filters) {
        if (f.field == "year") {
            other_filters.push_back(year_filter(f.value));
            continue;
        }
        if (meta.facet(f.field) == nullptr) {
            std::string names;
            for (const auto& [name, info] : meta.facets) names += (names.empty() ? "" : ", ") + name;
            throw QueryError("--filter " + f.field + "=" + f.value + ": this index has no facet '" + f.field +
                             "'; filter on one of: " + (names.empty() ? std::string("none") : names) + ", year");
        }
        facet_terms[f.field].push_back(detail::facet_filter_term(f.field, f.value, ctx));
        facet_values[f.field].push_back(f.value);
    }
    std::vector<std::string> facets;
    for (const auto& name : request.facets) {
        if (meta.facet(name) == nullptr) {
            std::string names;
            for (const auto& [n, info] : meta.facets) names += (names.empty() ? "" : ", ") + n;
            throw QueryError("--facets " + name + ": this index has no facet '" + name +
                             "'; count one of: " + (names.empty() ? std::string("none") : names));
        }
        if (std::find(facets.begin(), facets.end(), name) == facets.end()) facets.push_back(name);
    }

    try {
        std::vector<FacetReader> readers;
        for (const auto& name : facets) readers.push_back(reader(name));
        std::vector<Counter> counters(facets.size());

        // Facets both filtered and counted get drill-sideways counts; their filters are applied by
        // the decider, every other filter by Xapian.
        std::vector<SidewaysFilter> sideways;
        std::vector<Q> filters = other_filters;
        for (const auto& [facet, terms] : facet_terms) {
            auto counted = std::find(facets.begin(), facets.end(), facet);
            if (counted == facets.end()) {
                std::vector<Q> alternatives(terms.begin(), terms.end());
                filters.emplace_back(Q::OP_OR, alternatives.begin(), alternatives.end());
                continue;
            }
            SidewaysFilter s;
            s.facet = static_cast<std::size_t>(counted - facets.begin());
            if (meta.facet(facet)->hierarchical) {
                std::set<std::string> codes;
                for (const auto& t : terms) codes.insert(t.substr(schema::facet_term_prefix(facet).size()));
                s.accepts = [codes](const std::string& v) { return codes.count(v) != 0; };
            } else {
                std::set<std::string> folded;
                for (const auto& t : terms) folded.insert(t.substr(schema::facet_term_prefix(facet).size()));
                const Analyzer* a = &analyzer;
                s.accepts = [folded, a](const std::string& v) { return folded.count(a->fold(v)) != 0; };
            }
            sideways.push_back(std::move(s));
        }
        std::vector<Counter> sideways_counts(sideways.size());

        Q query = plan.query;
        if (!filters.empty()) {
            Q all = filters.size() == 1 ? filters.front() : Q(Q::OP_AND, filters.begin(), filters.end());
            query = query.empty() ? Q() : Q(Q::OP_FILTER, query, all);
        }

        Xapian::Enquire enquire(db);
        enquire.set_query(query);
        enquire.set_weighting_scheme(weighting());
        enquire.set_docid_order(Xapian::Enquire::ASCENDING);
        switch (request.sort) {
        case SortOrder::relevance: break;
        case SortOrder::year: enquire.set_sort_by_value_then_relevance(schema::kSlotYear, true); break;
        case SortOrder::id: enquire.set_sort_by_value(schema::kSlotId, false); break;
        }
        CountingSpy spy(readers, counters);
        SidewaysDecider decider(readers, counters, sideways, sideways_counts);
        if (sideways.empty() && !readers.empty()) enquire.add_matchspy(&spy);
        const Xapian::doccount all_docs = db.get_doccount();
        Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(request.offset),
                                             static_cast<Xapian::doccount>(request.limit), all_docs, nullptr,
                                             sideways.empty() ? nullptr : &decider);
        result.total = mset.get_matches_estimated();

        // Facet counts, with the names the user filtered on.
        for (std::size_t f = 0; f < facets.size(); ++f) {
            const ValueDictionary& dict = readers[f].dictionary();
            std::map<std::string, std::uint64_t> counts;
            auto side = std::find_if(sideways.begin(), sideways.end(), [&](const auto& s) { return s.facet == f; });
            for (std::size_t id = 0; id < counters[f].counts.size(); ++id) {
                if (counters[f].counts[id] != 0) counts[dict.value(static_cast<std::uint32_t>(id))] += counters[f].counts[id];
            }
            std::vector<std::string> selected;
            if (side != sideways.end()) {
                const Counter& extra = sideways_counts[static_cast<std::size_t>(side - sideways.begin())];
                for (std::size_t id = 0; id < extra.counts.size(); ++id) {
                    if (extra.counts[id] != 0) counts[dict.value(static_cast<std::uint32_t>(id))] += extra.counts[id];
                }
                for (std::size_t id = 0; id < dict.size(); ++id) {
                    const std::string& v = dict.value(static_cast<std::uint32_t>(id));
                    if (side->accepts(v)) selected.push_back(v);
                }
                if (meta.facet(facets[f])->hierarchical) {
                    for (const auto& t : facet_terms[facets[f]]) {
                        std::string code = t.substr(schema::facet_term_prefix(facets[f]).size());
                        if (std::find(selected.begin(), selected.end(), code) == selected.end()) selected.push_back(code);
                    }
                }
            }
            FacetCounts fc = build_facet_counts(facets[f], meta, counts, selected);
            fc.drill_sideways = side != sideways.end();
            result.facets.push_back(std::move(fc));
        }

        // The page of hits: only these records are read.
        std::size_t rank = request.offset;
        for (auto it = mset.begin(); it != mset.end(); ++it) {
            Hit hit;
            Xapian::Document doc = it.get_document();
            hit.record = parse_record(doc.get_data(), index->paths().front() + ", document " + std::to_string(*it));
            hit.score = it.get_weight();
            hit.rank = ++rank;
            if (request.snippets) hit.snippet = make_snippet(hit.record, plan.highlight, analyzer, request.snippet);
            if (request.explain) hit.explain = explain(plan, hit.record.id, doc);
            result.hits.push_back(std::move(hit));
        }
    } catch (const Xapian::Error& e) {
        if (std::string(e.get_type()) == "QueryParserError" || std::string(e.get_type()) == "InvalidArgumentError") {
            throw QueryError("query '" + request.query + "' cannot be run: " + e.get_msg());
        }
        detail::rethrow_xapian(e, index->paths().front());
    }
    return result;
}

std::vector<ExplainPart> Searcher::Impl::explain(const Plan& plan, const std::string& id, const Xapian::Document& doc) {
    std::vector<ExplainPart> parts;
    const Q only_this(schema::id_term(id));
    for (const auto& leaf : plan.leaves) {
        ExplainPart part;
        part.label = leaf.label;
        Xapian::Enquire e(db);
        e.set_query(Q(Q::OP_FILTER, leaf.query, only_this));
        e.set_weighting_scheme(weighting());
        Xapian::MSet m = e.get_mset(0, 1);
        if (!m.empty()) part.weight = m.begin().get_weight();
        // The fields it matched in: the per-field forms of its terms present in the record.
        std::set<std::string> fields;
        for (auto t = leaf.query.get_unique_terms_begin(); t != leaf.query.get_unique_terms_end(); ++t) {
            const std::string term = *t;
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
                if (ti != doc.termlist_end() && *ti == field_term && part.weight > 0) {
                    fields.insert(std::string(schema::field_name(field)));
                }
            }
        }
        for (schema::Field field : schema::kAllFields) {
            if (fields.count(std::string(schema::field_name(field))) != 0) {
                part.fields.emplace_back(schema::field_name(field));
            }
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
        similar = detail::similar_query(impl_->db, id, impl_->index->paths().front());
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->index->paths().front());
    }
    result.parsed = "similar to " + std::string(id) + ": " + similar.description;
    Impl::Plan plan{similar.query, std::move(similar.highlight), {}};
    return impl_->run(request, plan, std::move(result));
}

const Index& Searcher::index() const {
    return *impl_->index;
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
