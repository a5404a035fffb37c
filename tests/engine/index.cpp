/// The index handles: metadata, versions, locking, one or several databases opened as one.

#include "engine/index.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/schema.hpp"
#include "indexer/build/ingest.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace fs = std::filesystem;
using airm::test::TempDir;

namespace {

std::string record_line(const std::string& id, const std::string& text,
                        const std::string& category) {
    nlohmann::json r = {{"id", id},
                        {"title", "Title of " + id},
                        {"text", text},
                        {"facets", {{"category", {category}}, {"actor", {"Developer"}}}}};
    return r.dump() + "\n";
}

/// Builds an index from JSON Lines content and returns its folder.
std::string build_index(const TempDir& dir, const std::string& name, const std::string& jsonl) {
    const std::string input = dir.write(name + ".jsonl", jsonl);
    const std::string db = dir.file(name);
    airm::index_files(db, {input}, airm::IndexOptions{});
    return db;
}

/// Rewrites the saved metadata of an index with `edit` applied, bypassing airm.
template <typename Edit> void edit_metadata(const std::string& db, Edit edit) {
    Xapian::WritableDatabase wdb(db, Xapian::DB_OPEN);
    auto meta = nlohmann::json::parse(wdb.get_metadata(std::string(airm::schema::kMetadataKey)));
    edit(meta);
    wdb.set_metadata(std::string(airm::schema::kMetadataKey), meta.dump());
    wdb.commit();
}

template <typename E, typename F> std::string error_of(F f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("the expected error was not thrown");
    return {};
}

} // namespace

TEST_CASE("index: saved metadata starts with the format name and version", "[index]") {
    TempDir dir;
    const std::string db = build_index(dir, "db", record_line("r1", "alpha", "1.1"));
    Xapian::Database xdb(db);
    const std::string json = xdb.get_metadata(std::string(airm::schema::kMetadataKey));
    INFO(json);
    CHECK(json.rfind("{\"format\":\"airm-index\",\"version\":" +
                         std::to_string(airm::schema::kVersion),
                     0) == 0);

    // ... and holds the analyzer, facets and taxonomies.
    airm::Index index = airm::Index::open(db);
    const auto& meta = index.metadata();
    CHECK(meta.schema_version == airm::schema::kVersion);
    CHECK(meta.analyzer == airm::AnalyzerConfig{});
    REQUIRE(meta.facet("category") != nullptr);
    CHECK(meta.facet("category")->hierarchical);
    REQUIRE(meta.facet("actor") != nullptr);
    CHECK(!meta.facet("actor")->hierarchical);
    CHECK(meta.facet("category")->slot != meta.facet("actor")->slot);
    REQUIRE(meta.taxonomy("category") != nullptr);
    CHECK(meta.taxonomy("category")->codes() == std::vector<std::string>{"1", "1.1"});
}

TEST_CASE("index: another schema version is refused, naming both versions and the rebuild",
          "[index]") {
    TempDir dir;
    const std::string db = build_index(dir, "db", record_line("r1", "alpha", "1.1"));
    edit_metadata(db, [](nlohmann::json& meta) { meta["version"] = 99; });
    const std::string msg = error_of<airm::VersionMismatch>([&] { (void)airm::Index::open(db); });
    CHECK(msg.find(db) != std::string::npos);
    CHECK(msg.find("99") != std::string::npos);
    CHECK(msg.find("version " + std::to_string(airm::schema::kVersion)) != std::string::npos);
    CHECK(msg.find("--rebuild") != std::string::npos);
    // The writer refuses it too, so nothing is written into an index of another version.
    CHECK_THROWS_AS(airm::IndexWriter::open(db, true), airm::VersionMismatch);

    // A rebuild replaces it with an index of the current version.
    airm::IndexOptions options;
    options.rebuild = true;
    const std::string input = dir.write("new.jsonl", record_line("r2", "beta", "2.1"));
    airm::index_files(db, {input}, options);
    airm::Index index = airm::Index::open(db);
    CHECK(index.metadata().schema_version == airm::schema::kVersion);
    CHECK(index.record_count() == 1);
    CHECK(index.find("r2"));
    CHECK(!index.find("r1"));
}

TEST_CASE("index: opening what is not an index names the folder and the fix", "[index]") {
    TempDir dir;
    SECTION("absent") {
        const std::string msg =
            error_of<airm::NotFound>([&] { (void)airm::Index::open(dir.file("nope")); });
        CHECK(msg.find(dir.file("nope")) != std::string::npos);
        CHECK(msg.find("airm index") != std::string::npos);
    }
    SECTION("a plain file") {
        const std::string file = dir.write("plain.txt", "hello");
        const std::string msg = error_of<airm::IndexError>([&] { (void)airm::Index::open(file); });
        CHECK(msg.find(file) != std::string::npos);
        CHECK(msg.find("not an index folder") != std::string::npos);
        CHECK_THROWS_AS(airm::IndexWriter::open(file, true), airm::IndexError);
    }
    SECTION("a folder of other files") {
        fs::create_directory(dir.file("docs"));
        dir.write("docs/readme.txt", "hello");
        const std::string msg =
            error_of<airm::IndexError>([&] { (void)airm::Index::open(dir.file("docs")); });
        CHECK(msg.find("not an airm index") != std::string::npos);
        CHECK_THROWS_AS(airm::IndexWriter::open(dir.file("docs"), true), airm::IndexError);
        CHECK(fs::exists(dir.file("docs/readme.txt")));
    }
    SECTION("a Xapian database without airm metadata") {
        {
            Xapian::WritableDatabase wdb(dir.file("plainxapian"), Xapian::DB_CREATE);
            Xapian::Document doc;
            doc.add_term("hello");
            wdb.add_document(doc);
            wdb.commit();
        }
        const std::string msg =
            error_of<airm::IndexError>([&] { (void)airm::Index::open(dir.file("plainxapian")); });
        CHECK(msg.find("no airm metadata") != std::string::npos);
        CHECK_THROWS_AS(airm::IndexWriter::open(dir.file("plainxapian"), true), airm::IndexError);
    }
}

TEST_CASE("index: a second writer is refused while the first holds the lock", "[index]") {
    TempDir dir;
    const std::string db = build_index(dir, "db", record_line("r1", "alpha", "1.1"));
    airm::IndexWriter first = airm::IndexWriter::open(db, false);
    const std::string msg =
        error_of<airm::IndexError>([&] { (void)airm::IndexWriter::open(db, false); });
    CHECK(msg.find(db) != std::string::npos);
    CHECK(msg.find("locked") != std::string::npos);
    // Readers are not blocked.
    CHECK(airm::Index::open(db).record_count() == 1);
}

TEST_CASE("index: uncommitted changes vanish, committed ones stay", "[index]") {
    TempDir dir;
    const std::string db = build_index(
        dir, "db", record_line("r1", "alpha", "1.1") + record_line("r2", "beta", "1.2"));
    {
        airm::IndexWriter writer = airm::IndexWriter::open(db, false);
        CHECK(writer.remove("r1"));
        CHECK(!writer.remove("missing"));
        CHECK(writer.record_count() == 1);
        // destroyed without commit
    }
    CHECK(airm::Index::open(db).record_count() == 2);
    {
        airm::IndexWriter writer = airm::IndexWriter::open(db, false);
        CHECK(writer.remove("r1"));
        writer.cancel();
        CHECK(writer.contains("r1"));
        CHECK(writer.remove("r2"));
        writer.commit();
    }
    airm::Index index = airm::Index::open(db);
    CHECK(index.record_count() == 1);
    CHECK(index.find("r1"));
    CHECK(!index.find("r2"));
}

TEST_CASE("index: refresh sees the writer's commit", "[index]") {
    TempDir dir;
    const std::string db = build_index(dir, "db", record_line("r1", "alpha", "1.1"));
    airm::Index index = airm::Index::open(db);
    CHECK(!index.refresh());
    airm::index_files(db, {dir.write("more.jsonl", record_line("r2", "beta", "2.1"))},
                      airm::IndexOptions{});
    CHECK(index.record_count() == 1);
    CHECK(index.refresh());
    CHECK(index.record_count() == 2);
    CHECK(index.metadata().taxonomy("category")->contains("2.1"));
}

TEST_CASE("index: several shards open as one index", "[index]") {
    TempDir dir;
    const std::string a = build_index(
        dir, "a", record_line("a1", "alpha shared", "1.1") + record_line("a2", "beta", "1.2"));
    const std::string b = build_index(dir, "b", record_line("b1", "gamma shared", "2.3"));
    airm::Index index = airm::Index::open(std::vector<std::string>{a, b});
    CHECK(index.record_count() == 3);
    CHECK(index.paths() == std::vector<std::string>{a, b});
    for (const char* id : {"a1", "a2", "b1"}) {
        INFO(id);
        auto r = index.find(id);
        REQUIRE(r);
        CHECK(r->id == id);
    }
    std::set<std::string> seen;
    index.for_each_record([&](const airm::Record& r) { seen.insert(r.id); });
    CHECK(seen == std::set<std::string>{"a1", "a2", "b1"});

    const auto counts = index.facet_counts("category");
    CHECK(counts == std::map<std::string, std::uint64_t>{
                        {"1", 2}, {"1.1", 1}, {"1.2", 1}, {"2", 1}, {"2.3", 1}});
    CHECK(index.facet_counts("actor") == std::map<std::string, std::uint64_t>{{"Developer", 3}});
    // The taxonomy of the union knows the codes of every shard.
    const airm::Taxonomy* taxonomy = index.metadata().taxonomy("category");
    REQUIRE(taxonomy != nullptr);
    CHECK(taxonomy->contains("1.2"));
    CHECK(taxonomy->contains("2.3"));
    CHECK(index.size_on_disk() ==
          airm::Index::open(a).size_on_disk() + airm::Index::open(b).size_on_disk());

    // Xapian sees one database: a term of each shard has its postings.
    const Xapian::Database& xdb = airm::detail::IndexAccess::database(index);
    CHECK(xdb.get_termfreq("shared") == 2);

    // A commit to one shard is seen after refresh, with its new codes.
    CHECK(!index.refresh());
    airm::index_files(b, {dir.write("more.jsonl", record_line("b2", "delta", "4.4"))},
                      airm::IndexOptions{});
    CHECK(index.refresh());
    CHECK(index.record_count() == 4);
    CHECK(index.find("b2"));
    CHECK(index.metadata().taxonomy("category")->contains("4.4"));
    CHECK(index.metadata().taxonomy("category")->contains("1.2"));
}

TEST_CASE("index: shards built with different settings are refused", "[index]") {
    TempDir dir;
    const std::string a = build_index(dir, "a", record_line("a1", "alpha", "1.1"));
    airm::IndexOptions options;
    options.analyzer.language = "none";
    const std::string input = dir.write("b.jsonl", record_line("b1", "beta", "1.1"));
    airm::index_files(dir.file("b"), {input}, options);
    const std::string msg = error_of<airm::IndexError>([&] {
        (void)airm::Index::open(std::vector<std::string>{a, dir.file("b")});
    });
    CHECK(msg.find(dir.file("b")) != std::string::npos);
    CHECK(msg.find("analyzer") != std::string::npos);

    // A facet kept in another value slot would give wrong counts: refused too.
    const std::string c = build_index(dir, "c", record_line("c1", "gamma", "1.1"));
    edit_metadata(c, [](nlohmann::json& meta) { meta["facets"]["category"]["slot"] = 42; });
    const std::string slot_msg = error_of<airm::IndexError>([&] {
        (void)airm::Index::open(std::vector<std::string>{a, c});
    });
    CHECK(slot_msg.find("category") != std::string::npos);
    CHECK(slot_msg.find(c) != std::string::npos);
}
