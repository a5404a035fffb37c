#pragma once
/// k-fold cross-validation of suggestion over an index's labelled records: for each fold a model
/// trained on the other folds only (vocabulary, IDF, weights, mixing and calibration included)
/// suggests codes for the held-out records, which are then scored as Annif scores subject indexing.

#include "engine/index.hpp"
#include "query/suggest/folds.hpp"
#include "query/suggest/train.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace airm {

struct EvaluateOptions {
    std::string facet = "category";
    Folds folds; ///< fixed folds (e.g. read_folds("folds-5.csv")); empty: stratified k folds
    unsigned k = 5;
    std::uint64_t seed = 1; ///< shuffles the stratified folds
    TrainOptions train;
    std::size_t calibration_top = 5; ///< suggestions per record that enter the reliability table
};

/// Precision and recall of the top suggestion for one code.
struct CodeQuality {
    std::string code;
    std::string name;
    std::size_t support = 0;   ///< held-out records carrying the code
    std::size_t predicted = 0; ///< records whose top suggestion is the code
    std::size_t correct = 0;
    double precision = 0;
    double recall = 0;
    double f1 = 0;
};

/// A true code and the code suggested first instead of it.
struct ConfusedPair {
    std::string gold;
    std::string predicted;
    std::size_t count = 0;
};

/// One row of the reliability table: suggestions whose confidence fell in [lower, upper).
struct ReliabilityBin {
    double lower = 0;
    double upper = 0;
    std::size_t count = 0;
    double mean_confidence = 0;
    double accuracy = 0; ///< share of those suggestions that were right
};

struct EvaluationReport {
    std::string facet;
    std::size_t n = 0; ///< labelled records evaluated
    std::size_t folds = 0;
    std::size_t labels = 0; ///< distinct codes among them
    bool multi_label = false;
    bool hierarchical = false; ///< category-level figures are meaningful
    double top1 = 0;           ///< P@1: the first suggestion is right
    double top3 = 0;           ///< a right code among the first three
    double recall_at_3 = 0;    ///< share of a record's codes among the first three
    double f1_at_3 = 0;        ///< per record, harmonic mean of hits/3 and hits/|codes|
    double ndcg_at_5 = 0;
    double category_accuracy = 0; ///< the first suggestion's first segment is right (hierarchical)
    double category_derived = 0;  ///< the most confident derived category is right (hierarchical)
    double macro_f1 = 0;          ///< of the first suggestion, over codes true or suggested
    double log_loss = 0;          ///< single-label: mean -log confidence of the true code
    double ece = 0;               ///< expected calibration error over the reliability table
    std::vector<CodeQuality> codes;
    std::vector<ConfusedPair> confusions; ///< most frequent first
    std::vector<ReliabilityBin> calibration;
};

/// Cross-validates suggestion for `options.facet`. Throws InvalidInput when the folds miss a
/// labelled record or name a record the index does not hold (naming it and the line), when fewer
/// than two folds result, or when the facet has no labels.
[[nodiscard]] EvaluationReport evaluate(const Index& index, const EvaluateOptions& options);

/// The same on an already collected training set (records analysed once); ids of the folds that
/// are not among its records are not checked here.
[[nodiscard]] EvaluationReport evaluate(const TrainingSet& set, const EvaluateOptions& options);

/// The report as JSON with keys top1, top3, r_at_3, f1_at_3, ndcg_at_5, category_accuracy,
/// macro_f1, n, codes, confusions, calibration and more.
[[nodiscard]] nlohmann::json to_json(const EvaluationReport& report);

} // namespace airm
