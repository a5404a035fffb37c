#pragma once
/// The second stage of single-label suggestion: the K most confident codes of a record are
/// re-ordered by a conditional logit over features of each candidate (its calibrated confidence
/// and rank, each ensemble member's score and rank, the code's share of the training records, the
/// confidence of its category and how many members agree on it). The re-ranker is fitted on the
/// out-of-fold scores of the inner cross-validation only, by the log-loss of the gold code among
/// the K candidates, so it learns the ordering that the first stage's linear mix cannot express.

#include "query/suggest/model.hpp"

#include <cstdint>
#include <vector>

namespace airm {

/// Number of features of one candidate.
inline constexpr std::size_t kRerankFeatures = 22;

/// How the re-ranker is fitted.
struct RerankOptions {
    std::uint32_t depth = 10; ///< candidates re-ordered per record
    double l2 = 0.01;         ///< L2 penalty on the standardised feature weights
    std::uint32_t mask = 63;  ///< feature groups in use (bits, see suggest/scorers/rerank.cpp)
    std::uint32_t top_k = 0;  ///< 0: softmax log-loss; k: top-k hinge loss instead
    double margin = 1.0;      ///< margin of the top-k hinge, in standardised score units
};

/// The features of the `depth` most confident labels (most confident first), row-major
/// candidates x kRerankFeatures. `candidates` receives their label indices.
void rerank_features(const SuggestModel& model, const ComponentScores& components,
                     const std::vector<float>& confidence, std::size_t depth,
                     std::vector<std::uint32_t>& candidates, std::vector<float>& features);

/// Fits the re-ranker's weights (one per feature, 0 for unused ones) on out-of-fold component
/// scores, with `model`'s mixing weights and calibration already set. Records whose gold code is
/// not among their candidates carry no ordering information and are skipped. Returns empty
/// weights when no record can be used.
[[nodiscard]] std::vector<float> fit_reranker(const SuggestModel& model,
                                              const std::vector<ComponentScores>& held_out,
                                              const std::vector<std::vector<std::uint32_t>>& gold,
                                              const RerankOptions& options);

} // namespace airm
