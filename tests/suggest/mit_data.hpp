#pragma once
// The quality test on the MIT export of ../shared/data: indexed as `airm index --format mit-csv`
// does, cross-validated on its fixed folds, and held to the targets. One body, shared by
// the default model's test and the word-vector test.

#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/suggest/evaluate.hpp"
#include "query/suggest/folds.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace airm::test {

/// Indexes `data`/mit-mitigations with the bundled taxonomy, cross-validates suggestion on
/// folds-5.csv (with `vectors` when not null) and checks the targets: top-1 >= 0.62, category
/// >= 0.75, macro-F1 >= 0.45, calibration error < 0.05, and top-3 at least `min_top3`.
inline void check_mit_quality(const std::string& data,
                              const std::shared_ptr<const WordVectors>& vectors, double min_top3) {
    const TempDir tmp;
    IndexOptions index_options;
    index_options.load.format = InputFormat::mit_csv;
    index_options.taxonomies.push_back(
        load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    const std::string db = tmp.file("mit");
    (void)index_files(db, {data + "/mit-mitigations/mitigation-database-2025-07-23.csv"},
                      index_options);

    EvaluateOptions options;
    options.folds = read_folds(data + "/mit-mitigations/folds-5.csv");
    REQUIRE(options.folds.fold.size() == 831);
    options.train.word_vectors = vectors;
    const EvaluationReport r = evaluate(Index::open(db), options);
    INFO("top1 " << r.top1 << " top3 " << r.top3 << " category " << r.category_accuracy
                 << " macro-F1 " << r.macro_f1 << " ece " << r.ece);
    CHECK(r.n == 831);
    CHECK(r.top1 >= 0.62);
    CHECK(r.top3 >= min_top3);
    CHECK(r.category_accuracy >= 0.75);
    CHECK(r.macro_f1 >= 0.45);
    CHECK(r.ece < 0.05);
}

} // namespace airm::test
