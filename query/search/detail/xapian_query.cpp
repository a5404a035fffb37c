#include "query/search/detail/xapian_query.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"
#include "engine/schema.hpp"
#include "engine/utf8.hpp"
#include "query/search/detail/derived_terms.hpp"
#include "query/search/searcher.hpp"

#include <algorithm>

namespace airm::detail {
namespace {

using Q = QNode;
using OptQ = std::optional<QNode>;

constexpr unsigned kWildcardExpansions = 200;

std::string_view prefix_of(const std::string& field) {
    if (field.empty())
        return {};
    return schema::field_prefix(*schema::field_from_name(field));
}

class Compiler {
  public:
    Compiler(std::string_view query_text, const CompileContext& context)
        : text_(query_text), ctx_(context) {}

    CompiledQuery run(const QueryNode& root) {
        CompiledQuery out;
        if (root.kind == QueryNodeKind::match_all) {
            out.query = Q::all();
            return out;
        }
        OptQ q = compile_top(root);
        if (!q) {
            out.match_nothing = true;
            out.query = Q::none();
        } else {
            out.query = std::move(*q);
        }
        if (relaxable_.size() >= 2) {
            out.relaxation.droppable = std::move(relaxable_);
            out.relaxation.required = std::move(required_);
            out.relaxation.excluded = std::move(excluded_);
        }
        out.highlight = std::move(highlight_);
        out.leaves = std::move(leaves_);
        out.expansions = std::move(expansions_);
        out.words = std::move(words_);
        return out;
    }

  private:
    std::string_view text_;
    const CompileContext& ctx_;
    HighlightTerms highlight_;
    std::vector<ExplainLeaf> leaves_;
    /// Synonym alternatives compiled since the last leaf was added: they belong to the next one.
    std::vector<ExplainLeaf> pending_synonyms_;
    std::vector<std::string> expansions_;
    std::vector<WordLeaf> words_;
    bool expanding_ = false;       ///< compiling the typed words of a synonym match
    std::vector<QNode> relaxable_; ///< top-level words and phrases (optional in a relaxed search)
    std::vector<QNode> required_;  ///< top-level '+' parts, facet and year filters
    std::vector<QNode> excluded_;  ///< top-level NOT parts
    std::vector<bool> stop_;       ///< per positive part of the AND being compiled: a stop word

    bool is_stopword(const QueryNode& n) const {
        if (n.kind != QueryNodeKind::word || !n.field.empty() || n.required)
            return false;
        if (ctx_.stopwords != nullptr && ctx_.stopwords->count(ctx_.analyzer.fold(n.text)) != 0)
            return true;
        // A word in more than the cutoff share of records says little: like a stop word.
        if (ctx_.common_cutoff > 0 && ctx_.termfreq && ctx_.doccount > 0) {
            auto tokens = ctx_.analyzer.analyze(n.text);
            if (tokens.size() != 1)
                return false;
            const std::string term = token_term_quiet(tokens.front());
            return static_cast<double>(ctx_.termfreq(term)) >
                   ctx_.common_cutoff * static_cast<double>(ctx_.doccount);
        }
        return false;
    }

    std::string token_term_quiet(const Token& t) const {
        std::string stem = ctx_.analyzer.stem(t);
        return stem.empty() ? t.term : std::string(schema::kStemPrefix) + stem;
    }

    static bool weighted_text(const QueryNode& n) {
        return n.kind == QueryNodeKind::word || n.kind == QueryNodeKind::phrase ||
               n.kind == QueryNodeKind::prefix || n.kind == QueryNodeKind::any_of;
    }

    std::string label(const QueryNode& n) const {
        if (n.end <= n.begin || n.end > text_.size())
            return describe(n);
        return std::string(text_.substr(n.begin, n.end - n.begin));
    }

    /// The top level: each positive conjunct becomes an explain leaf.
    OptQ compile_top(const QueryNode& root) {
        if (root.kind == QueryNodeKind::all_of && !root.negated) {
            return compile_all_of(root, true);
        }
        OptQ q = compile(root, false);
        if (q && !root.negated)
            add_leaf(label(root), *q);
        if (q && root.negated)
            return Q::combine(QOp::and_not, {Q::all(), *q});
        return q;
    }

    OptQ compile(const QueryNode& n, bool negated_context) {
        const bool neg = negated_context != n.negated;
        switch (n.kind) {
        case QueryNodeKind::match_all:
            return Q::all();
        case QueryNodeKind::word:
            if (plain_word(n) && !expanding_ && ctx_.synonyms != nullptr &&
                !ctx_.synonyms->empty()) {
                std::size_t consumed = 0;
                const std::vector<QueryNode> one{n};
                OptQ q = synonym_run(one, 0, negated_context, consumed);
                if (consumed > 0)
                    return q;
            }
            return compile_word(n.text, n.field, neg, &n);
        case QueryNodeKind::phrase:
            return compile_phrase(n.text, n.field, neg);
        case QueryNodeKind::prefix:
            return compile_prefix(n.text, n.field, neg);
        case QueryNodeKind::facet:
            return Q::scaled(Q::leaf(facet_filter_term(n.facet, n.text, ctx_)), 0.0);
        case QueryNodeKind::year:
            return year_query(n.year_from, n.year_to);
        case QueryNodeKind::all_of:
            return compile_all_of(n, false, neg);
        case QueryNodeKind::any_of: {
            std::vector<Q> parts;
            for (const auto& c : n.children) {
                OptQ q = compile(c, neg);
                if (!q)
                    continue;
                parts.push_back(c.negated ? Q::combine(QOp::and_not, {Q::all(), *q}) : *q);
            }
            if (parts.empty())
                return std::nullopt;
            return Q::combine(QOp::or_, std::move(parts));
        }
        }
        return std::nullopt;
    }

    static bool plain_word(const QueryNode& n) {
        return n.kind == QueryNodeKind::word && n.field.empty() && !n.negated;
    }

    OptQ compile_all_of(const QueryNode& n, bool top, bool negated_context = false) {
        std::vector<bool> outer_stop = std::move(stop_); // a nested AND has its own
        stop_.clear();
        OptQ q = compile_all_of_parts(n, top, negated_context);
        stop_ = std::move(outer_stop);
        return q;
    }

    OptQ compile_all_of_parts(const QueryNode& n, bool top, bool negated_context) {
        std::vector<Q> positive;
        std::vector<Q> negative;
        std::vector<std::size_t> stop_leaves; // top-level leaves that are stop words
        const auto& kids = n.children;
        for (std::size_t i = 0; i < kids.size();) {
            // A run of plain words may hold a synonym ("red teaming"): expand it.
            if (plain_word(kids[i]) && !expanding_ && ctx_.synonyms != nullptr &&
                !ctx_.synonyms->empty()) {
                std::size_t consumed = 0;
                std::vector<Q> pieces;
                OptQ q = synonym_run(kids, i, negated_context, consumed, &pieces);
                if (consumed > 0) {
                    if (q) {
                        positive.push_back(*q);
                        stop_.push_back(false);
                        if (top)
                            relaxable_.insert(relaxable_.end(), pieces.begin(), pieces.end());
                        if (top) {
                            QueryNode span;
                            span.begin = kids[i].begin;
                            span.end = kids[i + consumed - 1].end;
                            add_leaf(label(span), *q);
                        }
                    }
                    i += consumed;
                    continue;
                }
            }
            const QueryNode& c = kids[i++];
            OptQ q = compile(c, negated_context);
            if (!q)
                continue;
            if (c.negated) {
                negative.push_back(*q);
                if (top) {
                    excluded_.push_back(*q);
                    pending_synonyms_.clear(); // an excluded part scores nothing
                }
            } else {
                const bool stop = is_stopword(c);
                positive.push_back(*q);
                stop_.push_back(stop);
                if (top) {
                    add_leaf(label(c), *q);
                    if (stop)
                        stop_leaves.push_back(leaves_.size() - 1);
                }
                if (top && !stop)
                    (weighted_text(c) && !c.required ? relaxable_ : required_).push_back(*q);
            }
        }
        if (positive.empty() && negative.empty())
            return std::nullopt;
        // Stop words beside other words only add weight.
        std::vector<Q> optional;
        if (ctx_.stopwords != nullptr && !ctx_.stopwords->empty()) {
            std::vector<Q> kept;
            for (std::size_t k = 0; k < positive.size(); ++k) {
                (stop_[k] ? optional : kept).push_back(std::move(positive[k]));
            }
            if (kept.empty()) {
                kept = std::move(optional);
                optional.clear();
            }
            positive = std::move(kept);
            if (!optional.empty()) {
                for (std::size_t leaf : stop_leaves)
                    leaves_[leaf].optional = true;
            }
        }
        stop_.clear();
        Q pos = positive.empty() ? Q::all() : Q::combine(QOp::and_, std::move(positive));
        if (!optional.empty()) {
            std::vector<Q> parts{std::move(pos)};
            for (auto& o : optional)
                parts.push_back(std::move(o));
            pos = Q::combine(QOp::and_maybe, std::move(parts));
        }
        if (negative.empty())
            return pos;
        return Q::combine(QOp::and_not,
                          {std::move(pos), Q::combine(QOp::or_, std::move(negative))});
    }

    /// Tries a synonym match on the plain words starting at kids[i]; sets `consumed` to the words
    /// it covers (0 when no member matches).
    /// `pieces`, when given, receives the typed words one by one and the alternatives as one part:
    /// the parts a relaxed search makes optional.
    /// A top-level part for --explain, with the synonym alternatives compiled inside it.
    void add_leaf(std::string text, const Q& q) {
        leaves_.push_back({std::move(text), q, std::move(pending_synonyms_)});
        pending_synonyms_.clear();
    }

    OptQ synonym_run(const std::vector<QueryNode>& kids, std::size_t i, bool negated_context,
                     std::size_t& consumed, std::vector<Q>* pieces = nullptr) {
        consumed = 0;
        std::vector<std::string> keys;
        std::vector<std::size_t> node_end; // keys.size() after each word
        for (std::size_t j = i; j < kids.size() && plain_word(kids[j]); ++j) {
            for (auto& k : text_keys(kids[j].text, ctx_.analyzer))
                keys.push_back(std::move(k));
            node_end.push_back(keys.size());
        }
        if (keys.empty())
            return std::nullopt;
        // The longest run of whole words that is a member of a group.
        for (auto words = node_end.rbegin(); words != node_end.rend(); ++words) {
            const std::size_t len = *words;
            auto m = ctx_.synonyms->longest_match(
                std::vector<std::string>(keys.begin(),
                                         keys.begin() + static_cast<std::ptrdiff_t>(len)),
                0);
            if (!m || m->length != len)
                continue;
            consumed = static_cast<std::size_t>(node_end.rend() - words);
            std::vector<Q> typed;
            expanding_ = true;
            for (std::size_t j = i; j < i + consumed; ++j) {
                if (OptQ q = compile(kids[j], negated_context))
                    typed.push_back(*q);
            }
            expanding_ = false;
            const std::vector<std::string> matched(keys.begin(),
                                                   keys.begin() + static_cast<std::ptrdiff_t>(len));
            std::vector<Q> alternatives;
            std::vector<std::string> members;
            std::vector<std::vector<std::string>> seen{matched};
            for (std::size_t g : m->groups) {
                for (const auto& member : ctx_.synonyms->members(g)) {
                    auto k = text_keys(member, ctx_.analyzer);
                    if (std::find(seen.begin(), seen.end(), k) != seen.end())
                        continue;
                    seen.push_back(k);
                    if (OptQ q = compile_member(member, negated_context)) {
                        alternatives.push_back(*q);
                        members.emplace_back(member);
                    }
                }
            }
            if (typed.empty())
                return std::nullopt;
            if (!alternatives.empty()) {
                std::string typed_text;
                for (std::size_t j = i; j < i + consumed; ++j)
                    typed_text += (typed_text.empty() ? "" : " ") + kids[j].text;
                std::string expansion = typed_text + " =";
                for (std::size_t a = 0; a < members.size(); ++a) {
                    expansion += (a == 0 ? " " : " | ") + members[a];
                    pending_synonyms_.push_back(
                        {members[a], Q::scaled(alternatives[a], ctx_.synonym_weight), {}});
                }
                expansions_.push_back(std::move(expansion));
            }
            if (pieces != nullptr)
                pieces->insert(pieces->end(), typed.begin(), typed.end());
            Q original = Q::combine(QOp::and_, std::move(typed));
            if (alternatives.empty())
                return original;
            Q alt = Q::scaled(Q::combine(QOp::or_, std::move(alternatives)), ctx_.synonym_weight);
            if (pieces != nullptr)
                pieces->push_back(alt);
            return Q::combine(QOp::or_, {std::move(original), std::move(alt)});
        }
        return std::nullopt;
    }

    /// A synonym member as if the user had typed it: its words all match (stemmed), anywhere.
    OptQ compile_member(std::string_view member, bool neg) {
        std::vector<Q> words;
        std::size_t start = 0;
        while (start < member.size()) {
            std::size_t end = member.find(' ', start);
            if (end == std::string_view::npos)
                end = member.size();
            if (end > start) {
                if (OptQ q = compile_word(member.substr(start, end - start), "", neg, nullptr))
                    words.push_back(*q);
            }
            start = end + 1;
        }
        if (words.empty())
            return std::nullopt;
        // Weighed like one word: a two-word alternative must not outweigh the one word typed.
        const double share = 1.0 / static_cast<double>(words.size());
        Q all = Q::combine(QOp::and_, std::move(words));
        return words_scaled(std::move(all), share);
    }

    static Q words_scaled(Q q, double share) {
        return share == 1.0 ? q : Q::scaled(std::move(q), share);
    }

    /// The term a single token searches: Z+stem for words, the term itself otherwise.
    std::string token_term(const Token& t, std::string_view field_prefix, bool neg) {
        std::string stem = ctx_.analyzer.stem(t);
        if (!neg) {
            if (stem.empty()) {
                highlight_.terms.insert(t.term);
            } else {
                highlight_.stems.insert(stem);
            }
        }
        if (!stem.empty()) {
            return std::string(schema::kStemPrefix) + std::string(field_prefix) + stem;
        }
        return std::string(field_prefix) + t.term;
    }

    OptQ compile_word(std::string_view text, const std::string& field, bool neg,
                      const QueryNode* node) {
        const std::string_view fp = prefix_of(field);
        std::vector<Token> tokens = ctx_.analyzer.analyze(text);
        std::vector<const Token*> base;
        std::vector<const Token*> compounds;
        for (const Token& t : tokens) {
            (t.kind == TokenKind::compound ? compounds : base).push_back(&t);
        }
        if (base.empty())
            return std::nullopt;
        WordLeaf leaf;
        OptQ result;
        const std::string_view title = schema::field_prefix(schema::Field::title);
        const bool boost_title = fp.empty() && ctx_.title_boost > 0;
        if (base.size() == 1) {
            std::string term = token_term(*base.front(), fp, neg);
            leaf.terms.push_back(term);
            result = Q::leaf(term);
            std::vector<Q> extras;
            if (boost_title) {
                // The word's title occurrences score again (the title's own terms only).
                extras.push_back(
                    Q::scaled(Q::leaf(token_term(*base.front(), title, true)), ctx_.title_boost));
            }
            if (!extras.empty()) {
                std::vector<Q> parts{std::move(*result)};
                for (auto& e : extras)
                    parts.push_back(std::move(e));
                result = Q::combine(QOp::and_maybe, std::move(parts));
            }
        } else {
            // Several tokens ("GPT-4", "ISO/IEC", "state-of-the-art"): the parts as a phrase, which
            // also finds the compound written with spaces; a hyphenated compound also as one word
            // ("e-mail" finds "email").
            std::vector<Q> alternatives{sequence(base, field, neg, leaf.terms)};
            const bool spans_all = !compounds.empty() &&
                                   compounds.front()->begin == base.front()->begin &&
                                   compounds.front()->end == base.back()->end;
            if (spans_all) {
                for (const Token* c : compounds) {
                    if (!neg)
                        highlight_.terms.insert(c->term);
                    const bool joined = std::all_of(c->term.begin(), c->term.end(), [](char ch) {
                        return ch != '-' && ch != '/' && ch != '.' && ch != '_' && ch != '&' &&
                               ch != '+';
                    });
                    if (joined) {
                        leaf.terms.push_back(std::string(fp) + c->term);
                        alternatives.push_back(Q::leaf(std::string(fp) + c->term));
                    }
                }
            }
            result = Q::combine(QOp::or_, std::move(alternatives));
            if (boost_title && spans_all) {
                result =
                    Q::combine(QOp::and_maybe,
                               {std::move(*result),
                                Q::scaled(Q::leaf(std::string(title) + compounds.front()->term),
                                          ctx_.title_boost)});
            }
        }
        if (node != nullptr && !neg) {
            leaf.begin = node->begin;
            leaf.end = node->end;
            leaf.text = node->text;
            words_.push_back(std::move(leaf));
        }
        return result;
    }

    /// Several tokens in a row: a phrase over unstemmed terms; in a field, the phrase anywhere AND
    /// each word in the field.
    Q sequence(const std::vector<const Token*>& base, const std::string& field, bool neg,
               std::vector<std::string>& terms) {
        std::vector<Q> raw;
        for (const Token* t : base) {
            raw.push_back(Q::leaf(t->term));
            terms.push_back(t->term);
            if (!neg)
                highlight_.terms.insert(t->term);
        }
        Q phrase = Q::combine(QOp::phrase, std::move(raw));
        if (field.empty())
            return phrase;
        std::vector<Q> in_field{phrase};
        for (const Token* t : base)
            in_field.push_back(Q::leaf(token_term(*t, prefix_of(field), true)));
        return Q::combine(QOp::and_, std::move(in_field));
    }

    OptQ compile_phrase(std::string_view text, const std::string& field, bool neg) {
        std::vector<Token> tokens = ctx_.analyzer.analyze(text);
        std::vector<const Token*> base;
        for (const Token& t : tokens) {
            if (t.kind != TokenKind::compound)
                base.push_back(&t);
        }
        if (base.empty())
            return std::nullopt;
        if (base.size() == 1) {
            if (!neg)
                highlight_.terms.insert(base.front()->term);
            Q exact = Q::leaf(base.front()->term);
            if (field.empty())
                return exact;
            return Q::combine(
                QOp::and_,
                {std::move(exact), Q::leaf(token_term(*base.front(), prefix_of(field), true))});
        }
        std::vector<std::string> ignored;
        return sequence(base, field, neg, ignored);
    }

    OptQ compile_prefix(std::string_view text, const std::string& field, bool neg) {
        std::string p = ctx_.analyzer.fold(text);
        if (p.empty())
            return std::nullopt;
        if (!neg)
            highlight_.prefixes.push_back(p);
        if (field.empty())
            return Q::wildcard(p, kWildcardExpansions);
        const std::string fp(prefix_of(field));
        return Q::combine(
            QOp::or_, {Q::wildcard(std::string(schema::kStemPrefix) + fp + p, kWildcardExpansions),
                       Q::wildcard(fp + p, kWildcardExpansions)});
    }
};

std::string fold_compare(const Analyzer& a, std::string_view s) {
    return a.fold(s);
}

} // namespace

std::string facet_filter_term(std::string_view facet, std::string_view value,
                              const CompileContext& context) {
    const FacetInfo* info = context.metadata.facet(facet);
    if (info == nullptr) {
        std::string names;
        for (const auto& [name, f] : context.metadata.facets)
            names += (names.empty() ? "" : ", ") + name;
        throw QueryError("this index has no facet '" + std::string(facet) +
                         "'; its facets are: " + (names.empty() ? std::string("none") : names));
    }
    if (!info->hierarchical) {
        return schema::facet_term(facet, utf8::truncate(context.analyzer.fold(value), 200));
    }
    std::string code(value);
    if (auto coded = parse_coded_value(value)) {
        code = coded->code;
    }
    const Taxonomy* taxonomy = context.metadata.taxonomy(facet);
    if (taxonomy != nullptr && !taxonomy->empty() && !taxonomy->contains(code)) {
        // A name instead of a code ("Testing & Auditing")?
        const std::string wanted = fold_compare(context.analyzer, value);
        for (const auto& c : taxonomy->codes()) {
            if (fold_compare(context.analyzer, taxonomy->name_of(c)) == wanted) {
                return schema::facet_term(facet, c);
            }
        }
        std::string nearest;
        std::vector<std::string> codes = taxonomy->nearest(code);
        for (const auto& c : codes) {
            nearest += (nearest.empty() ? "" : ", ") + c + " " + taxonomy->name_of(c);
        }
        throw FilterError(std::string(facet) + " '" + std::string(value) +
                              "' is not a code of this index's taxonomy" +
                              (nearest.empty() ? std::string() : "; nearest: " + nearest) +
                              "; list the codes with 'airm taxonomy --facet " + std::string(facet) +
                              "'",
                          Filter{std::string(facet), std::string(value)}, false, std::move(codes));
    }
    return schema::facet_term(facet, code);
}

QNode year_query(std::optional<int> from, std::optional<int> to) {
    return QNode::range(schema::kSlotYear, from ? Xapian::sortable_serialise(*from) : std::string(),
                        to ? Xapian::sortable_serialise(*to) : std::string());
}

// ---------------------------------------------------------------- QNode

QNode QNode::leaf(std::string term) {
    QNode n;
    n.op = QOp::term;
    n.term = std::move(term);
    return n;
}

QNode QNode::all() {
    QNode n;
    n.op = QOp::match_all;
    return n;
}

QNode QNode::none() {
    return QNode{};
}

QNode QNode::combine(QOp op, std::vector<QNode> kids) {
    if (kids.size() == 1 && (op == QOp::and_ || op == QOp::or_ || op == QOp::synonym))
        return std::move(kids.front());
    QNode n;
    n.op = op;
    n.kids = std::move(kids);
    return n;
}

QNode QNode::scaled(QNode kid, double factor) {
    QNode n;
    n.op = QOp::scale;
    n.factor = factor;
    n.kids.push_back(std::move(kid));
    return n;
}

QNode QNode::wildcard(std::string prefix, unsigned limit) {
    QNode n;
    n.op = QOp::wildcard;
    n.term = std::move(prefix);
    n.limit = limit;
    return n;
}

QNode QNode::range(unsigned slot, std::string lo, std::string hi) {
    QNode n;
    n.op = QOp::value_range;
    n.slot = slot;
    n.lo = std::move(lo);
    n.hi = std::move(hi);
    return n;
}

QNode QNode::valued(unsigned slot, std::vector<std::pair<std::string, double>> weights) {
    QNode n;
    n.op = QOp::value_weights;
    n.slot = slot;
    n.weights = std::move(weights);
    return n;
}

bool runs_in_memory(const QNode& node) {
    switch (node.op) {
    case QOp::synonym:
    case QOp::wildcard:
    case QOp::value_range:
    case QOp::value_weights:
        return false;
    case QOp::phrase:
        return std::all_of(node.kids.begin(), node.kids.end(),
                           [](const QNode& k) { return k.op == QOp::term; });
    default:
        return std::all_of(node.kids.begin(), node.kids.end(),
                           [](const QNode& k) { return runs_in_memory(k); });
    }
}

namespace {

/// Translates `node`; `weighted` is false where Xapian ignores weights (right of AND_NOT and
/// FILTER, anything under a zero scale), where an AND_MAYBE becomes its first part alone.
/// Xapian 1.4.22 would otherwise build an AND_MAYBE postlist whose maximum weights are never
/// computed (they are set only by a weight recalculation, which an unweighted branch never gets)
/// and decide by them whether its optional part became required: the matches then depend on
/// uninitialised memory.
Xapian::Query to_xapian_in(const QNode& node, bool weighted, const DerivedTermContext* derived) {
    using XQ = Xapian::Query;
    auto kids = [&node, derived](bool first_weighted, bool rest_weighted) {
        std::vector<XQ> out;
        for (std::size_t i = 0; i < node.kids.size(); ++i)
            out.push_back(
                to_xapian_in(node.kids[i], i == 0 ? first_weighted : rest_weighted, derived));
        return out;
    };
    // A term or wildcard of the derived field: a posting source that derives its postings.
    auto derived_source = [&node, derived](unsigned wildcard_limit) -> std::optional<XQ> {
        const std::optional<std::string_view> stem = schema::derived_field_stem(node.term);
        if (!stem || derived == nullptr)
            return std::nullopt;
        auto* source = new DerivedPostingSource(std::string(*stem), wildcard_limit, derived->params,
                                                derived->db);
        return XQ(source->release());
    };
    switch (node.op) {
    case QOp::term:
        if (auto source = derived_source(0))
            return *source;
        return XQ(node.term);
    case QOp::match_all:
        return XQ(XQ::OP_SCALE_WEIGHT, XQ::MatchAll, 0.0);
    case QOp::match_nothing:
        return XQ();
    case QOp::and_maybe:
        if (!weighted)
            return to_xapian_in(node.kids.front(), false, derived); // the rest only adds weight
        [[fallthrough]];
    case QOp::and_:
    case QOp::or_:
    case QOp::and_not:
    case QOp::filter:
    case QOp::synonym: {
        // Only the first part of AND_NOT and FILTER is weighted.
        const bool rest_weighted = weighted && node.op != QOp::and_not && node.op != QOp::filter;
        auto k = kids(weighted, rest_weighted);
        XQ::op op = node.op == QOp::and_        ? XQ::OP_AND
                    : node.op == QOp::or_       ? XQ::OP_OR
                    : node.op == QOp::and_not   ? XQ::OP_AND_NOT
                    : node.op == QOp::and_maybe ? XQ::OP_AND_MAYBE
                    : node.op == QOp::filter    ? XQ::OP_FILTER
                                                : XQ::OP_SYNONYM;
        if ((node.op == QOp::and_not || node.op == QOp::filter || node.op == QOp::and_maybe) &&
            k.size() > 2) {
            // Xapian's AND_NOT, AND_MAYBE and FILTER take the rest as one OR / AND.
            XQ rest(node.op == QOp::filter ? XQ::OP_AND : XQ::OP_OR, k.begin() + 1, k.end());
            return XQ(op, k.front(), rest);
        }
        return XQ(op, k.begin(), k.end());
    }
    case QOp::scale:
        return XQ(XQ::OP_SCALE_WEIGHT,
                  to_xapian_in(node.kids.front(), weighted && node.factor != 0, derived),
                  node.factor);
    case QOp::phrase: {
        auto k = kids(weighted, weighted);
        return XQ(XQ::OP_PHRASE, k.begin(), k.end(), static_cast<Xapian::termcount>(k.size()));
    }
    case QOp::wildcard:
        // (A limit of 0 means every expansion, as for Xapian.)
        if (auto source = derived_source(node.limit == 0 ? ~0u : node.limit))
            return *source;
        return XQ(XQ::OP_WILDCARD, node.term, node.limit, XQ::WILDCARD_LIMIT_MOST_FREQUENT);
    case QOp::value_range: {
        XQ range = node.lo.empty()   ? XQ(XQ::OP_VALUE_LE, node.slot, node.hi)
                   : node.hi.empty() ? XQ(XQ::OP_VALUE_GE, node.slot, node.lo)
                                     : XQ(XQ::OP_VALUE_RANGE, node.slot, node.lo, node.hi);
        return XQ(XQ::OP_SCALE_WEIGHT, range, 0.0);
    }
    case QOp::value_weights: {
        // Every record with a value in the slot matches (unlisted ones with weight 0): callers
        // filter it to the listed records.
        auto* source = new Xapian::ValueMapPostingSource(node.slot);
        for (const auto& [value, weight] : node.weights)
            source->add_mapping(value, weight);
        source->set_default_weight(0.0);
        return XQ(source->release());
    }
    }
    return XQ();
}

} // namespace

Xapian::Query to_xapian(const QNode& node, const DerivedTermContext* derived) {
    return to_xapian_in(node, true, derived);
}

const std::set<std::string>& stopwords_for(std::string_view language) {
    // Function words only: articles, prepositions, conjunctions, pronouns and forms of "be".
    static const std::set<std::string> english = {
        "a",     "an",     "the",     "of",     "to",     "in",    "on",      "at",      "by",
        "for",   "from",   "with",    "into",   "onto",   "about", "and",     "or",      "but",
        "nor",   "as",     "than",    "that",   "this",   "these", "those",   "it",      "its",
        "their", "them",   "they",    "we",     "our",    "you",   "your",    "he",      "she",
        "his",   "her",    "is",      "are",    "was",    "were",  "be",      "been",    "being",
        "do",    "does",   "did",     "so",     "such",   "there", "which",   "who",     "whom",
        "what",  "how",    "when",    "where",  "why",    "if",    "then",    "any",     "all",
        "some",  "each",   "can",     "could",  "should", "would", "may",     "might",   "will",
        "shall", "must",   "not",     "no",     "up",     "out",   "over",    "under",   "have",
        "has",   "had",    "every",   "before", "after",  "also",  "more",    "most",    "other",
        "only",  "own",    "same",    "very",   "just",   "both",  "between", "through", "during",
        "while", "within", "without", "upon"};
    static const std::set<std::string> none;
    return language == "english" ? english : none;
}

CompiledQuery compile_query(const ParsedQuery& parsed, std::string_view query_text,
                            const CompileContext& context) {
    return Compiler(query_text, context).run(parsed.root);
}

} // namespace airm::detail
