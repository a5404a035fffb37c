// The word-vector member of suggestion: reading GloVe-format files, relating a word no labelled
// record used to the codes of records with similar words, saving and retraining with the vectors,
// and the quality it reaches on the MIT data when the vectors are present.

#include "query/suggest/word_vectors.hpp"

#include "engine/error.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/suggest/evaluate.hpp"
#include "query/suggest/file_format.hpp"
#include "query/suggest/store.hpp"
#include "suggest/mit_data.hpp"
#include "support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::TempDir;

namespace {

/// Three-dimensional vectors: theft-like words along x, audit-like words along y. "espionage"
/// and "scrutiny" are in no record below.
constexpr const char* kVectors = "theft 1 0 0\n"
                                 "burglary 0.9 0.1 0\n"
                                 "locks 0.8 0 0.2\n"
                                 "espionage 0.95 0.05 0\n"
                                 "audit 0 1 0\n"
                                 "inspection 0.1 0.9 0\n"
                                 "review 0 0.8 0.2\n"
                                 "scrutiny 0.05 0.95 0\n";

/// An index of two codes whose records share no word with "espionage" or "scrutiny".
std::string build_two_code_index(const TempDir& tmp) {
    const std::string taxonomy = tmp.write("taxonomy.json", R"({
  "format": "airm-taxonomy", "version": 1, "facet": "category",
  "nodes": [
    {"code": "1", "name": "Controls"},
    {"code": "1.1", "name": "Premises"},
    {"code": "1.2", "name": "Checks"}
  ]})");
    const char* texts[2][3] = {{"theft of equipment", "burglary at night", "locks on doors"},
                               {"audit of accounts", "inspection by staff", "review of logs"}};
    const char* codes[2] = {"1.1", "1.2"};
    std::string lines;
    int n = 0;
    for (int c = 0; c < 2; ++c) {
        for (int i = 0; i < 12; ++i) {
            lines += R"({"id": "R)" + std::to_string(++n) + R"(", "text": ")" + texts[c][i % 3] +
                     R"(", "facets": {"category": [")" + codes[c] + R"("]}})" + "\n";
        }
    }
    const std::string records = tmp.write("records.jsonl", lines);
    airm::IndexOptions options;
    options.taxonomies.push_back(airm::load_taxonomy_file(taxonomy, "category"));
    const std::string db = tmp.file("db");
    (void)airm::index_files(db, {records}, options);
    return db;
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t label_of(const airm::SuggestModel& m, const std::string& code) {
    return static_cast<std::size_t>(std::find(m.labels.begin(), m.labels.end(), code) -
                                    m.labels.begin());
}

airm::ComponentScores components_of(const airm::SuggestModel& m, const std::string& text) {
    airm::Record r;
    r.text = text;
    const airm::Analyzer analyzer(m.analyzer);
    const airm::FeatureBag bag = airm::extract_features(r, analyzer, m.features);
    return m.score(m.vocabulary.vectorize(bag), &bag);
}

} // namespace

TEST_CASE("word vector files are read line by line, and bad lines are refused with the fix",
          "[suggest][vectors]") {
    TempDir tmp;
    SECTION("a GloVe file, and a word2vec header and CRLF line ends") {
        for (const std::string& content : {std::string("alpha 1 2\nbeta -0.5 3e-1\n"),
                                           std::string("2 2\r\nalpha 1 2\r\nbeta -0.5 0.3\r\n")}) {
            const airm::WordVectors v = airm::WordVectors::load_text(tmp.write("v.txt", content));
            REQUIRE(v.size() == 2);
            REQUIRE(v.dimensions() == 2);
            const float* beta = v.find("beta");
            REQUIRE(beta != nullptr);
            CHECK(beta[0] == Approx(-0.5));
            CHECK(beta[1] == Approx(0.3));
            CHECK(v.find("gamma") == nullptr);
        }
    }
    SECTION("max_words keeps the first words of the file") {
        const airm::WordVectors v =
            airm::WordVectors::load_text(tmp.write("v.txt", "a 1\nb 2\nc 3\n"), 2);
        CHECK(v.size() == 2);
        CHECK(v.find("c") == nullptr);
    }
    struct Bad {
        const char* content;
        const char* message;
    };
    const Bad bad[] = {
        {"alpha 1 2\nbeta 1 2\ngamma 1\n", "line 3 of word vectors file"},
        {"alpha 1 2\nbeta 1 x2\n", "'x2' is not a finite number"},
        {"alpha\n", "a word without numbers"},
        {"", "holds no vectors"},
        {"alpha 1 2\nbeta nan 2\n", "'nan' is not a finite number"},
        {"alpha 1 2\nbeta 1 inf\n", "'inf' is not a finite number"},
        {"alpha 1 2\nbeta -INF 2\n", "'-INF' is not a finite number"},
        {"alpha 1 2\nbeta 1e50 2\n", "'1e50' is out of the range of a float"},
    };
    for (const Bad& b : bad) {
        INFO(b.content);
        const std::string path = tmp.write("bad.txt", b.content);
        CHECK_THROWS_AS(airm::WordVectors::load_text(path), airm::InvalidInput);
        CHECK_THROWS_WITH(airm::WordVectors::load_text(path),
                          Catch::Contains(b.message) && Catch::Contains(path));
    }
    CHECK_THROWS_WITH(airm::WordVectors::load_text(tmp.file("missing.txt")),
                      Catch::Contains("cannot read word vectors file") &&
                          Catch::Contains("missing.txt"));
    CHECK_THROWS_WITH(airm::WordVectors::load_text(tmp.path().string()),
                      Catch::Contains("cannot read word vectors file"));
    SECTION("a byte-order mark is not part of the first word, and '+' signs are numbers") {
        const airm::WordVectors v =
            airm::WordVectors::load_text(tmp.write("v.txt", "\xEF\xBB\xBFthe +1 2\n"));
        REQUIRE(v.find("the") != nullptr);
        CHECK(v.find("the")[0] == Approx(1.0));
    }
}

TEST_CASE("word vectors relate a word no record used to the code of records with similar words",
          "[suggest][vectors]") {
    TempDir tmp;
    const std::string db = build_two_code_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const auto vectors = std::make_shared<const airm::WordVectors>(
        airm::WordVectors::load_text(tmp.write("vectors.txt", kVectors)));

    const airm::SuggestModel plain = airm::train_for_index(index, "category");
    airm::TrainOptions options;
    options.word_vectors = vectors;
    const airm::SuggestModel with = airm::train_for_index(index, "category", options);
    const std::size_t premises = label_of(with, "1.1");
    const std::size_t checks = label_of(with, "1.2");
    REQUIRE(premises < with.labels.size());
    REQUIRE(checks < with.labels.size());

    // Without vectors the model has no word-vector member and scores nothing through one.
    CHECK(plain.word_vectors == nullptr);
    const airm::ComponentScores none = components_of(plain, "espionage");
    CHECK(std::all_of(none.embedding.begin(), none.embedding.end(),
                      [](float v) { return v == 0.0F; }));
    // "espionage" and "scrutiny" are unknown to the TF-IDF features...
    CHECK(with.vocabulary.find("espionag") < 0);
    CHECK(with.vocabulary.find("espionage") < 0);
    // ... but their vectors lie near the words of one code each.
    const airm::ComponentScores spy = components_of(with, "espionage");
    CHECK(spy.embedding[premises] > 0.5F);
    CHECK(spy.embedding[premises] > spy.embedding[checks]);
    CHECK(spy.embedding_neighbour[premises] > spy.embedding_neighbour[checks]);
    const airm::ComponentScores look = components_of(with, "scrutiny");
    CHECK(look.embedding[checks] > look.embedding[premises]);
    // The model keeps the vectors of its training words and of the file's first words.
    REQUIRE(with.word_vectors != nullptr);
    CHECK(with.word_vectors->find("espionage") != nullptr); // among the first 40,000 of the file
    CHECK(with.word_vectors->find("theft") != nullptr);
}

TEST_CASE("a model with word vectors saves, loads, suggests the same and keeps them on retrain",
          "[suggest][vectors][model]") {
    TempDir tmp;
    const std::string db = build_two_code_index(tmp);
    const std::string vectors = tmp.write("vectors.txt", kVectors);
    auto r = run_airm("train --db " + shell_quote(db) + " --word-vectors " + shell_quote(vectors));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("8 word vectors"));

    const airm::Index index = airm::Index::open(db);
    const airm::SuggestModel loaded = airm::load_model(airm::model_path(db, "category"));
    REQUIRE(loaded.word_vectors != nullptr);
    CHECK(loaded.word_vectors->size() == 8);
    airm::TrainOptions options;
    options.word_vectors =
        std::make_shared<const airm::WordVectors>(airm::WordVectors::load_text(vectors));
    const airm::SuggestModel trained = airm::train_for_index(index, "category", options);
    CHECK(loaded.word_vectors->words() == trained.word_vectors->words());
    CHECK(loaded.word_vectors->vectors() == trained.word_vectors->vectors());
    CHECK(loaded.embedding_centroids == trained.embedding_centroids);
    CHECK(loaded.embedding_examples == trained.embedding_examples);
    CHECK(loaded.embedding_weight == trained.embedding_weight);
    const airm::ComponentScores a = components_of(loaded, "espionage by burglary");
    const airm::ComponentScores b = components_of(trained, "espionage by burglary");
    CHECK(a.embedding == b.embedding);
    CHECK(a.embedding_neighbour == b.embedding_neighbour);

    // `airm train` without the option keeps the model's vectors; --no-word-vectors drops them.
    r = run_airm("train --db " + shell_quote(db));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("8 word vectors"));
    // A change to the index makes the next suggestion retrain, still with the vectors.
    const std::string more = tmp.write(
        "more.jsonl", R"({"id": "N1", "text": "locks and theft", "facets": {"category": ["1.1"]}})"
                      "\n");
    REQUIRE(run_airm("index --db " + shell_quote(db) + " " + shell_quote(more)).exit_code == 0);
    r = run_airm("suggest --db " + shell_quote(db) + " espionage");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("retrained"));
    CHECK(airm::load_model(airm::model_path(db, "category")).word_vectors != nullptr);
    r = run_airm("train --db " + shell_quote(db) + " --no-word-vectors");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, !Catch::Contains("word vectors"));
    CHECK(airm::load_model(airm::model_path(db, "category")).word_vectors == nullptr);

    // A damaged model cannot hand its vectors on: `airm train` says so instead of dropping them
    // unnoticed, and retrains without them.
    r = run_airm("train --db " + shell_quote(db) + " --word-vectors " + shell_quote(vectors));
    REQUIRE(r.exit_code == 0);
    const std::string model = airm::model_path(db, "category");
    std::filesystem::resize_file(model, std::filesystem::file_size(model) / 2);
    r = run_airm("train --db " + shell_quote(db));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("warning") && Catch::Contains("is damaged") &&
                          Catch::Contains("--word-vectors FILE"));
    CHECK(airm::load_model(model).word_vectors == nullptr);

    // A bad vectors file is refused with its line, and the saved model is left as it was.
    const std::string before = file_bytes(airm::model_path(db, "category"));
    r = run_airm("train --db " + shell_quote(db) + " --word-vectors " +
                 shell_quote(tmp.write("bad.txt", "a 1 2\nb 1\n")));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("line 2 of word vectors file"));
    CHECK(file_bytes(airm::model_path(db, "category")) == before);
}

TEST_CASE("the word vectors of a version 4 model carry over when the upgrade retrains it",
          "[suggest][vectors][model]") {
    TempDir tmp;
    const std::string db = build_two_code_index(tmp);
    const std::string vectors = tmp.write("vectors.txt", kVectors);
    REQUIRE(run_airm("train --db " + shell_quote(db) + " --word-vectors " + shell_quote(vectors))
                .exit_code == 0);
    const std::string path = airm::model_path(db, "category");
    const airm::SuggestModel saved = airm::load_model(path);
    REQUIRE(saved.word_vectors != nullptr);

    // Version 4 stored sparse vectors as (index, value) pairs, as version 5 does, and had,
    // between the examples and the word-vector table, six more sections (BM25 weights, source
    // features, source lifts, label log priors, sibling weights and biases), each an empty array
    // (a zero count) when off, as by default.
    airm::save_model(saved, path, airm::kModelFormatPairsVersion);
    std::string data = file_bytes(path);
    auto u32 = [](std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
    const std::string& first_word = saved.word_vectors->words().front();
    const std::string table = u32(static_cast<std::uint32_t>(saved.word_vectors->size())) +
                              u32(static_cast<std::uint32_t>(saved.word_vectors->dimensions())) +
                              u32(static_cast<std::uint32_t>(first_word.size())) + first_word;
    const std::size_t at = data.find(table);
    REQUIRE(at != std::string::npos);
    REQUIRE(data.find(table, at + 1) == std::string::npos);
    data.insert(at, std::string(6 * 4, '\0'));
    data.replace(0, data.find('\n'), "airm-suggest-model 4");
    const std::string v4 = data;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << v4;

    // Not loaded as a model of this version, but its vectors are read.
    CHECK_THROWS_AS(airm::load_model(path), airm::VersionMismatch);
    const auto carried = airm::load_word_vectors(path);
    REQUIRE(carried != nullptr);
    CHECK(carried->words() == saved.word_vectors->words());
    CHECK(carried->vectors() == saved.word_vectors->vectors());

    // `airm suggest` retrains it by itself, with the vectors.
    auto r = run_airm("suggest --db " + shell_quote(db) + " espionage");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("was saved in another format version; retrained") &&
                          !Catch::Contains("warning"));
    const airm::SuggestModel retrained = airm::load_model(path);
    REQUIRE(retrained.word_vectors != nullptr);
    CHECK(retrained.word_vectors->words() == saved.word_vectors->words());
    CHECK(retrained.embedding_centroids == saved.embedding_centroids);

    // So does `airm train`.
    std::ofstream(path, std::ios::binary | std::ios::trunc) << v4;
    r = run_airm("train --db " + shell_quote(db));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("8 word vectors"));

    // A damaged version 4 file cannot hand them on: refused as damaged, not read amiss.
    std::ofstream(path, std::ios::binary | std::ios::trunc) << v4.substr(0, v4.size() - 40);
    CHECK_THROWS_AS(airm::load_word_vectors(path), airm::IndexError);
}

TEST_CASE("on the MIT data with the fixed folds and GloVe vectors airm meets every target",
          "[suggest][evaluate][shared][vectors]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    const char* env = std::getenv("AIRM_WORD_VECTORS");
    const char* home = std::getenv("HOME");
    const std::string vectors_path = env != nullptr ? std::string(env)
                                                    : std::string(home != nullptr ? home : "") +
                                                          "/.cache/airm/glove-wink-100d.txt";
    if (!std::filesystem::exists(vectors_path)) {
        WARN("SKIPPED: no word vectors at " + vectors_path +
             " (run tools/fetch-word-vectors, or set AIRM_WORD_VECTORS), so the quality with "
             "word vectors was not measured");
        return;
    }
    airm::test::check_mit_quality(
        data, std::make_shared<const airm::WordVectors>(airm::WordVectors::load_text(vectors_path)),
        0.85);
}

TEST_CASE("a model file whose counts exceed its size is damaged, whatever memory allows",
          "[suggest][vectors][model]") {
#if defined(__SANITIZE_ADDRESS__)
    WARN("SKIPPED: an address-space limit and AddressSanitizer's shadow memory do not mix");
    return;
#endif
    TempDir tmp;
    const std::string db = build_two_code_index(tmp);
    const airm::Index index = airm::Index::open(db);
    airm::TrainOptions options;
    options.word_vectors = std::make_shared<const airm::WordVectors>(
        airm::WordVectors::load_text(tmp.write("v.txt", kVectors)));
    (void)airm::train_and_save(index, "category", options);
    const std::string path = airm::model_path(db, "category");
    const std::string data = file_bytes(path);
    // The word table starts: u32 word count 8, u32 dimensions 3, then the first word, "theft".
    std::string marker(12, '\0');
    const std::uint32_t head[3] = {8, 3, 5};
    std::memcpy(marker.data(), head, sizeof head);
    marker += "theft";
    const std::size_t at = data.find(marker);
    REQUIRE(at != std::string::npos);
    // The vocabulary's term count comes first after the binary section's marker.
    const std::size_t terms_at = data.find("AIRMSUGG");
    REQUIRE(terms_at != std::string::npos);
    for (const std::size_t offset : {at, terms_at + 8}) {
        std::string damaged = data;
        const std::uint32_t huge = 0xFFFFFFF0U;
        std::memcpy(damaged.data() + offset, &huge, sizeof huge);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
        // Limit the address space (each test case runs in its own process under CTest), so that
        // reserving room for 4 billion items would fail as on a machine without overcommit.
        const rlimit limit{std::size_t{4} << 30, std::size_t{4} << 30};
        REQUIRE(setrlimit(RLIMIT_AS, &limit) == 0);
        CHECK_THROWS_AS(airm::load_model(path), airm::IndexError);
        CHECK_THROWS_WITH(airm::load_model(path), Catch::Contains("is damaged"));
    }
}

TEST_CASE("a code without records is neutral in the word-vector scores", "[suggest][vectors]") {
    TempDir tmp;
    const std::string taxonomy = tmp.write("taxonomy.json", R"({
  "format": "airm-taxonomy", "version": 1, "facet": "category",
  "nodes": [
    {"code": "1", "name": "Controls"},
    {"code": "1.1", "name": "Premises"},
    {"code": "1.2", "name": "Checks"},
    {"code": "1.3", "name": "Zzz"}
  ]})");
    std::string lines;
    const char* texts[2][3] = {{"theft of equipment", "burglary at night", "locks on doors"},
                               {"audit of accounts", "inspection by staff", "review of logs"}};
    for (int c = 0; c < 2; ++c) {
        for (int i = 0; i < 12; ++i) {
            lines += R"({"id": "R)" + std::to_string(c * 12 + i) + R"(", "text": ")" +
                     texts[c][i % 3] + R"(", "facets": {"category": ["1.)" + std::to_string(c + 1) +
                     R"("]}})" + "\n";
        }
    }
    airm::IndexOptions index_options;
    index_options.taxonomies.push_back(airm::load_taxonomy_file(taxonomy, "category"));
    const std::string db = tmp.file("db");
    (void)airm::index_files(db, {tmp.write("records.jsonl", lines)}, index_options);
    airm::TrainOptions options;
    options.word_vectors = std::make_shared<const airm::WordVectors>(
        airm::WordVectors::load_text(tmp.write("v.txt", kVectors)));
    const airm::SuggestModel m = airm::train_for_index(airm::Index::open(db), "category", options);
    const std::size_t empty = label_of(m, "1.3");
    REQUIRE(empty < m.labels.size());
    // Centred cosines are evidence for (above 0) or against (below 0) a code; a code with no
    // records and no text with a vector has none either way, and scores exactly 0.
    const airm::ComponentScores c = components_of(m, "scrutiny");
    CHECK(c.embedding[empty] == 0.0F);
    CHECK(c.embedding_prior[empty] == 0.0F);
    CHECK(c.embedding[label_of(m, "1.2")] > 0.0F);
    CHECK(c.embedding[label_of(m, "1.1")] < 0.0F);
}
