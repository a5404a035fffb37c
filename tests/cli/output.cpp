/// The conveniences of issue 20 through the binary: tables for spreadsheets (--format csv|tsv with
/// --fields), --facets none, --color and $NO_COLOR, --delimiter and the separator hint, airm
/// compact, the ids suggested for an unknown one, and --skip-bad-lines.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using airm::test::airm_ok;
using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::SmallIndex;
using airm::test::TempDir;

namespace {

/// The records of a CSV text (RFC 4180: quoted fields with doubled quotes, CRLF or LF), read here
/// independently of airm's reader.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(field);
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        } else if (c == '\n') {
            rows.back().push_back(field);
            field.clear();
            rows.emplace_back();
        } else {
            field += c;
        }
    }
    if (rows.back().empty())
        rows.pop_back();
    return rows;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> out(1);
    for (const char c : text) {
        if (c == separator)
            out.emplace_back();
        else
            out.back() += c;
    }
    return out;
}

/// An index of three records whose text holds what a table must quote or escape.
struct TrickyIndex {
    TempDir dir;
    std::string db = dir.file("db");
    TrickyIndex() {
        const std::string input = dir.write(
            "tricky.jsonl",
            nlohmann::json{{"id", "Q-1"},
                           {"title", "Audits, \"independent\" ones"},
                           {"text", "Audit\tthe model,\nthen report.\r\nA back\\slash too."},
                           {"facets", {{"category", {"3.1", "1.1"}}, {"actor", {"Developer"}}}}}
                    .dump() +
                "\n" +
                nlohmann::json{{"id", "Q-2"},
                               {"title", "Plain audit"},
                               {"text", "An audit of the data."},
                               {"facets", {{"category", {"1.2"}}}}}
                    .dump() +
                "\n" +
                nlohmann::json{{"id", "Q-10"}, {"title", "Other"}, {"text", "Nothing here."}}
                    .dump() +
                "\n");
        airm_ok("index --db " + shell_quote(db) + " --taxonomy " +
                shell_quote(airm::test::corpus_dir() + "/taxonomy.json") + " " +
                shell_quote(input));
    }
};

} // namespace

TEST_CASE("search --format csv writes RFC 4180 rows under a header, with the fields asked for",
          "[cli][output]") {
    TrickyIndex index;
    const std::string out = airm_ok("search --db " + shell_quote(index.db) +
                                    " --format csv --fields id,title,text,codes,actor audit");
    CHECK(out.find("\r\n") != std::string::npos); // RFC 4180 line ends
    const auto rows = parse_csv(out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == std::vector<std::string>{"id", "title", "text", "codes", "actor"});
    const auto& q1 = rows[1][0] == "Q-1" ? rows[1] : rows[2];
    CHECK(q1 == std::vector<std::string>{"Q-1", "Audits, \"independent\" ones",
                                         "Audit\tthe model,\nthen report.\r\nA back\\slash too.",
                                         "3.1; 1.1", "Developer"});
    // The default columns.
    const auto defaults =
        parse_csv(airm_ok("search --db " + shell_quote(index.db) + " --output-format csv audit"));
    REQUIRE(!defaults.empty());
    CHECK(defaults[0] == std::vector<std::string>{"rank", "id", "score", "title", "codes"});
    CHECK(defaults.size() == 3);
    CHECK(defaults[1][0] == "1");
}

TEST_CASE("search --format tsv keeps every row on one line, escaping tabs, newlines and "
          "backslashes",
          "[cli][output]") {
    TrickyIndex index;
    const std::string out = airm_ok("search --db " + shell_quote(index.db) +
                                    " --format tsv --fields id,text \"back slash\" OR model");
    const auto lines = split(out, '\n');
    REQUIRE(lines.size() == 3); // header, one row, and the empty rest after the last newline
    CHECK(lines[0] == "id\ttext");
    CHECK(lines[1] == "Q-1\tAudit\\tthe model,\\nthen report.\\r\\nA back\\\\slash too.");
    CHECK(lines[2].empty());
}

TEST_CASE("show and suggest write tables too, and an unknown field is refused naming the fields",
          "[cli][output]") {
    TrickyIndex index;
    const auto shown = parse_csv(airm_ok("show --db " + shell_quote(index.db) +
                                         " --format csv --fields id,category,title Q-1"));
    REQUIRE(shown.size() == 2);
    CHECK(shown[1] == std::vector<std::string>{"Q-1", "3.1; 1.1", "Audits, \"independent\" ones"});

    SmallIndex small;
    const std::string out = airm_ok("suggest --db " + shell_quote(small.db) +
                                    " --output-format tsv --top 3 'red teaming before release'");
    const auto lines = split(out, '\n');
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "rank\tcode\tname\tconfidence");
    CHECK(split(lines[1], '\t').size() == 4);
    CHECK(split(lines[1], '\t')[0] == "1");

    const auto r =
        run_airm("search --db " + shell_quote(index.db) + " --format csv --fields id,colour audit");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("--fields 'colour' is not a field of 'airm search'") != std::string::npos);
    CHECK(r.err.find("snippet") != std::string::npos);
    const auto no_table = run_airm("search --db " + shell_quote(index.db) + " --fields id audit");
    CHECK(no_table.exit_code == 1);
    CHECK(no_table.err.find("add --format csv") != std::string::npos);
}

TEST_CASE("search --facets none prints no facet counts, in text and JSON", "[cli][output]") {
    SmallIndex index;
    const std::string with = airm_ok("search --db " + shell_quote(index.db) + " testing");
    CHECK(with.find("\ncategory") != std::string::npos);
    const std::string without =
        airm_ok("search --db " + shell_quote(index.db) + " --facets none testing");
    CHECK(without.find("\ncategory") == std::string::npos);
    CHECK(without.find("T-00") != std::string::npos);
    const auto json = nlohmann::json::parse(
        airm_ok("search --json --db " + shell_quote(index.db) + " --facets none testing"));
    CHECK(json.at("facets").empty());
    CHECK(!json.at("results").empty());
    CHECK(run_airm("search --db " + shell_quote(index.db) + " --facets none,actor testing")
              .exit_code == 1);
}

TEST_CASE("airm --color always styles piped output, never and NO_COLOR leave it plain",
          "[cli][output]") {
    SmallIndex index;
    const std::string query = " --db " + shell_quote(index.db) + " testing";
    CHECK(airm_ok("search" + query).find("\033[") == std::string::npos); // piped: auto is plain
    CHECK(airm_ok("search --color=always" + query).find("\033[1m") != std::string::npos);
    CHECK(airm_ok("show --color always --db " + shell_quote(index.db) + " T-001").find("\033[1m") !=
          std::string::npos);
    CHECK(airm_ok("search --color=never" + query).find("\033[") == std::string::npos);
    // NO_COLOR turns auto off; an explicit --color=always still wins.
    const auto r = run_airm("search --color=auto" + query);
    CHECK(r.exit_code == 0);
    const std::string env = "env NO_COLOR=1 " + shell_quote(airm::test::airm_binary());
    CHECK(std::system(
              (env + " search --color=always" + query + " | grep -q $(printf '\\033')").c_str()) ==
          0);
    CHECK(run_airm("search --color=sometimes" + query).exit_code == 2);
    // Before the command too, and listed once, in airm --help.
    CHECK(airm_ok("--color always search" + query).find("\033[1m") != std::string::npos);
    CHECK(airm_ok("--help").find("--color") != std::string::npos);
}

TEST_CASE("index reads a semicolon-separated CSV with --delimiter, and hints at it without",
          "[cli][output]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const std::string input =
        dir.write("semi.csv", "ref;Title;Text\nS-1;Audits;\"Audit the model; report, then act\"\n"
                              "S-2;Red teams;Red-team before release\n");
    const std::string maps = " --map id=ref --map title=Title --map text=Text ";
    const auto r = run_airm("index --db " + shell_quote(db) + maps + shell_quote(input));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("looks semicolon-separated: pass --delimiter ';'") != std::string::npos);
    airm_ok("index --db " + shell_quote(db) + maps + "--delimiter ';' " + shell_quote(input));
    CHECK(airm::test::record_count(db) == 2);
    const auto shown =
        nlohmann::json::parse(airm_ok("show --json --db " + shell_quote(db) + " S-1"));
    CHECK(shown["text"] == "Audit the model; report, then act");

    const std::string tabbed = dir.write("tab.csv", "ref\tTitle\tText\nT-1\tTabs\tTabbed text\n");
    const auto t = run_airm("index --db " + shell_quote(db) + maps + shell_quote(tabbed));
    CHECK(t.err.find("looks tab-separated: pass --delimiter tab") != std::string::npos);
    airm_ok("index --db " + shell_quote(db) + maps + "--delimiter tab " + shell_quote(tabbed));
    CHECK(airm::test::record_count(db) == 3);
    CHECK(
        run_airm("index --db " + shell_quote(db) + maps + "--delimiter ';;' " + shell_quote(input))
            .exit_code == 2);
}

TEST_CASE("airm compact reclaims the space of replaced records and keeps every answer",
          "[cli][output][compact]") {
    SmallIndex index;
    const std::string db = shell_quote(index.db);
    const std::string input = airm::test::test_data("records.jsonl");
    for (int i = 0; i < 3; ++i)
        airm_ok("index --db " + db + " " + shell_quote(input));
    auto unused = [&]() {
        return nlohmann::json::parse(
                   airm_ok("stats --json --db " + db))["record_files"]["unused_bytes"]
            .get<std::uint64_t>();
    };
    REQUIRE(unused() > 0);
    CHECK(airm_ok("stats --db " + db).find("'airm compact --db " + index.db + "' reclaims") !=
          std::string::npos);
    const std::string search = "search --json --db " + db + " testing OR audit";
    const std::string before = airm_ok(search);
    const auto report = nlohmann::json::parse(airm_ok("compact --json --db " + db));
    CHECK(report["records"] == 7);
    CHECK(report["reclaimed_bytes"].get<std::uint64_t>() > 0);
    CHECK(report["files_after"] == 1);
    CHECK(unused() == 0);
    CHECK(airm_ok(search) == before);
    CHECK(index.records() == 7);
    CHECK(airm_ok("compact --db " + db).find("reclaimed 0 B") != std::string::npos);
}

TEST_CASE("show and delete name the ids that start with an unknown id", "[cli][output]") {
    TrickyIndex index;
    const std::string db = shell_quote(index.db);
    auto r = run_airm("show --db " + db + " Q-");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("ids that start with 'Q-': Q-1, Q-10, Q-2") != std::string::npos);
    r = run_airm("show --db " + db + " q-1");
    CHECK(r.err.find("ids that start with 'q-1': Q-1, Q-10") != std::string::npos);
    r = run_airm("delete --db " + db + " Q-3");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("nothing was deleted; ids that start with 'Q-': Q-1, Q-10, Q-2") !=
          std::string::npos);
    CHECK(airm::test::record_count(index.db) == 3);
    r = run_airm("show --db " + db + " ZZZ");
    CHECK(r.err.find("find ids with 'airm search'") != std::string::npos);
    CHECK(airm_ok("delete --db " + db + " Q-2").find("deleted 1 record from") != std::string::npos);
}

TEST_CASE("airm --skip-bad-lines skips and reports each bad line of index, batch search and batch "
          "suggest",
          "[cli][output]") {
    SmallIndex index;
    const std::string db = shell_quote(index.db);
    TempDir dir;
    const std::string records =
        dir.write("mixed.jsonl", "{\"id\": \"N-1\", \"text\": \"New audit record\"}\n"
                                 "{not json\n"
                                 "{\"id\": \"N-2\", \"text\": \"Another audit record\"}\n"
                                 "{\"title\": \"no id\", \"text\": \"x\"}\n");
    auto r = run_airm("index --db " + db + " " + shell_quote(records));
    CHECK(r.exit_code == 1);
    CHECK(index.records() == 7);
    r = run_airm("index --json --skip-bad-lines --db " + db + " " + shell_quote(records));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(index.records() == 9);
    CHECK(r.err.find("airm: skipped line 2 of ") != std::string::npos);
    CHECK(r.err.find("airm: skipped line 4 of ") != std::string::npos);
    CHECK(r.err.find("skipped 2 bad lines; the others were indexed") != std::string::npos);
    CHECK(nlohmann::json::parse(r.out)["skipped"].size() == 2);

    const std::string queries =
        dir.write("q.jsonl", "{\"q\": \"audit\"}\n[1, 2]\n{\"q\": \"testing\"}\n");
    r = run_airm("search --batch " + shell_quote(queries) + " --db " + db);
    CHECK(r.exit_code == 1);
    r = run_airm("search --skip-bad-lines --batch " + shell_quote(queries) + " --db " + db);
    CHECK(r.exit_code == 0);
    CHECK(split(r.out, '\n').size() == 3); // two results
    CHECK(r.err.find("airm: skipped line 2 of ") != std::string::npos);
    CHECK(r.err.find("skipped 1 bad line; the others were searched") != std::string::npos);
    const std::string bad = dir.write("bad.jsonl", "nope\n");
    r = run_airm("search --skip-bad-lines --batch " + shell_quote(bad) + " --db " + db);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("nothing was searched") != std::string::npos);

    // Where there are no lines to skip, the flag is refused rather than ignored.
    CHECK(run_airm("search --skip-bad-lines --db " + db + " audit").exit_code == 2);
    CHECK(run_airm("suggest --skip-bad-lines --db " + db + " 'an audit'").exit_code == 2);
    const std::string csv = dir.write("r.csv", "id,text\nC-1,an audit\n");
    r = run_airm("index --skip-bad-lines --map id=id --map text=text --db " + db + " " +
                 shell_quote(csv));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("skips the lines of JSON Lines inputs") != std::string::npos);
    CHECK(index.records() == 9);

    r = run_airm("suggest --skip-bad-lines --input " + shell_quote(records) + " --db " + db);
    CHECK(r.exit_code == 0);
    CHECK(split(r.out, '\n').size() == 3);
    CHECK(r.err.find("skipped 2 bad lines; the others were coded") != std::string::npos);
}
