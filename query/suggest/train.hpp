#pragma once
/// Training a suggestion model from labelled records: vocabulary and IDF, the one-vs-rest linear
/// model, the neighbour examples and the taxonomy prior are fitted on the given records only; the
/// mixing weights and the calibration are fitted on an inner cross-validation of those records.

#include "engine/index.hpp"
#include "engine/metadata.hpp"
#include "engine/record/record.hpp"
#include "query/suggest/model.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace airm {

/// How a model is trained. Defaults are the settings chosen with `airm evaluate`.
struct TrainOptions {
    FeatureOptions features;
    double svm_c = 1.0;         ///< inverse regularisation of the linear model
    float balance_power = 0.5F; ///< weigh positives and negatives by (n / 2 n_side)^power (0: off)
    std::uint32_t neighbours_k = 10; ///< neighbours voting
    bool taxonomy_examples = true;   ///< taxonomy texts also train the linear model
    bool group_model = true;         ///< hierarchical: a linear model of first code segments too
    /// Pretrained word vectors: a word-vector member joins the ensemble
    /// (query/suggest/scorers/embedding.hpp), weighed by the inner cross-validation like the
    /// others; null: no such member.
    std::shared_ptr<const WordVectors> word_vectors;
    /// Most frequent words of the vectors file a model keeps besides its training words.
    std::size_t word_vectors_kept = 40000;
    std::uint32_t inner_folds =
        5; ///< inner cross-validation for mixing and calibration (0: defaults)
    /// Labelled records the model keeps for the neighbour vote and explanations; above it a
    /// stratified sample of this many, so that suggesting and the model file stay bounded (every
    /// record still trains the linear models and the centroids). 0: no limit.
    std::size_t max_examples = 10000;
    /// Records the inner cross-validation fits mixing and calibration on; above it a stratified
    /// sample of this many, so that its cost stops growing with the records (a mix of a few
    /// weights needs no more). 0: no limit.
    std::size_t max_inner_records = 10000;
    std::uint64_t seed = 20250723; ///< shuffles of the inner folds and of the linear solver
    /// Called as training advances with the work done and the total (same units, the total
    /// fixed from the first call), one call at a time; for progress lines. Null: none.
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

/// What training a model is expected to cost, from the sizes known before reading any record.
struct TrainingEstimate {
    double seconds = 0;      ///< wall time on the reference machine (2 shared cores)
    std::uint64_t bytes = 0; ///< peak memory
};

/// The expected cost of `train_model` on `records` labelled records of `labels` codes (with the
/// default options): linear in the records, as training is (query/suggest/README.md gives the
/// measurements the coefficients come from). `records_kept`: the set outlives the training (as
/// in evaluation, which trains one model per fold), so no record's features are freed early.
[[nodiscard]] TrainingEstimate estimate_training(std::uint64_t records, std::size_t labels,
                                                 bool records_kept = false);

/// A labelled record, analysed once so that many models (cross-validation) can share the work.
struct TrainingRecord {
    std::string id;
    std::string title;
    std::vector<std::string> labels;
    TermCounts terms; ///< its features, by id in TrainingSet::dictionary
    FeatureBag bag;   ///< its words only (FeatureBag::words; the features are in `terms`)
};

/// What a model of one facet learns from: labelled records and, for cold start, one pseudo-record
/// per label made of its taxonomy name, description and examples.
struct TrainingSet {
    std::string facet;
    bool hierarchical = false;
    AnalyzerConfig analyzer;
    FeatureOptions features;
    TermDictionary dictionary; ///< the feature names of records and texts, each once
    std::vector<TrainingRecord> records;
    std::vector<TrainingRecord>
        label_texts; ///< one per candidate label with a text (label = its code)
    std::vector<TrainingRecord> group_texts;  ///< hierarchical: one per top-level taxonomy code
    std::vector<std::string> taxonomy_labels; ///< labels offered even without labelled records
    std::map<std::string, std::string> names; ///< code -> name, for labels and their first segments
};

/// Collects the labelled records of `facet` from an index, and the taxonomy texts of its codes.
/// `with_words` keeps each record's words (FeatureBag::words), which only a model with word
/// vectors needs. Throws InvalidInput naming the facet and the fix when the index has no such
/// facet.
[[nodiscard]] TrainingSet collect_training_set(const Index& index, const std::string& facet,
                                               const FeatureOptions& features,
                                               bool with_words = true);

/// The pseudo-record of a taxonomy node: its name as title, description and examples as text.
[[nodiscard]] Record taxonomy_record(const TaxonomyNode& node, const Taxonomy& taxonomy);

/// Trains a model on `subset` (indices into set.records; every record when empty). Nothing of the
/// other records reaches the model. Throws InvalidInput when no subset record has a label.
[[nodiscard]] SuggestModel train_model(const TrainingSet& set,
                                       const std::vector<std::uint32_t>& subset,
                                       const TrainOptions& options);

/// Trains a model on every record of `set`, which it uses up: each record's features are freed as
/// soon as its training row is built, so that the features and the rows of all records are never
/// held at once. The model is the same as `train_model(set, {}, options)`'s, in less memory.
[[nodiscard]] SuggestModel train_model(TrainingSet&& set, const TrainOptions& options);

/// At most `limit` of `subset` (positions into it, ascending), stratified by first label and
/// shuffled by `seed`; every position when the subset is not larger than `limit`.
[[nodiscard]] std::vector<std::uint32_t>
stratified_sample(const std::vector<TrainingRecord>& records,
                  const std::vector<std::uint32_t>& subset, std::size_t limit, std::uint64_t seed);

/// Splits record indices into `k` folds, stratified by first label, shuffled by `seed`.
[[nodiscard]] std::vector<std::uint32_t>
stratified_folds(const std::vector<TrainingRecord>& records,
                 const std::vector<std::uint32_t>& subset, unsigned k, std::uint64_t seed);

} // namespace airm
