/// The handlers of the JSON API. Each answers with the JSON the CLI prints for --json (schema 1)
/// or a problem document; every request borrows its own reader from the pool.

#include "tools/serve/api.hpp"

#include "engine/error.hpp"
#include "indexer/build/ingest.hpp"
#include "query/search/record_view.hpp"
#include "query/search/result_json.hpp"
#include "query/search/searcher.hpp"
#include "query/suggest/file_format.hpp"
#include "query/suggest/store.hpp"
#include "tools/airm/inspect_json.hpp"
#include "tools/serve/handlers.hpp"
#include "tools/serve/problem.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <unistd.h>

namespace airm::http {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<RouteInfo>& routes() {
    static const std::vector<RouteInfo> all = {
        {"GET", "/healthz", false},
        {"GET", "/openapi.json", false},
        {"GET", "/v1/search", false},
        {"POST", "/v1/search", false},
        {"GET", "/v1/facets", false},
        {"GET", "/v1/records/{id}", false},
        {"GET", "/v1/records/{id}/similar", false},
        {"GET", "/v1/taxonomy", false},
        {"GET", "/v1/stats", false},
        {"POST", "/v1/suggest", false},
        {"POST", "/v1/suggest/batch", false},
        {"POST", "/v1/records", true},
        {"PUT", "/v1/records/{id}", true},
        {"DELETE", "/v1/records/{id}", true},
        {"POST", "/v1/retrain", true},
    };
    return all;
}

bool path_matches(const std::string& pattern, const std::string& path) {
    std::size_t i = 0, j = 0;
    while (i < pattern.size() && j < path.size()) {
        if (pattern[i] == '{') {
            const std::size_t close = pattern.find('}', i);
            const std::size_t end = std::min(path.find('/', j), path.size());
            if (end == j)
                return false;
            i = close + 1;
            j = end;
            continue;
        }
        if (pattern[i] != path[j])
            return false;
        ++i;
        ++j;
    }
    return i == pattern.size() && j == path.size();
}

void send_json(httplib::Response& res, const std::string& body, int status) {
    res.status = status;
    // httplib compresses a body typed exactly "application/json" for any client that accepts it,
    // brotli at its slowest level for browsers (about 90 ms for one search answer, gzip 0.5 ms: a
    // third of the server's CPU): with the charset named it sends the JSON as it is.
    res.set_content(body, "application/json; charset=utf-8");
}

void send_problem(httplib::Response& res, int status, const std::string& code,
                  const std::string& detail, const json& extra) {
    res.status = status;
    res.set_content(problem_json(status, code, detail, extra), "application/problem+json");
}

namespace {

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The index as clients see it: its folder name, never the server's path.
std::string public_db_name(const std::string& db) {
    fs::path p = fs::path(db).lexically_normal();
    if (p.filename().empty() && p.has_parent_path())
        p = p.parent_path();
    return p.filename().string();
}

/// `message` with the server's own paths replaced by what the client knows them as.
std::string sanitize(std::string message, const std::string& db, const std::string& body_file) {
    auto replace_all = [&message](const std::string& from, const std::string& to) {
        if (from.empty())
            return;
        for (std::size_t at = message.find(from); at != std::string::npos;
             at = message.find(from, at + to.size())) {
            message.replace(at, from.size(), to);
        }
    };
    replace_all(body_file, "the request body");
    const std::string absolute = fs::absolute(db).lexically_normal().string();
    replace_all(absolute, public_db_name(db));
    replace_all(db, public_db_name(db));
    return message;
}

// ---- parameters ---------------------------------------------------------------------------

std::size_t whole_number(const std::string& name, const std::string& text, std::size_t low,
                         std::size_t high) {
    const bool digits =
        !text.empty() && text.size() <= 12 &&
        std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    const std::size_t value = digits ? std::stoull(text) : 0;
    if (!digits || value < low || value > high) {
        throw ApiError(400, "invalid_parameter",
                       name + "='" + text.substr(0, 40) + "' is not a whole number from " +
                           std::to_string(low) + " to " + std::to_string(high),
                       {{"parameter", name}, {"minimum", low}, {"maximum", high}});
    }
    return value;
}

std::size_t json_number(const json& body, const std::string& name, std::size_t fallback,
                        std::size_t low, std::size_t high) {
    if (!body.contains(name))
        return fallback;
    const json& v = body[name];
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0))
        return whole_number(name, std::to_string(v.get<unsigned long long>()), low, high);
    throw ApiError(400, "invalid_parameter",
                   name + " must be a whole number from " + std::to_string(low) + " to " +
                       std::to_string(high),
                   {{"parameter", name}, {"minimum", low}, {"maximum", high}});
}

bool flag(const std::string& name, const std::string& text) {
    if (text.empty() || text == "1" || text == "true")
        return true;
    if (text == "0" || text == "false")
        return false;
    throw ApiError(400, "invalid_parameter",
                   name + "='" + text.substr(0, 40) + "' is not true or false",
                   {{"parameter", name}});
}

bool json_flag(const json& body, const std::string& name) {
    if (!body.contains(name))
        return false;
    if (!body[name].is_boolean())
        throw ApiError(400, "invalid_parameter", name + " must be true or false",
                       {{"parameter", name}});
    return body[name].get<bool>();
}

std::string json_string(const json& body, const std::string& name, const std::string& fallback) {
    if (!body.contains(name))
        return fallback;
    if (!body[name].is_string())
        throw ApiError(400, "invalid_parameter", name + " must be a string", {{"parameter", name}});
    return body[name].get<std::string>();
}

/// The body as a JSON object, after checking its media type.
json json_body(const httplib::Request& req) {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/json", 0) != 0) {
        throw ApiError(415, "unsupported_media_type",
                       "send the body as application/json" +
                           (type.empty() ? std::string() : ", not " + type.substr(0, 80)));
    }
    try {
        json body = json::parse(req.body);
        if (!body.is_object())
            throw ApiError(400, "invalid_json", "the body must be a JSON object");
        return body;
    } catch (const json::parse_error& e) {
        throw ApiError(400, "invalid_json",
                       "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                       {{"byte", e.byte}});
    }
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t end = s.find(',', start);
        if (end == std::string::npos)
            end = s.size();
        if (end > start)
            out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

/// The closest of `candidates` to `value`, best first (nearest_names as JSON).
json nearest(const std::string& value, const std::vector<std::string>& candidates) {
    json out = json::array();
    for (auto& name : nearest_names(value, candidates))
        out.push_back(std::move(name));
    return out;
}

/// Runs a search; a filter no record can match (airm_search's FilterError: an unknown field, a
/// value no record has) becomes the API's invalid_filter problem, naming the nearest.
template <class Run> SearchResult filters_checked(Run run) {
    try {
        return run();
    } catch (const FilterError& e) {
        const Filter& f = e.filter();
        json extra = {{"field", f.field}, {"nearest", e.nearest()}};
        if (!e.unknown_field())
            extra["value"] = f.value;
        throw ApiError(400, "invalid_filter", e.what(), std::move(extra));
    }
}

Filter parse_filter(const std::string& spec, const Limits&) {
    if (auto filter = filter_from_spec(spec))
        return std::move(*filter);
    throw ApiError(400, "invalid_filter",
                   "filter '" + spec.substr(0, 80) +
                       "' is not FIELD=VALUE; write e.g. category=2.2 or year=2023..2025");
}

SortOrder parse_sort(const std::string& s) {
    if (auto order = sort_order_named(s))
        return *order;
    throw ApiError(400, "invalid_parameter",
                   "sort '" + s.substr(0, 40) + "' is not relevance, year or id",
                   {{"parameter", "sort"}});
}

void check_query(const std::string& q, const Limits& limits) {
    if (q.size() > limits.max_query_chars) {
        throw ApiError(413, "query_too_long",
                       "the query has " + std::to_string(q.size()) + " bytes; at most " +
                           std::to_string(limits.max_query_chars) + " are read",
                       {{"maximum", limits.max_query_chars}});
    }
}

/// A search request from the URL's parameters (GET).
SearchRequest request_from_params(const httplib::Request& req, const Limits& limits) {
    SearchRequest r;
    r.query = req.get_param_value("q");
    check_query(r.query, limits);
    const std::size_t filters = req.get_param_value_count("filter");
    if (filters > limits.max_filters)
        throw ApiError(400, "too_many_filters",
                       "at most " + std::to_string(limits.max_filters) + " filters a request");
    for (std::size_t i = 0; i < filters; ++i)
        r.filters.push_back(parse_filter(req.get_param_value("filter", i), limits));
    for (std::size_t i = 0; i < req.get_param_value_count("facets"); ++i) {
        for (auto& name : split_commas(req.get_param_value("facets", i)))
            r.facets.push_back(std::move(name));
    }
    if (req.has_param("limit"))
        r.limit = whole_number("limit", req.get_param_value("limit"), 0, limits.max_limit);
    if (req.has_param("offset"))
        r.offset = whole_number("offset", req.get_param_value("offset"), 0, limits.max_offset);
    if (req.has_param("sort"))
        r.sort = parse_sort(req.get_param_value("sort"));
    if (req.has_param("explain"))
        r.explain = flag("explain", req.get_param_value("explain"));
    if (req.has_param("auto_correct"))
        r.auto_correct = flag("auto_correct", req.get_param_value("auto_correct"));
    if (req.has_param("strict"))
        r.strict = flag("strict", req.get_param_value("strict"));
    return r;
}

/// A search request from a JSON body (POST): {"q", "filter": {"field": "v" | ["v"]} or
/// ["field=v"], "facets": [...], "limit", "offset", "sort", "explain", "auto_correct", "strict"}.
SearchRequest request_from_body(const json& body, const Limits& limits) {
    SearchRequest r;
    r.query = json_string(body, "q", "");
    check_query(r.query, limits);
    if (body.contains("filter")) {
        const json& f = body["filter"];
        auto add = [&](const std::string& field, const json& value) {
            if (!value.is_string())
                throw ApiError(400, "invalid_filter", "filter values must be strings");
            r.filters.push_back(Filter{field, value.get<std::string>()});
        };
        if (f.is_object()) {
            for (const auto& [field, value] : f.items()) {
                if (value.is_array()) {
                    for (const auto& v : value)
                        add(field, v);
                } else {
                    add(field, value);
                }
            }
        } else if (f.is_array()) {
            for (const auto& spec : f) {
                if (!spec.is_string())
                    throw ApiError(400, "invalid_filter", "filter items must be \"FIELD=VALUE\"");
                r.filters.push_back(parse_filter(spec.get<std::string>(), limits));
            }
        } else {
            throw ApiError(400, "invalid_filter",
                           "filter must be an object like {\"category\": \"3.6\"} or an array "
                           "like [\"category=3.6\"]");
        }
        if (r.filters.size() > limits.max_filters)
            throw ApiError(400, "too_many_filters",
                           "at most " + std::to_string(limits.max_filters) + " filters a request");
    }
    if (body.contains("facets")) {
        const json& f = body["facets"];
        if (!f.is_array())
            throw ApiError(400, "invalid_parameter", "facets must be an array of facet names",
                           {{"parameter", "facets"}});
        for (const auto& name : f) {
            if (!name.is_string())
                throw ApiError(400, "invalid_parameter", "facets must be an array of facet names",
                               {{"parameter", "facets"}});
            r.facets.push_back(name.get<std::string>());
        }
    }
    r.limit = json_number(body, "limit", r.limit, 0, limits.max_limit);
    r.offset = json_number(body, "offset", r.offset, 0, limits.max_offset);
    r.sort = parse_sort(json_string(body, "sort", "relevance"));
    r.explain = json_flag(body, "explain");
    r.auto_correct = json_flag(body, "auto_correct");
    r.strict = json_flag(body, "strict");
    return r;
}

void check_facet_names(const Index& index, const std::vector<std::string>& facets) {
    for (const auto& name : facets) {
        if (index.metadata().facet(name) == nullptr) {
            std::vector<std::string> names;
            for (const auto& [n, info] : index.metadata().facets)
                names.push_back(n);
            throw ApiError(400, "invalid_facet", "the index has no facet '" + name + "'",
                           {{"facet", name}, {"nearest", nearest(name, names)}});
        }
    }
}

/// Runs `work` with a reader, once more on a fresh one when a commit replaced what it read.
template <class Work> auto with_reader(ApiContext& ctx, Work work) {
    ReaderPool::Lease lease = ctx.readers.acquire();
    try {
        return work(*lease);
    } catch (const IndexChanged&) {
        lease.refresh(true);
        return work(*lease);
    }
}

// ---- handlers -----------------------------------------------------------------------------

using Handler = std::function<void(ApiContext&, const httplib::Request&, httplib::Response&)>;

void search(ApiContext& ctx, SearchRequest request, httplib::Response& res) {
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  const Index& index = reader.index;
                  if (request.facets.empty())
                      request.facets = default_facets(index.metadata());
                  check_facet_names(index, request.facets);
                  const SearchResult result =
                      filters_checked([&] { return reader.searcher->search(request); });
                  return search_result_json(result, request, index.metadata());
              }));
}

void get_search(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    search(ctx, request_from_params(req, ctx.options.limits), res);
}

void post_search(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    search(ctx, request_from_body(json_body(req), ctx.options.limits), res);
}

void get_facets(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    SearchRequest request = request_from_params(req, ctx.options.limits);
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  const Index& index = reader.index;
                  if (request.facets.empty()) {
                      for (const auto& [name, info] : index.metadata().facets)
                          request.facets.push_back(name);
                  }
                  check_facet_names(index, request.facets);
                  request.limit = 0;
                  request.snippets = false;
                  return facet_result_json(
                      filters_checked([&] { return reader.searcher->search(request); }));
              }));
}

std::string path_id(const httplib::Request& req) {
    return req.matches.size() > 1 ? req.matches[1].str() : std::string();
}

[[noreturn]] void no_record(const std::string& id) {
    throw ApiError(404, "record_not_found", "no record has the id '" + id.substr(0, 200) + "'",
                   {{"id", id}});
}

void get_record(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string id = path_id(req);
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  auto record = reader.index.find(id);
                  if (!record)
                      no_record(id);
                  return dump(record_view(*record, reader.index.metadata()));
              }));
}

void get_similar(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string id = path_id(req);
    SearchRequest request = request_from_params(req, ctx.options.limits);
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  const Index& index = reader.index;
                  if (!index.find(id))
                      no_record(id);
                  if (request.facets.empty())
                      request.facets = default_facets(index.metadata());
                  check_facet_names(index, request.facets);
                  const SearchResult result =
                      filters_checked([&] { return reader.searcher->similar(id, request); });
                  return search_result_json(result, request, index.metadata());
              }));
}

void get_taxonomy(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string facet = req.has_param("facet") ? req.get_param_value("facet") : "category";
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  if (reader.index.metadata().taxonomy(facet) == nullptr) {
                      std::vector<std::string> names;
                      for (const auto& [name, t] : reader.index.metadata().taxonomies)
                          names.push_back(name);
                      throw ApiError(404, "taxonomy_not_found",
                                     "facet '" + facet.substr(0, 80) + "' has no taxonomy",
                                     {{"facet", facet}, {"nearest", nearest(facet, names)}});
                  }
                  return dump(cli::taxonomy_json(reader.index, facet));
              }));
}

void get_stats(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  json out = cli::stats_json(reader.index);
                  out["db"] = public_db_name(ctx.options.db);
                  return dump(out);
              }));
}

struct SuggestParams {
    std::string field = "category";
    SuggestOptions options;
};

SuggestParams suggest_params(const json& body, const Limits& limits) {
    SuggestParams p;
    p.field = json_string(body, "field", "category");
    p.options.top = json_number(body, "top", 5, 1, limits.max_top);
    p.options.explain = json_flag(body, "explain");
    if (body.contains("threshold")) {
        const json& t = body["threshold"];
        if (!t.is_number() || t.get<double>() < 0.0 || t.get<double>() > 1.0)
            throw ApiError(400, "invalid_parameter", "threshold must be a number from 0 to 1",
                           {{"parameter", "threshold"}});
        p.options.threshold = t.get<double>();
    }
    return p;
}

std::string suggest_text(const json& value, const Limits& limits, const std::string& what) {
    if (!value.is_string())
        throw ApiError(400, "invalid_parameter", what + " must be a string");
    std::string text = value.get<std::string>();
    if (text.size() > limits.max_text_bytes) {
        throw ApiError(413, "payload_too_large",
                       what + " has " + std::to_string(text.size()) + " bytes; at most " +
                           std::to_string(limits.max_text_bytes),
                       {{"maximum", limits.max_text_bytes}});
    }
    if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos)
        throw ApiError(400, "blank_text", what + " is blank; send the mitigation's words");
    return text;
}

std::shared_ptr<SuggesterCache::Entry> suggester_for(ApiContext& ctx, const std::string& field) {
    return with_reader(ctx, [&](Reader& reader) {
        try {
            return ctx.suggesters.get(reader.index, field);
        } catch (const NotFound& e) {
            std::vector<std::string> names;
            for (const auto& [name, info] : reader.index.metadata().facets)
                names.push_back(name);
            throw ApiError(400, "invalid_field", "the index has no facet '" + field + "'",
                           {{"field", field}, {"nearest", nearest(field, names)}});
        }
    });
}

void post_suggest(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const json body = json_body(req);
    const SuggestParams p = suggest_params(body, ctx.options.limits);
    if (!body.contains("text"))
        throw ApiError(400, "invalid_parameter", "send the text to code as \"text\"",
                       {{"parameter", "text"}});
    const std::string text = suggest_text(body["text"], ctx.options.limits, "text");
    auto entry = suggester_for(ctx, p.field);
    json out;
    {
        std::lock_guard<std::mutex> lock(entry->mutex);
        out = to_json(entry->suggester->suggest(text, p.options));
    }
    out["field"] = p.field;
    send_json(res, dump(out));
}

void post_suggest_batch(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const json body = json_body(req);
    const SuggestParams p = suggest_params(body, ctx.options.limits);
    if (!body.contains("documents") || !body["documents"].is_array())
        throw ApiError(400, "invalid_parameter",
                       "send the texts as \"documents\": [{\"id\": ..., \"text\": ...}]",
                       {{"parameter", "documents"}});
    const json& docs = body["documents"];
    if (docs.size() > ctx.options.limits.max_batch) {
        throw ApiError(413, "batch_too_large",
                       std::to_string(docs.size()) + " documents; at most " +
                           std::to_string(ctx.options.limits.max_batch) + " a request",
                       {{"maximum", ctx.options.limits.max_batch}});
    }
    std::vector<std::pair<json, std::string>> inputs;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        const std::string where = "documents[" + std::to_string(i) + "]";
        if (!docs[i].is_object() || !docs[i].contains("text"))
            throw ApiError(400, "invalid_parameter", where + " must be an object with a \"text\"");
        json id = docs[i].contains("id") ? docs[i]["id"] : json(nullptr);
        inputs.emplace_back(id, suggest_text(docs[i]["text"], ctx.options.limits, where + ".text"));
    }
    auto entry = suggester_for(ctx, p.field);
    json results = json::array();
    for (const auto& [id, text] : inputs) {
        json one;
        {
            std::lock_guard<std::mutex> lock(entry->mutex);
            one = to_json(entry->suggester->suggest(text, p.options));
        }
        one["id"] = id;
        results.push_back(std::move(one));
    }
    send_json(res, dump(json{{"field", p.field}, {"results", results}}));
}

// ---- writes -------------------------------------------------------------------------------

/// A private folder holding one request body as a file, removed on destruction.
class BodyFile {
  public:
    BodyFile(const std::string& body, const std::string& name) {
        std::string tmpl = (fs::temp_directory_path() / "airm-serve-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr)
            throw IndexError("cannot create a temporary folder for a request body");
        dir_ = tmpl;
        path_ = (fs::path(dir_) / name).string();
        std::ofstream out(path_, std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        if (!out)
            throw IndexError("cannot write a request body to a temporary file");
    }
    BodyFile(const BodyFile&) = delete;
    BodyFile& operator=(const BodyFile&) = delete;
    ~BodyFile() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string dir_;
    std::string path_;
};

constexpr std::chrono::milliseconds kLockWait{250};

/// Runs a write, mapping the indexer's errors to problems with the server's paths hidden.
template <class Work> json write(ApiContext& ctx, const std::string& body_file, Work work) {
    std::lock_guard<std::mutex> lock(ctx.write_mutex);
    try {
        return work();
    } catch (const ApiError&) {
        throw;
    } catch (const IndexError& e) {
        const std::string what = e.what();
        if (what.find("is locked by another process") != std::string::npos) {
            throw ApiError(409, "index_locked",
                           "another process is writing to the index; try again when it is done");
        }
        throw ApiError(500, "index_error", sanitize(what, ctx.options.db, body_file));
    } catch (const NotFound& e) {
        throw ApiError(404, "record_not_found", sanitize(e.what(), ctx.options.db, body_file));
    } catch (const InvalidInput& e) {
        throw ApiError(422, "invalid_record", sanitize(e.what(), ctx.options.db, body_file));
    }
}

json index_report(const std::string& db, const IndexReport& report) {
    return {{"db", public_db_name(db)},
            {"read", report.read},
            {"added", report.added},
            {"replaced", report.replaced},
            {"total", report.total}};
}

json ingest(ApiContext& ctx, const std::string& body, const std::string& name) {
    BodyFile file(body, name);
    return write(ctx, file.path(), [&] {
        IndexOptions options;
        options.lock_wait = kLockWait;
        return index_report(ctx.options.db, index_files(ctx.options.db, {file.path()}, options));
    });
}

void post_records(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_header_value("Content-Type");
    std::string name;
    if (type.rfind("application/json", 0) == 0) {
        // One record or an array of them: checked as JSON here, read by the JSON reader.
        json body;
        try {
            body = json::parse(req.body);
        } catch (const json::parse_error& e) {
            throw ApiError(400, "invalid_json",
                           "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                           {{"byte", e.byte}});
        }
        if (body.is_object())
            body = json::array({body});
        if (!body.is_array())
            throw ApiError(400, "invalid_json", "send a record object or an array of records");
        send_json(res, dump(ingest(ctx, dump(body), "request.json")));
        return;
    }
    if (type.rfind("application/x-ndjson", 0) == 0 || type.rfind("application/jsonl", 0) == 0) {
        send_json(res, dump(ingest(ctx, req.body, "request.jsonl")));
        return;
    }
    throw ApiError(415, "unsupported_media_type",
                   "send records as application/json or application/x-ndjson (JSON Lines)");
}

void put_record(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string id = path_id(req);
    json body = json_body(req);
    if (!body.contains("id"))
        body["id"] = id;
    if (!body["id"].is_string() || body["id"].get<std::string>() != id) {
        throw ApiError(400, "id_mismatch", "the record's \"id\" differs from the id in the path",
                       {{"id", id}});
    }
    send_json(res, dump(ingest(ctx, dump(body) + "\n", "request.jsonl")));
}

void delete_record(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string id = path_id(req);
    const json out = write(ctx, "", [&] {
        try {
            const DeleteReport report = delete_records(ctx.options.db, {id}, kLockWait);
            return json{{"db", public_db_name(ctx.options.db)},
                        {"removed", report.removed},
                        {"total", report.total}};
        } catch (const NotFound&) {
            no_record(id);
        }
    });
    send_json(res, dump(out));
}

void post_retrain(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
    std::vector<std::string> fields;
    if (!req.body.empty()) {
        const json body = json_body(req);
        if (body.contains("field"))
            fields.push_back(json_string(body, "field", ""));
    }
    const json out = write(ctx, "", [&] {
        return with_reader(ctx, [&](Reader& reader) {
            const Index& index = reader.index;
            std::vector<std::string> todo = fields.empty() ? facets_to_model(index) : fields;
            json report = json::array();
            for (const auto& field : todo) {
                auto entry = ctx.suggesters.retrain(index, field);
                const std::string path = model_path(index.paths().front(), field);
                report.push_back(cli::train_report_json(entry->suggester->model(), field,
                                                        fs::path(path).filename().string()));
            }
            return report;
        });
    });
    send_json(res, dump(out));
}

void get_healthz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
    send_json(res, with_reader(ctx, [&](Reader& reader) {
                  return dump(json{{"status", "ok"},
                                   {"records", reader.index.record_count()},
                                   {"writes", ctx.options.allow_writes}});
              }));
}

const std::map<std::string, Handler>& handlers() {
    static const std::map<std::string, Handler> all = {
        {"GET /healthz", get_healthz},
        {"GET /v1/search", get_search},
        {"POST /v1/search", post_search},
        {"GET /v1/facets", get_facets},
        {"GET /v1/records/{id}", get_record},
        {"GET /v1/records/{id}/similar", get_similar},
        {"GET /v1/taxonomy", get_taxonomy},
        {"GET /v1/stats", get_stats},
        {"POST /v1/suggest", post_suggest},
        {"POST /v1/suggest/batch", post_suggest_batch},
        {"POST /v1/records", post_records},
        {"PUT /v1/records/{id}", put_record},
        {"DELETE /v1/records/{id}", delete_record},
        {"POST /v1/retrain", post_retrain},
    };
    return all;
}

/// The handler wrapped so that every failure becomes a problem document without internals.
httplib::Server::Handler guarded(ApiContext& ctx, Handler handler) {
    return [&ctx, handler](const httplib::Request& req, httplib::Response& res) {
        try {
            handler(ctx, req, res);
        } catch (const ApiError& e) {
            send_problem(res, e.status(), e.code(), e.what(), e.extra());
        } catch (const QueryError& e) {
            send_problem(res, 400, "invalid_query", sanitize(e.what(), ctx.options.db, ""));
        } catch (const InvalidInput& e) {
            send_problem(res, 400, "invalid_input", sanitize(e.what(), ctx.options.db, ""));
        } catch (const NotFound& e) {
            send_problem(res, 404, "not_found", sanitize(e.what(), ctx.options.db, ""));
        } catch (const Error& e) {
            std::cerr << "airm serve: " << req.method << ' ' << req.path << ": " << e.what()
                      << '\n';
            send_problem(res, 503, "index_unavailable",
                         "the index cannot be read right now; try again");
        } catch (const std::exception& e) {
            std::cerr << "airm serve: internal error on " << req.method << ' ' << req.path << ": "
                      << e.what() << '\n';
            send_problem(res, 500, "internal_error",
                         "the server failed to answer; its log has the details");
        }
    };
}

/// The httplib pattern of a route template: {id} matches one path segment.
std::string pattern_of(const std::string& path) {
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '{') {
            out += "([^/]+)";
            i = path.find('}', i);
        } else if (path[i] == '.') {
            out += "\\.";
        } else {
            out += path[i];
        }
    }
    return out;
}

} // namespace

void install_routes(httplib::Server& server, ApiContext& ctx) {
    for (const RouteInfo& route : routes()) {
        if (route.path == "/openapi.json")
            continue; // an embedded file
        const Handler& h = handlers().at(route.method + " " + route.path);
        const std::string pattern = pattern_of(route.path);
        if (route.method == "GET")
            server.Get(pattern, guarded(ctx, h));
        else if (route.method == "POST")
            server.Post(pattern, guarded(ctx, h));
        else if (route.method == "PUT")
            server.Put(pattern, guarded(ctx, h));
        else if (route.method == "DELETE")
            server.Delete(pattern, guarded(ctx, h));
    }
}

} // namespace airm::http
