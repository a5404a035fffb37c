/// `airm index`, `delete`, `show`, `stats` and `taxonomy` end to end through the binary, including
/// every kind of bad input: each ends with a non-zero exit, a message naming the input and the fix,
/// and an index exactly as it was.

#include "engine/index.hpp"

#include "engine/schema.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
#include <xapian.h>

namespace fs = std::filesystem;
using airm::test::airm_ok;
using airm::test::folder_contents;
using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::SmallIndex;
using airm::test::TempDir;
using airm::test::test_data;
using nlohmann::json;

namespace {

std::string bundled_taxonomy() {
    return airm::test::corpus_dir() + "/taxonomy.json";
}

/// Everything a user can see of the index: stats (without its size) and every record.
std::string snapshot(const SmallIndex& index) {
    json stats = json::parse(airm_ok("stats --json --db " + shell_quote(index.db)));
    stats.erase("size_bytes");
    std::string out = stats.dump();
    for (const auto& id : SmallIndex::kIds) {
        out += airm_ok("show --json --db " + shell_quote(index.db) + " " + shell_quote(id));
    }
    return out;
}

/// Runs a command that must fail against the fixture index, and checks that the index is unchanged.
airm::test::CommandResult fails_and_keeps(const SmallIndex& index, const std::string& args) {
    const std::string before = snapshot(index);
    REQUIRE(index.records() == SmallIndex::kIds.size());
    auto r = run_airm(args);
    INFO("airm " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != 3); // an airm error, not an internal one
    CHECK(r.err.rfind("airm: error: ", 0) == 0);
    CHECK(index.records() == SmallIndex::kIds.size());
    CHECK(snapshot(index) == before);
    return r;
}

std::string index_into(const SmallIndex& index, const std::string& more) {
    return "index --db " + shell_quote(index.db) + " " + more;
}

/// Flattens a taxonomy tree of {"value", "count", "children"} into value -> count.
void flatten(const json& nodes, std::map<std::string, std::uint64_t>& out) {
    for (const auto& n : nodes) {
        out[n["value"].get<std::string>()] = n["count"].get<std::uint64_t>();
        flatten(n["children"], out);
    }
}

} // namespace

TEST_CASE("cli: index, show, stats, taxonomy and delete end to end", "[cli]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const auto indexed =
        run_airm("index --json --db " + shell_quote(db) + " --taxonomy " +
                 shell_quote(bundled_taxonomy()) + " " + shell_quote(test_data("records.jsonl")) +
                 " " + shell_quote(test_data("records.json")));
    REQUIRE(indexed.exit_code == 0);
    CHECK(indexed.err.empty()); // no progress line when standard error is not a terminal
    const json r = json::parse(indexed.out);
    CHECK(r["read"] == 9);
    CHECK(r["added"] == 9);
    CHECK(r["replaced"] == 0);
    CHECK(r["total"] == 9);

    // show
    const json shown = json::parse(airm_ok("show --json --db " + shell_quote(db) + " T-001"));
    CHECK(shown["id"] == "T-001");
    CHECK(shown["title"] == "Red-team GPT-4 class models before release");
    CHECK(shown["source"]["year"] == 2025);
    CHECK(shown["facets"]["category"] ==
          json::parse(R"([{"value": "3.1", "name": "Testing & Auditing"},
                                                          {"value": "1.1", "name": "Board Structure & Oversight"}])"));
    CHECK(shown["facets"]["actor"] == json::parse(R"([{"value": "Developer"}])"));
    const std::string text = airm_ok("show --db " + shell_quote(db) + " T-002");
    CHECK(text.find("Évaluation des risques avant le déploiement") != std::string::npos);
    auto missing = run_airm("show --db " + shell_quote(db) + " NOPE");
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("NOPE") != std::string::npos);

    // stats: records, facet counts, size
    const json stats = json::parse(airm_ok("stats --json --db " + shell_quote(db)));
    CHECK(stats["records"] == 9);
    CHECK(stats["size_bytes"].get<std::uint64_t>() > 0);
    CHECK(stats["schema_version"] == airm::schema::kVersion);
    CHECK(stats["analyzer"]["language"] == "english");
    std::map<std::string, std::uint64_t> category;
    flatten(stats["facets"]["category"]["values"], category);
    // T-001 3.1+1.1, T-002 1.2, T-003 3.1, T-004 1.2, T-005 3.1, T-006 4.1, J-1 4.2, J-2 4.4
    CHECK(category.at("1") == 3);
    CHECK(category.at("1.1") == 1);
    CHECK(category.at("1.2") == 2);
    CHECK(category.at("3") == 3);
    CHECK(category.at("3.1") == 3);
    CHECK(category.at("4") == 3);
    CHECK(category.at("4.1") == 1);
    CHECK(category.at("2") == 0);
    // Every code of the bundled taxonomy is listed, used or not.
    std::ifstream taxonomy_file(bundled_taxonomy());
    CHECK(category.size() == json::parse(taxonomy_file)["nodes"].size());
    CHECK(stats["facets"]["category"]["hierarchical"] == true);
    CHECK(stats["facets"]["actor"]["hierarchical"] == false);
    CHECK(stats["facets"]["actor"]["values"] == json::parse(R"([{"value": "Developer", "count": 2},
        {"value": "Deployer", "count": 1}, {"value": "Governance Actor", "count": 1}])"));
    const std::string stats_text = airm_ok("stats --db " + shell_quote(db));
    CHECK(stats_text.find("9 records") != std::string::npos);

    // taxonomy
    const json tax = json::parse(airm_ok("taxonomy --json --db " + shell_quote(db)));
    CHECK(tax["facet"] == "category");
    REQUIRE(tax["tree"].size() >= 4);
    CHECK(tax["tree"][0]["value"] == "1");
    CHECK(tax["tree"][0]["name"] == "Governance & Oversight Controls");
    CHECK(tax["tree"][0]["count"] == 3);
    CHECK(tax["tree"][0]["children"][0]["value"] == "1.1");
    std::map<std::string, std::uint64_t> tree;
    flatten(tax["tree"], tree);
    CHECK(tree == category);
    auto no_tax = run_airm("taxonomy --db " + shell_quote(db) + " --facet actor");
    CHECK(no_tax.exit_code == 1);
    CHECK(no_tax.err.find("category") != std::string::npos);

    // delete: an unknown id deletes nothing
    auto bad_delete = run_airm("delete --db " + shell_quote(db) + " T-001 NOPE");
    CHECK(bad_delete.exit_code == 1);
    CHECK(bad_delete.err.find("NOPE") != std::string::npos);
    CHECK(bad_delete.err.find("nothing was deleted") != std::string::npos);
    CHECK(json::parse(airm_ok("stats --json --db " + shell_quote(db)))["records"] == 9);
    const json deleted =
        json::parse(airm_ok("delete --json --db " + shell_quote(db) + " T-001 J-2"));
    CHECK(deleted["removed"] == 2);
    CHECK(deleted["total"] == 7);
    CHECK(run_airm("show --db " + shell_quote(db) + " T-001").exit_code == 1);
    std::map<std::string, std::uint64_t> after;
    flatten(json::parse(airm_ok("taxonomy --json --db " + shell_quote(db)))["tree"], after);
    CHECK(after.at("3.1") == 2);
    CHECK(after.at("1.1") == 0);
    CHECK(after.at("4.4") == 0);

    // replace by id
    const std::string update = dir.write(
        "update.jsonl", R"({"id": "T-002", "text": "Rewritten.", "facets": {"category": ["2.1"]}})"
                        "\n");
    const json replaced =
        json::parse(airm_ok("index --json --db " + shell_quote(db) + " " + shell_quote(update)));
    CHECK(replaced["replaced"] == 1);
    CHECK(replaced["total"] == 7);
    CHECK(json::parse(airm_ok("show --json --db " + shell_quote(db) + " T-002"))["text"] ==
          "Rewritten.");

    // --rebuild replaces everything; a trailing slash names the same folder
    airm_ok("index --rebuild --db " + shell_quote(db + "/") + " " +
            shell_quote(test_data("records.json")));
    CHECK(json::parse(airm_ok("stats --json --db " + shell_quote(db)))["records"] == 2);
    CHECK(fs::exists(db));
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        CHECK(entry.path().filename().string().find(".airm-") == std::string::npos);
    }
}

TEST_CASE("cli: CSV with a column mapping and the mit-csv preset", "[cli]") {
    TempDir dir;
    const std::string db = dir.file("db");
    airm_ok("index --db " + shell_quote(db) + " --format mit-csv --documents " +
            shell_quote(test_data("documents.csv")) + " " +
            shell_quote(test_data("mit-shape.csv")));
    const json a = json::parse(airm_ok("show --json --db " + shell_quote(db) + " A0001_Alpha2024"));
    CHECK(a["source"]["title"] == "Alpha Framework for Frontier AI, Version 2");
    CHECK(a["source"]["authors"] == "Alpha Institute");
    CHECK(a["source"]["year"] == 2024);
    CHECK(a["source"]["url"] == "https://example.org/alpha");
    CHECK(a["facets"]["category"][0]["value"] == "1.1");
    CHECK(a["facets"]["category"][0]["name"] == "Board Structure & Oversight");

    const std::string db2 = dir.file("db2");
    const std::string csv = dir.write(
        "custom.csv", "Ref,Heading,Body,Notes,Published,Codes,Who\r\n"
                      "R1,Audit,Independent audit.,Done yearly.,2023,3.1; 1.2,Deployer\r\n");
    airm_ok("index --db " + shell_quote(db2) + " --mapping " +
            shell_quote(test_data("mapping.json")) + " " + shell_quote(csv));
    const json r1 = json::parse(airm_ok("show --json --db " + shell_quote(db2) + " R1"));
    CHECK(r1["text"] == "Independent audit.\n\nDone yearly.");
    CHECK(r1["facets"]["category"].size() == 2);
    const std::string db3 = dir.file("db3");
    const std::string csv2 = dir.write("custom2.csv", "Ref,Heading,Body,Notes,Published,Codes,Who\n"
                                                      "R2,Board,Safety board.,,,1.1,\n");
    // --map repeated, then several input files.
    airm_ok("index --db " + shell_quote(db3) +
            " --map id=Ref --map title=Heading --map text=Body+Notes" +
            " --map facet:category=Codes --map split:category=';' " + shell_quote(csv) + " " +
            shell_quote(csv2));
    CHECK(json::parse(airm_ok("show --json --db " + shell_quote(db3) + " R1"))["text"] ==
          r1["text"]);
    CHECK(json::parse(airm_ok("stats --json --db " + shell_quote(db3)))["records"] == 2);
}

TEST_CASE("cli: --taxonomy FACET=FILE codes the named facet", "[cli]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const std::string input = dir.write(
        "risk.jsonl",
        R"({"id": "k1", "text": "x", "facets": {"risk": ["1.1"], "category": ["6.5 > Derived"]}})"
        "\n"
        R"({"id": "k2", "text": "y", "facets": {"risk": ["3.1"]}})"
        "\n");
    const std::string second =
        dir.write("more.jsonl", R"({"id": "k3", "text": "z", "facets": {"risk": ["1.2"]}})"
                                "\n");
    airm_ok("index --db " + shell_quote(db) + " --taxonomy " +
            shell_quote("risk=" + test_data("taxonomy-airm.json")) + " " + shell_quote(input) +
            " " + shell_quote(second));
    const json risk = json::parse(airm_ok("taxonomy --json --facet risk --db " + shell_quote(db)));
    CHECK(risk["title"] == "Flat test taxonomy");
    std::map<std::string, std::uint64_t> counts;
    flatten(risk["tree"], counts);
    CHECK(counts == std::map<std::string, std::uint64_t>{
                        {"1", 2}, {"1.1", 1}, {"1.2", 1}, {"3", 1}, {"3.1", 1}});
    // The other facet keeps the hierarchy derived from its data.
    const json category = json::parse(airm_ok("taxonomy --json --db " + shell_quote(db)));
    CHECK(category["tree"][0]["value"] == "6");
    CHECK(category["tree"][0]["children"][0]["name"] == "Derived");
    // A code outside the named facet's taxonomy is refused.
    const std::string bad =
        dir.write("bad.jsonl", R"({"id": "k4", "text": "w", "facets": {"risk": ["2.2"]}})"
                               "\n");
    auto r = run_airm("index --db " + shell_quote(db) + " " + shell_quote(bad));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("code '2.2' of facet 'risk'") != std::string::npos);
}

TEST_CASE("cli: the real MIT export gives 831 records with the published label counts",
          "[cli][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    // The expected counts are read from ../shared/data/README.md, where the data is described.
    const std::string text = airm::test::read_file(shared + "/README.md");
    std::map<std::string, std::uint64_t> expected;
    const std::regex label(R"((\d\.\d)=(\d+))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), label);
         it != std::sregex_iterator(); ++it) {
        expected[(*it)[1]] = std::stoull((*it)[2]);
    }
    REQUIRE(expected.size() == 23);
    std::smatch catch_all;
    REQUIRE(std::regex_search(text, catch_all, std::regex(R"(catch-alls (\d+))")));
    const std::uint64_t expected_catch_alls = std::stoull(catch_all[1]);

    TempDir dir;
    const std::string db = dir.file("mit");
    const std::string mit = shared + "/mit-mitigations/";
    airm_ok("index --db " + shell_quote(db) + " --format mit-csv --documents " +
            shell_quote(mit + "mitigation-database-included-documents-2025-07-23.csv") + " " +
            shell_quote(mit + "mitigation-database-2025-07-23.csv"));
    const json stats = json::parse(airm_ok("stats --json --db " + shell_quote(db)));
    CHECK(stats["records"] == 831);
    std::map<std::string, std::uint64_t> counts;
    flatten(stats["facets"]["category"]["values"], counts);
    std::uint64_t labelled = 0;
    for (const auto& [code, count] : expected) {
        INFO("code " << code);
        CHECK(counts[code] == count);
        labelled += count;
    }
    CHECK(counts["1.X"] + counts["2.X"] + counts["3.X"] + counts["X.X"] == expected_catch_alls);
    CHECK(labelled + expected_catch_alls == 831);

    // Every record names its source document.
    const json first = json::parse(
        airm_ok("show --json --db " + shell_quote(db) + " 'A0086_Future of Life Institute2024'"));
    CHECK(first["source"]["title"] == "FLI AI Safety Index 2024");
    CHECK(first["source"]["year"] == 2024);
    CHECK(first["source"]["url"].get<std::string>().rfind("https://", 0) == 0);
}

TEST_CASE("cli bad input: a malformed JSON line", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("bad.jsonl", "{\"id\": \"new1\", \"text\": \"fine\"}\n"
                                     "{\"id\": \"new2\" \"text\": \"missing comma\"}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 2 of " + input) != std::string::npos);
    CHECK(r.err.find("malformed JSON") != std::string::npos);
    CHECK(r.err.find("column") != std::string::npos);
    CHECK(r.err.find("each line must be one complete JSON object") != std::string::npos);
}

TEST_CASE("cli bad input: CSV with an unbalanced quote", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("bad.csv", "id,text\nc1,fine\nc2,\"never closed\nc3,more\n");
    auto r = fails_and_keeps(
        index, index_into(index, "--map id=id --map text=text " + shell_quote(input)));
    CHECK(r.err.find("line 3, column 2 of " + input) != std::string::npos);
    CHECK(r.err.find("never closed") != std::string::npos);
    CHECK(r.err.find("\"\"") != std::string::npos); // how to write a quote inside a field
}

TEST_CASE("cli bad input: a mapped column that does not exist", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input = index.dir.write("cols.csv", "Ref,Body,Codes\nc1,fine,3.1\n");
    auto r = fails_and_keeps(
        index, index_into(index, "--map id=Ref --map text=Text " + shell_quote(input)));
    CHECK(r.err.find("line 1 of " + input) != std::string::npos);
    CHECK(r.err.find("column 'Text' not found") != std::string::npos);
    CHECK(r.err.find("columns are: Ref, Body, Codes") != std::string::npos);
}

TEST_CASE("cli bad input: a record without an id", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("noid.jsonl", "{\"id\": \"ok\", \"text\": \"x\"}\n{\"text\": \"no id\"}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 2 of " + input) != std::string::npos);
    CHECK(r.err.find("field 'id' is missing") != std::string::npos);
    CHECK(r.err.find("every record needs a unique, non-empty id") != std::string::npos);
}

TEST_CASE("cli bad input: an empty id", "[cli][bad-input]") {
    SmallIndex index;
    const std::string jsonl = index.dir.write("empty.jsonl", "{\"id\": \"  \", \"text\": \"x\"}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(jsonl)));
    CHECK(r.err.find("line 1 of " + jsonl) != std::string::npos);
    CHECK(r.err.find("field 'id' is empty") != std::string::npos);
    CHECK(r.err.find("non-empty id") != std::string::npos);

    const std::string csv = index.dir.write("empty.csv", "id,text\nc1,x\n,y\n");
    auto c = fails_and_keeps(index,
                             index_into(index, "--map id=id --map text=text " + shell_quote(csv)));
    CHECK(c.err.find("line 3 of " + csv) != std::string::npos);
    CHECK(c.err.find("column 'id'") != std::string::npos);
    CHECK(c.err.find("non-empty id") != std::string::npos);
}

TEST_CASE("cli bad input: an id too long to index", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("long.jsonl", "{\"id\": \"ok\", \"text\": \"x\"}\n{\"id\": \"" +
                                          std::string(300, 'i') + "\", \"text\": \"y\"}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 2 of " + input) != std::string::npos);
    CHECK(r.err.find("is 300 bytes long; ids may be at most 200 bytes, so shorten it") !=
          std::string::npos);
}

TEST_CASE("cli bad input: the same id twice in one batch", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("dup.jsonl", "{\"id\": \"d1\", \"text\": \"x\"}\n{\"id\": \"d2\", "
                                     "\"text\": \"y\"}\n{\"id\": \"d1\", \"text\": \"z\"}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 3 of " + input) != std::string::npos);
    CHECK(r.err.find("id 'd1' appears twice") != std::string::npos);
    CHECK(r.err.find("first at line 1 of " + input) != std::string::npos);
    CHECK(r.err.find("fix or remove one of them") != std::string::npos);
}

TEST_CASE("cli bad input: invalid UTF-8", "[cli][bad-input]") {
    SmallIndex index;
    SECTION("JSON Lines") {
        const std::string input =
            index.dir.write("latin1.jsonl", "{\"id\": \"u1\", \"text\": \"ok\"}\n"
                                            "{\"id\": \"u2\", \"text\": \"caf\xe9\"}\n");
        auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
        CHECK(r.err.find("line 2 of " + input) != std::string::npos);
        CHECK(r.err.find("invalid UTF-8 at byte 26") != std::string::npos);
        CHECK(r.err.find("re-save the file as UTF-8") != std::string::npos);
    }
    SECTION("CSV") {
        const std::string input = index.dir.write("latin1.csv", "id,text\nu1,ok\nu2,caf\xe9\n");
        auto r = fails_and_keeps(
            index, index_into(index, "--map id=id --map text=text " + shell_quote(input)));
        CHECK(r.err.find("line 3, column 2 of " + input) != std::string::npos);
        CHECK(r.err.find("invalid UTF-8 at byte 4") != std::string::npos);
        CHECK(r.err.find("re-save the file as UTF-8") != std::string::npos);
    }
    SECTION("JSON array") {
        const std::string input =
            index.dir.write("latin1.json", "[{\"id\": \"u1\", \"text\": \"caf\xe9\"}]");
        auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
        CHECK(r.err.find(input) != std::string::npos);
        CHECK(r.err.find("invalid UTF-8") != std::string::npos);
        CHECK(r.err.find("line 1") != std::string::npos);
    }
}

TEST_CASE("cli bad input: a record with no text at all", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("blank.jsonl", "{\"id\": \"b1\", \"title\": \"\", \"text\": \" \\n \", "
                                       "\"facets\": {\"category\": [\"3.1\"]}}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 1 of " + input) != std::string::npos);
    CHECK(r.err.find("'b1' has no text at all") != std::string::npos);
    CHECK(r.err.find("give it a title or a text") != std::string::npos);
}

TEST_CASE("cli bad input: a code that is not in the taxonomy", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input = index.dir.write(
        "code.jsonl",
        "{\"id\": \"n1\", \"text\": \"new code\", \"facets\": {\"category\": [\"2.9\"]}}\n");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(input)));
    CHECK(r.err.find("line 1 of " + input) != std::string::npos);
    CHECK(r.err.find("code '2.9' of facet 'category' is not in the taxonomy") != std::string::npos);
    CHECK(r.err.find("nearest valid codes: 2.4, 2.3, 2.2") != std::string::npos);
    CHECK(r.err.find("--allow-new-codes") != std::string::npos);

    // --allow-new-codes accepts it.
    airm_ok(index_into(index, "--allow-new-codes " + shell_quote(input)));
    CHECK(index.records() == SmallIndex::kIds.size() + 1);
    std::map<std::string, std::uint64_t> tree;
    flatten(json::parse(airm_ok("taxonomy --json --db " + shell_quote(index.db)))["tree"], tree);
    CHECK(tree.at("2.9") == 1);
    CHECK(tree.at("2") == 1);
}

TEST_CASE("cli bad input: an input file that does not exist", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input = index.dir.file("nowhere.jsonl");
    auto r = fails_and_keeps(index, index_into(index, shell_quote(test_data("records.json")) + " " +
                                                          shell_quote(input)));
    CHECK(r.err.find("'" + input + "' does not exist") != std::string::npos);
    CHECK(r.err.find("check the path") != std::string::npos);
}

TEST_CASE("cli bad input: an index locked by another writer", "[cli][bad-input]") {
    SmallIndex index;
    const std::string input =
        index.dir.write("more.jsonl", "{\"id\": \"m1\", \"text\": \"more\"}\n");
    const std::string before = snapshot(index);
    {
        airm::IndexWriter holder = airm::IndexWriter::open(index.db, false);
        for (const std::string& args : {index_into(index, shell_quote(input)),
                                        index_into(index, "--rebuild " + shell_quote(input)),
                                        "delete --db " + shell_quote(index.db) + " T-001"}) {
            auto r = run_airm(args);
            INFO("airm " << args << "\nstderr: " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("index '" + index.db) != std::string::npos);
            CHECK(r.err.find("is locked by another process") != std::string::npos);
            CHECK(r.err.find("wait for it to finish") != std::string::npos);
        }
        // Readers still work while it is locked.
        CHECK(snapshot(index) == before);
    }
    CHECK(snapshot(index) == before);
    CHECK(index.records() == SmallIndex::kIds.size());
}

TEST_CASE("cli bad input: a --db that is not an index", "[cli][bad-input]") {
    TempDir dir;
    const std::string input = dir.write("r.jsonl", "{\"id\": \"r1\", \"text\": \"x\"}\n");
    SECTION("a folder with other files") {
        const std::string folder = dir.file("documents");
        fs::create_directory(folder);
        const std::string note = dir.write("documents/notes.txt", "my notes");
        for (const std::string& args :
             {"index --db " + shell_quote(folder) + " " + shell_quote(input),
              "index --rebuild --db " + shell_quote(folder) + " " + shell_quote(input),
              "stats --db " + shell_quote(folder), "delete --db " + shell_quote(folder) + " r1"}) {
            auto r = run_airm(args);
            INFO("airm " << args << "\nstderr: " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("'" + folder + "' is not an airm index") != std::string::npos);
            CHECK(r.err.find("pass the folder made by 'airm index'") != std::string::npos);
        }
        // The folder is exactly as it was.
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(folder))
            names.push_back(entry.path().filename().string());
        CHECK(names == std::vector<std::string>{"notes.txt"});
        std::ifstream in(note);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(content == "my notes");
        CHECK(!fs::exists(folder + ".airm-rebuild"));
    }
    SECTION("a plain file") {
        const std::string file = dir.write("plain.txt", "not an index");
        for (const std::string& args :
             {"index --db " + shell_quote(file) + " " + shell_quote(input),
              "index --rebuild --db " + shell_quote(file) + " " + shell_quote(input),
              "show --db " + shell_quote(file) + " r1"}) {
            auto r = run_airm(args);
            INFO("airm " << args << "\nstderr: " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("'" + file + "' is a file, not an index folder") != std::string::npos);
        }
        std::ifstream in(file);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(content == "not an index");
        CHECK(!fs::exists(file + ".airm-rebuild"));
    }
}

TEST_CASE("cli bad input: an index of another schema version", "[cli][bad-input]") {
    SmallIndex index;
    {
        Xapian::WritableDatabase wdb(index.db, Xapian::DB_OPEN);
        json meta = json::parse(wdb.get_metadata(std::string(airm::schema::kMetadataKey)));
        meta["version"] = 99;
        wdb.set_metadata(std::string(airm::schema::kMetadataKey), meta.dump());
        wdb.commit();
    }
    for (const std::string& args : {"stats --db " + shell_quote(index.db),
                                    index_into(index, shell_quote(test_data("records.json")))}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("schema version 99") != std::string::npos);
        CHECK(r.err.find("reads version " + std::to_string(airm::schema::kVersion)) !=
              std::string::npos);
        CHECK(r.err.find("airm index --rebuild --db " + index.db) != std::string::npos);
    }
    // The rebuild it suggests works.
    airm_ok(index_into(index, "--rebuild " + shell_quote(test_data("records.json"))));
    CHECK(index.records() == 2);
}

TEST_CASE("cli bad input: an old default index names the bundled corpus in its fix",
          "[cli][bad-input]") {
    TempDir dir;
    const std::string db = dir.file("demo");
    setenv("AIRM_DB", db.c_str(), 1);
    // Without --db, `airm index` creates the index $AIRM_DB names.
    airm_ok("index --taxonomy " + shell_quote(airm::test::corpus_dir() + "/taxonomy.json") + " " +
            shell_quote(airm::test::corpus_dir() + "/records.jsonl"));
    {
        Xapian::WritableDatabase wdb(db, Xapian::DB_OPEN);
        json meta = json::parse(wdb.get_metadata(std::string(airm::schema::kMetadataKey)));
        meta["version"] = 2;
        wdb.set_metadata(std::string(airm::schema::kMetadataKey), meta.dump());
        wdb.commit();
    }
    const std::string corpus = airm::test::corpus_dir();
    const std::string fix = "airm index --rebuild --db " + db + " --taxonomy " + corpus +
                            "/taxonomy.json " + corpus + "/records.jsonl";
    const auto files_before = folder_contents(db);
    // Readers and writers alike: each refuses, names the fix, and leaves the index as it was.
    for (const std::string& args : std::vector<std::string>{
             "search \"red teaming\"", "stats", "suggest \"Publish a model card\"",
             "show AIRM-0046", "delete AIRM-0046",
             "index " + shell_quote(corpus + "/records.jsonl")}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("schema version 2") != std::string::npos);
        CHECK(r.err.find(fix) != std::string::npos);
    }
    CHECK(folder_contents(db) == files_before);
    // The named fix works as written.
    airm_ok(fix.substr(std::string("airm ").size()));
    CHECK(!json::parse(airm_ok("search --json \"red teaming\""))["results"].empty());
    unsetenv("AIRM_DB");
}

TEST_CASE("cli bad input: a failed first index leaves no index folder behind", "[cli][bad-input]") {
    TempDir dir;
    const std::string db = dir.file("new-index");
    const std::string input = dir.write(
        "bad.jsonl", "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"a\", \"text\": \"y\"}\n");
    auto r = run_airm("index --db " + shell_quote(db) + " " + shell_quote(input));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("appears twice") != std::string::npos);
    CHECK(!fs::exists(db));

    // An empty folder given for a new index stays, empty.
    const std::string empty = dir.file("empty");
    fs::create_directory(empty);
    r = run_airm("index --db " + shell_quote(empty) + " " + shell_quote(input));
    CHECK(r.exit_code == 1);
    CHECK(fs::exists(empty));
    CHECK(fs::is_empty(empty));

    // So does a failed rebuild into a new folder.
    r = run_airm("index --rebuild --db " + shell_quote(db) + " " + shell_quote(input));
    CHECK(r.exit_code == 1);
    CHECK(!fs::exists(db));
    CHECK(!fs::exists(db + ".airm-rebuild"));
}

TEST_CASE("airm --version names the malloc that serves it", "[cli]") {
    // The build links jemalloc into the executables (CMake option AIRM_JEMALLOC); the name comes
    // from an allocation the process counts, so a link that fell back to glibc fails here.
    const auto result = run_airm("--version");
    REQUIRE(result.exit_code == 0);
#if defined(AIRM_TEST_JEMALLOC)
    CHECK(result.out.find("(malloc: jemalloc ") != std::string::npos);
#elif defined(__SANITIZE_ADDRESS__)
    CHECK(result.out.find("(malloc: AddressSanitizer)") != std::string::npos);
#else
    CHECK(result.out.find("(malloc: glibc)") != std::string::npos);
#endif
}
