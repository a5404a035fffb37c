// The command line over shards: airm index --shard, --db given several times or as a stub file.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using airm::test::airm_ok;
using airm::test::run_airm;
using airm::test::TempDir;

TEST_CASE("airm searches shards given as several --db or a stub file as one collection",
          "[shards][cli]") {
    TempDir dir;
    const std::string records = airm::test::corpus_dir() + "/records.jsonl";
    const std::string one = dir.file("one");
    const std::string s0 = dir.file("s0");
    const std::string s1 = dir.file("s1");
    (void)airm_ok("index --db '" + one + "' --shard 0/1 '" + records + "'");
    const std::string built = airm_ok("index --db '" + s0 + "' --shard 0/2 '" + records + "'");
    CHECK_THAT(built, Catch::Contains("belong to other shards and were left out"));
    (void)airm_ok("index --db '" + s1 + "' --shard 1/2 '" + records + "'");
    const std::string stub = dir.write("two.stub", "auto s0\nauto s1\n");

    auto search = [](const std::string& dbs) {
        const auto out =
            nlohmann::json::parse(airm_ok("search " + dbs + " --json --limit 20 'model OR risk'"));
        std::vector<std::string> ids;
        for (const auto& hit : out.at("results"))
            ids.push_back(hit.at("id").get<std::string>());
        return std::make_pair(out.at("total").get<std::uint64_t>(), ids);
    };
    const auto whole = search("--db '" + one + "'");
    CHECK(search("--db '" + s0 + "' --db '" + s1 + "'") == whole);
    CHECK(search("--db '" + stub + "'") == whole);

    const auto stats = nlohmann::json::parse(airm_ok("stats --json --db '" + stub + "'"));
    CHECK(stats.at("layout") == "remote-servable");
    CHECK(stats.at("shards").size() == 2);
    CHECK(nlohmann::json::parse(airm_ok("stats --json --db '" + s1 + "'")).at("shard") == "1/2");

    const auto twice = run_airm("index --db '" + s0 + "' --db '" + s1 + "' '" + records + "'");
    CHECK(twice.exit_code != 0);
    CHECK_THAT(twice.err, Catch::Contains("--db is given 2 times"));
    const auto bad = run_airm("index --db '" + dir.file("x") + "' --shard 2/2 '" + records + "'");
    CHECK(bad.exit_code != 0);
    CHECK_THAT(bad.err, Catch::Contains("--shard '2/2' is not K/N"));
}
