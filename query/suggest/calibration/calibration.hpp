#pragma once
/// Choosing the ensemble's mixing weights and fitting its calibration on out-of-fold scores:
/// temperature scaling of a softmax for single-label facets, one Platt sigmoid shared by every
/// label for multi-label facets. Both minimise the log-loss of the held-out records.
/// Internal to airm_suggest: included only by query/suggest/*.cpp.

#include "query/suggest/model.hpp"

#include <cstdint>
#include <vector>

namespace airm {

/// Mixing weights and calibration of an ensemble.
struct Mixture {
    float neighbour_weight = 1.0F;
    float prior_weight = 0.5F;
    float group_weight = 0.0F;
    float centroid_weight = 0.0F;
    float embedding_weight = 0.0F;
    float embedding_prior_weight = 0.0F;
    float embedding_neighbour_weight = 0.0F;
    float temperature = 1.0F;
    float platt_a = 1.0F;
    float platt_b = 0.0F;
    double log_loss = 0.0; ///< mean held-out log-loss reached
};

/// Searches mixing weights coordinate by coordinate over a grid; for each candidate fits the
/// calibration; keeps the lowest log-loss.
/// `gold[i]` are the label indices of the record whose components are `held_out[i]`.
[[nodiscard]] Mixture fit_mixture(const std::vector<ComponentScores>& held_out,
                                  const std::vector<std::vector<std::uint32_t>>& gold,
                                  bool multi_label);

/// The temperature minimising the softmax log-loss of `scores` (rows) against `gold` (first label).
[[nodiscard]] float fit_temperature(const std::vector<std::vector<float>>& scores,
                                    const std::vector<std::vector<std::uint32_t>>& gold,
                                    double* loss = nullptr);

/// Platt's sigmoid (a, b) minimising the log-loss of every (row, label) pair.
[[nodiscard]] std::pair<float, float> fit_platt(const std::vector<std::vector<float>>& scores,
                                                const std::vector<std::vector<std::uint32_t>>& gold,
                                                double* loss = nullptr);

} // namespace airm
