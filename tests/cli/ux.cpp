/// The command line's answers to mistakes, through the binary: inputs without records, a documents
/// table that joins nothing, usage errors (exit code 2), paging limits, the hint for a folder that
/// is not an index, and the README's statement of which JSON outputs carry a schema number.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::airm_ok;
using airm::test::folder_contents;
using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::SmallIndex;
using airm::test::TempDir;
using airm::test::test_data;

namespace {

/// Runs a command that must fail with an airm error (exit 1) and leave `db` byte for byte as it
/// was.
airm::test::CommandResult refused_keeping(const std::string& db, const std::string& args) {
    const auto before = folder_contents(db);
    auto r = run_airm(args);
    INFO("airm " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("airm: error: ", 0) == 0);
    CHECK(folder_contents(db) == before);
    return r;
}

} // namespace

TEST_CASE("cli ux: inputs without records are refused and the index keeps its records",
          "[cli][ux]") {
    SmallIndex index;
    REQUIRE(index.records() == 7);
    const std::string csv_map = "--map id=id --map text=text ";
    struct Case {
        std::string file, content, options;
    };
    const std::vector<Case> cases = {
        {"empty.jsonl", "", ""},
        {"blank.jsonl", "\n\n", ""},
        {"empty.json", "[]", ""},
        {"header.csv", "id,text\n", csv_map},
    };
    for (const auto& c : cases) {
        const std::string input = index.dir.write(c.file, c.content);
        for (const std::string rebuild : {"--rebuild ", ""}) {
            INFO(c.file << ' ' << rebuild);
            auto r =
                refused_keeping(index.db, "index " + rebuild + c.options + "--db " +
                                              shell_quote(index.db) + " " + shell_quote(input));
            CHECK(r.err.find("'" + input + "' holds no records") != std::string::npos);
            CHECK(r.err.find(rebuild.empty() ? "nothing was indexed" : "the rebuild is refused") !=
                  std::string::npos);
            CHECK(r.err.find("index '" + index.db + "' is unchanged") != std::string::npos);
            CHECK(index.records() == 7);
        }
    }
    // Several inputs are named together; one input with records among them is indexed as before.
    const std::string a = index.dir.write("a.jsonl", "");
    const std::string b = index.dir.write("b.json", "[]");
    auto r = refused_keeping(index.db, "index --rebuild --db " + shell_quote(index.db) + " " +
                                           shell_quote(a) + " " + shell_quote(b));
    CHECK(r.err.find("'" + a + "' and '" + b + "' hold no records") != std::string::npos);
    const std::string one = index.dir.write("one.jsonl", "{\"id\": \"n1\", \"text\": \"new\"}\n");
    airm_ok("index --rebuild --db " + shell_quote(index.db) + " " + shell_quote(a) + " " +
            shell_quote(one));
    CHECK(index.records() == 1);
    // A new index is not made from nothing either.
    const std::string fresh = index.dir.file("fresh");
    auto none = run_airm("index --db " + shell_quote(fresh) + " " + shell_quote(a));
    CHECK(none.exit_code == 1);
    CHECK(none.err.find("holds no records") != std::string::npos);
    CHECK_FALSE(fs::exists(fresh));
}

TEST_CASE("cli ux: a documents table without ShortRef or joining no record is refused",
          "[cli][ux]") {
    SmallIndex index;
    const std::string mit = test_data("mit-shape.csv");
    const std::string command = "index --db " + shell_quote(index.db) + " --format mit-csv ";
    SECTION("no ShortRef column") {
        const std::string docs =
            index.dir.write("docs.csv", "Key,Title,Year\nAlpha2024,Alpha Framework,2024\n");
        auto r = refused_keeping(index.db, command + "--documents " + shell_quote(docs) + " " +
                                               shell_quote(mit));
        CHECK(r.err.find("line 1 of " + docs + ": column 'ShortRef' not found") !=
              std::string::npos);
        CHECK(r.err.find("columns are: Key, Title, Year") != std::string::npos);
    }
    SECTION("the mitigations table itself given as the documents table") {
        auto r = refused_keeping(index.db, command + "--documents " + shell_quote(mit) + " " +
                                               shell_quote(mit));
        CHECK(r.err.find("line 1 of " + mit + ": column 'ShortRef' not found") !=
              std::string::npos);
        CHECK(r.err.find("columns are: Action ID, Action Name, Action Definition, Action Source") !=
              std::string::npos);
    }
    SECTION("a ShortRef column that matches no record's source") {
        const std::string docs = index.dir.write(
            "docs.csv", "ShortRef,Title,Year\nGamma2020,Gamma,2020\nDelta2021,Delta,2021\n");
        auto r = refused_keeping(index.db, command + "--documents " + shell_quote(docs) + " " +
                                               shell_quote(mit));
        CHECK(r.err.find("--documents " + docs + ": no record of " + mit + " has a source") !=
              std::string::npos);
        CHECK(r.err.find("'Alpha2024'") != std::string::npos); // what the records name
        CHECK(r.err.find("'Delta2021'") != std::string::npos); // what the documents name
    }
    SECTION("a documents table with no rows") {
        const std::string docs = index.dir.write("docs.csv", "ShortRef,Title\n");
        auto r = refused_keeping(index.db, command + "--documents " + shell_quote(docs) + " " +
                                               shell_quote(mit));
        CHECK(r.err.find(docs + " holds no documents") != std::string::npos);
    }
    SECTION("JSON inputs alone cannot join documents") {
        const std::string input = test_data("records.jsonl");
        auto r = refused_keeping(index.db, "index --db " + shell_quote(index.db) + " --documents " +
                                               shell_quote(test_data("documents.csv")) + " " +
                                               shell_quote(input));
        CHECK(r.err.find("is joined to CSV inputs only, and '" + input + "' is JSON") !=
              std::string::npos);
    }
    SECTION("a CSV mapping without source.ref cannot join documents") {
        const std::string input = index.dir.write("plain.csv", "id,text\nc1,words\n");
        auto r = refused_keeping(index.db, "index --db " + shell_quote(index.db) +
                                               " --map id=id --map text=text --documents " +
                                               shell_quote(test_data("documents.csv")) + " " +
                                               shell_quote(input));
        CHECK(r.err.find("maps no column to it; add --map source.ref=COLUMN") != std::string::npos);
    }
    CHECK(index.records() == 7);
}

TEST_CASE("cli ux: every usage error exits 2 with airm's prefix", "[cli][ux]") {
    SmallIndex index;
    const std::string db = "--db " + shell_quote(index.db) + " ";
    const std::string input = shell_quote(test_data("records.jsonl"));
    struct Case {
        std::string args;
        std::string says;
    };
    const std::vector<Case> cases = {
        {"serch foo", "unknown command 'serch'; did you mean 'search'?"},
        {"sugg foo", "unknown command 'sugg'; did you mean 'suggest'?"},
        {"frobnicate", "unknown command 'frobnicate' (commands are: "},
        {"", "A subcommand is required; commands are: "},
        {"search " + db + "--nope red", "--nope"},
        {"search " + db + "--limit -1 red",
         "--limit: -1 is out of range; give a whole number from 1"},
        {"search " + db + "--limit 0 red", "--limit: 0 is out of range"},
        {"search " + db + "--limit 100001 red", "--limit: 100001 is out of range"},
        {"search " + db + "--limit ten red", "--limit: 'ten' is not a whole number"},
        {"search " + db + "--offset -1 red",
         "--offset: -1 is out of range; give a whole number from 0"},
        {"similar " + db + "--limit -1 T-001", "--limit: -1 is out of range"},
        {"similar " + db + "--offset -5 T-001", "--offset: -5 is out of range"},
        {"search " + db + "--sort date red",
         "--sort: 'date' is not one of the choices; use relevance, year or id"},
        {"search " + db + "--limit", "--limit"},
        {"index " + db + "--format xml " + input, "--format: 'xml' is not one of the choices"},
        {"index " + db + "--wait -1 " + input, "--wait: '-1' is not a number of seconds"},
        {"delete " + db + "--wait soon T-001", "--wait: 'soon' is not a number of seconds"},
        {"index " + db, "inputs is required"},
    };
    for (const auto& c : cases) {
        auto r = run_airm(c.args);
        INFO("airm " << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("airm: error: ", 0) == 0);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(r.err.find("Run with --help for more information.") != std::string::npos);
    }
    CHECK(index.records() == 7); // nothing was deleted or indexed
    // Help and version still exit 0, and values inside the ranges work.
    CHECK(run_airm("--help").exit_code == 0);
    CHECK(run_airm("search --help").exit_code == 0);
    CHECK(run_airm("--version").exit_code == 0);
    const auto page = nlohmann::json::parse(
        airm_ok("search --json " + db + "--limit 2 --offset 1 --sort id model"));
    CHECK(page["limit"] == 2);
    CHECK(page["offset"] == 1);
    CHECK(page["results"].size() <= 2);
    CHECK(nlohmann::json::parse(airm_ok("search --json " + db + "--limit 10000 model"))["limit"] ==
          10000);
}

TEST_CASE("cli ux: a folder that is not an index gets a hint that works", "[cli][ux]") {
    TempDir dir;
    const std::string input = shell_quote(test_data("records.jsonl"));
    SECTION("a folder with other files: the hint names a new or empty folder, not this one") {
        const std::string folder = dir.file("notidx");
        fs::create_directory(folder);
        dir.write("notidx/notes.txt", "mine");
        auto r = run_airm("search --db " + shell_quote(folder) + " red");
        INFO(r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("'" + folder + "' is not an airm index") != std::string::npos);
        CHECK(r.err.find("in a new or empty folder with 'airm index --db NEW_FOLDER FILE...'") !=
              std::string::npos);
        CHECK(r.err.find("airm index --db " + folder) == std::string::npos);
        // What the old hint said is indeed refused there.
        auto follow = run_airm("index --db " + shell_quote(folder) + " " + input);
        CHECK(follow.exit_code == 1);
    }
    SECTION("an empty folder: the hint names it, and following it works") {
        const std::string folder = dir.file("empty");
        fs::create_directory(folder);
        auto r = run_airm("search --db " + shell_quote(folder) + " red");
        INFO(r.err);
        CHECK(r.exit_code == 1);
        const std::string hint = "airm index --db " + folder + " FILE...";
        REQUIRE(r.err.find(hint) != std::string::npos);
        airm_ok("index --db " + shell_quote(folder) + " " + input);
        airm_ok("search --db " + shell_quote(folder) + " red");
    }
}

TEST_CASE("cli ux: the README names exactly the JSON outputs that start with schema 1",
          "[cli][ux]") {
    // The README's sentence: the `airm COMMAND` names before "start with `"schema": 1`".
    std::ifstream in(airm::test::corpus_dir() + "/../README.md");
    REQUIRE(in);
    std::string line, sentence;
    while (std::getline(in, line)) {
        if (line.find("`\"schema\": 1`") != std::string::npos) {
            sentence = line;
            break;
        }
    }
    REQUIRE(!sentence.empty());
    std::set<std::string> named;
    const std::string claim = sentence.substr(0, sentence.find("`\"schema\": 1`"));
    const std::regex command("`airm ([a-z]+)`");
    for (std::sregex_iterator it(claim.begin(), claim.end(), command), end; it != end; ++it)
        named.insert((*it)[1].str());
    INFO("README: " << sentence);
    REQUIRE(!named.empty());

    SmallIndex index;
    const std::string db = "--db " + shell_quote(index.db) + " ";
    const std::string more =
        index.dir.write("more.jsonl", "{\"id\": \"m1\", \"text\": \"more\"}\n");
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"search", "search --json " + db + "model"},
        {"facets", "facets --json " + db},
        {"similar", "similar --json " + db + "T-001"},
        {"show", "show --json " + db + "T-001"},
        {"stats", "stats --json " + db},
        {"taxonomy", "taxonomy --json " + db},
        {"index", "index --json " + db + shell_quote(more)},
        {"delete", "delete --json " + db + "m1"},
        {"train", "train --json " + db},
        {"suggest", "suggest --json " + db + shell_quote("red teaming before each release")},
    };
    std::set<std::string> tested;
    for (const auto& [name, args] : commands) {
        const auto out = nlohmann::ordered_json::parse(airm_ok(args));
        const bool has_schema =
            out.is_object() && !out.empty() && out.begin().key() == "schema" && out["schema"] == 1;
        INFO("airm " << args);
        CHECK(has_schema == (named.count(name) == 1));
        tested.insert(name);
    }
    for (const auto& name : named) {
        INFO("the README names airm " << name);
        CHECK(tested.count(name) == 1);
    }
    // Each line of search --batch is a search result too.
    const std::string batch = index.dir.write("q.jsonl", "{\"q\": \"model\"}\n");
    const auto first =
        nlohmann::ordered_json::parse(airm_ok("search --batch " + shell_quote(batch) + " " + db));
    CHECK(first.begin().key() == "schema");
}
