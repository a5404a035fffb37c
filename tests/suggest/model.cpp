// Suggestion models: storage, calibration, hierarchy, cold start, multi-label, explanations, and
// the quality targets on the real MIT data.

#include "engine/error.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/suggest/evaluate.hpp"
#include "query/suggest/file_format.hpp"
#include "query/suggest/folds.hpp"
#include "query/suggest/store.hpp"
#include "suggest/corpus_index.hpp"
#include "suggest/mit_data.hpp"
#include "support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

using airm::test::TempDir;

namespace {

/// A small single-label index whose taxonomy has a code (2.3) that no record carries.
std::string build_small_index(const TempDir& tmp) {
    const std::string taxonomy = tmp.write("taxonomy.json", R"({
  "format": "airm-taxonomy", "version": 1, "facet": "category",
  "nodes": [
    {"code": "1", "name": "People"},
    {"code": "1.1", "name": "Staff training", "description": "Training courses for employees."},
    {"code": "1.2", "name": "Hiring checks", "description": "Background checks before hiring."},
    {"code": "2", "name": "Machines"},
    {"code": "2.1", "name": "Encryption", "description": "Encrypting stored data and traffic."},
    {"code": "2.2", "name": "Backups", "description": "Regular backups of systems."},
    {"code": "2.3", "name": "Seismic isolation", "description": "Mounting server racks on earthquake dampers.",
     "examples": ["earthquake dampers under racks", "seismic bracing of data centre floors"]}
  ]})");
    const char* topics[4][2] = {{"1.1", "training course for employees on safe use"},
                                {"1.2", "background check of candidates before hiring"},
                                {"2.1", "encrypt data at rest and traffic with keys"},
                                {"2.2", "nightly backup copies of the systems restored in drills"}};
    std::string lines;
    int n = 0;
    for (const auto& topic : topics) {
        for (int i = 0; i < 6; ++i) {
            lines += R"({"id": "R)" + std::to_string(++n) + R"(", "title": "Item )" +
                     std::to_string(i) + R"(", "text": ")" + topic[1] + " variant " +
                     std::to_string(i) + R"(", "facets": {"category": [")" + topic[0] + R"("]}})" +
                     "\n";
        }
    }
    const std::string records = tmp.write("records.jsonl", lines);
    airm::IndexOptions options;
    options.taxonomies.push_back(airm::load_taxonomy_file(taxonomy, "category"));
    const std::string db = tmp.file("db");
    (void)airm::index_files(db, {records}, options);
    return db;
}

using airm::test::build_corpus_index;

/// Both suggesters give the same codes with the same confidences for `text`.
void check_same_suggestions(const airm::Suggester& a, const airm::Suggester& b, const char* text) {
    const auto ra = a.suggest(text, {});
    const auto rb = b.suggest(text, {});
    REQUIRE(ra.suggestions.size() == rb.suggestions.size());
    for (std::size_t i = 0; i < ra.suggestions.size(); ++i) {
        CHECK(ra.suggestions[i].code == rb.suggestions[i].code);
        CHECK(ra.suggestions[i].confidence == rb.suggestions[i].confidence);
    }
}

} // namespace

TEST_CASE("a saved model loads back identical and suggests the same", "[suggest][model]") {
    TempDir tmp;
    const std::string db = build_corpus_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const airm::SuggestModel trained = airm::train_and_save(index, "category");
    const std::string path = airm::model_path(db, "category");
    {
        std::ifstream in(path);
        std::string first;
        std::getline(in, first);
        CHECK(first == "airm-suggest-model " + std::to_string(airm::kModelFormatVersion));
    }
    const airm::SuggestModel loaded = airm::load_model(path);
    CHECK(loaded.labels == trained.labels);
    CHECK(loaded.label_names == trained.label_names);
    CHECK(loaded.vocabulary.terms() == trained.vocabulary.terms());
    CHECK(loaded.weights == trained.weights);
    CHECK(loaded.examples.size() == trained.examples.size());
    CHECK(loaded.temperature == trained.temperature);
    CHECK(loaded.multi_label == trained.multi_label);

    // The index folder with a model file in it is still an index.
    CHECK(airm::looks_like_index(db));
    CHECK(airm::Index::open(db).record_count() == 92);

    const airm::Suggester a{trained};
    const airm::Suggester b = airm::open_suggester(index, "category");
    const char* text = "Red-team the model before release and publish the evaluation results";
    check_same_suggestions(a, b, text);
}

TEST_CASE("a model of another format version is refused with both versions and the fix",
          "[suggest][model]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    (void)airm::train_and_save(index, "category");
    const std::string path = airm::model_path(db, "category");
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    data.replace(0, data.find('\n'), "airm-suggest-model 7");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
    try {
        (void)airm::load_model(path);
        FAIL("a version 7 model loaded");
    } catch (const airm::VersionMismatch& e) {
        const std::string message = e.what();
        CHECK(message.find("version 7") != std::string::npos);
        CHECK(message.find("version " + std::to_string(airm::kModelFormatVersion)) !=
              std::string::npos);
        CHECK(message.find("airm train --db " + db + " --field category") != std::string::npos);
    }
    // Damaged and missing models are refused too, each with the fix.
    data.replace(0, data.find('\n'),
                 "airm-suggest-model " + std::to_string(airm::kModelFormatVersion));
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data.substr(0, data.size() / 2);
    CHECK_THROWS_AS(airm::load_model(path), airm::IndexError);
    CHECK_THROWS_AS(airm::load_model(airm::model_path(db, "lifecycle")), airm::NotFound);
}

TEST_CASE("confidences are probabilities and category confidences derive from code ones",
          "[suggest][calibration]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const airm::Suggester suggester{airm::train_and_save(index, "category")};
    const airm::SuggestModel& model = suggester.model();
    REQUIRE_FALSE(model.multi_label);
    REQUIRE(model.hierarchical);

    for (const char* text :
         {"encrypt the backup copies", "training course on hiring", "unrelated words entirely"}) {
        airm::Record r;
        r.text = text;
        const std::vector<float> c = suggester.confidences(r);
        for (float v : c) {
            CHECK(v >= 0.0F);
            CHECK(v <= 1.0F);
        }
        CHECK(std::accumulate(c.begin(), c.end(), 0.0) == Approx(1.0).epsilon(1e-4));

        airm::SuggestOptions all;
        all.top = 100;
        const airm::SuggestResult result = suggester.suggest(text, all);
        REQUIRE(result.categories.size() == 2);
        for (const auto& category : result.categories) {
            double sum = 0;
            for (const auto& s : result.suggestions) {
                if (s.category == category.code)
                    sum += s.confidence;
            }
            CHECK(category.confidence == Approx(sum).margin(1e-3));
        }
    }
    // The calibrated top suggestion of a clear text is confident; a text without known words is
    // not.
    CHECK(suggester.suggest("encrypt data at rest with keys", {}).suggestions.front().code ==
          "2.1");
    CHECK(suggester.suggest("zebra xylophone", {}).suggestions.front().confidence < 0.6);
}

TEST_CASE("a code without labelled records is suggested from its taxonomy text",
          "[suggest][cold-start]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    REQUIRE(index.facet_counts("category").count("2.3") == 0);
    const airm::Suggester suggester{airm::train_and_save(index, "category")};
    const auto& labels = suggester.model().labels;
    REQUIRE(std::find(labels.begin(), labels.end(), "2.3") != labels.end());
    const auto result =
        suggester.suggest("Put the server racks on earthquake dampers (seismic isolation)", {});
    REQUIRE_FALSE(result.suggestions.empty());
    CHECK(result.suggestions.front().code == "2.3");
    CHECK(result.suggestions.front().name == "Seismic isolation");
}

TEST_CASE("multi-label facets return every code that clears the threshold",
          "[suggest][multi-label]") {
    TempDir tmp;
    const std::string db = build_corpus_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const airm::Suggester suggester{airm::train_and_save(index, "category")};
    REQUIRE(suggester.model().multi_label); // the bundled corpus codes some records twice

    const airm::Record record = *index.find("AIRM-0001");
    const std::vector<float> c = suggester.confidences(record);
    std::vector<float> sorted = c;
    std::sort(sorted.rbegin(), sorted.rend());
    const double threshold = sorted[1]; // so that at least two clear it
    airm::SuggestOptions options;
    options.top = 50;
    options.threshold = threshold;
    const auto result = suggester.suggest(record, options);
    std::size_t expected = 0;
    for (float v : c)
        expected += v >= static_cast<float>(threshold) ? 1 : 0;
    CHECK(result.suggestions.size() >= 2);
    CHECK(result.suggestions.size() == expected);
    for (const auto& s : result.suggestions) {
        CHECK(s.confidence >= threshold - 1e-4);
    }
    // A threshold nobody clears gives no suggestion rather than a wrong one.
    options.threshold = 1.0;
    CHECK(suggester.suggest("zebra xylophone", options).suggestions.empty());
}

TEST_CASE("explanations name supporting records with the code and words of the input",
          "[suggest][explain]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const airm::Suggester suggester{airm::train_and_save(index, "category")};
    airm::SuggestOptions options;
    options.explain = true;
    options.top = 2;
    const std::string text = "Encrypt the customer data with rotated keys";
    const auto result = suggester.suggest(text, options);
    REQUIRE_FALSE(result.suggestions.empty());
    const auto& top = result.suggestions.front();
    CHECK(top.code == "2.1");
    REQUIRE_FALSE(top.records.empty());
    CHECK(top.records.size() <= 3);
    for (const auto& r : top.records) {
        const auto record = index.find(r.id);
        REQUIRE(record);
        CHECK(record->facets.at("category").front() == "2.1");
        CHECK(r.similarity > 0.0);
        CHECK(r.similarity <= 1.0 + 1e-6);
    }
    REQUIRE_FALSE(top.words.empty());
    for (const auto& w : top.words) {
        CHECK(text.find(w.word) != std::string::npos);
        CHECK(w.weight > 0.0);
    }
    const bool mentions_encrypt =
        std::any_of(top.words.begin(), top.words.end(),
                    [](const auto& w) { return w.word.find("Encrypt") != std::string::npos; });
    CHECK(mentions_encrypt);
    const auto json = airm::to_json(result);
    CHECK(json["suggestions"][0]["records"].size() == top.records.size());
    CHECK(json["suggestions"][0]["words"].size() == top.words.size());
}

TEST_CASE("evaluation keeps held-out records out of the model", "[suggest][evaluate]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    airm::EvaluateOptions options;
    options.k = 3;
    const airm::EvaluationReport report = airm::evaluate(index, options);
    CHECK(report.n == 24);
    CHECK(report.folds == 3);
    CHECK(report.top1 >= 0.9); // four clearly separated topics
    CHECK(report.top3 >= report.top1);
    CHECK(report.category_accuracy >= report.top1);
    // Folds that miss a record are refused, naming it.
    options.folds.fold = {{"R1", 0}, {"R2", 1}};
    CHECK_THROWS_WITH(airm::evaluate(index, options),
                      Catch::Contains("no fold for 22 labelled record(s)") &&
                          Catch::Contains("'R3'"));
}

TEST_CASE("a folds file is read with its lines, and a record given two folds is refused",
          "[suggest][evaluate][folds]") {
    TempDir tmp;
    const std::string good = tmp.write("good.csv", "id,fold\nR1,0\n\nR2,1\nR1,0\n");
    const airm::Folds folds = airm::read_folds(good);
    CHECK(folds.fold == std::map<std::string, int>{{"R1", 0}, {"R2", 1}});
    CHECK(folds.where("R2") == "line 4 of folds file '" + good + "'");
    CHECK(folds.where("R1") == "line 2 of folds file '" + good + "'"); // a repeat is harmless

    const std::string twice = tmp.write("twice.csv", "id,fold\nR1,0\nR2,1\nR1,3\n");
    CHECK_THROWS_AS(airm::read_folds(twice), airm::InvalidInput);
    CHECK_THROWS_WITH(airm::read_folds(twice),
                      Catch::Contains("line 4 of folds file '" + twice + "'") &&
                          Catch::Contains("'R1' is given fold 3") &&
                          Catch::Contains("line 2 already gave it fold 0") &&
                          Catch::Contains("keep one line per record"));
    CHECK_THROWS_WITH(airm::read_folds(tmp.write("bad.csv", "id,fold\nR1,one\n")),
                      Catch::Contains("line 2 of folds file") &&
                          Catch::Contains("fold 'one' is not a whole number"));
    CHECK_THROWS_WITH(airm::read_folds(tmp.write("short.csv", "id,fold\nR1\n")),
                      Catch::Contains("line 2 of folds file") && Catch::Contains("'id,fold'"));
    CHECK_THROWS_WITH(airm::read_folds(tmp.write("empty.csv", "")),
                      Catch::Contains("has no header 'id,fold'"));
    CHECK_THROWS_AS(airm::read_folds(tmp.file("missing.csv")), airm::NotFound);
}

TEST_CASE("evaluation refuses folds that name a record the index does not hold",
          "[suggest][evaluate][folds]") {
    TempDir tmp;
    const std::string db = build_small_index(tmp);
    const airm::Index index = airm::Index::open(db);
    std::string lines = "id,fold\n";
    for (int i = 1; i <= 24; ++i)
        lines += "R" + std::to_string(i) + "," + std::to_string(i % 3) + "\n";
    airm::EvaluateOptions options;
    options.folds = airm::read_folds(tmp.write("folds.csv", lines));
    CHECK(airm::evaluate(index, options).folds == 3); // the folds of this index are accepted

    const std::string other = tmp.write("other.csv", lines + "X9,1\n");
    options.folds = airm::read_folds(other);
    CHECK_THROWS_AS(airm::evaluate(index, options), airm::InvalidInput);
    CHECK_THROWS_WITH(airm::evaluate(index, options),
                      Catch::Contains("line 26 of folds file '" + other + "'") &&
                          Catch::Contains("record 'X9' is not in index '" + db + "'") &&
                          Catch::Contains("remove the line, or index the record first"));
}

TEST_CASE("on the MIT data with the fixed folds airm beats the best peer",
          "[suggest][evaluate][shared]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    // The issue's targets for top-1, category and macro-F1, and beating TF-IDF + LinearSVC
    // (0.804) on top-3; the 0.85 target is met only with word vectors (word_vectors.cpp).
    airm::test::check_mit_quality(data, nullptr, 0.805);
}

TEST_CASE("training keeps a bounded sample of examples but learns from every record, and reports "
          "progress up to its total",
          "[suggest][model]") {
    TempDir tmp;
    const airm::Index index = airm::Index::open(build_small_index(tmp));
    const airm::TrainingSet set = airm::collect_training_set(index, "category", {});
    REQUIRE(set.records.size() == 24);

    airm::TrainOptions options;
    options.max_examples = 8;
    options.max_inner_records = 20;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    options.progress = [&calls](std::uint64_t done, std::uint64_t total) {
        calls.emplace_back(done, total);
    };
    const airm::SuggestModel bounded = airm::train_model(set, {}, options);
    CHECK(bounded.trained_records == 24);
    CHECK(bounded.examples.size() == 8);
    // Stratified: each of the four codes keeps two of its six records.
    std::map<std::uint32_t, int> per_code;
    for (const auto& e : bounded.examples)
        ++per_code[e.labels.front()];
    CHECK(per_code.size() == 4);
    for (const auto& [code, count] : per_code)
        CHECK(count == 2);
    // The centroids still come from every record: the same as without a bound.
    const airm::SuggestModel whole = airm::train_model(set, {}, airm::TrainOptions{});
    CHECK(whole.examples.size() == 24);
    CHECK(bounded.centroids == whole.centroids);

    REQUIRE(!calls.empty());
    for (std::size_t i = 1; i < calls.size(); ++i) {
        CHECK(calls[i].first >= calls[i - 1].first);
        CHECK(calls[i].second == calls.front().second);
    }
    CHECK(calls.back().first == calls.back().second);
}

TEST_CASE("the expected training cost grows linearly with the records", "[suggest][model]") {
    const airm::TrainingEstimate small = airm::estimate_training(100000, 23);
    const airm::TrainingEstimate large = airm::estimate_training(1000000, 23);
    CHECK(small.seconds > 0);
    CHECK(large.seconds > small.seconds);
    CHECK(large.seconds <= 10.5 * small.seconds);
    CHECK(large.bytes > small.bytes);
    CHECK(large.bytes <= 10 * small.bytes);
    // Evaluation keeps every record's features through its folds: more memory than training.
    CHECK(airm::estimate_training(100000, 23, true).bytes > small.bytes);
}
