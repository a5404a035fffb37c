/// The bulk build (indexer/build/bulk_build.hpp) against the transactional path it stands in for:
/// the same inputs must give the same index (metadata, documents, terms, positions, values,
/// document order), the same errors with the same messages, and nothing partial on failure. Chunks
/// are kept tiny here so that every input is split over many partial databases and workers.

#include "indexer/build/bulk_build.hpp"

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/record/codec.hpp"
#include "engine/record/store.hpp"
#include "engine/schema.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <xapian.h>

namespace fs = std::filesystem;
using airm::test::TempDir;
using nlohmann::json;

namespace {

/// Forces the transactional path of index_files() while alive.
class TransactionalPath {
  public:
    TransactionalPath() { setenv("AIRM_BULK_BUILD", "off", 1); }
    ~TransactionalPath() { unsetenv("AIRM_BULK_BUILD"); }
    TransactionalPath(const TransactionalPath&) = delete;
    TransactionalPath& operator=(const TransactionalPath&) = delete;
};

/// Every observable part of an index, one item a line, in document order. The stored record is
/// shown as the record its pointer leads to (the bulk build writes one record segment per chunk).
std::vector<std::string> dump_index(const std::string& path) {
    Xapian::Database db(path);
    const airm::RecordStoreReader records(path);
    std::vector<std::string> out;
    out.push_back("metadata " + db.get_metadata(std::string(airm::schema::kMetadataKey)));
    out.push_back("doccount " + std::to_string(db.get_doccount()) + " lastdocid " +
                  std::to_string(db.get_lastdocid()) + " length " +
                  std::to_string(db.get_total_length()));
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        const Xapian::docid did = *it;
        const Xapian::Document doc = db.get_document(did);
        out.push_back("doc " + std::to_string(did) + " " + doc.get_data());
        for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
            std::string line = "  term " + *t + " wdf " + std::to_string(t.get_wdf()) + " at";
            for (auto p = db.positionlist_begin(did, *t); p != db.positionlist_end(did, *t); ++p) {
                line += " " + std::to_string(*p);
            }
            out.push_back(line);
        }
        for (auto v = doc.values_begin(); v != doc.values_end(); ++v) {
            const std::string value =
                v.get_valueno() == airm::schema::kSlotRecord
                    ? airm::decompress_record(records.read(*v, "dump"), "dump")
                    : *v;
            out.push_back("  value " + std::to_string(v.get_valueno()) + " " + value);
        }
    }
    return out;
}

/// Compares two dumps and reports the first difference (a whole-dump mismatch is unreadable).
void require_same_index(const std::string& expected_path, const std::string& actual_path) {
    const auto expected = dump_index(expected_path);
    const auto actual = dump_index(actual_path);
    for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
        INFO("line " << i);
        REQUIRE(actual[i] == expected[i]);
    }
    REQUIRE(actual.size() == expected.size());
}

std::string error_of(const std::function<void()>& job) {
    try {
        job();
    } catch (const airm::Error& e) {
        return e.what();
    }
    return "(no error)";
}

/// Names in `folder`, to show that a failed build left nothing beside its inputs.
std::vector<std::string> entries(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) {
        out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string record(const std::string& id, const json& facets,
                   const std::string& text = "some words here") {
    return json{{"id", id}, {"title", "Title " + id}, {"text", text + " " + id}, {"facets", facets}}
               .dump() +
           "\n";
}

/// Indexes `inputs` both ways (transactional, then bulk with tiny chunks on 2 workers) and requires
/// identical indexes.
void require_bulk_equals_transactional(const TempDir& tmp, const std::vector<std::string>& inputs,
                                       const airm::IndexOptions& options, std::size_t chunk = 3) {
    const std::string expected = tmp.file("transactional");
    const std::string actual = tmp.file("bulk");
    fs::remove_all(expected);
    fs::remove_all(actual);
    {
        TransactionalPath transactional;
        REQUIRE_FALSE(airm::bulk_build_applies(expected, inputs, options));
        airm::index_files(expected, inputs, options);
    }
    REQUIRE(airm::bulk_build_applies(actual, inputs, options));
    const airm::IndexReport report =
        airm::bulk_index(actual, inputs, options, airm::BulkOptions{2, chunk, 2});
    CHECK(report.read == report.total);
    CHECK(report.added == report.total);
    require_same_index(expected, actual);
}

airm::IndexOptions bundled_taxonomy() {
    airm::IndexOptions options;
    options.taxonomies.push_back(
        airm::load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json", "category"));
    return options;
}

} // namespace

TEST_CASE("bulk build: the bundled corpus gives the index the transactional path gives",
          "[bench][bulk]") {
    TempDir tmp;
    require_bulk_equals_transactional(tmp, {airm::test::corpus_dir() + "/records.jsonl"},
                                      bundled_taxonomy());
    // The default tuning (one chunk here) through index_files() too.
    airm::index_files(tmp.file("default"), {airm::test::corpus_dir() + "/records.jsonl"},
                      bundled_taxonomy());
    require_same_index(tmp.file("transactional"), tmp.file("default"));
}

TEST_CASE("bulk build: test inputs of every format give identical indexes", "[bench][bulk]") {
    const std::string data = AIRM_TEST_DATA_DIR;
    TempDir tmp;
    SECTION("JSON Lines with derived facets (no taxonomy)") {
        require_bulk_equals_transactional(tmp, {data + "/records.jsonl"}, {});
    }
    SECTION("a JSON array and JSON Lines together") {
        require_bulk_equals_transactional(tmp, {data + "/records.json", data + "/records.jsonl"},
                                          {});
    }
    SECTION("the MIT CSV shape with its taxonomy") {
        airm::IndexOptions options = bundled_taxonomy();
        options.load.format = airm::InputFormat::mit_csv;
        options.allow_new_codes = true;
        require_bulk_equals_transactional(tmp, {data + "/mit-shape.csv"}, options);
    }
    SECTION("another analyzer configuration") {
        airm::IndexOptions options;
        options.analyzer.language = "none";
        options.analyzer.fold_diacritics = false;
        require_bulk_equals_transactional(tmp, {data + "/records.jsonl"}, options);
    }
}

TEST_CASE("bulk build: facet kinds and slots that change part way give identical indexes",
          "[bench][bulk]") {
    TempDir tmp;
    struct Case {
        const char* name;
        std::function<json(int)> facets;
    };
    const std::vector<Case> cases = {
        // A facet first seen after chunks were written, whose name sorts first, shifts every slot.
        {"late facet that sorts first",
         [](int i) {
             return i < 20 ? json{{"zeta", {"a"}}} : json{{"zeta", {"b"}}, {"alpha", {"x"}}};
         }},
        // Bare codes read as flat values until a dotted code shows the facet is hierarchical.
        {"bare codes, then a dotted one",
         [](int i) {
             return json{{"level", {i < 15 ? "2" : "2.1"}}};
         }},
        {"named codes, then a dotted one",
         [](int i) {
             return json{{"level", {i < 15 ? "2 High" : "2.1 Higher"}}};
         }},
        // A hierarchical-looking facet that turns out flat: one value has no code.
        {"dotted codes, then a value without a code",
         [](int i) {
             return json{{"kind", {i == 17 ? "misc" : "1.1 Thing"}}};
         }},
        // Both changes, one after the other (two restarts).
        {"bare, dotted, then plain",
         [](int i) {
             return json{{"mixed", {i < 10 ? "1" : (i < 25 ? "1.2" : "plain")}}};
         }},
        {"empty value lists and several values",
         [](int i) {
             return json{{"multi", i % 4 == 0 ? json::array() : json{"3.1", "3.1", "4.2 Name"}}};
         }},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            std::string content;
            for (int i = 0; i < 30; ++i) {
                content += record("R" + std::to_string(i), c.facets(i));
            }
            require_bulk_equals_transactional(tmp, {tmp.write("in.jsonl", content)}, {});
        }
    }
}

TEST_CASE("bulk build: errors carry the transactional messages and leave nothing behind",
          "[bench][bulk]") {
    TempDir tmp;
    const std::string good = tmp.write("good.jsonl", record("A", {{"category", {"3.1"}}}) +
                                                         record("B", {{"category", {"1.2"}}}));
    struct Case {
        const char* name;
        std::vector<std::string> inputs;
        airm::IndexOptions options;
        const char* expected; ///< part of the message
    };
    std::string body;
    for (int i = 0; i < 12; ++i)
        body += record("X" + std::to_string(i), {{"category", {"3.1"}}});
    const std::vector<Case> cases = {
        {"an id twice across files",
         {good, good},
         {},
         "appears twice in this batch (first at line 1 of"},
        {"an id twice in one file",
         {tmp.write("dup.jsonl", body + record("X3", {{"category", {"3.1"}}}))},
         {},
         "id 'X3' appears twice"},
        {"a record without text",
         {tmp.write("notext.jsonl",
                    body + json{{"id", "E"}, {"title", " "}, {"text", ""}}.dump() + "\n")},
         {},
         "has no text at all"},
        {"a code outside the taxonomy",
         {tmp.write("badcode.jsonl", body + record("C", {{"category", {"2.9"}}}))},
         bundled_taxonomy(),
         "code '2.9' of facet 'category' is not in the taxonomy"},
        {"a value without a code in a taxonomy facet",
         {tmp.write("nocode.jsonl", body + record("D", {{"category", {"Testing"}}}))},
         bundled_taxonomy(),
         "does not begin with a code"},
        // The transactional path reports reading errors (ids, text) before facet errors.
        {"a facet error early and a duplicate id later",
         {tmp.write("both.jsonl", record("F", {{"category", {"2.9"}}}) + body + record("X1", {}))},
         bundled_taxonomy(),
         "id 'X1' appears twice"},
        {"malformed JSON",
         {tmp.write("broken.jsonl", body + "{\"id\": \"G\", \"text\": \n")},
         {},
         "line 13 of"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            const fs::path folder = tmp.path() / c.name;
            fs::create_directories(folder);
            std::string transactional;
            {
                TransactionalPath path;
                transactional = error_of(
                    [&] { airm::index_files((folder / "t").string(), c.inputs, c.options); });
            }
            const std::string bulk = error_of([&] {
                airm::bulk_index((folder / "b").string(), c.inputs, c.options, {2, 3, 2});
            });
            INFO("transactional: " << transactional);
            CHECK(bulk.find(c.expected) != std::string::npos);
            CHECK(bulk == transactional);
            CHECK(entries(folder).empty()); // no index, no temporary folder
        }
    }
}

TEST_CASE("bulk build: new, empty and rebuilt targets", "[bench][bulk]") {
    TempDir tmp;
    const std::string first = tmp.write("first.jsonl", record("A", {}) + record("B", {}));
    const std::string second =
        tmp.write("second.jsonl", record("C", {}) + record("D", {}) + record("E", {}));
    const std::string bad = tmp.write("bad.jsonl", record("F", {}) + record("F", {}));
    const std::string db = tmp.file("db");

    SECTION("an empty folder is filled") {
        fs::create_directory(db);
        REQUIRE(airm::bulk_build_applies(db, {first}, {}));
        airm::index_files(db, {first}, {});
        CHECK(airm::Index::open(db).record_count() == 2);
    }
    SECTION("a non-empty index is not bulk built, except to rebuild it") {
        airm::index_files(db, {first}, {});
        CHECK_FALSE(airm::bulk_build_applies(db, {second}, {}));
        airm::IndexOptions rebuild;
        rebuild.rebuild = true;
        CHECK(airm::bulk_build_applies(db, {second}, rebuild));
        CHECK_FALSE(
            airm::bulk_build_applies(db, {"-"}, rebuild)); // standard input cannot be read twice
    }
    SECTION("a rebuild replaces the index; a failed one keeps it") {
        airm::index_files(db, {first}, {});
        airm::IndexOptions rebuild;
        rebuild.rebuild = true;
        CHECK_THROWS_AS(airm::index_files(db, {bad}, rebuild), airm::InvalidInput);
        CHECK(airm::Index::open(db).record_count() == 2);
        const airm::IndexReport report = airm::index_files(db, {second}, rebuild);
        CHECK(report.total == 3);
        CHECK(airm::Index::open(db).record_count() == 3);
        CHECK_FALSE(airm::Index::open(db).find("A").has_value());
        CHECK(entries(tmp.path()) ==
              std::vector<std::string>{"bad.jsonl", "db", "first.jsonl", "second.jsonl"});
    }
    SECTION("a rebuild refuses a folder that is not an index, as the transactional path does") {
        fs::create_directory(db);
        tmp.write("db/notes.txt", "mine");
        airm::IndexOptions rebuild;
        rebuild.rebuild = true;
        std::string transactional;
        {
            TransactionalPath path;
            transactional = error_of([&] { airm::index_files(db, {first}, rebuild); });
        }
        CHECK(transactional.find("is not an airm index") != std::string::npos);
        CHECK(error_of([&] { airm::index_files(db, {first}, rebuild); }) == transactional);
        CHECK(fs::exists(tmp.file("db/notes.txt")));
    }
    SECTION("an empty input is refused, leaving no index, with the transactional path's message") {
        const std::string empty = tmp.write("empty.jsonl", "");
        REQUIRE(airm::bulk_build_applies(db, {empty}, bundled_taxonomy()));
        const std::string bulk =
            error_of([&] { airm::index_files(db, {empty}, bundled_taxonomy()); });
        CHECK(bulk.find("'" + empty + "' holds no records") != std::string::npos);
        CHECK_FALSE(fs::exists(db));
        TransactionalPath path;
        CHECK(error_of([&] { airm::index_files(db, {empty}, bundled_taxonomy()); }) == bulk);
    }
    SECTION("temporary folders of a build that was killed are cleared") {
        // A pid that is not running: the highest possible pid is below 2^22 on Linux.
        const std::string stale = db + ".airm-bulk-4194999";
        REQUIRE(kill(4194999, 0) == -1);
        fs::create_directories(stale + "/part-0");
        airm::index_files(db, {first}, {});
        CHECK_FALSE(fs::exists(stale));
        CHECK(airm::Index::open(db).record_count() == 2);
    }
}
