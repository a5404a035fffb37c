// Training at scale: interned features give the vectors the names give, and the compact model
// file (format version 6) reads back as the pairs layout of version 5 does.

#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/suggest/file_format.hpp"
#include "query/suggest/store.hpp"
#include "query/suggest/train.hpp"
#include "suggest/corpus_index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

using airm::test::build_corpus_index;
using airm::test::TempDir;

TEST_CASE("a term dictionary gives each term one id and reads every term back as interned",
          "[suggest][scale]") {
    airm::TermDictionary dictionary;
    std::vector<std::string> terms;
    for (int i = 0; i < 5000; ++i) // enough to grow the table several times
        terms.push_back(i % 7 == 0 ? "term " + std::to_string(i) : "t" + std::to_string(i));
    terms.emplace_back(); // the empty term is a term too
    std::vector<std::uint32_t> ids;
    for (const auto& term : terms)
        ids.push_back(dictionary.intern(term));
    REQUIRE(dictionary.size() == terms.size());
    for (std::size_t i = 0; i < terms.size(); ++i) {
        CHECK(ids[i] == i);
        CHECK(dictionary.term(ids[i]) == terms[i]);
        CHECK(dictionary.intern(terms[i]) == ids[i]);
    }
    CHECK(dictionary.size() == terms.size());
}

TEST_CASE("a training record's interned features give the vector its features by name give",
          "[suggest][scale]") {
    TempDir tmp;
    const airm::Index index = airm::Index::open(build_corpus_index(tmp));
    const airm::TrainingSet set = airm::collect_training_set(index, "category", {});
    const airm::SuggestModel model = airm::train_model(set, {}, {});
    const airm::Analyzer analyzer = index.make_analyzer();
    std::size_t compared = 0;
    index.for_each_record([&](const airm::Record& record) {
        auto it = std::find_if(set.records.begin(), set.records.end(),
                               [&](const airm::TrainingRecord& t) { return t.id == record.id; });
        if (it == set.records.end())
            return;
        const airm::FeatureBag bag = airm::extract_features(record, analyzer, set.features);
        REQUIRE(it->terms.size() == bag.features.size());
        const airm::SparseVector by_name = model.vocabulary.vectorize(bag);
        CHECK_FALSE(by_name.empty());
        CHECK(model.vocabulary.vectorize(it->terms, set.dictionary) == by_name);
        ++compared;
    });
    CHECK(compared == set.records.size());
}

TEST_CASE("a version 5 model (sparse vectors as pairs) loads and suggests as the smaller version "
          "6 file of the same model does",
          "[suggest][scale][model]") {
    TempDir tmp;
    const std::string db = build_corpus_index(tmp);
    const airm::Index index = airm::Index::open(db);
    const airm::SuggestModel trained = airm::train_and_save(index, "category");
    const std::string path = airm::model_path(db, "category");
    const std::string old_path = tmp.file("old.model");
    airm::save_model(trained, old_path, airm::kModelFormatPairsVersion);
    CHECK(airm::test::read_file(old_path).rfind("airm-suggest-model 5\n", 0) == 0);
    CHECK(std::filesystem::file_size(path) < std::filesystem::file_size(old_path));

    const airm::SuggestModel compact = airm::load_model(path);
    const airm::SuggestModel pairs = airm::load_model(old_path);
    for (const airm::SuggestModel* m : {&compact, &pairs}) {
        CHECK(m->weights == trained.weights);
        CHECK(m->centroids == trained.centroids);
        CHECK(m->prior_vectors == trained.prior_vectors);
        REQUIRE(m->examples.size() == trained.examples.size());
        for (std::size_t i = 0; i < trained.examples.size(); ++i)
            CHECK(m->examples[i].vector == trained.examples[i].vector);
    }
    const airm::Suggester a{compact};
    const airm::Suggester b{pairs};
    const auto ra = a.suggest("Red-team the model before release", {});
    const auto rb = b.suggest("Red-team the model before release", {});
    REQUIRE(ra.suggestions.size() == rb.suggestions.size());
    for (std::size_t i = 0; i < ra.suggestions.size(); ++i) {
        CHECK(ra.suggestions[i].code == rb.suggestions[i].code);
        CHECK(ra.suggestions[i].confidence == rb.suggestions[i].confidence);
    }
    // Any other version is refused, naming the ones this airm writes.
    CHECK_THROWS_WITH(airm::save_model(trained, old_path, 4), Catch::Contains("versions 5 and 6"));
}
