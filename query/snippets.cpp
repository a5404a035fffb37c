#include "query/snippets.hpp"

#include "engine/utf8.hpp"

#include <algorithm>

namespace airm {

bool HighlightTerms::matches(const Token& token, const Analyzer& analyzer) const {
    if (terms.count(token.term) != 0) {
        return true;
    }
    if (token.kind == TokenKind::word && !stems.empty()) {
        std::string stem = analyzer.stem(token);
        if (stems.count(stem.empty() ? token.term : stem) != 0) {
            return true;
        }
    }
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return token.term.compare(0, p.size(), p) == 0; });
}

namespace {

constexpr std::string_view kEllipsis = "\u2026";

struct FieldMatches {
    std::string_view name;
    std::string_view text;
    std::vector<Token> tokens;
    std::vector<std::size_t> matched; ///< indexes into tokens
    std::size_t distinct = 0;
};

std::string source_text(const Source& s) {
    std::string out = s.ref;
    for (const std::string* part : {&s.title, &s.authors}) {
        if (!part->empty()) out += (out.empty() ? "" : " \u00b7 ") + *part;
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Distinct matched keys among matched tokens [from, to) that end before `limit`.
std::size_t distinct_in(const FieldMatches& f, std::size_t from, std::uint32_t limit, std::size_t* count) {
    std::vector<std::string_view> seen;
    std::size_t n = 0;
    for (std::size_t i = from; i < f.matched.size(); ++i) {
        const Token& t = f.tokens[f.matched[i]];
        if (t.end > limit) break;
        ++n;
        if (std::find(seen.begin(), seen.end(), t.term) == seen.end()) seen.push_back(t.term);
    }
    if (count != nullptr) *count = n;
    return seen.size();
}

FieldMatches match_field(std::string_view name, std::string_view text, const HighlightTerms& terms,
                         const Analyzer& analyzer) {
    FieldMatches f{name, text, {}, {}, 0};
    if (text.empty()) return f;
    f.tokens = analyzer.analyze(text);
    std::vector<std::string_view> keys;
    for (std::size_t i = 0; i < f.tokens.size(); ++i) {
        if (terms.matches(f.tokens[i], analyzer)) {
            f.matched.push_back(i);
            const std::string_view k = f.tokens[i].term;
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
        }
    }
    // Compounds sit at their first part's position but start at the same byte: order by offset.
    std::stable_sort(f.matched.begin(), f.matched.end(),
                     [&](std::size_t a, std::size_t b) { return f.tokens[a].begin < f.tokens[b].begin; });
    f.distinct = keys.size();
    return f;
}

/// Copies text[begin, end) collapsing whitespace, and moves the marks into the copy.
Snippet render(const FieldMatches& f, std::uint32_t begin, std::uint32_t end) {
    Snippet s;
    s.field = std::string(f.name);
    const bool cut_start = begin > 0;
    const bool cut_end = end < f.text.size();
    if (cut_start) s.text += kEllipsis;
    std::vector<std::uint32_t> map(end - begin + 1, 0);
    bool last_space = true;
    for (std::uint32_t i = begin; i < end; ++i) {
        map[i - begin] = static_cast<std::uint32_t>(s.text.size());
        char c = f.text[i];
        if (is_space(c)) {
            if (!last_space) s.text += ' ';
            last_space = true;
        } else {
            s.text += c;
            last_space = false;
        }
    }
    while (!s.text.empty() && s.text.back() == ' ') s.text.pop_back();
    map[end - begin] = static_cast<std::uint32_t>(s.text.size());
    for (std::size_t idx : f.matched) {
        const Token& t = f.tokens[idx];
        if (t.begin < begin || t.end > end) continue;
        std::uint32_t b = map[t.begin - begin], e = map[t.end - begin];
        if (!s.marks.empty() && b <= s.marks.back().second) {
            s.marks.back().second = std::max(s.marks.back().second, e);
        } else {
            s.marks.emplace_back(b, e);
        }
    }
    if (cut_end) s.text += kEllipsis;
    return s;
}

} // namespace

Snippet make_snippet(const Record& record, const HighlightTerms& terms, const Analyzer& analyzer,
                     const SnippetOptions& options) {
    const std::string source = source_text(record.source);
    const std::pair<std::string_view, std::string_view> fields[] = {
        {"text", record.text}, {"reasoning", record.reasoning}, {"source", source}, {"title", record.title}};

    FieldMatches best;
    bool have = false;
    for (const auto& [name, text] : fields) {
        if (text.empty()) continue;
        if (terms.empty()) {
            best = FieldMatches{name, text, analyzer.analyze(text), {}, 0};
            have = true;
            break;
        }
        FieldMatches f = match_field(name, text, terms, analyzer);
        if (!have || f.distinct > best.distinct) {
            best = std::move(f);
            have = true;
        }
    }
    if (!have) {
        return Snippet{"text", "", {}};
    }

    const auto max = static_cast<std::uint32_t>(options.max_bytes);
    const auto size = static_cast<std::uint32_t>(best.text.size());
    std::uint32_t begin = 0;
    std::uint32_t end = size;
    if (size > max) {
        if (!best.matched.empty()) {
            // The window starting at a match that holds the most distinct terms, then the most matches.
            std::size_t best_start = 0, best_distinct = 0, best_count = 0;
            for (std::size_t i = 0; i < best.matched.size(); ++i) {
                std::size_t count = 0;
                const std::uint32_t from = best.tokens[best.matched[i]].begin;
                std::size_t d = distinct_in(best, i, from + max, &count);
                if (d > best_distinct || (d == best_distinct && count > best_count)) {
                    best_start = i;
                    best_distinct = d;
                    best_count = count;
                }
            }
            const std::uint32_t first = best.tokens[best.matched[best_start]].begin;
            std::uint32_t last = best.tokens[best.matched[best_start]].end;
            for (std::size_t i = best_start; i < best.matched.size(); ++i) {
                const Token& t = best.tokens[best.matched[i]];
                if (t.end > first + max) break;
                last = std::max(last, t.end);
            }
            // Spend about a third of the spare room on context before the first match.
            const std::uint32_t spare = max > last - first ? max - (last - first) : 0;
            const std::uint32_t want = first > spare / 3 ? first - spare / 3 : 0;
            begin = first;
            for (const Token& t : best.tokens) {
                if (t.begin >= want) {
                    begin = std::min(begin, t.begin);
                    break;
                }
            }
            if (begin <= 3) begin = 0;
        }
        // End at the last token that fits.
        end = begin;
        for (const Token& t : best.tokens) {
            if (t.begin >= begin && t.end <= begin + max) end = std::max(end, t.end);
        }
        if (end == begin) {
            end = begin + static_cast<std::uint32_t>(utf8::truncate(best.text.substr(begin), max).size());
        }
        if (size - end <= 3) end = size;
    }
    return render(best, begin, end);
}

std::string snippet_marked(const Snippet& snippet, std::string_view open, std::string_view close) {
    std::string out;
    std::uint32_t at = 0;
    for (const auto& [b, e] : snippet.marks) {
        out.append(snippet.text, at, b - at);
        out.append(open);
        out.append(snippet.text, b, e - b);
        out.append(close);
        at = e;
    }
    out.append(snippet.text, at, std::string::npos);
    return out;
}

std::string snippet_html(const Snippet& snippet) {
    auto escape = [](std::string_view s) {
        std::string out;
        for (char c : s) {
            switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
            }
        }
        return out;
    };
    std::string out;
    std::uint32_t at = 0;
    for (const auto& [b, e] : snippet.marks) {
        out += escape(std::string_view(snippet.text).substr(at, b - at));
        out += "<mark>";
        out += escape(std::string_view(snippet.text).substr(b, e - b));
        out += "</mark>";
        at = e;
    }
    out += escape(std::string_view(snippet.text).substr(at));
    return out;
}

} // namespace airm
