#include "query/search/result_json.hpp"

#include "engine/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <unordered_map>

namespace airm {
namespace {

/// Appends JSON tokens to a string; the caller writes keys and values in order.
class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }
    void key(std::string_view k) {
        comma();
        // Keys are mostly short ASCII names needing no escape: written as they are.
        if (std::all_of(k.begin(), k.end(),
                        [](char c) { return plain(c) && static_cast<unsigned char>(c) < 0x80; })) {
            out_ += '"';
            out_.append(k.data(), k.size());
            out_ += "\":";
        } else {
            quoted(k);
            out_ += ':';
        }
        after_key_ = true;
    }
    void value(std::string_view s) {
        comma();
        quoted(s);
    }
    void value(const char* s) { value(std::string_view(s)); }
    void value(const std::string& s) { value(std::string_view(s)); }
    void value(std::uint64_t n) {
        comma();
        out_ += std::to_string(n);
    }
    void value(int n) {
        comma();
        out_ += std::to_string(n);
    }
    void value(double d) {
        comma();
        if (!std::isfinite(d)) {
            out_ += "null";
            return;
        }
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        out_.append(buf, ec == std::errc() ? end : buf);
    }
    void value(bool b) {
        comma();
        out_ += b ? "true" : "false";
    }
    void null() {
        comma();
        out_ += "null";
    }
    template <typename T> void member(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

  private:
    void open(char c) {
        comma();
        out_ += c;
        first_ = true;
    }
    void close(char c) {
        out_ += c;
        first_ = false;
    }
    void comma() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_)
            out_ += ',';
        first_ = false;
    }
    void quoted(std::string_view s) {
        out_ += '"';
        const std::size_t mark = out_.size();
        if (!escape_valid(s)) {
            out_.resize(mark);
            // Stored text is valid UTF-8; anything else is shown as U+FFFD rather than broken JSON.
            std::string fixed;
            std::size_t pos = 0;
            while (pos < s.size()) {
                const std::size_t start = pos;
                const char32_t cp = utf8::decode(s, pos);
                if (cp == 0xFFFD && !(pos - start == 3 && s.substr(start, 3) == "\xEF\xBF\xBD")) {
                    fixed += "\xEF\xBF\xBD";
                } else {
                    fixed.append(s, start, pos - start);
                }
            }
            escape(fixed);
        }
        out_ += '"';
    }
    /// escape(s) while checking that `s` is valid UTF-8 (as utf8::first_invalid() judges), in
    /// one pass: false, with part of `s` written, at the first invalid byte.
    bool escape_valid(std::string_view s) {
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        std::size_t i = 0, run = 0; // bytes from `run` to `i` are still to be copied
        while (i < s.size()) {
            if (i + 8 <= s.size()) { // 8 ASCII bytes needing no escape a step
                std::uint64_t word = 0;
                std::memcpy(&word, s.data() + i, 8);
                if ((word & highs) == 0 && plain8(word)) {
                    i += 8;
                    continue;
                }
            }
            const char c = s[i];
            if (static_cast<unsigned char>(c) >= 0x80) {
                const std::size_t start = i;
                if (utf8::decode(s, i) == 0xFFFD && i == start + 1)
                    return false;
                continue; // a valid character, copied with the run
            }
            if (plain(c)) {
                ++i;
                continue;
            }
            out_.append(s.data() + run, i - run);
            escape_one(c);
            run = ++i;
        }
        out_.append(s.data() + run, i - run);
        return true;
    }
    /// True for the bytes written as they are.
    static bool plain(char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
    }
    /// True when none of the 8 bytes of `word` needs an escape (no control byte, '"' or '\\').
    static bool plain8(std::uint64_t word) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
        const bool control = ((word - ones * 0x20) & ~word & highs) != 0;
        return !control && !has_zero(word ^ (ones * '"')) && !has_zero(word ^ (ones * '\\'));
    }
    void escape(std::string_view s) {
        std::size_t i = 0;
        while (i < s.size()) {
            // Copy the run of bytes that need no escape at once, 8 bytes a step where possible.
            std::size_t j = i;
            for (; j + 8 <= s.size(); j += 8) {
                std::uint64_t word = 0;
                std::memcpy(&word, s.data() + j, 8);
                if (!plain8(word))
                    break;
            }
            while (j < s.size() && plain(s[j]))
                ++j;
            out_.append(s.data() + i, j - i);
            if (j == s.size())
                break;
            escape_one(s[j]);
            i = j + 1;
        }
    }
    void escape_one(char c) {
        switch (c) {
        case '"':
            out_ += "\\\"";
            break;
        case '\\':
            out_ += "\\\\";
            break;
        case '\n':
            out_ += "\\n";
            break;
        case '\r':
            out_ += "\\r";
            break;
        case '\t':
            out_ += "\\t";
            break;
        case '\b':
            out_ += "\\b";
            break;
        case '\f':
            out_ += "\\f";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                out_ += buf;
            } else {
                out_ += c;
            }
        }
    }

    std::string& out_;
    bool first_ = true;
    bool after_key_ = false;
};

void write_facet_value(Writer& w, const FacetValue& v, bool hierarchical) {
    w.begin_object();
    w.member("value", v.value);
    if (hierarchical)
        w.member("name", v.name);
    w.member("count", v.count);
    if (v.selected)
        w.member("selected", true);
    if (hierarchical) {
        w.key("children");
        w.begin_array();
        for (const auto& c : v.children)
            write_facet_value(w, c, true);
        w.end_array();
    }
    w.end_object();
}

void write_facets(Writer& w, const SearchResult& result) {
    w.key("facets");
    w.begin_object();
    for (const auto& f : result.facets) {
        w.key(f.facet);
        w.begin_array();
        for (const auto& v : f.values)
            write_facet_value(w, v, f.hierarchical);
        w.end_array();
    }
    w.end_object();
    w.key("drill_sideways");
    w.begin_array();
    for (const auto& f : result.facets) {
        if (f.drill_sideways)
            w.value(f.facet);
    }
    w.end_array();
}

void write_strings(Writer& w, std::string_view key, const std::vector<std::string>& values) {
    w.key(key);
    w.begin_array();
    for (const auto& v : values)
        w.value(v);
    w.end_array();
}

/// Taxonomy names of the codes one result shows: from the result's table of names when it has
/// one, else each looked up once (hits share codes, and a lookup compares codes part by part).
class CodeNames {
  public:
    explicit CodeNames(const SearchResult& result) : table_(result.code_names.get()) {}

    const std::string& name(const std::string& facet, const Taxonomy& taxonomy,
                            const std::string& code) {
        if (table_ != nullptr) {
            auto names = table_->find(facet);
            if (names != table_->end()) {
                auto it = names->second.find(code);
                return it != names->second.end() ? it->second : none_;
            }
        }
        for (const auto& e : seen_) {
            if (e.taxonomy == &taxonomy && e.code == code)
                return e.name;
        }
        seen_.push_back(Entry{&taxonomy, code, taxonomy.name_of(code)});
        return seen_.back().name;
    }

  private:
    struct Entry {
        const Taxonomy* taxonomy;
        std::string code;
        std::string name;
    };
    const std::map<std::string, std::unordered_map<std::string, std::string>>* table_;
    const std::string none_;
    std::deque<Entry> seen_; // references stay valid as it grows
};

void write_hit(Writer& w, const Hit& hit, const SearchRequest& request,
               const IndexMetadata& metadata, CodeNames& names) {
    const Record& r = hit.record;
    w.begin_object();
    w.member("rank", static_cast<std::uint64_t>(hit.rank));
    w.member("id", r.id);
    w.member("title", r.title);
    w.member("score", hit.score);
    if (hit.partial)
        w.member("partial", true);
    if (request.snippets) {
        w.key("snippet");
        w.begin_object();
        w.member("field", hit.snippet.field);
        w.member("text", hit.snippet.text);
        w.member("html", snippet_html(hit.snippet));
        w.key("marks");
        w.begin_array();
        for (const auto& [b, e] : hit.snippet.marks) {
            w.begin_array();
            w.value(static_cast<std::uint64_t>(b));
            w.value(static_cast<std::uint64_t>(e));
            w.end_array();
        }
        w.end_array();
        w.end_object();
    }
    w.key("facets");
    w.begin_object();
    for (const auto& [facet, values] : r.facets) {
        const Taxonomy* taxonomy = metadata.taxonomy(facet);
        w.key(facet);
        w.begin_array();
        for (const auto& v : values) {
            w.begin_object();
            w.member("value", v);
            if (taxonomy != nullptr)
                w.member("name", names.name(facet, *taxonomy, v));
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    w.key("source");
    w.begin_object();
    const Source& s = r.source;
    if (!s.ref.empty())
        w.member("ref", s.ref);
    if (!s.title.empty())
        w.member("title", s.title);
    if (!s.authors.empty())
        w.member("authors", s.authors);
    if (s.year)
        w.member("year", *s.year);
    if (!s.url.empty())
        w.member("url", s.url);
    w.end_object();
    if (request.explain) {
        w.key("explain");
        w.begin_array();
        for (const auto& p : hit.explain) {
            w.begin_object();
            w.member("query", p.label);
            w.member("weight", p.weight);
            write_strings(w, "fields", p.fields);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

} // namespace

std::string search_result_json(const SearchResult& result, const SearchRequest& request,
                               const IndexMetadata& metadata) {
    std::string out;
    out.reserve(2048 + result.hits.size() * 1024);
    Writer w(out);
    w.begin_object();
    w.member("schema", kSearchJsonSchema);
    w.member("query", result.query);
    if (result.corrected)
        w.member("original_query", result.original_query);
    w.member("parsed", result.parsed);
    w.member("total", result.total);
    if (result.partial_total != 0)
        w.member("partial_total", result.partial_total);
    w.member("offset", static_cast<std::uint64_t>(request.offset));
    w.member("limit", static_cast<std::uint64_t>(request.limit));
    w.key("results");
    w.begin_array();
    CodeNames names(result);
    for (const auto& hit : result.hits)
        write_hit(w, hit, request, metadata, names);
    w.end_array();
    write_facets(w, result);
    w.key("did_you_mean");
    if (result.did_you_mean) {
        w.value(*result.did_you_mean);
    } else {
        w.null();
    }
    w.member("corrected", result.corrected);
    write_strings(w, "notices", result.notices);
    if (request.explain)
        w.member("ranking", result.ranking);
    w.end_object();
    return out;
}

std::string facet_result_json(const SearchResult& result) {
    std::string out;
    Writer w(out);
    w.begin_object();
    w.member("schema", kSearchJsonSchema);
    w.member("query", result.query);
    w.member("total", result.total);
    write_facets(w, result);
    write_strings(w, "notices", result.notices);
    w.end_object();
    return out;
}

} // namespace airm
