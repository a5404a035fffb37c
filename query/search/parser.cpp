#include "query/search/parser.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace airm {
namespace {

enum class Tok { chunk, phrase, lparen, rparen, op_or, op_and, op_not, minus, plus, end };

struct Lexeme {
    Tok kind = Tok::end;
    std::string text;
    std::size_t begin = 0;
    std::size_t end = 0;
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool ends_chunk(char c) {
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

/// 1-based column of a byte offset, counted in characters.
std::size_t column(std::string_view query, std::size_t offset) {
    std::size_t col = 1;
    for (std::size_t i = 0; i < offset && i < query.size(); ++i) {
        if ((static_cast<unsigned char>(query[i]) & 0xC0) != 0x80) {
            ++col;
        }
    }
    return col;
}

/// Edit distance (insertions, deletions, substitutions) between two ASCII-lowercased names.
std::size_t name_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// The name among `names` that `typed` most likely misspells: the same but for case, within two
/// edits (one for names of three letters or fewer), or cut short (at least three letters). Words
/// typed with a colon that are no field ("ISO:27001") match none.
std::optional<std::string> closest_name(std::string_view typed,
                                        const std::vector<std::string>& names) {
    if (typed.size() > 40 || !std::all_of(typed.begin(), typed.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c));
        }))
        return std::nullopt;
    std::optional<std::string> best;
    std::size_t best_distance = 3;
    for (const auto& name : names) {
        std::size_t d = name_distance(typed, name);
        const std::size_t limit = std::min(typed.size(), name.size()) <= 3 ? 1 : 2;
        const bool cut_short = typed.size() >= 3 && typed.size() < name.size() &&
                               name_distance(typed, name.substr(0, typed.size())) == 0;
        if (cut_short)
            d = std::min<std::size_t>(d, 2);
        if ((d <= limit || cut_short) && d < best_distance) {
            best = name;
            best_distance = d;
        }
    }
    return best;
}

/// A parse failure, turned into QueryError (strict) or a plain-words reading (lenient).
struct SyntaxError {
    std::size_t offset;
    std::string message; ///< what is wrong and how to fix it, without the position
};

std::vector<Lexeme> lex(std::string_view q) {
    std::vector<Lexeme> out;
    std::size_t i = 0;
    while (i < q.size()) {
        char c = q[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (c == '(' || c == ')') {
            out.push_back({c == '(' ? Tok::lparen : Tok::rparen, std::string(1, c), i, i + 1});
            ++i;
            continue;
        }
        if (c == '"') {
            std::size_t close = q.find('"', i + 1);
            if (close == std::string_view::npos) {
                throw SyntaxError{i,
                                  "the quote is never closed; add the closing '\"' or remove it"};
            }
            out.push_back({Tok::phrase, std::string(q.substr(i + 1, close - i - 1)), i, close + 1});
            i = close + 1;
            continue;
        }
        std::size_t j = i;
        while (j < q.size() && !ends_chunk(q[j])) {
            ++j;
        }
        std::string_view chunk = q.substr(i, j - i);
        if ((chunk[0] == '-' || chunk[0] == '+') &&
            (chunk.size() > 1 || (j < q.size() && !is_space(q[j])))) {
            // A prefix operator: "-word", "+word", -"phrase", -(group).
            out.push_back(
                {chunk[0] == '-' ? Tok::minus : Tok::plus, std::string(1, chunk[0]), i, i + 1});
            i += 1;
            continue;
        }
        if (chunk == "OR" || chunk == "AND" || chunk == "NOT") {
            Tok k = chunk == "OR" ? Tok::op_or : (chunk == "AND" ? Tok::op_and : Tok::op_not);
            out.push_back({k, std::string(chunk), i, j});
        } else {
            out.push_back({Tok::chunk, std::string(chunk), i, j});
        }
        i = j;
    }
    out.push_back({Tok::end, "", q.size(), q.size()});
    return out;
}

std::optional<int> parse_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

class Parser {
  public:
    Parser(std::string_view query, const QuerySyntax& syntax)
        : query_(query), syntax_(syntax), tokens_(lex(query)) {}

    QueryNode parse() {
        QueryNode root = parse_or();
        if (peek().kind == Tok::rparen) {
            throw SyntaxError{peek().begin,
                              "this ')' has no matching '('; remove it or add a '(' before it"};
        }
        if (peek().kind != Tok::end) {
            throw SyntaxError{peek().begin, "unexpected '" + peek().text + "'"};
        }
        return root;
    }

    /// Hints about a well-formed query that may not say what was meant (a misspelt field name).
    [[nodiscard]] std::string hints() const { return hints_; }
    /// Words typed as "name:rest" whose name is no field and close to none.
    [[nodiscard]] std::vector<std::string> unknown_fields() const { return unknown_fields_; }

  private:
    std::string_view query_;
    const QuerySyntax& syntax_;
    std::vector<Lexeme> tokens_;
    std::size_t at_ = 0;
    std::string hints_;
    std::vector<std::string> unknown_fields_;
    /// Parentheses and NOT/-/+ nest by recursion (here and in every walk of the tree), so their
    /// depth is bounded to keep the stack bounded whatever the query.
    static constexpr int max_nesting = 100;
    int depth_ = 0;

    struct Nest {
        int& depth;
        Nest(int& d, std::size_t offset) : depth(d) {
            if (++depth > max_nesting) {
                --depth;
                throw SyntaxError{offset, "parentheses and NOT, '-', '+' nest more than " +
                                              std::to_string(max_nesting) +
                                              " deep; remove some of them"};
            }
        }
        ~Nest() { --depth; }
        Nest(const Nest&) = delete;
        Nest& operator=(const Nest&) = delete;
    };

    const Lexeme& peek(std::size_t ahead = 0) const {
        return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
    }
    const Lexeme& next() {
        const Lexeme& l = tokens_[at_];
        if (at_ + 1 < tokens_.size())
            ++at_;
        return l;
    }

    static bool starts_operand(Tok k) {
        return k == Tok::chunk || k == Tok::phrase || k == Tok::lparen || k == Tok::op_not ||
               k == Tok::minus || k == Tok::plus;
    }

    static QueryNode group(QueryNodeKind kind, std::vector<QueryNode> children) {
        if (children.size() == 1) {
            return std::move(children.front());
        }
        QueryNode n;
        n.kind = kind;
        n.begin = children.front().begin;
        n.end = children.back().end;
        n.children = std::move(children);
        return n;
    }

    QueryNode parse_or() {
        std::vector<QueryNode> children;
        if (peek().kind == Tok::op_or) {
            throw SyntaxError{peek().begin, "'OR' has nothing on its left; write 'a OR b'"};
        }
        children.push_back(parse_and());
        while (peek().kind == Tok::op_or) {
            const Lexeme op = next();
            if (!starts_operand(peek().kind)) {
                throw SyntaxError{op.begin, "'OR' has nothing on its right; write 'a OR b'"};
            }
            children.push_back(parse_and());
        }
        return group(QueryNodeKind::any_of, std::move(children));
    }

    QueryNode parse_and() {
        std::vector<QueryNode> children;
        while (true) {
            Tok k = peek().kind;
            if (k == Tok::op_and) {
                const Lexeme op = next();
                if (children.empty() || !starts_operand(peek().kind)) {
                    throw SyntaxError{op.begin, std::string("'AND' has nothing on its ") +
                                                    (children.empty() ? "left" : "right") +
                                                    "; write 'a AND b'"};
                }
                continue;
            }
            if (!starts_operand(k)) {
                break;
            }
            children.push_back(parse_unary());
        }
        if (children.empty()) {
            if (peek().kind == Tok::rparen) {
                throw SyntaxError{
                    peek().begin,
                    "the parentheses are empty; put words inside them or remove them"};
            }
            QueryNode all;
            all.begin = all.end = peek().begin;
            return all;
        }
        return group(QueryNodeKind::all_of, std::move(children));
    }

    QueryNode parse_unary() {
        const Lexeme& l = peek();
        if (l.kind == Tok::op_not || l.kind == Tok::minus || l.kind == Tok::plus) {
            const Lexeme op = next();
            const Nest nest(depth_, op.begin);
            if (!starts_operand(peek().kind) || peek().kind == Tok::op_or) {
                throw SyntaxError{op.begin,
                                  "'" + op.text +
                                      "' is followed by nothing; put a word after it or remove it"};
            }
            QueryNode n = parse_unary();
            if (op.kind != Tok::plus) {
                n.negated = !n.negated;
            } else {
                n.required = true;
            }
            n.begin = op.begin;
            return n;
        }
        return parse_primary();
    }

    QueryNode parse_group() {
        const Lexeme open = next();
        const Nest nest(depth_, open.begin);
        QueryNode inner = parse_or();
        if (peek().kind != Tok::rparen) {
            throw SyntaxError{open.begin, "this '(' is never closed; add the ')' or remove it"};
        }
        const Lexeme close = next();
        inner.begin = open.begin;
        inner.end = close.end;
        return inner;
    }

    bool is_text_field(std::string_view name) const {
        return schema::field_from_name(name).has_value();
    }
    bool is_facet(std::string_view name) const {
        return std::find(syntax_.facets.begin(), syntax_.facets.end(), name) !=
               syntax_.facets.end();
    }
    bool is_field_name(std::string_view name) const {
        return is_text_field(name) || is_facet(name) || name == "year";
    }

    QueryNode parse_primary() {
        const Lexeme& l = peek();
        if (l.kind == Tok::lparen) {
            return parse_group();
        }
        if (l.kind == Tok::phrase) {
            const Lexeme p = next();
            QueryNode n;
            n.kind = QueryNodeKind::phrase;
            n.text = p.text;
            n.begin = p.begin;
            n.end = p.end;
            return n;
        }
        const Lexeme chunk = next();
        const std::size_t colon = chunk.text.find(':');
        if (colon != std::string::npos && colon > 0) {
            const std::string name = chunk.text.substr(0, colon);
            if (is_field_name(name)) {
                const std::string rest = chunk.text.substr(colon + 1);
                if (!rest.empty()) {
                    QueryNode n = word_node(rest, chunk.begin + colon + 1, chunk.end);
                    apply_field(n, name);
                    n.begin = chunk.begin;
                    return n;
                }
                const Lexeme& after = peek();
                if (after.begin == chunk.end &&
                    (after.kind == Tok::phrase || after.kind == Tok::lparen)) {
                    QueryNode n = parse_primary();
                    apply_field(n, name);
                    n.begin = chunk.begin;
                    return n;
                }
                throw SyntaxError{chunk.begin, "'" + name + ":' is followed by nothing; write " +
                                                   name + ":WORD or " + name + ":\"a phrase\""};
            }
            if (colon + 1 < chunk.text.size()) {
                hint_unknown_field(name, chunk.text.substr(colon + 1));
            }
        }
        return word_node(chunk.text, chunk.begin, chunk.end);
    }

    /// "name:rest" where name is no field is searched as the text it is ("ISO:27001"); when name
    /// is close to a field's name, a hint says so and names the field.
    void hint_unknown_field(const std::string& name, const std::string& rest) {
        std::vector<std::string> names;
        for (schema::Field f : schema::kAllFields)
            names.emplace_back(schema::field_name(f));
        names.insert(names.end(), syntax_.facets.begin(), syntax_.facets.end());
        names.emplace_back("year");
        const std::optional<std::string> near = closest_name(name, names);
        if (!near) {
            // No field is close ("ISO:27001" is text): the searcher says so if nothing matched.
            const bool name_like = std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '-';
            });
            if (name_like)
                unknown_fields_.push_back(name + ":" + rest);
            return;
        }
        if (!hints_.empty())
            hints_ += "; ";
        hints_ += "'" + name + "' is not a field, so '" + name + ":" + rest +
                  "' was searched as text; did you mean '" + *near + ":" + rest + "'?";
    }

    static QueryNode word_node(const std::string& text, std::size_t begin, std::size_t end) {
        QueryNode n;
        n.begin = begin;
        n.end = end;
        if (text.size() > 1 && text.back() == '*') {
            n.kind = QueryNodeKind::prefix;
            n.text = text.substr(0, text.find_last_not_of('*') + 1);
        } else {
            n.kind = QueryNodeKind::word;
            n.text = text;
        }
        return n;
    }

    /// Restricts a node (and everything inside a group) to a text field, facet or year.
    void apply_field(QueryNode& n, const std::string& name) {
        if (n.kind == QueryNodeKind::all_of || n.kind == QueryNodeKind::any_of) {
            for (auto& c : n.children)
                apply_field(c, name);
            return;
        }
        if (n.kind != QueryNodeKind::word && n.kind != QueryNodeKind::phrase &&
            n.kind != QueryNodeKind::prefix) {
            return; // already restricted (e.g. title:(category:3.1)) or match_all
        }
        if (is_text_field(name)) {
            n.field = name;
            return;
        }
        std::string value = n.kind == QueryNodeKind::prefix ? n.text + "*" : n.text;
        if (name == "year") {
            parse_year(n, value);
            return;
        }
        n.kind = QueryNodeKind::facet;
        n.facet = name;
        n.text = value;
    }

    void parse_year(QueryNode& n, const std::string& value) {
        const std::string fix = "write year:2024, year:2023..2025, year:..2023 or year:2023..";
        auto dots = value.find("..");
        std::optional<int> from, to;
        if (dots == std::string::npos) {
            from = to = parse_int(value);
            if (!from)
                throw SyntaxError{n.begin, "'" + value + "' is not a year; " + fix};
        } else {
            std::string a = value.substr(0, dots), b = value.substr(dots + 2);
            if (!a.empty() && !(from = parse_int(a)))
                throw SyntaxError{n.begin, "'" + a + "' is not a year; " + fix};
            if (!b.empty() && !(to = parse_int(b)))
                throw SyntaxError{n.begin, "'" + b + "' is not a year; " + fix};
            if (!from && !to)
                throw SyntaxError{n.begin, "the year range is empty; " + fix};
            if (from && to && *from > *to) {
                throw SyntaxError{n.begin, "the year range " + value +
                                               " runs backwards; write the earlier year first"};
            }
        }
        n.kind = QueryNodeKind::year;
        n.text.clear();
        n.year_from = from;
        n.year_to = to;
    }
};

/// The lenient reading: every run of characters between spaces and query punctuation is a word.
QueryNode plain_word_reading(std::string_view query) {
    std::vector<QueryNode> words;
    std::size_t i = 0;
    auto separator = [](char c) { return ends_chunk(c) || c == ':'; };
    while (i < query.size()) {
        while (i < query.size() && separator(query[i]))
            ++i;
        std::size_t j = i;
        while (j < query.size() && !separator(query[j]))
            ++j;
        if (j > i) {
            std::size_t b = i, e = j;
            while (b < e && (query[b] == '-' || query[b] == '+'))
                ++b;
            while (e > b && query[e - 1] == '*')
                --e;
            if (e > b) {
                QueryNode n;
                n.kind = QueryNodeKind::word;
                n.text = std::string(query.substr(b, e - b));
                n.begin = b;
                n.end = e;
                words.push_back(std::move(n));
            }
        }
        i = j;
    }
    if (words.empty()) {
        return QueryNode{};
    }
    if (words.size() == 1) {
        return std::move(words.front());
    }
    QueryNode all;
    all.kind = QueryNodeKind::all_of;
    all.begin = words.front().begin;
    all.end = words.back().end;
    all.children = std::move(words);
    return all;
}

void collect_positive(const QueryNode& n, bool negated, std::vector<const QueryNode*>& out) {
    const bool neg = negated != n.negated;
    switch (n.kind) {
    case QueryNodeKind::word:
    case QueryNodeKind::phrase:
    case QueryNodeKind::prefix:
        if (!neg)
            out.push_back(&n);
        break;
    case QueryNodeKind::all_of:
    case QueryNodeKind::any_of:
        for (const auto& c : n.children)
            collect_positive(c, neg, out);
        break;
    default:
        break;
    }
}

} // namespace

ParsedQuery parse_query_strict(std::string_view query, const QuerySyntax& syntax) {
    try {
        Parser parser(query, syntax);
        QueryNode root = parser.parse();
        return ParsedQuery{std::move(root), parser.hints(), parser.unknown_fields()};
    } catch (const SyntaxError& e) {
        throw QueryError("query '" + std::string(query) + "': " + e.message + " (column " +
                         std::to_string(column(query, e.offset)) + ")");
    }
}

ParsedQuery parse_query(std::string_view query, const QuerySyntax& syntax) {
    try {
        Parser parser(query, syntax);
        QueryNode root = parser.parse();
        return ParsedQuery{std::move(root), parser.hints(), parser.unknown_fields()};
    } catch (const SyntaxError& e) {
        return ParsedQuery{plain_word_reading(query),
                           "read as plain words: " + e.message + " (column " +
                               std::to_string(column(query, e.offset)) + ")",
                           {}};
    }
}

std::string describe(const QueryNode& n) {
    std::string out = n.negated ? "NOT " : (n.required ? "+" : "");
    const std::string field = n.field.empty() ? "" : n.field + ":";
    switch (n.kind) {
    case QueryNodeKind::match_all:
        out += "ALL";
        break;
    case QueryNodeKind::word:
        out += field + "word:" + n.text;
        break;
    case QueryNodeKind::phrase:
        out += field + "phrase:\"" + n.text + "\"";
        break;
    case QueryNodeKind::prefix:
        out += field + "prefix:" + n.text + "*";
        break;
    case QueryNodeKind::facet:
        out += n.facet + "=" + n.text;
        break;
    case QueryNodeKind::year:
        out += "year=" + (n.year_from ? std::to_string(*n.year_from) : "") + ".." +
               (n.year_to ? std::to_string(*n.year_to) : "");
        break;
    case QueryNodeKind::all_of:
    case QueryNodeKind::any_of: {
        out += n.kind == QueryNodeKind::all_of ? "AND(" : "OR(";
        for (std::size_t i = 0; i < n.children.size(); ++i) {
            out += (i ? ", " : "") + describe(n.children[i]);
        }
        out += ")";
        break;
    }
    }
    return out;
}

std::vector<const QueryNode*> positive_text_nodes(const QueryNode& root) {
    std::vector<const QueryNode*> out;
    collect_positive(root, false, out);
    return out;
}

} // namespace airm
