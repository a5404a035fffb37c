#pragma once
/// The word-vector member of the suggestion ensemble: each record becomes the IDF-weighted mean
/// of its words' pretrained vectors, centred on the training records' mean; a label is the
/// normalised mean of its records' embeddings, and an input scores the cosine to each label.
/// Pretrained vectors carry what 831 records cannot: that "espionage" and "theft" are related.
/// Internal to airm_suggest: included only by query/suggest/*.cpp.

#include "query/suggest/model.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace airm {

/// The dot product of two arrays of `n` floats (several running sums, so that it pipelines).
[[nodiscard]] float dot_product(const float* a, const float* b, std::size_t n);

/// Fits the word-vector member of `model` (whose labels are set) on the training bags and their
/// label indices. `vectors` is the table read from the user's file; the model keeps the vectors
/// of the first `keep_frequent` words of the table (files list frequent words first) and of the
/// training words, so that after it is saved it still embeds most words it never saw.
void fit_embedding(const std::vector<const FeatureBag*>& bags,
                   const std::vector<std::vector<std::uint32_t>>& labels,
                   const std::shared_ptr<const WordVectors>& vectors, std::size_t keep_frequent,
                   SuggestModel& model);

} // namespace airm
