#include "query/xapian_query.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"
#include "engine/schema.hpp"
#include "engine/utf8.hpp"

#include <algorithm>

namespace airm::detail {
namespace {

using Q = Xapian::Query;
using OptQ = std::optional<Q>;

constexpr Xapian::termcount kWildcardExpansions = 200;

std::string_view prefix_of(const std::string& field) {
    if (field.empty()) return {};
    return schema::field_prefix(*schema::field_from_name(field));
}

class Compiler {
public:
    Compiler(std::string_view query_text, const CompileContext& context) : text_(query_text), ctx_(context) {}

    CompiledQuery run(const QueryNode& root) {
        CompiledQuery out;
        if (root.kind == QueryNodeKind::match_all) {
            out.query = Q::MatchAll;
            return out;
        }
        OptQ q = compile_top(root);
        if (!q) {
            out.match_nothing = true;
            out.query = Q();
        } else {
            out.query = std::move(*q);
        }
        out.highlight = std::move(highlight_);
        out.leaves = std::move(leaves_);
        out.words = std::move(words_);
        return out;
    }

private:
    std::string_view text_;
    const CompileContext& ctx_;
    HighlightTerms highlight_;
    std::vector<ExplainLeaf> leaves_;
    std::vector<WordLeaf> words_;
    bool expanding_ = false; ///< compiling the typed words of a synonym match

    std::string label(const QueryNode& n) const {
        if (n.end <= n.begin || n.end > text_.size()) return describe(n);
        return std::string(text_.substr(n.begin, n.end - n.begin));
    }

    /// The top level: each positive conjunct becomes an explain leaf.
    OptQ compile_top(const QueryNode& root) {
        if (root.kind == QueryNodeKind::all_of && !root.negated) {
            return compile_all_of(root, true);
        }
        OptQ q = compile(root, false);
        if (q && !root.negated) leaves_.push_back({label(root), *q});
        if (q && root.negated) return Q(Q::OP_AND_NOT, Q::MatchAll, *q);
        return q;
    }

    OptQ compile(const QueryNode& n, bool negated_context) {
        const bool neg = negated_context != n.negated;
        switch (n.kind) {
        case QueryNodeKind::match_all: return Q::MatchAll;
        case QueryNodeKind::word:
            if (plain_word(n) && !expanding_ && ctx_.synonyms != nullptr && !ctx_.synonyms->empty()) {
                std::size_t consumed = 0;
                const std::vector<QueryNode> one{n};
                OptQ q = synonym_run(one, 0, negated_context, consumed);
                if (consumed > 0) return q;
            }
            return compile_word(n.text, n.field, neg, &n);
        case QueryNodeKind::phrase: return compile_phrase(n.text, n.field, neg);
        case QueryNodeKind::prefix: return compile_prefix(n.text, n.field, neg);
        case QueryNodeKind::facet: return Q(Q::OP_SCALE_WEIGHT, Q(facet_filter_term(n.facet, n.text, ctx_)), 0.0);
        case QueryNodeKind::year: return Q(Q::OP_SCALE_WEIGHT, year_query(n.year_from, n.year_to), 0.0);
        case QueryNodeKind::all_of: return compile_all_of(n, false, neg);
        case QueryNodeKind::any_of: {
            std::vector<Q> parts;
            for (const auto& c : n.children) {
                OptQ q = compile(c, neg);
                if (!q) continue;
                parts.push_back(c.negated ? Q(Q::OP_AND_NOT, Q::MatchAll, *q) : *q);
            }
            if (parts.empty()) return std::nullopt;
            return parts.size() == 1 ? parts.front() : Q(Q::OP_OR, parts.begin(), parts.end());
        }
        }
        return std::nullopt;
    }

    static bool plain_word(const QueryNode& n) {
        return n.kind == QueryNodeKind::word && n.field.empty() && !n.negated;
    }

    OptQ compile_all_of(const QueryNode& n, bool top, bool negated_context = false) {
        std::vector<Q> positive;
        std::vector<Q> negative;
        const auto& kids = n.children;
        for (std::size_t i = 0; i < kids.size();) {
            // A run of plain words may hold a synonym ("red teaming"): expand it.
            if (plain_word(kids[i]) && !expanding_ && ctx_.synonyms != nullptr && !ctx_.synonyms->empty()) {
                std::size_t consumed = 0;
                OptQ q = synonym_run(kids, i, negated_context, consumed);
                if (consumed > 0) {
                    if (q) {
                        positive.push_back(*q);
                        if (top) {
                            QueryNode span;
                            span.begin = kids[i].begin;
                            span.end = kids[i + consumed - 1].end;
                            leaves_.push_back({label(span), *q});
                        }
                    }
                    i += consumed;
                    continue;
                }
            }
            const QueryNode& c = kids[i++];
            OptQ q = compile(c, negated_context);
            if (!q) continue;
            if (c.negated) {
                negative.push_back(*q);
            } else {
                positive.push_back(*q);
                if (top) leaves_.push_back({label(c), *q});
            }
        }
        if (positive.empty() && negative.empty()) return std::nullopt;
        Q pos = positive.empty() ? Q::MatchAll
                                 : (positive.size() == 1 ? positive.front() : Q(Q::OP_AND, positive.begin(), positive.end()));
        if (negative.empty()) return pos;
        Q neg = negative.size() == 1 ? negative.front() : Q(Q::OP_OR, negative.begin(), negative.end());
        return Q(Q::OP_AND_NOT, pos, neg);
    }

    /// Tries a synonym match on the plain words starting at kids[i]; sets `consumed` to the words
    /// it covers (0 when no member matches).
    OptQ synonym_run(const std::vector<QueryNode>& kids, std::size_t i, bool negated_context, std::size_t& consumed) {
        consumed = 0;
        std::vector<std::string> keys;
        std::vector<std::size_t> node_end; // keys.size() after each word
        for (std::size_t j = i; j < kids.size() && plain_word(kids[j]); ++j) {
            for (auto& k : text_keys(kids[j].text, ctx_.analyzer)) keys.push_back(std::move(k));
            node_end.push_back(keys.size());
        }
        if (keys.empty()) return std::nullopt;
        // The longest run of whole words that is a member of a group.
        for (auto words = node_end.rbegin(); words != node_end.rend(); ++words) {
            const std::size_t len = *words;
            auto m = ctx_.synonyms->longest_match(
                std::vector<std::string>(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(len)), 0);
            if (!m || m->length != len) continue;
            consumed = static_cast<std::size_t>(node_end.rend() - words);
            std::vector<Q> typed;
            expanding_ = true;
            for (std::size_t j = i; j < i + consumed; ++j) {
                if (OptQ q = compile(kids[j], negated_context)) typed.push_back(*q);
            }
            expanding_ = false;
            const std::vector<std::string> matched(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(len));
            std::vector<Q> alternatives;
            std::vector<std::vector<std::string>> seen{matched};
            for (std::size_t g : m->groups) {
                for (const auto& member : ctx_.synonyms->members(g)) {
                    auto k = text_keys(member, ctx_.analyzer);
                    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
                    seen.push_back(k);
                    if (OptQ q = compile_word(member, "", negated_context, nullptr)) alternatives.push_back(*q);
                }
            }
            if (typed.empty()) return std::nullopt;
            Q original = typed.size() == 1 ? typed.front() : Q(Q::OP_AND, typed.begin(), typed.end());
            if (alternatives.empty()) return original;
            Q alt = alternatives.size() == 1 ? alternatives.front() : Q(Q::OP_OR, alternatives.begin(), alternatives.end());
            return Q(Q::OP_OR, original, Q(Q::OP_SCALE_WEIGHT, alt, ctx_.synonym_weight));
        }
        return std::nullopt;
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

    OptQ compile_word(std::string_view text, const std::string& field, bool neg, const QueryNode* node) {
        const std::string_view fp = prefix_of(field);
        std::vector<Token> tokens = ctx_.analyzer.analyze(text);
        std::vector<const Token*> base;
        std::vector<const Token*> compounds;
        for (const Token& t : tokens) {
            (t.kind == TokenKind::compound ? compounds : base).push_back(&t);
        }
        if (base.empty()) return std::nullopt;
        WordLeaf leaf;
        OptQ result;
        if (base.size() == 1) {
            std::string term = token_term(*base.front(), fp, neg);
            leaf.terms.push_back(term);
            result = Q(term);
        } else {
            std::vector<Q> alternatives;
            const bool spans_all = !compounds.empty() && compounds.front()->begin == base.front()->begin &&
                                   compounds.front()->end == base.back()->end;
            if (spans_all) {
                for (const Token* c : compounds) {
                    std::string term = std::string(fp) + c->term;
                    leaf.terms.push_back(term);
                    alternatives.emplace_back(term);
                    if (!neg) highlight_.terms.insert(c->term);
                }
            }
            alternatives.push_back(sequence(base, field, neg, leaf.terms));
            result = alternatives.size() == 1 ? alternatives.front()
                                              : Q(Q::OP_SYNONYM, alternatives.begin(), alternatives.end());
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
            raw.emplace_back(t->term);
            terms.push_back(t->term);
            if (!neg) highlight_.terms.insert(t->term);
        }
        Q phrase(Q::OP_PHRASE, raw.begin(), raw.end(), static_cast<Xapian::termcount>(raw.size()));
        if (field.empty()) return phrase;
        std::vector<Q> in_field{phrase};
        for (const Token* t : base) in_field.emplace_back(token_term(*t, prefix_of(field), true));
        return Q(Q::OP_AND, in_field.begin(), in_field.end());
    }

    OptQ compile_phrase(std::string_view text, const std::string& field, bool neg) {
        std::vector<Token> tokens = ctx_.analyzer.analyze(text);
        std::vector<const Token*> base;
        for (const Token& t : tokens) {
            if (t.kind != TokenKind::compound) base.push_back(&t);
        }
        if (base.empty()) return std::nullopt;
        if (base.size() == 1) {
            if (!neg) highlight_.terms.insert(base.front()->term);
            Q exact(base.front()->term);
            if (field.empty()) return exact;
            return Q(Q::OP_AND, exact, Q(token_term(*base.front(), prefix_of(field), true)));
        }
        std::vector<std::string> ignored;
        return sequence(base, field, neg, ignored);
    }

    OptQ compile_prefix(std::string_view text, const std::string& field, bool neg) {
        std::string p = ctx_.analyzer.fold(text);
        if (p.empty()) return std::nullopt;
        if (!neg) highlight_.prefixes.push_back(p);
        auto wildcard = [](const std::string& pattern) {
            return Q(Q::OP_WILDCARD, pattern, kWildcardExpansions, Q::WILDCARD_LIMIT_MOST_FREQUENT);
        };
        if (field.empty()) return wildcard(p);
        const std::string fp(prefix_of(field));
        return Q(Q::OP_OR, wildcard(std::string(schema::kStemPrefix) + fp + p), wildcard(fp + p));
    }
};

std::string fold_compare(const Analyzer& a, std::string_view s) {
    return a.fold(s);
}

} // namespace

std::string facet_filter_term(std::string_view facet, std::string_view value, const CompileContext& context) {
    const FacetInfo* info = context.metadata.facet(facet);
    if (info == nullptr) {
        std::string names;
        for (const auto& [name, f] : context.metadata.facets) names += (names.empty() ? "" : ", ") + name;
        throw QueryError("this index has no facet '" + std::string(facet) + "'; its facets are: " +
                         (names.empty() ? std::string("none") : names));
    }
    if (!info->hierarchical) {
        return schema::facet_term(facet, utf8::truncate(context.analyzer.fold(value), 200));
    }
    std::string code(value);
    if (auto coded = parse_coded_value(value)) {
        code = coded->code;
    }
    const Taxonomy* taxonomy = context.metadata.taxonomy(facet);
    if (taxonomy != nullptr && !taxonomy->contains(code)) {
        // A name instead of a code ("Testing & Auditing")?
        const std::string wanted = fold_compare(context.analyzer, value);
        for (const auto& c : taxonomy->codes()) {
            if (fold_compare(context.analyzer, taxonomy->name_of(c)) == wanted) {
                return schema::facet_term(facet, c);
            }
        }
        std::string nearest;
        for (const auto& c : taxonomy->nearest(code)) {
            nearest += (nearest.empty() ? "" : ", ") + c + " " + taxonomy->name_of(c);
        }
        throw QueryError(std::string(facet) + " '" + std::string(value) + "' is not a code of this index's taxonomy" +
                         (nearest.empty() ? std::string() : "; nearest: " + nearest) +
                         "; list the codes with 'airm taxonomy --facet " + std::string(facet) + "'");
    }
    return schema::facet_term(facet, code);
}

Xapian::Query year_query(std::optional<int> from, std::optional<int> to) {
    const std::string lo = from ? Xapian::sortable_serialise(*from) : std::string();
    const std::string hi = to ? Xapian::sortable_serialise(*to) : std::string();
    if (from && to) return Q(Q::OP_VALUE_RANGE, schema::kSlotYear, lo, hi);
    if (from) return Q(Q::OP_VALUE_GE, schema::kSlotYear, lo);
    return Q(Q::OP_VALUE_LE, schema::kSlotYear, hi);
}

CompiledQuery compile_query(const ParsedQuery& parsed, std::string_view query_text, const CompileContext& context) {
    return Compiler(query_text, context).run(parsed.root);
}

} // namespace airm::detail
