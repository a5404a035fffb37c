// Resource limits: oversized and extreme inputs get a clear error or a correct answer, never a
// hang, a crash or unbounded memory. The bounds are stated in the README ("Limits").

#include "support.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

using airm::test::record_count;
using airm::test::run_airm;
using airm::test::shell_quote;
using nlohmann::json;

namespace {

std::string words(std::size_t bytes) {
    static const char* vocabulary[] = {"audit ",     "model ",    "risk ",
                                       "oversight ", "incident ", "testing "};
    std::string out;
    out.reserve(bytes + 16);
    for (std::size_t i = 0; out.size() < bytes; ++i)
        out += vocabulary[i % 6];
    return out;
}

} // namespace

TEST_CASE("a 50 MB JSON line is refused with a clear error and the index is unchanged",
          "[limits]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    REQUIRE(run_airm("index --db " + shell_quote(db) + " " +
                     shell_quote(airm::test::corpus_dir() + "/records.jsonl"))
                .exit_code == 0);
    const auto before = record_count(db);
    {
        std::ofstream out(tmp.file("huge.jsonl"));
        out << json{{"id", "huge"}, {"text", words(50U << 20)}}.dump() << '\n';
    }
    auto result =
        run_airm("index --db " + shell_quote(db) + " " + shell_quote(tmp.file("huge.jsonl")));
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Catch::Contains("line 1 of") && Catch::Contains("MiB"));
    CHECK(record_count(db) == before);
}

TEST_CASE("a record with a 5 MB text is indexed and read back whole", "[limits]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    const std::string text = words(5U << 20) + "zyzzyvaunique";
    {
        std::ofstream out(tmp.file("big.jsonl"));
        out << json{{"id", "big"}, {"title", "Big"}, {"text", text}}.dump() << '\n';
    }
    auto result =
        run_airm("index --db " + shell_quote(db) + " " + shell_quote(tmp.file("big.jsonl")));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    auto shown = run_airm("show --json --db " + shell_quote(db) + " big");
    REQUIRE(shown.exit_code == 0);
    CHECK(json::parse(shown.out)["text"].get<std::string>() == text);
}

TEST_CASE("a CSV with 10,000 columns is read through a mapping", "[limits]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    std::string csv;
    for (int c = 0; c < 10000; ++c)
        csv += (c ? "," : "") + std::string("col") + std::to_string(c);
    csv += '\n';
    for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 10000; ++c) {
            csv += (c ? "," : "");
            csv += c == 0 ? "row" + std::to_string(r)
                          : (c == 9999 ? "text of row " + std::to_string(r) : "x");
        }
        csv += '\n';
    }
    const std::string path = tmp.write("wide.csv", csv);
    auto ok = run_airm("index --db " + shell_quote(db) + " --map id=col0 --map text=col9999 " +
                       shell_quote(path));
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    CHECK(record_count(db) == 3);

    auto missing = run_airm("index --db " + shell_quote(db) + " --map id=col0 --map text=nope " +
                            shell_quote(path));
    CHECK(missing.exit_code != 0);
    CHECK_THAT(missing.err,
               Catch::Contains("column 'nope' not found") && Catch::Contains("10000 columns"));
    CHECK(record_count(db) == 3);
}

TEST_CASE("a taxonomy 100 levels deep loads, validates and rolls up", "[limits]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    json nodes = json::array();
    std::string code;
    for (int depth = 1; depth <= 100; ++depth) {
        code += (depth == 1 ? "" : ".") + std::string("1");
        nodes.push_back({{"code", code}, {"name", "level " + std::to_string(depth)}});
    }
    const std::string taxonomy = tmp.write(
        "deep.json",
        json{{"format", "airm-taxonomy"}, {"version", 1}, {"facet", "category"}, {"nodes", nodes}}
            .dump());
    const std::string records = tmp.write(
        "deep.jsonl",
        json{{"id", "deep"}, {"title", "Deep"}, {"facets", {{"category", {code}}}}}.dump() + "\n");
    auto result = run_airm("index --db " + shell_quote(db) + " --taxonomy " +
                           shell_quote(taxonomy) + " " + shell_quote(records));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    auto tree = run_airm("taxonomy --json --db " + shell_quote(db));
    REQUIRE(tree.exit_code == 0);
    json node = json::parse(tree.out)["tree"][0];
    int depth = 1;
    while (!node["children"].empty()) {
        CHECK(node["count"].get<int>() == 1); // the record counts at every ancestor
        node = node["children"][0];
        ++depth;
    }
    CHECK(depth == 100);
    CHECK(node["value"].get<std::string>() == code);
}

TEST_CASE(
    "a query of 10,000 words and one of 1,000 nested parentheses are answered or refused clearly",
    "[limits]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    REQUIRE(run_airm("index --db " + shell_quote(db) + " " +
                     shell_quote(airm::test::corpus_dir() + "/records.jsonl"))
                .exit_code == 0);
    std::string long_query;
    for (int i = 0; i < 10000; ++i)
        long_query += (i ? " " : "") + std::string(i % 2 ? "audit" : "risk");
    auto many = run_airm("search --json --db " + shell_quote(db) + " " + shell_quote(long_query));
    INFO(many.err);
    REQUIRE((many.exit_code == 0 || many.exit_code == 1));
    if (many.exit_code == 0) {
        CHECK(json::parse(many.out)["schema"] == 1);
    } else {
        CHECK_THAT(many.err, Catch::Contains("airm: error:"));
    }

    const std::string nested = std::string(1000, '(') + "audit" + std::string(1000, ')');
    for (const char* mode : {"", "--strict "}) {
        auto deep = run_airm(std::string("search --json ") + mode + "--db " + shell_quote(db) +
                             " " + shell_quote(nested));
        INFO(mode << deep.err);
        REQUIRE((deep.exit_code == 0 || deep.exit_code == 1));
        if (deep.exit_code == 0) {
            CHECK(json::parse(deep.out)["schema"] == 1);
        } else {
            CHECK_THAT(deep.err, Catch::Contains("airm: error:"));
        }
    }
}
