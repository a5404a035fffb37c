// Training that uses up its training set (what `airm train` does) frees each record's features
// once its row is built, and trains the same model as training that keeps the set.

#include "query/suggest/file_format.hpp"
#include "query/suggest/train.hpp"
#include "suggest/corpus_index.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>

using airm::test::build_corpus_index;
using airm::test::TempDir;

TEST_CASE("training that uses up its records writes the same model file as training that keeps "
          "them, and frees the records",
          "[suggest][scale]") {
    TempDir tmp;
    const airm::Index index = airm::Index::open(build_corpus_index(tmp));
    airm::TrainOptions options;
    // Below the corpus's size, so that the sampled examples and inner folds are used too.
    options.max_examples = 20;
    options.max_inner_records = 30;

    const airm::TrainingSet kept = airm::collect_training_set(index, "category", {}, false);
    REQUIRE(kept.records.size() > options.max_inner_records);
    const airm::SuggestModel reference = airm::train_model(kept, {}, options);

    airm::TrainingSet used = airm::collect_training_set(index, "category", {}, false);
    const airm::SuggestModel model = airm::train_model(std::move(used), options);
    CHECK(used.records.empty()); // NOLINT(bugprone-use-after-move): what it leaves is the point
    CHECK(model.examples.size() == options.max_examples);

    const std::string a = tmp.file("kept.model");
    const std::string b = tmp.file("used.model");
    airm::save_model(reference, a);
    airm::save_model(model, b);
    CHECK(airm::test::read_file(a) == airm::test::read_file(b));
}
