#include "query/search/result_json.hpp"

#include "engine/json_string.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
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
        append_json_string(out_, k);
        out_ += ':';
        after_key_ = true;
    }
    void value(std::string_view s) {
        comma();
        append_json_string(out_, s);
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
        // What a query part, or a synonym it matched through, adds to the score.
        auto part_members = [&w](const ExplainPart& part) {
            w.member("query", part.label);
            w.member("weight", part.weight);
            write_strings(w, "fields", part.fields);
        };
        for (const auto& p : hit.explain) {
            w.begin_object();
            part_members(p);
            if (!p.synonyms.empty()) {
                w.key("synonyms");
                w.begin_array();
                for (const auto& alt : p.synonyms) {
                    w.begin_object();
                    part_members(alt);
                    w.end_object();
                }
                w.end_array();
            }
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
