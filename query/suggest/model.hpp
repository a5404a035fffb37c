#pragma once
/// The suggestion model of one facet: an ensemble of one-vs-rest linear models over TF-IDF
/// features (per code, and per first code segment), label centroids, k nearest labelled records
/// (cosine) and a cold-start prior from the taxonomy's own texts, whose mixed score is calibrated
/// into a confidence. Plain data plus the scoring; training lives in query/suggest/train.hpp and
/// the file format in query/suggest/file_format.hpp.

#include "engine/analysis/analyzer.hpp"
#include "query/suggest/features.hpp"
#include "query/suggest/word_vectors.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace airm {

/// A labelled record kept in the model, for nearest-neighbour votes and explanations.
struct ModelExample {
    std::string id;
    std::string title;
    std::vector<std::uint32_t> labels; ///< indices into SuggestModel::labels
    SparseVector vector;
};

/// A sparse matrix stored by rows (feature -> (column, value) list), for fast sparse products.
struct SparseRows {
    std::vector<std::uint32_t> offsets; ///< rows + 1 entries
    std::vector<std::pair<std::uint32_t, float>> entries;

    /// Builds the rows x columns matrix whose columns are `columns` (each a sparse vector over
    /// rows).
    [[nodiscard]] static SparseRows transpose(const std::vector<SparseVector>& columns,
                                              std::size_t rows);
};

/// The per-label scores of the ensemble members for one input.
struct ComponentScores {
    std::vector<float> linear; ///< decision values of the one-vs-rest linear model
    std::vector<float>
        neighbour; ///< similarity-weighted share of the k nearest records carrying the label
    std::vector<float> prior;    ///< cosine similarity to the label's taxonomy text
    std::vector<float> group;    ///< decision value of the label's first segment (hierarchical)
    std::vector<float> centroid; ///< cosine similarity to the centroid of the label's records
    /// Cosine between the input's word-vector embedding and the label's (0 without word vectors).
    std::vector<float> embedding;
    /// Cosine between the input's embedding and the embedding of the label's taxonomy text.
    std::vector<float> embedding_prior;
    /// Votes of the k labelled records nearest in embedding space (cosine cubed, shares of 1).
    std::vector<float> embedding_neighbour;
    /// The k nearest examples (index into SuggestModel::examples, cosine), most similar first.
    std::vector<std::pair<std::uint32_t, float>> neighbours;
};

/// Everything a trained model holds. Labels are facet values (codes for hierarchical facets).
struct SuggestModel {
    std::string facet;
    bool hierarchical = false;
    bool multi_label =
        false; ///< records carry several values: confidences are per label, not shared
    AnalyzerConfig analyzer;
    FeatureOptions features;

    std::vector<std::string> labels;
    std::vector<std::string> label_names; ///< parallel to labels ("" when unnamed)
    std::vector<std::string> group_codes; ///< first code segments of hierarchical labels ("1", "X")
    std::vector<std::string> group_names; ///< parallel to group_codes
    std::vector<std::uint32_t> label_group; ///< parallel to labels: index into group_codes

    Vocabulary vocabulary;
    std::vector<float> weights; ///< linear model, features x labels, row-major by feature
    std::vector<float> bias;    ///< one per label
    std::vector<float>
        group_weights; ///< hierarchical: linear model of first segments, features x groups
    std::vector<float> group_bias;           ///< one per group (empty when there is no group model)
    std::vector<SparseVector> prior_vectors; ///< one per label: TF-IDF vector of its taxonomy text
    std::vector<SparseVector> centroids; ///< one per label: normalised mean of its records' vectors
    std::vector<ModelExample> examples;
    /// Word-vector member (query/suggest/scorers/embedding.hpp); null when trained without word
    /// vectors. Holds the vectors of the training words and of the most frequent words of the
    /// vectors file.
    std::shared_ptr<const WordVectors> word_vectors;
    /// Parallel to word_vectors' words: the IDF log((1 + n) / (1 + df)) of each over the training
    /// records (log(1 + n) for a word no training record used).
    std::vector<float> word_weights;
    std::vector<float> embedding_mean;      ///< mean embedding of the training records
    std::vector<float> embedding_centroids; ///< labels x dimensions, each normalised
    /// labels x dimensions: embedding of each label's taxonomy text (zeros without a text).
    std::vector<float> embedding_priors;
    /// examples x dimensions: each labelled example's embedding (zeros when it has none).
    std::vector<float> embedding_examples;

    std::uint32_t neighbours_k = 10;
    float neighbour_weight = 1.0F; ///< mixing weight of the neighbour score (linear has weight 1)
    float prior_weight = 0.5F;     ///< mixing weight of the prior score
    float group_weight = 0.0F;     ///< mixing weight of the label's group score
    float centroid_weight = 0.0F;  ///< mixing weight of the centroid score
    float embedding_weight = 0.0F; ///< mixing weight of the word-vector member
    float embedding_prior_weight = 0.0F;     ///< mixing weight of the taxonomy texts' embeddings
    float embedding_neighbour_weight = 0.0F; ///< mixing weight of the embedding neighbours' vote
    float temperature = 1.0F; ///< single-label: confidence = softmax(score / temperature)
    float platt_a = 1.0F;     ///< multi-label: confidence = sigmoid(platt_a * score + platt_b)
    float platt_b = 0.0F;
    std::uint64_t trained_records = 0; ///< labelled records the model was built from
    std::uint64_t index_records = 0;   ///< records in the index then (a cheap staleness check)
    /// The index's state when the model was trained (database ids, revisions, record count);
    /// empty when unknown. A model whose fingerprint differs from the index's is out of date.
    std::string index_fingerprint;

    /// Builds the inverted lists used by scoring; call after filling or loading the members.
    void finalize();

    /// Scores every label for a feature vector; `bag` (the features `x` was made from) feeds the
    /// word-vector member, which scores 0 without it.
    [[nodiscard]] ComponentScores score(const SparseVector& x,
                                        const FeatureBag* bag = nullptr) const;
    /// The input's embedding: the IDF-weighted mean of its word vectors, centred on the training
    /// records' mean and normalised; empty without word vectors or when no word has a vector.
    [[nodiscard]] std::vector<float> embed(const FeatureBag& bag) const;
    /// The ensemble score of each label from its components.
    [[nodiscard]] std::vector<float> combine(const ComponentScores& components) const;
    /// Cosine similarity of `x` to every example (examples share no feature with x get 0).
    [[nodiscard]] std::vector<float> similarities(const SparseVector& x) const;
    /// Calibrated confidences in [0, 1] from ensemble scores.
    [[nodiscard]] std::vector<float> calibrate(const std::vector<float>& scores) const;
    /// The confidence of every label: the calibrated ensemble score.
    [[nodiscard]] std::vector<float> confidences(const ComponentScores& components) const;

  private:
    SparseRows example_rows_;  ///< feature -> (example, value)
    SparseRows prior_rows_;    ///< feature -> (label, value)
    SparseRows centroid_rows_; ///< feature -> (label, value)
};

/// Softmax of `scores / temperature`.
[[nodiscard]] std::vector<float> softmax(const std::vector<float>& scores, float temperature);

} // namespace airm
