/// No silent wrong answers (issue 20): inputs that used to give a plausible but wrong answer with
/// exit 0 now give an error naming the input and the fix, or a visible notice.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::airm_ok;
using airm::test::run_airm;
using airm::test::ScopedEnv;
using airm::test::shell_quote;
using airm::test::SmallIndex;
using airm::test::TempDir;
using nlohmann::json;

TEST_CASE("cli trust: AIRM_DB naming a missing folder is an error, not a demo index built there",
          "[cli][trust]") {
    TempDir dir;
    const std::string typo = dir.file("typo");
    ScopedEnv env("AIRM_DB", typo);
    for (const std::string& args :
         std::vector<std::string>{"search \"red teaming\"", "stats", "show AIRM-0046",
                                  "suggest \"Publish a model card\"", "delete AIRM-0046"}) {
        auto r = run_airm(args);
        INFO("AIRM_DB=" << typo << " airm " << args << "\nstdout: " << r.out
                        << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("AIRM_DB='" + typo + "' does not exist") != std::string::npos);
        CHECK(r.err.find("airm index --db " + typo) != std::string::npos);
        CHECK(!fs::exists(typo));
    }
    // An empty folder is not an index either, and stays empty.
    fs::create_directory(typo);
    auto r = run_airm("search \"red teaming\"");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("AIRM_DB='" + typo + "' is not an airm index") != std::string::npos);
    CHECK(fs::is_empty(typo));
    // `airm index` is how an index is made: it creates one where AIRM_DB points.
    airm_ok("index " + shell_quote(airm::test::test_data("records.jsonl")));
    CHECK(airm::test::record_count(typo) == SmallIndex::kIds.size());
}

TEST_CASE("cli trust: an empty --db is a usage error naming the empty value", "[cli][trust]") {
    for (const std::string& args : std::vector<std::string>{
             "search --db \"\" red", "stats --db \"\"",
             "index --db \"\" " + shell_quote(airm::test::test_data("records.jsonl"))}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--db") != std::string::npos);
        CHECK(r.err.find("empty") != std::string::npos);
        CHECK(r.out.empty());
    }
}

namespace {

/// The MIT export indexed through the binary, with its source documents, in `dir`/mit.
std::string index_mit(const TempDir& dir, const std::string& data) {
    const std::string mit = data + "/mit-mitigations/";
    const std::string db = dir.file("mit");
    airm_ok("index --db " + shell_quote(db) + " --format mit-csv --documents " +
            shell_quote(mit + "mitigation-database-included-documents-2025-07-23.csv") + " " +
            shell_quote(mit + "mitigation-database-2025-07-23.csv"));
    return db;
}

json search_json(const std::string& db, const std::string& args) {
    return json::parse(airm_ok("search --json --db " + shell_quote(db) + " " + args));
}

} // namespace

TEST_CASE("cli trust: partial matches are ranked by their score and follow --sort",
          "[cli][trust]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    TempDir dir;
    const std::string db = index_mit(dir, data);
    // No record holds every word: the whole page is partial matches, and its scores are in order.
    const json best = search_json(db, "--limit 30 \"bias audits for hiring\"");
    REQUIRE(best["total"] == 0);
    REQUIRE(best["results"].size() == 30);
    for (std::size_t i = 0; i + 1 < best["results"].size(); ++i) {
        INFO("rank " << i + 1);
        CHECK(best["results"][i]["partial"] == true);
        CHECK(best["results"][i]["score"].get<double>() >=
              best["results"][i + 1]["score"].get<double>());
    }
    // --sort year and --sort id order them too.
    const json by_year = search_json(db, "--limit 30 --sort year \"bias audits for hiring\"");
    for (std::size_t i = 0; i + 1 < by_year["results"].size(); ++i) {
        INFO("rank " << i + 1);
        CHECK(by_year["results"][i]["source"]["year"].get<int>() >=
              by_year["results"][i + 1]["source"]["year"].get<int>());
    }
    const json by_id = search_json(db, "--limit 30 --sort id \"bias audits for hiring\"");
    for (std::size_t i = 0; i + 1 < by_id["results"].size(); ++i) {
        INFO("rank " << i + 1);
        CHECK(by_id["results"][i]["id"].get<std::string>() <=
              by_id["results"][i + 1]["id"].get<std::string>());
    }
}

TEST_CASE("cli trust: --explain and parsed name the synonyms a record matched through",
          "[cli][trust]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    TempDir dir;
    const std::string db = index_mit(dir, data);
    const json r = search_json(db, "--explain --limit 50 watermarking");
    CHECK(r["parsed"].get<std::string>().find("synonyms: watermarking = ") != std::string::npos);
    CHECK(r["parsed"].get<std::string>().find("content provenance") != std::string::npos);
    // Some records match only through a synonym: their explanation says which one, with its
    // share of the score.
    std::size_t through_synonym = 0;
    for (const auto& hit : r["results"]) {
        // The word's part, then the code prior's when the record is coded like the best results.
        REQUIRE(!hit["explain"].empty());
        for (std::size_t i = 1; i < hit["explain"].size(); ++i)
            CHECK(hit["explain"][i]["query"].get<std::string>().rfind("(code prior ", 0) == 0);
        const json& part = hit["explain"][0];
        double synonyms = 0;
        for (const auto& s : part.value("synonyms", json::array())) {
            CHECK(s["weight"].get<double>() > 0);
            synonyms += s["weight"].get<double>();
        }
        CHECK(synonyms <= part["weight"].get<double>() + 1e-9);
        const std::string text =
            hit["title"].get<std::string>() + " " + hit["snippet"]["text"].get<std::string>();
        if (part.contains("synonyms") && text.find("atermark") == std::string::npos)
            ++through_synonym;
    }
    CHECK(through_synonym > 0);
    // The terminal says it too.
    const std::string text = airm_ok("search --explain --db " + shell_quote(db) + " watermarking");
    CHECK(text.find("(synonym \"") != std::string::npos);
}

TEST_CASE("cli trust: a query of punctuation alone is no searchable word, not every record",
          "[cli][trust]") {
    SmallIndex index;
    for (const char* q : {"'\"'", "'()'", "'\" \"'"}) {
        INFO("query " << q);
        const json r = search_json(index.db, q);
        CHECK(r["total"] == 0);
        CHECK(r["results"].empty());
        CHECK(r["notices"].dump().find("no searchable word") != std::string::npos);
    }
}

TEST_CASE("cli trust: filters that can match nothing are refused with the nearest valid values",
          "[cli][trust]") {
    SmallIndex index;
    const std::string db = shell_quote(index.db);
    struct Case {
        std::string args;
        std::vector<std::string> said;
    };
    const std::vector<Case> cases = {
        {"search --db " + db + " --filter actor=Developr red",
         {"filter actor=Developr: no record has this value", "nearest: Developer",
          "airm facets --facets actor"}},
        {"search --db " + db + " --filter actr=Developer red",
         {"filter actr=Developer: this index has no facet 'actr'", "actor"}},
        {"facets --db " + db + " --filter lifecycle=Deploy",
         {"filter lifecycle=Deploy: no record has this value"}},
        {"similar --db " + db + " T-001 --filter actor=Nobody", {"no record has this value"}},
    };
    for (const auto& c : cases) {
        auto r = run_airm(c.args);
        INFO("airm " << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        for (const auto& s : c.said)
            CHECK(r.err.find(s) != std::string::npos);
    }
    // Values differing in case only still match, as the filter folds case.
    CHECK(search_json(index.db, "--filter actor=developer red")["total"] ==
          search_json(index.db, "--filter actor=Developer red")["total"]);

    // A batch names its line, and never a --filter it was not given.
    TempDir dir;
    const std::string batch = dir.write(
        "q.jsonl", "{\"q\": \"red\"}\n{\"q\": \"red\", \"filter\": {\"actor\": \"Developr\"}}\n");
    auto r = run_airm("search --db " + db + " --batch " + shell_quote(batch));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("line 2 of " + batch) != std::string::npos);
    CHECK(r.err.find("nearest: Developer") != std::string::npos);
    CHECK(r.err.find("--filter") == std::string::npos);
}

TEST_CASE("cli trust: year filters and unknown fields on an index without them say so",
          "[cli][trust]") {
    TempDir dir;
    const std::string db = dir.file("plain");
    airm_ok("index --db " + shell_quote(db) + " " +
            shell_quote(dir.write("plain.jsonl",
                                  "{\"id\": \"p1\", \"text\": \"Developer red teaming\"}\n"
                                  "{\"id\": \"p2\", \"text\": \"Audit the training data\"}\n")));
    auto r = run_airm("search --db " + shell_quote(db) + " --filter year=2024 red");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("filter year=2024: no record of this index has a year") != std::string::npos);
    // actor:Developer is searched as text; when that matches nothing, a notice says why.
    r = run_airm("search --db " + shell_quote(db) + " actor:Developer");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("'actor' is not a field or facet of this index") != std::string::npos);
    const json j = search_json(db, "actor:Developer");
    CHECK(j["total"] == 0);
    CHECK(j["notices"].dump().find("'actor' is not a field or facet") != std::string::npos);
}

TEST_CASE("cli trust: ranking settings must be finite numbers in range", "[cli][trust]") {
    SmallIndex index;
    for (const std::string setting :
         {"k1=nan", "title=inf", "synonyms=-inf", "b=2", "common=1.5", "k1=1e300"}) {
        auto r =
            run_airm("search --db " + shell_quote(index.db) + " --ranking " + setting + " red");
        INFO("--ranking " << setting << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("'" + setting + "'") != std::string::npos);
        CHECK(r.err.find("takes a number from 0 to") != std::string::npos);
    }
}

TEST_CASE("cli trust: batch search lines with unknown keys are refused naming the line",
          "[cli][trust]") {
    SmallIndex index;
    TempDir dir;
    const std::string batch = dir.write("q.jsonl", "{\"q\": \"red\", \"limit\": 0}\n");
    auto r = run_airm("search --db " + shell_quote(index.db) + " --batch " + shell_quote(batch));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("line 1 of " + batch + " has the unknown key \"limit\"") != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("cli trust: re-indexing the MIT export without its documents keeps the source years",
          "[cli][trust]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    TempDir dir;
    const std::string db = index_mit(dir, data);
    const auto years = search_json(db, "--filter year=2024 --limit 1")["total"];
    REQUIRE(years.get<std::uint64_t>() > 0);
    const std::string csv = data + "/mit-mitigations/mitigation-database-2025-07-23.csv";
    auto r = run_airm("index --db " + shell_quote(db) + " --format mit-csv " + shell_quote(csv));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("831 records") != std::string::npos);
    CHECK(r.err.find("--documents") != std::string::npos);
    CHECK(search_json(db, "--filter year=2024 --limit 1")["total"] == years);
    // With the documents it is a plain update.
    airm_ok("index --db " + shell_quote(db) + " --format mit-csv --documents " +
            shell_quote(data + "/mit-mitigations/" +
                        "mitigation-database-included-documents-2025-07-23.csv") +
            " " + shell_quote(csv));
    CHECK(search_json(db, "--filter year=2024 --limit 1")["total"] == years);
}

TEST_CASE("cli trust: a lock file that cannot be opened is not blamed on another process",
          "[cli][trust]") {
    SmallIndex index;
    // A lock file that cannot be opened for writing, as in a folder the user may not write to
    // (which root, running the tests in CI, could still write): here a folder in its place.
    fs::remove(fs::path(index.db) / "flintlock");
    fs::create_directory(fs::path(index.db) / "flintlock");
    for (const std::string& args : {"delete --db " + shell_quote(index.db) + " T-001",
                                    "index --db " + shell_quote(index.db) + " " +
                                        shell_quote(airm::test::test_data("records.jsonl"))}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("locked by another process") == std::string::npos);
        CHECK(r.err.find("cannot take the write lock of index '" + index.db + "'") !=
              std::string::npos);
        CHECK(r.err.find("permissions") != std::string::npos);
    }
}

TEST_CASE("cli trust: control characters in the data never reach the terminal raw",
          "[cli][trust]") {
    TempDir dir;
    const std::string db = dir.file("ctl");
    airm_ok("index --db " + shell_quote(db) + " " +
            shell_quote(dir.write(
                "ctl.jsonl", "{\"id\": \"c1\", \"title\": \"Wipe \\u001b[2J the screen\", "
                             "\"text\": \"Bell \\u0007 and CSI \\u009b31m in red teaming text\", "
                             "\"source\": {\"ref\": \"Ref\\u001b]0;title\\u0007\"}}\n")));
    const std::string out = airm_ok("search --db " + shell_quote(db) + " red teaming");
    INFO(out);
    // Standard output is not a terminal here, so any escape would come from the data.
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
    CHECK(out.find("\xc2\x9b") == std::string::npos);
    CHECK(out.find("Wipe ?[2J the screen") != std::string::npos);
    // JSON keeps the data as it is, escaped.
    const json j = search_json(db, "red teaming");
    CHECK(j["results"][0]["title"] == "Wipe \x1b[2J the screen");
}

TEST_CASE("cli trust: a binary synonyms file is refused without quoting its bytes",
          "[cli][trust]") {
    SmallIndex index;
    TempDir dir;
    std::string bytes = "\x89PNG\r\n\x1a\n";
    for (int i = 0; i < 64; ++i)
        bytes += static_cast<char>(0x80 + i);
    const std::string file = dir.write("synonyms.bin", bytes);
    auto r = run_airm("search --db " + shell_quote(index.db) + " --synonyms " + shell_quote(file) +
                      " red");
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(file + " is not a UTF-8 text file") != std::string::npos);
    CHECK(r.err.find("'a = b = c'") != std::string::npos);
    CHECK(r.err.find('\x1a') == std::string::npos);
    CHECK(r.err.find("\x80\x81") == std::string::npos);
}

TEST_CASE("cli trust: counts in messages are the counts, in the right number", "[cli][trust]") {
    SmallIndex index;
    const std::string out = airm_ok("delete --db " + shell_quote(index.db) + " T-001");
    CHECK(out.find("deleted 1 record from") != std::string::npos);
    CHECK(out.find("1 records") == std::string::npos);
    std::string words;
    for (int i = 0; i < 5000; ++i)
        words += (i ? " " : "") + std::string("red");
    auto r = run_airm("search --db " + shell_quote(index.db) + " '" + words + "'");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("the query has 5000 words") != std::string::npos);
}
