// Building shards: which records a shard keeps, what its metadata says, and stub files.

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/metadata.hpp"
#include "indexer/build/ingest.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace airm;
using airm::test::TempDir;

TEST_CASE("a record's shard is FNV-1a 64 of its id's bytes modulo the shard count", "[shards]") {
    // The published FNV-1a 64 test vectors: "a" -> 0xaf63dc4c8601ec8c, "foobar" ->
    // 0x85944171f73967e8.
    for (std::uint32_t n : {1U, 2U, 3U, 7U, 1000U}) {
        CHECK(shard_of("a", n) == 0xaf63dc4c8601ec8cULL % n);
        CHECK(shard_of("foobar", n) == 0x85944171f73967e8ULL % n);
    }
    CHECK(shard_of("", 10) == 0xcbf29ce484222325ULL % 10);
}

TEST_CASE("a shard is given as K/N with K below N, and nothing else is taken", "[shards]") {
    CHECK(ShardSpec::parse("0/1") == ShardSpec{0, 1});
    CHECK(ShardSpec::parse("2/3") == ShardSpec{2, 3});
    for (const char* bad : {"3/3", "1/0", "0/65537", "a/3", "1", "-1/3", "1/3x", "/3", "1/", ""}) {
        INFO(bad);
        CHECK_FALSE(ShardSpec::parse(bad).has_value());
    }
}

TEST_CASE("shards of the same inputs hold every record once, in the remote-servable layout",
          "[shards]") {
    TempDir dir;
    const std::string records = airm::test::corpus_dir() + "/records.jsonl";
    std::uint64_t total = 0;
    std::uint64_t read = 0;
    for (std::uint32_t k = 0; k < 3; ++k) {
        IndexOptions options;
        options.shard = ShardSpec{k, 3};
        const std::string folder = dir.file("s" + std::to_string(k));
        const IndexReport report = index_files(folder, {records}, options);
        CHECK(report.added + report.other_shards == report.read);
        read = report.read;
        total += report.added;
        const Index shard = Index::open(folder);
        REQUIRE(shard.metadata().shard == ShardSpec{k, 3});
        CHECK(shard.metadata().to_json().find("\"remote-servable\"") != std::string::npos);
        CHECK(shard.record_space().files == 0); // records are document data
        shard.for_each_record([&](const Record& r) { CHECK(shard_of(r.id, 3) == k); });
    }
    CHECK(total == read);
    const Index all =
        Index::open(std::vector<std::string>{dir.file("s0"), dir.file("s1"), dir.file("s2")});
    CHECK(all.record_count() == read);

    SECTION("a later batch into a shard is routed the same way") {
        IndexOptions other;
        other.shard = ShardSpec{1, 3};
        CHECK_THROWS_AS(index_files(dir.file("s0"), {records}, other), InvalidInput);
        IndexOptions same;
        same.shard = ShardSpec{0, 3};
        const IndexReport again = index_files(dir.file("s0"), {records}, same);
        CHECK(again.added == 0);
        CHECK(again.replaced + again.other_shards == again.read);
    }
    SECTION("a stub file of local shards opens them as one collection") {
        const std::string stub =
            dir.write("all.stub", "# three shards\nauto s0\nauto s1\n\nauto s2\n");
        CHECK(Index::open(stub).record_count() == read);
    }
    SECTION("a file that is not a stub file is refused, naming it, the line and the format") {
        const std::string bad = dir.write("bad.stub", "auto s0\nremote 127.0.0.1\n");
        CHECK_THROWS_WITH(Index::open(bad), Catch::Contains("bad.stub' line 2") &&
                                                Catch::Contains("remote HOST:PORT"));
        const std::string empty = dir.write("empty.stub", "# nothing\n");
        CHECK_THROWS_WITH(Index::open(empty), Catch::Contains("names no database"));
        const std::string text = dir.write("notes.txt", "hello world\n");
        CHECK_THROWS_WITH(Index::open(text),
                          Catch::Contains("not an index folder nor a stub file"));
    }
}
