/// Round-trip property: every word token of an indexed text, analysed alone as a query would
/// analyse it, gives terms that the record's document holds, so searching that token alone finds
/// the record. Checked at the term level (the search layer builds its queries from these same
/// terms), over an on-disk index and an in-memory Xapian database. Also: the records the
/// benchmark's make_corpus.py writes load in the native shape.

#include "engine/detail/xapian_access.hpp"
#include "engine/schema.hpp"
#include "indexer/build/detail/document_builder.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/detail/derived_terms.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::TempDir;

namespace {

/// True when the document `did` of `db` is in the posting list of `term`.
bool has_posting(const Xapian::Database& db, const std::string& term, Xapian::docid did) {
    Xapian::PostingIterator it = db.postlist_begin(term);
    it.skip_to(did);
    return it != db.postlist_end(term) && *it == did;
}

/// The terms a query for the original text of one token would look for: the unstemmed term of
/// every token the analyzer makes of it alone, the "Z" stem of its words, and the per-field terms.
std::vector<std::string> query_terms(const airm::Analyzer& analyzer, std::string_view alone,
                                     airm::schema::Field field) {
    std::vector<std::string> out;
    const std::string prefix(airm::schema::field_prefix(field));
    for (const airm::Token& t : analyzer.analyze(alone)) {
        out.push_back(t.term);
        const std::string stem = analyzer.stem(t);
        if (!stem.empty()) {
            out.push_back(std::string(airm::schema::kStemPrefix) + stem);
            // The derived field's stem terms are not stored; check_round_trip() checks them.
            if (field != airm::schema::kDerivedField)
                out.push_back(airm::schema::field_stem_term(field, stem));
        } else {
            out.push_back(prefix + t.term);
        }
    }
    return out;
}

struct RoundTrip {
    std::size_t records = 0;
    std::size_t tokens = 0;
    std::vector<std::string> failures;
};

/// Checks the property for every record in `records` against `db`.
RoundTrip check_round_trip(const Xapian::Database& db, const std::vector<airm::Record>& records,
                           const airm::Analyzer& analyzer) {
    RoundTrip result;
    for (const airm::Record& record : records) {
        const std::string id_term = airm::schema::id_term(record.id);
        Xapian::PostingIterator id = db.postlist_begin(id_term);
        if (id == db.postlist_end(id_term)) {
            result.failures.push_back("record " + record.id + " is not in the index");
            continue;
        }
        const Xapian::docid did = *id;
        ++result.records;
        const Xapian::Document doc = db.get_document(did);
        for (airm::schema::Field field : airm::schema::kAllFields) {
            const std::string text = airm::field_text(record, field);
            std::map<std::string, Xapian::termcount> stems; // of the derived field, counted
            for (const airm::Token& token : analyzer.analyze(text)) {
                ++result.tokens;
                if (field == airm::schema::kDerivedField) {
                    if (const std::string stem = analyzer.stem(token); !stem.empty())
                        ++stems[stem];
                }
                std::vector<std::string> wanted = {token.term};
                if (const std::string stem = analyzer.stem(token); !stem.empty()) {
                    wanted.push_back(std::string(airm::schema::kStemPrefix) + stem);
                }
                const std::string alone = text.substr(token.begin, token.end - token.begin);
                for (auto& t : query_terms(analyzer, alone, field)) {
                    wanted.push_back(std::move(t));
                }
                for (const auto& term : wanted) {
                    if (!has_posting(db, term, did) && result.failures.size() < 20) {
                        result.failures.push_back("record " + record.id + ", field " +
                                                  std::string(airm::schema::field_name(field)) +
                                                  ": token '" + alone + "' needs term '" + term +
                                                  "', which the document lacks");
                    }
                }
            }
            // Each stem of the derived field is found as often as the field holds it.
            for (const auto& [stem, count] : stems) {
                const Xapian::termcount derived = airm::detail::derived_wdf(doc, stem);
                if (derived != count && result.failures.size() < 20) {
                    result.failures.push_back("record " + record.id + ": stem '" + stem +
                                              "' occurs " + std::to_string(count) +
                                              " times in the derived field, derived " +
                                              std::to_string(derived));
                }
            }
        }
    }
    return result;
}

std::string describe(const RoundTrip& r) {
    std::ostringstream out;
    out << r.records << " records, " << r.tokens << " tokens checked";
    for (const auto& f : r.failures) {
        out << "\n  " << f;
    }
    return out.str();
}

struct Dataset {
    std::string name;
    std::vector<std::string> inputs;
    airm::IndexOptions options;
};

/// Runs the property over an on-disk index built by `airm index`'s job and over an in-memory
/// database built from the same prepared batch.
void run_round_trip(const Dataset& data, std::size_t expected_records) {
    INFO("dataset: " << data.name);
    TempDir dir;

    SECTION("on disk") {
        const std::string db = dir.file("db");
        airm::index_files(db, data.inputs, data.options);
        airm::IndexMetadata metadata = airm::IndexMetadata::fresh();
        const auto batch = airm::prepare_batch(data.inputs, data.options, metadata);
        REQUIRE(batch.records.size() == expected_records);
        airm::Index index = airm::Index::open(db);
        REQUIRE(index.record_count() == expected_records);
        const auto result = check_round_trip(airm::detail::IndexAccess::database(index),
                                             batch.records, index.make_analyzer());
        INFO(describe(result));
        CHECK(result.records == expected_records);
        CHECK(result.tokens > 0);
        CHECK(result.failures.empty());
        // The stored record is the prepared one.
        for (std::size_t i = 0; i < batch.records.size(); i += 7) {
            auto stored = index.find(batch.records[i].id);
            REQUIRE(stored);
            CHECK(*stored == batch.records[i]);
        }
    }
    SECTION("in memory") {
        airm::IndexMetadata metadata = airm::IndexMetadata::fresh(data.options.analyzer);
        const auto batch = airm::prepare_batch(data.inputs, data.options, metadata);
        REQUIRE(batch.records.size() == expected_records);
        const airm::Analyzer analyzer(metadata.analyzer);
        Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
        auto records = airm::RecordStoreWriter::create(dir.path().string(), 0);
        for (const auto& record : batch.records) {
            db.replace_document(airm::schema::id_term(record.id),
                                airm::build_document(record, metadata, analyzer, records));
        }
        REQUIRE(db.get_doccount() == expected_records);
        const auto result = check_round_trip(db, batch.records, analyzer);
        INFO(describe(result));
        CHECK(result.records == expected_records);
        CHECK(result.failures.empty());
    }
}

/// Writes `n` records with the benchmark's ../shared/bench/make_corpus.py and returns the file, or
/// nullopt (saying so) when the script or python3 is absent.
std::optional<std::string> write_scale_corpus(const TempDir& dir, const std::string& shared, int n,
                                              int seed) {
    const fs::path script = fs::path(shared).parent_path() / "bench" / "make_corpus.py";
    if (!fs::exists(script) || std::system("python3 --version >/dev/null 2>&1") != 0) {
        WARN("SKIPPED: python3 or ../shared/bench/make_corpus.py is absent");
        return std::nullopt;
    }
    const std::string out = dir.file("scale.jsonl");
    const std::string cmd = "python3 " + airm::test::shell_quote(script.string()) + " " +
                            std::to_string(n) + " " + airm::test::shell_quote(out) + " --seed " +
                            std::to_string(seed);
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
}

airm::Taxonomy bundled_taxonomy() {
    return airm::load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json");
}

} // namespace

TEST_CASE("round trip: the bundled corpus", "[roundtrip]") {
    Dataset data{"corpus/records.jsonl", {airm::test::corpus_dir() + "/records.jsonl"}, {}};
    data.options.taxonomies.push_back(bundled_taxonomy());
    run_round_trip(data, 92);
}

TEST_CASE("round trip: hand-written multilingual records", "[roundtrip]") {
    Dataset data{
        "tests/data/records.jsonl", {std::string(AIRM_TEST_DATA_DIR) + "/records.jsonl"}, {}};
    run_round_trip(data, 7);
}

TEST_CASE("round trip: hand-written records without stemming or diacritic folding", "[roundtrip]") {
    Dataset data{"tests/data/records.jsonl, language none",
                 {std::string(AIRM_TEST_DATA_DIR) + "/records.jsonl"},
                 {}};
    data.options.analyzer.language = "none";
    data.options.analyzer.fold_diacritics = false;
    run_round_trip(data, 7);
}

TEST_CASE("round trip: the real MIT export", "[roundtrip][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    Dataset data{
        "MIT export", {shared + "/mit-mitigations/mitigation-database-2025-07-23.csv"}, {}};
    data.options.load.format = airm::InputFormat::mit_csv;
    data.options.load.documents_csv =
        shared + "/mit-mitigations/mitigation-database-included-documents-2025-07-23.csv";
    data.options.taxonomies.push_back(bundled_taxonomy());
    run_round_trip(data, 831);
}

TEST_CASE("loaders: records exactly as the benchmark's make_corpus.py writes them",
          "[loaders][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    TempDir dir;
    const auto out = write_scale_corpus(dir, shared, 25, 7);
    if (!out) {
        return;
    }
    std::vector<airm::Record> records;
    auto reader = airm::open_records(*out, {});
    for (airm::LoadedRecord loaded; reader->next(loaded);) {
        records.push_back(loaded.record);
    }
    REQUIRE(records.size() == 25);
    const airm::Taxonomy taxonomy = bundled_taxonomy();
    for (std::size_t i = 0; i < records.size(); ++i) {
        const airm::Record& r = records[i];
        INFO(r.id);
        char id[32];
        std::snprintf(id, sizeof id, "S%07zu", i);
        CHECK(r.id == id);
        CHECK(!r.title.empty());
        CHECK(!r.text.empty());
        CHECK(!r.reasoning.empty());
        CHECK(!r.source.ref.empty());
        CHECK(r.source.year.has_value());
        REQUIRE(r.facets.count("category") == 1);
        CHECK(r.facets.at("category").size() >= 1);
        CHECK(r.facets.at("category").size() <= 3);
        for (const auto& code : r.facets.at("category")) {
            CHECK(taxonomy.contains(code));
        }
        CHECK(r.facets.at("lifecycle").size() == 1);
        CHECK(!r.facets.at("actor").empty());
    }
    // ... and they index against the bundled taxonomy without complaint.
    airm::IndexOptions options;
    options.taxonomies.push_back(taxonomy);
    auto report = airm::index_files(dir.file("db"), {*out}, options);
    CHECK(report.added == 25);
    CHECK(report.total == 25);
}

TEST_CASE("round trip: records written by the benchmark's make_corpus.py", "[roundtrip][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    TempDir dir;
    const auto out = write_scale_corpus(dir, shared, 40, 11);
    if (!out) {
        return;
    }
    Dataset data{"make_corpus.py 40", {*out}, {}};
    data.options.taxonomies.push_back(bundled_taxonomy());
    run_round_trip(data, 40);
}
