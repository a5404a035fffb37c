/// `airm serve` over real HTTP: a child server on loopback, a temporary index built from the
/// bundled corpus, requests through httplib's client.

#include "tools/serve/api.hpp"

#include "engine/index.hpp"
#include "serve/serve_process.hpp"
#include "support.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using airm::test::ServeProcess;
using airm::test::TempDir;
using nlohmann::json;

namespace {

/// A fresh index of the bundled corpus in `dir`/idx.
std::string build_index(const TempDir& dir) {
    const std::string db = dir.file("idx");
    const std::string corpus = airm::test::corpus_dir();
    const auto r =
        airm::test::run_airm("index --db " + airm::test::shell_quote(db) + " --taxonomy " +
                             airm::test::shell_quote(corpus + "/taxonomy.json") + " " +
                             airm::test::shell_quote(corpus + "/records.jsonl"));
    REQUIRE(r.exit_code == 0);
    return db;
}

json cli_json(const std::string& args) {
    const auto r = airm::test::run_airm(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    return json::parse(r->body);
}

/// Equal JSON, except that floating-point numbers may differ in their last bits: the server scores
/// in memory, `airm search` through Xapian's matcher, and the sums round differently.
bool same_json(const json& a, const json& b) {
    if (a.is_number_float() || b.is_number_float()) {
        if (!a.is_number() || !b.is_number())
            return false;
        const double x = a.get<double>(), y = b.get<double>();
        return std::fabs(x - y) <= 1e-9 * std::max(1.0, std::fabs(x));
    }
    if (a.type() != b.type() || a.size() != b.size())
        return false;
    if (a.is_object()) {
        for (const auto& [key, value] : a.items()) {
            if (!b.contains(key) || !same_json(value, b[key]))
                return false;
        }
        return true;
    }
    if (a.is_array()) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!same_json(a[i], b[i]))
                return false;
        }
        return true;
    }
    return a == b;
}

void require_problem(const httplib::Result& r, int status, const std::string& code) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    CHECK(r->get_header_value("Content-Type") == "application/problem+json");
    const json p = json::parse(r->body);
    CHECK(p["code"] == code);
    CHECK(p["status"] == status);
    CHECK(p["detail"].is_string());
}

std::string q(const std::string& db) {
    return airm::test::shell_quote(db);
}

/// Sends `request` as raw bytes on a new connection and returns what comes back (up to 5 s).
std::string raw_exchange(int port, const std::string& request) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
        answer.append(buf, static_cast<std::size_t>(n));
        const auto head = answer.find("\r\n\r\n");
        if (head != std::string::npos && answer.find('}', head) != std::string::npos)
            break;
    }
    close(fd);
    return answer;
}

} // namespace

TEST_CASE("serve prints its URL, answers healthz and exits 0 on SIGTERM", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    CHECK(server.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/");
    auto c = server.client();
    const json health = body_of(c.Get("/healthz"));
    CHECK(health["status"] == "ok");
    CHECK(health["records"] == 92);
    CHECK(health["writes"] == false);
    CHECK(server.stop() == 0);
}

TEST_CASE("a second serve on a taken port fails and names the address", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess first(db);
    const auto second =
        airm::test::serve_expecting_failure({"--db", db, "--port", std::to_string(first.port())});
    CHECK(second.exit_code != 0);
    CHECK(second.err.find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
    // The first server still answers.
    auto c = first.client();
    CHECK(c.Get("/healthz")->status == 200);
}

TEST_CASE("search, facets, record, similar, taxonomy and stats answer the CLI's JSON", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    auto c = server.client();

    const json cli =
        cli_json("search --json --db " + q(db) + " --filter category=3 --limit 5 'red teaming'");
    const json get = body_of(c.Get("/v1/search?q=red%20teaming&filter=category%3D3&limit=5"));
    CHECK(same_json(get, cli));
    CHECK(get["schema"] == 1);
    CHECK(get["total"].get<int>() > 0);

    const json post = body_of(
        c.Post("/v1/search", R"({"q": "red teaming", "filter": {"category": "3"}, "limit": 5})",
               "application/json"));
    CHECK(same_json(post, cli));

    CHECK(body_of(c.Get("/v1/facets?q=testing")) ==
          cli_json("facets --json --db " + q(db) + " testing"));
    const std::string id = get["results"][0]["id"];
    CHECK(body_of(c.Get("/v1/records/" + id)) == cli_json("show --json --db " + q(db) + " " + id));
    CHECK(same_json(body_of(c.Get("/v1/records/" + id + "/similar?limit=3")),
                    cli_json("similar --json --limit 3 --db " + q(db) + " " + id)));
    CHECK(body_of(c.Get("/v1/taxonomy")) == cli_json("taxonomy --json --db " + q(db)));

    json stats = body_of(c.Get("/v1/stats"));
    json cli_stats = cli_json("stats --json --db " + q(db));
    CHECK(stats["db"] == "idx"); // the folder's name, never the server's path
    stats.erase("db");
    cli_stats.erase("db");
    CHECK(stats == cli_stats);
}

TEST_CASE("JSON answers are sent uncompressed to a client that accepts gzip and brotli",
          "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    auto c = server.client();
    const httplib::Headers browser{{"Accept-Encoding", "gzip, deflate, br"}};
    const auto search = c.Get("/v1/search?q=red%20teaming", browser);
    const auto record = c.Get("/v1/records/AIRM-0001", browser);
    const auto suggest =
        c.Post("/v1/suggest", browser, R"({"text": "red teaming"})", "application/json");
    for (const auto* r : {&search, &record, &suggest}) {
        REQUIRE(*r);
        INFO((*r)->body.substr(0, 200));
        CHECK((*r)->status == 200);
        CHECK(!(*r)->has_header("Content-Encoding"));
        CHECK((*r)->get_header_value("Content-Type").rfind("application/json", 0) == 0);
        CHECK(json::parse((*r)->body).is_object());
    }
}

TEST_CASE("suggest and batch suggest answer the CLI's JSON and refuse a batch over 32", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    auto c = server.client();
    const std::string text = "Hire outside experts to attack the model before release";
    const json http =
        body_of(c.Post("/v1/suggest", json{{"text", text}, {"top", 3}, {"explain", true}}.dump(),
                       "application/json"));
    const json cli = cli_json("suggest --json --explain --top 3 --db " + q(db) + " " +
                              airm::test::shell_quote(text));
    CHECK(http == cli);
    REQUIRE(http["suggestions"].size() == 3);

    json docs = json::array();
    for (int i = 0; i < 3; ++i)
        docs.push_back({{"id", "d" + std::to_string(i)}, {"text", text}});
    const json batch = body_of(c.Post(
        "/v1/suggest/batch", json{{"documents", docs}, {"top", 3}}.dump(), "application/json"));
    REQUIRE(batch["results"].size() == 3);
    CHECK(batch["results"][2]["id"] == "d2");
    CHECK(batch["results"][0]["suggestions"][0]["code"] == http["suggestions"][0]["code"]);

    json many = json::array();
    for (int i = 0; i < 33; ++i)
        many.push_back({{"text", text}});
    require_problem(
        c.Post("/v1/suggest/batch", json{{"documents", many}}.dump(), "application/json"), 413,
        "batch_too_large");
    require_problem(c.Post("/v1/suggest", R"({"text": "   "})", "application/json"), 400,
                    "blank_text");
    require_problem(
        c.Post("/v1/suggest", R"({"text": "x", "field": "categroy"})", "application/json"), 400,
        "invalid_field");
}

TEST_CASE("bad requests answer problem documents with stable codes and no internals", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    auto c = server.client();

    auto bad_filter = c.Get("/v1/search?q=x&filter=categry%3D3");
    require_problem(bad_filter, 400, "invalid_filter");
    CHECK(json::parse(bad_filter->body)["nearest"][0] == "category");
    auto bad_value = c.Get("/v1/search?q=x&filter=category%3D3.99");
    require_problem(bad_value, 400, "invalid_filter");
    CHECK(!json::parse(bad_value->body)["nearest"].empty());

    require_problem(c.Get("/v1/records/NOPE-1"), 404, "record_not_found");
    require_problem(c.Get("/v1/nothing"), 404, "not_found");
    auto wrong_method = c.Delete("/v1/search");
    require_problem(wrong_method, 405, "method_not_allowed");
    CHECK(wrong_method->get_header_value("Allow") == "GET, POST");
    require_problem(c.Get("/v1/search?q=x&limit=100000"), 400, "invalid_parameter");
    require_problem(c.Get("/v1/search?q=x&limit=-1"), 400, "invalid_parameter");
    require_problem(c.Get("/v1/search?q=x&offset=99999999999"), 400, "invalid_parameter");
    require_problem(c.Get("/v1/search?q=" + std::string(3000, 'a')), 413, "query_too_long");
    require_problem(c.Post("/v1/search", "{\"q\": ", "application/json"), 400, "invalid_json");
    require_problem(c.Post("/v1/search", "[1, 2]", "application/json"), 400, "invalid_json");
    require_problem(c.Post("/v1/search", "q=x", "application/x-www-form-urlencoded"), 415,
                    "unsupported_media_type");
    require_problem(c.Post("/v1/search", "q=x", "text/plain"), 415, "unsupported_media_type");
    require_problem(c.Get("/v1/taxonomy?facet=lifecycle"), 404, "taxonomy_not_found");
    // An oversized body is refused from its Content-Length, before it is read.
    const std::string big = raw_exchange(
        server.port(),
        "POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
            "\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{");
    CHECK(big.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(big.find("\"code\":\"payload_too_large\"") != std::string::npos);
    // Writes are refused by a read-only server whatever the body.
    require_problem(c.Post("/v1/records", R"({"id": "X"})", "application/json"), 403, "read_only");
    require_problem(c.Delete("/v1/records/AIRM-0001"), 403, "read_only");
    // No answer names a path of the server.
    auto r = c.Get("/v1/search?q=%22unclosed");
    REQUIRE(r);
    CHECK(r->body.find(db) == std::string::npos);
}

TEST_CASE("paths with .. or encoded .. reach no file and every answer carries the security headers",
          "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    auto c = server.client();
    for (const std::string path :
         {"/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
          "/static/../../etc/passwd", "/v1/records/..%2f..%2fetc%2fpasswd",
          "/app.js/../../etc/passwd"}) {
        auto r = c.Get(path);
        REQUIRE(r);
        INFO(path);
        CHECK(r->status == 404);
        CHECK(r->body.find("root:") == std::string::npos);
    }
    auto page = c.Get("/");
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(page->body.find("<script src=\"app.js\"") != std::string::npos);
    CHECK(c.Get("/app.js")->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
    CHECK(page->get_header_value("Content-Security-Policy") ==
          "default-src 'self'; frame-ancestors 'none'");
    CHECK(page->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(page->get_header_value("Referrer-Policy") == "no-referrer");
    auto api = c.Get("/v1/stats", {{"Origin", "https://evil.example"}});
    CHECK(api->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(!api->has_header("Access-Control-Allow-Origin"));
    // Another Host (DNS rebinding onto loopback) is refused.
    require_problem(c.Get("/v1/stats", {{"Host", "evil.example"}}), 421, "invalid_host");
}

TEST_CASE("CORS answers only the one origin given with --cors-origin", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db, {"--cors-origin", "https://app.example"});
    auto c = server.client();
    auto ok = c.Get("/v1/stats", {{"Origin", "https://app.example"}});
    CHECK(ok->get_header_value("Access-Control-Allow-Origin") == "https://app.example");
    auto other = c.Get("/v1/stats", {{"Origin", "https://evil.example"}});
    CHECK(!other->has_header("Access-Control-Allow-Origin"));
    auto preflight = c.Options("/v1/search", {{"Origin", "https://app.example"},
                                              {"Access-Control-Request-Method", "POST"}});
    REQUIRE(preflight);
    CHECK(preflight->status == 204);
    CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE("with --allow-writes records are added, replaced and deleted and readers see each commit",
          "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db, {"--allow-writes"});
    auto c = server.client();
    const json record = {{"id", "NEW-1"},
                         {"title", "Quokka wrangling oversight board"},
                         {"text", "An oversight board reviews every quokka deployment."},
                         {"facets", {{"category", {"3.1"}}}}};
    const json added = body_of(c.Post("/v1/records", record.dump(), "application/json"));
    CHECK(added == json{{"db", "idx"}, {"read", 1}, {"added", 1}, {"replaced", 0}, {"total", 93}});
    CHECK(body_of(c.Get("/v1/search?q=quokka"))["total"] == 1);
    CHECK(body_of(c.Get("/v1/records/NEW-1"))["title"] == "Quokka wrangling oversight board");

    json replaced = record;
    replaced["title"] = "Quokka wrangling review";
    CHECK(body_of(c.Put("/v1/records/NEW-1", replaced.dump(), "application/json"))["replaced"] ==
          1);
    CHECK(body_of(c.Get("/v1/records/NEW-1"))["title"] == "Quokka wrangling review");
    require_problem(c.Put("/v1/records/OTHER", replaced.dump(), "application/json"), 400,
                    "id_mismatch");

    const std::string lines = json{{"id", "NEW-2"}, {"title", "Wombat audits"}}.dump() + "\n" +
                              json{{"id", "NEW-3"}, {"title", "Wombat drills"}}.dump() + "\n";
    CHECK(body_of(c.Post("/v1/records", lines, "application/x-ndjson"))["added"] == 2);
    CHECK(body_of(c.Get("/v1/search?q=wombat"))["total"] == 2);

    auto invalid =
        c.Post("/v1/records", R"({"id": "BAD-1", "title": "x", "facets": {"category": ["9.9"]}})",
               "application/json");
    require_problem(invalid, 422, "invalid_record");
    CHECK(invalid->body.find("airm-serve-") == std::string::npos); // no temporary path
    require_problem(c.Post("/v1/records", "{\"id\": ", "application/json"), 400, "invalid_json");
    require_problem(c.Post("/v1/records", "id,title\n", "text/csv"), 415, "unsupported_media_type");

    CHECK(body_of(c.Delete("/v1/records/NEW-1"))["removed"] == 1);
    require_problem(c.Get("/v1/records/NEW-1"), 404, "record_not_found");
    require_problem(c.Delete("/v1/records/NEW-1"), 404, "record_not_found");

    const json retrained =
        body_of(c.Post("/v1/retrain", R"({"field": "category"})", "application/json"));
    REQUIRE(retrained.size() == 1);
    CHECK(retrained[0]["field"] == "category");
    CHECK(retrained[0]["records"].get<int>() >= 92);
}

TEST_CASE("a write while another process holds the index lock answers 409 index_locked",
          "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db, {"--allow-writes"});
    auto c = server.client();
    {
        airm::IndexWriter held = airm::IndexWriter::open(db, false);
        require_problem(
            c.Post("/v1/records", R"({"id": "L-1", "title": "locked"})", "application/json"), 409,
            "index_locked");
        require_problem(c.Delete("/v1/records/AIRM-0001"), 409, "index_locked");
    }
    CHECK(
        c.Post("/v1/records", R"({"id": "L-1", "title": "locked"})", "application/json")->status ==
        200);
}

TEST_CASE("a token file must be private and writes then need its bearer token", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    const std::string token = "0123456789abcdef0123456789abcdef";
    const std::string file = dir.write("token", token + "\n");
    chmod(file.c_str(), 0644);
    const auto refused = airm::test::serve_expecting_failure(
        {"--db", db, "--port", "0", "--allow-writes", "--token-file", file});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("chmod 600") != std::string::npos);

    chmod(file.c_str(), 0600);
    ServeProcess server(db, {"--allow-writes", "--token-file", file});
    auto c = server.client();
    const std::string rec = R"({"id": "T-1", "title": "token test"})";
    require_problem(c.Post("/v1/records", rec, "application/json"), 401, "unauthorized");
    require_problem(
        c.Post("/v1/records", {{"Authorization", "Bearer wrong"}}, rec, "application/json"), 401,
        "unauthorized");
    require_problem(c.Post("/v1/records", {{"Authorization", "Bearer " + token + "x"}}, rec,
                           "application/json"),
                    401, "unauthorized");
    CHECK(c.Post("/v1/records", {{"Authorization", "Bearer " + token}}, rec, "application/json")
              ->status == 200);
    // Writes from a page of another origin are refused even with the token.
    require_problem(
        c.Post("/v1/records",
               {{"Authorization", "Bearer " + token}, {"Origin", "https://evil.example"}}, rec,
               "application/json"),
        403, "forbidden_origin");
    // Reads need no token.
    CHECK(c.Get("/v1/stats")->status == 200);
}

TEST_CASE("a slow client that never finishes its request does not stall others", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db);
    const int slow = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(slow >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(connect(slow, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string partial =
        "POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n";
    REQUIRE(send(slow, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
    auto c = server.client();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        auto r = c.Get("/v1/search?q=testing&limit=3");
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(took < 3.0);
    close(slow);
}

TEST_CASE("the OpenAPI document lists exactly the routes the server answers", "[serve]") {
    TempDir dir;
    const std::string db = build_index(dir);
    ServeProcess server(db, {"--allow-writes"});
    auto c = server.client();
    const json doc = body_of(c.Get("/openapi.json"));
    CHECK(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
    std::set<std::string> documented, served;
    for (const auto& [path, ops] : doc["paths"].items()) {
        for (const auto& [method, op] : ops.items()) {
            std::string upper = method;
            for (char& ch : upper)
                ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            documented.insert(upper + " " + path);
        }
    }
    for (const auto& r : airm::http::routes())
        served.insert(r.method + " " + r.path);
    CHECK(documented == served);
    // Each documented operation is routed: whatever its answer, it is not "no such route".
    for (const auto& r : airm::http::routes()) {
        std::string path = r.path;
        if (auto at = path.find("{id}"); at != std::string::npos)
            path.replace(at, 4, "AIRM-0001");
        httplib::Result res = r.method == "GET"    ? c.Get(path)
                              : r.method == "POST" ? c.Post(path, "{}", "application/json")
                              : r.method == "PUT"  ? c.Put(path, "{}", "application/json")
                                                   : c.Delete(path);
        REQUIRE(res);
        INFO(r.method << " " << path << ": " << res->body);
        CHECK(res->status != 405);
        if (res->status == 404)
            CHECK(json::parse(res->body)["code"] != "not_found");
    }
}
