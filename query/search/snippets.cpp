#include "query/search/snippets.hpp"

#include "engine/utf8.hpp"
#include "query/search/detail/ascii_words.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

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
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
        return token.term.compare(0, p.size(), p) == 0;
    });
}

namespace {

constexpr std::string_view kEllipsis = "\u2026";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string source_text(const Source& s) {
    std::string out = s.ref;
    for (const std::string* part : {&s.title, &s.authors}) {
        if (!part->empty())
            out += (out.empty() ? "" : " \u00b7 ") + *part;
    }
    return out;
}

/// A matched token (or compound) of a field.
struct Span {
    std::uint32_t begin;
    std::uint32_t end;
    std::string_view key; ///< the matched term, to count distinct terms
};

/// HighlightTerms::matches, with a cheap first test before stemming: the stemmer only changes a
/// word's end, so a word with a searched stem starts with that stem's first letters.
class TermMatcher {
  public:
    TermMatcher(const HighlightTerms& terms, const Analyzer& analyzer)
        : terms_(terms), analyzer_(analyzer) {
        for (const auto* set : {&terms.stems, &terms.terms}) {
            for (const auto& t : *set) {
                if (!t.empty())
                    firsts_byte_[static_cast<unsigned char>(t[0])] = true;
            }
        }
        for (const auto& p : terms.prefixes) {
            if (!p.empty())
                firsts_byte_[static_cast<unsigned char>(p[0])] = true;
        }
        for (const auto& st : terms.stems) {
            firsts_.push_back(
                st.substr(0, std::max<std::size_t>(1, std::min<std::size_t>(st.size() - 2, 3))));
        }
        for (const auto& t : terms.terms) {
            if (!std::all_of(t.begin(), t.end(), [](char c) {
                    return is_alnum(c) || static_cast<unsigned char>(c) >= 0x80;
                })) {
                literals_.push_back(t);
            }
        }
    }

    /// False when no token of `text` can match: the text is ASCII (its terms are its words in
    /// lower case) and holds none of the searched terms, stem beginnings and prefixes, in any
    /// case. True otherwise (it may match).
    [[nodiscard]] bool may_match(std::string_view text, std::string& lowered) const {
        lowered.assign(text);
        for (char& c : lowered) {
            if (static_cast<unsigned char>(c) >= 0x80)
                return true; // the analyzer may fold it: not decided here
            c = lower(c);
        }
        auto holds = [&](const std::string& needle) {
            return needle.empty() || lowered.find(needle) != std::string::npos;
        };
        return std::any_of(terms_.terms.begin(), terms_.terms.end(), holds) ||
               std::any_of(firsts_.begin(), firsts_.end(), holds) ||
               std::any_of(terms_.prefixes.begin(), terms_.prefixes.end(), holds);
    }

    /// True when a searched term is made of several words (found by add_literals()).
    [[nodiscard]] bool has_literals() const { return !literals_.empty(); }

    /// First bytes of everything searched: a token starting otherwise cannot match.
    [[nodiscard]] const std::array<bool, 256>& first_bytes() const { return firsts_byte_; }

    [[nodiscard]] bool matches(const Token& t) const {
        if (t.term.empty() || !firsts_byte_[static_cast<unsigned char>(t.term[0])])
            return false;
        if (terms_.terms.count(t.term) != 0)
            return true;
        if (t.kind == TokenKind::word && !terms_.stems.empty()) {
            for (const auto& f : firsts_) {
                if (t.term.compare(0, f.size(), f) == 0) {
                    std::string stem = analyzer_.stem(t);
                    if (terms_.stems.count(stem.empty() ? t.term : stem) != 0)
                        return true;
                    break;
                }
            }
        }
        return std::any_of(
            terms_.prefixes.begin(), terms_.prefixes.end(),
            [&](const std::string& p) { return t.term.compare(0, p.size(), p) == 0; });
    }

    /// Searched terms made of several words ("gpt-4", "iso/iec"), found in text split by
    /// plain_words(): case-insensitive, starting at a token's start and ending at a token's end.
    void add_literals(std::string_view text, const std::vector<Token>& tokens,
                      std::vector<Span>& out) const {
        for (const auto& lit : literals_) {
            for (std::size_t at = find_folded(text, lit, 0); at != std::string_view::npos;
                 at = find_folded(text, lit, at + 1)) {
                const auto b = static_cast<std::uint32_t>(at),
                           e = static_cast<std::uint32_t>(at + lit.size());
                const bool starts = std::any_of(tokens.begin(), tokens.end(),
                                                [&](const Token& t) { return t.begin == b; });
                const bool ends = std::any_of(tokens.begin(), tokens.end(),
                                              [&](const Token& t) { return t.end == e; });
                if (starts && ends)
                    out.push_back(Span{b, e, lit});
            }
        }
    }

  private:
    static std::size_t find_folded(std::string_view text, const std::string& needle,
                                   std::size_t from) {
        for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
            std::size_t k = 0;
            while (k < needle.size() && lower(text[i + k]) == needle[k])
                ++k;
            if (k == needle.size())
                return i;
        }
        return std::string_view::npos;
    }

    const HighlightTerms& terms_;
    const Analyzer& analyzer_;
    std::vector<std::string> firsts_;
    std::vector<std::string> literals_;
    std::array<bool, 256> firsts_byte_{};
};

/// One field's tokens and matches.
struct FieldView {
    std::string_view name;
    std::string_view text;
    std::vector<Token> tokens; ///< for where the passage may end
    std::vector<Span> spans;   ///< matches, by start
    std::size_t distinct = 0;
};

FieldView view_field(std::string_view name, std::string_view text, const TermMatcher* matcher,
                     const Analyzer& analyzer) {
    FieldView v{name, text, {}, {}, 0};
    auto plain = plain_words(text, matcher != nullptr ? &matcher->first_bytes() : nullptr,
                             analyzer.config().fold_diacritics);
    // Searched compounds are found in the text as written, which works for unaccented text only.
    if (plain && matcher != nullptr && matcher->has_literals() &&
        text.find('\xC3') != std::string_view::npos)
        plain.reset();
    v.tokens = plain ? std::move(*plain) : analyzer.analyze(text);
    if (matcher == nullptr)
        return v;
    for (const Token& t : v.tokens) {
        if (matcher->matches(t))
            v.spans.push_back(Span{t.begin, t.end, t.term});
    }
    if (plain)
        matcher->add_literals(text, v.tokens, v.spans);
    std::stable_sort(v.spans.begin(), v.spans.end(),
                     [](const Span& a, const Span& b) { return a.begin < b.begin; });
    std::vector<std::string_view> keys;
    for (const auto& sp : v.spans) {
        if (std::find(keys.begin(), keys.end(), sp.key) == keys.end())
            keys.push_back(sp.key);
    }
    v.distinct = keys.size();
    return v;
}

/// Distinct keys (and, in `count`, all matches) among spans[from..] ending by `limit`.
std::size_t distinct_keys(const std::vector<Span>& spans, std::size_t from, std::uint32_t limit,
                          std::size_t& count) {
    std::vector<std::string_view> seen;
    count = 0;
    for (std::size_t i = from; i < spans.size() && spans[i].end <= limit; ++i) {
        ++count;
        if (std::find(seen.begin(), seen.end(), spans[i].key) == seen.end())
            seen.push_back(spans[i].key);
    }
    return seen.size();
}

/// Where the passage starts: a third of the spare room before the densest cluster of matches,
/// at the start of a token.
std::uint32_t window_start(const FieldView& v, std::uint32_t max) {
    if (v.spans.empty())
        return 0;
    std::size_t best = 0, best_distinct = 0, best_count = 0;
    for (std::size_t i = 0; i < v.spans.size(); ++i) {
        std::size_t count = 0;
        const std::size_t d = distinct_keys(v.spans, i, v.spans[i].begin + max, count);
        if (d > best_distinct || (d == best_distinct && count > best_count)) {
            best = i;
            best_distinct = d;
            best_count = count;
        }
    }
    const std::uint32_t first = v.spans[best].begin;
    std::uint32_t last = v.spans[best].end;
    for (std::size_t i = best; i < v.spans.size() && v.spans[i].end <= first + max; ++i) {
        last = std::max(last, v.spans[i].end);
    }
    const std::uint32_t spare = max > last - first ? max - (last - first) : 0;
    const std::uint32_t want = first > spare / 3 ? first - spare / 3 : 0;
    if (want <= 3)
        return 0;
    for (const Token& t : v.tokens) {
        if (t.begin >= want)
            return std::min(t.begin, first);
    }
    return first;
}

/// The passage [begin, end) with whitespace collapsed, "…" where cut, and the matches marked.
Snippet render(const FieldView& v, std::uint32_t begin, std::uint32_t max) {
    const auto size = static_cast<std::uint32_t>(v.text.size());
    std::uint32_t end = size;
    if (size - begin > max) {
        end = begin;
        for (const Token& t : v.tokens) {
            if (t.begin >= begin && t.end <= begin + max)
                end = std::max(end, t.end);
        }
        if (end == begin)
            end = begin +
                  static_cast<std::uint32_t>(utf8::truncate(v.text.substr(begin), max).size());
        if (size - end <= 3)
            end = size;
    }
    Snippet s;
    s.field = std::string(v.name);
    s.text.reserve(end - begin + 2 * kEllipsis.size());
    if (begin > 0)
        s.text += kEllipsis;
    std::vector<std::uint32_t> map(end - begin + 1, 0);
    bool last_space = true;
    for (std::uint32_t i = begin; i < end;) {
        if (is_space(v.text[i])) {
            map[i - begin] = static_cast<std::uint32_t>(s.text.size());
            if (!last_space)
                s.text += ' ';
            last_space = true;
            ++i;
            continue;
        }
        // A run of other bytes is copied at once.
        std::uint32_t j = i;
        while (j < end && !is_space(v.text[j]))
            ++j;
        const auto at = static_cast<std::uint32_t>(s.text.size());
        for (std::uint32_t k = i; k < j; ++k)
            map[k - begin] = at + (k - i);
        s.text.append(v.text.data() + i, j - i);
        last_space = false;
        i = j;
    }
    while (!s.text.empty() && s.text.back() == ' ')
        s.text.pop_back();
    map[end - begin] = static_cast<std::uint32_t>(s.text.size());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> marks;
    for (const auto& sp : v.spans) {
        if (sp.begin >= begin && sp.end <= end)
            marks.emplace_back(map[sp.begin - begin], map[sp.end - begin]);
    }
    std::sort(marks.begin(), marks.end());
    for (const auto& [b, e] : marks) {
        // Overlapping marks (a compound and its parts) and marks one space apart become one.
        if (!s.marks.empty() && b <= s.marks.back().second + 1) {
            s.marks.back().second = std::max(s.marks.back().second, e);
        } else {
            s.marks.emplace_back(b, e);
        }
    }
    if (end < size)
        s.text += kEllipsis;
    return s;
}

} // namespace

Snippet make_snippet(const Record& record, const HighlightTerms& terms, const Analyzer& analyzer,
                     const SnippetOptions& options) {
    const std::string source = source_text(record.source);
    const std::pair<std::string_view, std::string_view> fields[] = {{"text", record.text},
                                                                    {"reasoning", record.reasoning},
                                                                    {"source", source},
                                                                    {"title", record.title}};
    const auto max = static_cast<std::uint32_t>(std::max<std::size_t>(options.max_bytes, 16));

    std::optional<TermMatcher> matcher;
    if (!terms.empty())
        matcher.emplace(terms, analyzer);
    std::optional<FieldView> best;
    std::string lowered;
    for (const auto& [name, text] : fields) {
        if (text.empty())
            continue;
        // A later field replaces the best only with more distinct matches, so one without any
        // cannot: skip reading it.
        if (best && matcher && !matcher->may_match(text, lowered))
            continue;
        FieldView v = view_field(name, text, matcher ? &*matcher : nullptr, analyzer);
        if (!best || v.distinct > best->distinct)
            best = std::move(v);
        if (!matcher)
            break; // nothing to look for: the first non-empty field
    }
    if (!best)
        return Snippet{"text", "", {}};
    const std::uint32_t begin = best->text.size() > max ? window_start(*best, max) : 0;
    return render(*best, begin, max);
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
    std::string out;
    out.reserve(snippet.text.size() + snippet.marks.size() * 13 + 16);
    // Appends s HTML-escaped, copying the runs between special characters at once.
    auto escape = [&out](std::string_view s) {
        std::size_t at = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char* entity = nullptr;
            switch (s[i]) {
            case '<':
                entity = "&lt;";
                break;
            case '>':
                entity = "&gt;";
                break;
            case '&':
                entity = "&amp;";
                break;
            case '"':
                entity = "&quot;";
                break;
            default:
                continue;
            }
            out.append(s.data() + at, i - at);
            out += entity;
            at = i + 1;
        }
        out.append(s.data() + at, s.size() - at);
    };
    const std::string_view text(snippet.text);
    std::uint32_t at = 0;
    for (const auto& [b, e] : snippet.marks) {
        escape(text.substr(at, b - at));
        out += "<mark>";
        escape(text.substr(b, e - b));
        out += "</mark>";
        at = e;
    }
    escape(text.substr(at));
    return out;
}

} // namespace airm
