/// The documents the indexer writes (terms, positions, values, facet filter terms) and the index
/// jobs: replace by id, delete, rebuild, taxonomy checks, all-or-nothing batches.

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/record/codec.hpp"
#include "engine/schema.hpp"
#include "indexer/build/detail/document_builder.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::TempDir;

namespace {

std::string line(const nlohmann::json& record) {
    return record.dump() + "\n";
}

std::set<std::string> terms_with_prefix(const Xapian::Document& doc, const std::string& prefix) {
    std::set<std::string> out;
    for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
        if ((*it).rfind(prefix, 0) == 0) {
            out.insert(*it);
        }
    }
    return out;
}

Xapian::Document document_of(const airm::Index& index, const std::string& id) {
    const Xapian::Database& db = airm::detail::IndexAccess::database(index);
    Xapian::PostingIterator it = db.postlist_begin(airm::schema::id_term(id));
    REQUIRE(it != db.postlist_end(airm::schema::id_term(id)));
    return db.get_document(*it);
}

std::vector<std::string> split_slot(const std::string& value) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= value.size()) {
        auto sep = value.find(airm::schema::kValueSeparator, start);
        if (sep == std::string::npos)
            sep = value.size();
        out.push_back(value.substr(start, sep - start));
        start = sep + 1;
    }
    return out;
}

airm::IndexOptions with_taxonomy() {
    airm::IndexOptions options;
    options.taxonomies.push_back(
        airm::load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json"));
    return options;
}

} // namespace

TEST_CASE("documents: a record coded 2.2.2 carries a filter term per ancestor", "[documents]") {
    TempDir dir;
    const std::string input =
        dir.write("r.jsonl", line({{"id", "r1"},
                                   {"text", "deep code"},
                                   {"facets",
                                    {{"category", {"2.2.2 Deep node", "3.1"}},
                                     {"lifecycle", {"Operate and Monitor"}},
                                     {"actor", {"Developer", "Deployer"}}}}}));
    airm::index_files(dir.file("db"), {input}, {});
    airm::Index index = airm::Index::open(dir.file("db"));
    const Xapian::Document doc = document_of(index, "r1");

    CHECK(terms_with_prefix(doc, airm::schema::facet_term_prefix("category")) ==
          std::set<std::string>{"XFcategory:2", "XFcategory:2.2", "XFcategory:2.2.2",
                                "XFcategory:3", "XFcategory:3.1"});
    // Flat facet values are folded like query words.
    CHECK(terms_with_prefix(doc, airm::schema::facet_term_prefix("lifecycle")) ==
          std::set<std::string>{"XFlifecycle:operate and monitor"});
    CHECK(terms_with_prefix(doc, airm::schema::facet_term_prefix("actor")) ==
          std::set<std::string>{"XFactor:developer", "XFactor:deployer"});

    // The facet slot holds the codes with their ancestors; flat slots hold the values as given.
    const auto& meta = index.metadata();
    auto category = split_slot(doc.get_value(meta.facet("category")->slot));
    CHECK(std::set<std::string>(category.begin(), category.end()) ==
          std::set<std::string>{"2", "2.2", "2.2.2", "3", "3.1"});
    CHECK(category.size() == 5);
    CHECK(doc.get_value(meta.facet("lifecycle")->slot) == "Operate and Monitor");
    CHECK(doc.get_value(airm::schema::kSlotId) == "r1");

    // Counts are per record at every level, and the derived taxonomy names the code.
    CHECK(index.facet_counts("category") ==
          std::map<std::string, std::uint64_t>{
              {"2", 1}, {"2.2", 1}, {"2.2.2", 1}, {"3", 1}, {"3.1", 1}});
    CHECK(meta.taxonomy("category")->name_of("2.2.2") == "Deep node");
}

TEST_CASE("documents: fields get their prefixes, weights, positions and values", "[documents]") {
    airm::Record record;
    record.id = "doc-1";
    record.title = "Red teaming";
    record.text = "Red teams test GPT-4.";
    record.reasoning = "Testing";
    record.source.ref = "Ref2024";
    record.source.title = "A Framework";
    record.source.year = 2024;
    const airm::IndexMetadata meta = airm::IndexMetadata::fresh();
    const airm::Analyzer analyzer;
    TempDir dir;
    auto records = airm::RecordStoreWriter::create(dir.path().string(), 0);
    const Xapian::Document doc = airm::build_document(record, meta, analyzer, records);

    std::map<std::string, Xapian::termcount> wdf;
    for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
        wdf[*it] = it.get_wdf();
    }
    // term -> wdf: unprefixed terms count title 3, text 2, reasoning 1, source 1; per-field terms 1
    // per occurrence; the id term is boolean.
    const std::vector<std::pair<std::string, Xapian::termcount>> expected = {
        {"red", 3 + 2},   {"Zred", 3 + 2},     {"teaming", 3}, {"teams", 2},   {"Zteam", 3 + 2},
        {"Ztest", 2 + 1}, {"ZSred", 1},        {"ZSteam", 1},  {"gpt-4", 2},   {"XTgpt-4", 1},
        {"XTgpt4", 1},    {"XT4", 1},          {"testing", 1}, {"ZXRtest", 1}, {"ref2024", 1},
        {"XSref2024", 1}, {"ZXSframework", 1}, {"Qdoc-1", 0},
    };
    for (const auto& [term, want] : expected) {
        INFO("term " << term);
        REQUIRE(wdf.count(term) == 1);
        CHECK(wdf[term] == want);
    }
    // Words are stemmed per field, never kept raw with a field prefix.
    // The text's own stem terms are derived when searched, never written (schema::kDerivedField).
    for (const char* absent :
         {"Sred", "Steaming", "XTred", "XRtesting", "ZXTred", "ZXTteam", "ZXTtest"}) {
        INFO("term " << absent);
        CHECK(wdf.count(absent) == 0);
    }

    // Positions: fields are apart, so phrases never cross them.
    auto positions = [&](const std::string& term) {
        std::vector<Xapian::termpos> out;
        for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
            if (*it == term) {
                for (auto p = it.positionlist_begin(); p != it.positionlist_end(); ++p)
                    out.push_back(*p);
            }
        }
        return out;
    };
    const auto red = positions("red");
    REQUIRE(red.size() == 2);
    CHECK(red[0] == 1);
    CHECK(red[1] >= red[0] + airm::schema::kFieldPositionGap);
    CHECK(positions("teaming") == std::vector<Xapian::termpos>{2});
    CHECK(positions("gpt-4") == positions("gpt"));

    CHECK(Xapian::sortable_unserialise(doc.get_value(airm::schema::kSlotYear)) == 2024);
    // The record goes to the record store; the document holds where it is.
    const auto pointer = airm::decode_record_pointer(doc.get_value(airm::schema::kSlotRecord));
    REQUIRE(pointer);
    CHECK(pointer->segment == 0);
    CHECK(nlohmann::json::parse(
              airm::decompress_record(records.read(*pointer, "doc-1"), "doc-1"))["id"] == "doc-1");
    CHECK(doc.get_data().empty());
}

TEST_CASE("documents: indexing an id again replaces the record", "[documents]") {
    TempDir dir;
    const std::string db = dir.file("db");
    auto first = airm::index_files(
        db,
        {dir.write("a.jsonl", line({{"id", "r1"},
                                    {"text", "original wording"},
                                    {"facets", {{"category", {"1.1"}}}}}) +
                                  line({{"id", "r2"}, {"text", "other record"}}))},
        {});
    CHECK(first.added == 2);
    auto second =
        airm::index_files(db,
                          {dir.write("b.jsonl", line({{"id", "r1"},
                                                      {"text", "replacement text"},
                                                      {"facets", {{"category", {"2.3"}}}}}))},
                          {});
    CHECK(second.read == 1);
    CHECK(second.added == 0);
    CHECK(second.replaced == 1);
    CHECK(second.total == 2);

    airm::Index index = airm::Index::open(db);
    CHECK(index.record_count() == 2);
    auto r1 = index.find("r1");
    REQUIRE(r1);
    CHECK(r1->text == "replacement text");
    const Xapian::Database& xdb = airm::detail::IndexAccess::database(index);
    CHECK(xdb.get_termfreq("original") == 0);
    CHECK(xdb.get_termfreq("replacement") == 1);
    CHECK(xdb.get_termfreq(airm::schema::id_term("r1")) == 1);
    CHECK(index.facet_counts("category") ==
          std::map<std::string, std::uint64_t>{{"2", 1}, {"2.3", 1}});
}

TEST_CASE("documents: delete removes the named records, or nothing when one is unknown",
          "[documents]") {
    TempDir dir;
    const std::string db = dir.file("db");
    std::string records;
    for (const char* id : {"a", "b", "c"}) {
        records += line({{"id", id}, {"text", std::string("text of ") + id}});
    }
    airm::index_files(db, {dir.write("r.jsonl", records)}, {});

    try {
        airm::delete_records(db, {"a", "missing"});
        FAIL("an unknown id was accepted");
    } catch (const airm::NotFound& e) {
        CHECK_THAT(e.what(), Catch::Contains("missing") && Catch::Contains("nothing was deleted"));
    }
    CHECK(airm::Index::open(db).record_count() == 3);

    auto report = airm::delete_records(db, {"a", "c"});
    CHECK(report.removed == 2);
    CHECK(report.total == 1);
    airm::Index index = airm::Index::open(db);
    CHECK(index.record_count() == 1);
    CHECK(index.find("b"));
    CHECK(!index.find("a"));
    CHECK_THROWS_AS(airm::delete_records(dir.file("absent"), {"b"}), airm::NotFound);
    CHECK(!fs::exists(dir.file("absent")));
}

TEST_CASE("documents: rebuild replaces the whole index, and keeps it when the input is bad",
          "[documents]") {
    TempDir dir;
    const std::string db = dir.file("db");
    airm::index_files(db, {dir.write("old.jsonl", line({{"id", "old"}, {"text", "old text"}}))},
                      {});
    airm::IndexOptions rebuild;
    rebuild.rebuild = true;

    CHECK_THROWS_AS(airm::index_files(db, {dir.write("bad.jsonl", "{not json\n")}, rebuild),
                    airm::InvalidInput);
    CHECK(airm::Index::open(db).find("old"));

    rebuild.analyzer.language = "french";
    auto report = airm::index_files(
        db, {dir.write("new.jsonl", line({{"id", "new"}, {"text", "nouveau"}}))}, rebuild);
    CHECK(report.total == 1);
    airm::Index index = airm::Index::open(db);
    CHECK(index.record_count() == 1);
    CHECK(index.find("new"));
    CHECK(index.metadata().analyzer.language == "french");
    // Nothing is left beside the index.
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir.path()))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"bad.jsonl", "db", "new.jsonl", "old.jsonl"});

    // A folder path written with a trailing slash is the same folder.
    auto again = airm::index_files(
        db + "/", {dir.write("third.jsonl", line({{"id", "third"}, {"text", "x"}}))}, rebuild);
    CHECK(again.total == 1);
    CHECK(airm::Index::open(db).find("third"));
    CHECK(!fs::exists(db + "/.airm-rebuild"));
}

TEST_CASE("documents: codes are checked against a given taxonomy", "[documents]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const std::string input = dir.write(
        "r.jsonl", line({{"id", "r1"}, {"text", "x"}, {"facets", {{"category", {"2.9"}}}}}));
    auto options = with_taxonomy();
    try {
        airm::index_files(db, {input}, options);
        FAIL("an unknown code was accepted");
    } catch (const airm::InvalidInput& e) {
        CHECK_THAT(e.what(), Catch::Contains("line 1 of " + input) && Catch::Contains("'2.9'") &&
                                 Catch::Contains("2.4") && Catch::Contains("--allow-new-codes"));
    }
    CHECK(!fs::exists(db));

    options.allow_new_codes = true;
    airm::index_files(db, {input}, options);
    airm::Index index = airm::Index::open(db);
    const airm::Taxonomy* t = index.metadata().taxonomy("category");
    REQUIRE(t != nullptr);
    CHECK(t->contains("2.9"));
    CHECK(t->find("2.9")->from_data);
    CHECK(t->name_of("2.1") == "Model & Infrastructure Security");
    CHECK(index.facet_counts("category").at("2.9") == 1);

    // The index remembers its curated taxonomy: later batches are checked without --taxonomy.
    const std::string later = dir.write(
        "l.jsonl", line({{"id", "r2"}, {"text", "y"}, {"facets", {{"category", {"5.5"}}}}}));
    CHECK_THROWS_AS(airm::index_files(db, {later}, {}), airm::InvalidInput);
    CHECK(airm::Index::open(db).record_count() == 1);

    // Giving the taxonomy again keeps the codes the index already uses.
    const std::string again = dir.write(
        "a.jsonl", line({{"id", "r3"}, {"text", "z"}, {"facets", {{"category", {"1.1"}}}}}));
    airm::index_files(db, {again}, with_taxonomy());
    airm::Index after = airm::Index::open(db);
    CHECK(after.record_count() == 2);
    REQUIRE(after.metadata().taxonomy("category")->contains("2.9"));
    CHECK(after.metadata().taxonomy("category")->find("2.9")->from_data);
    CHECK(after.metadata().taxonomy("category")->curated());
}

TEST_CASE("documents: a hierarchical facet rejects values without a code", "[documents]") {
    TempDir dir;
    const std::string input = dir.write(
        "r.jsonl",
        line({{"id", "r1"}, {"text", "x"}, {"facets", {{"category", {"Testing & Auditing"}}}}}));
    auto options = with_taxonomy();
    CHECK_THROWS_WITH(airm::index_files(dir.file("db"), {input}, options),
                      Catch::Contains("line 1 of " + input) &&
                          Catch::Contains("Testing & Auditing") && Catch::Contains("CODE Name"));
}

TEST_CASE("documents: a batch is checked whole before anything is written", "[documents]") {
    TempDir dir;
    const std::string db = dir.file("db");
    airm::index_files(db, {dir.write("a.jsonl", line({{"id", "keep"}, {"text", "kept"}}))}, {});
    // The second file of the batch is bad: the good first file must not be indexed either.
    const std::string good = dir.write("good.jsonl", line({{"id", "new1"}, {"text", "fine"}}));
    const std::string bad = dir.write("bad.jsonl", line({{"id", "new2"}, {"text", ""}}));
    CHECK_THROWS_WITH(airm::index_files(db, {good, bad}, {}),
                      Catch::Contains(bad) && Catch::Contains("no text"));
    airm::Index index = airm::Index::open(db);
    CHECK(index.record_count() == 1);
    CHECK(!index.find("new1"));
    // The same id in two files of one batch is a duplicate too.
    CHECK_THROWS_WITH(airm::index_files(db, {good, good}, {}), Catch::Contains("appears twice"));
    CHECK(airm::Index::open(db).record_count() == 1);
}
