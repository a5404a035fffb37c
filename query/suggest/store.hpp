#pragma once
/// Keeping suggestion models beside their index: train and save one, open one for suggesting, and
/// tell when a saved model is out of date because `airm index` or `airm delete` changed the index.
///
/// Models are kept up to date lazily: a model records a fingerprint of the index it was trained
/// on, so changing the index costs nothing here, and the first suggestion after a change retrains
/// (see model_is_stale). `airm train` retrains explicitly.

#include "engine/index.hpp"
#include "query/suggest/suggest.hpp"
#include "query/suggest/train.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace airm {

/// The index's current state: the id and revision of each database plus the record count. It
/// changes with every committed `airm index` or `airm delete`, so a model trained on another state
/// is out of date. Costs no more than opening the index.
[[nodiscard]] std::string index_fingerprint(const Index& index);

/// Trains the model of `facet` on every labelled record of `index`, stamped with the index's
/// record count and fingerprint, without saving it.
[[nodiscard]] SuggestModel train_for_index(const Index& index, const std::string& facet,
                                           const TrainOptions& options = {});

/// Saves `model` (of facet `model.facet`) in the index folder (the first shard's).
void save_for_index(const SuggestModel& model, const Index& index);

/// Trains the model of `facet` on every labelled record of `index` and saves it in the index
/// folder (the first shard's). Returns the model.
SuggestModel train_and_save(const Index& index, const std::string& facet,
                            const TrainOptions& options = {});

/// Opens the saved model of `facet`. Throws NotFound (no model: the fix is `airm train`),
/// VersionMismatch or IndexError (see load_model), and IndexError when the model was trained with
/// another analyzer than the index's.
[[nodiscard]] Suggester open_suggester(const Index& index, const std::string& facet);

/// The word vectors the saved model of `facet` holds, for retraining it with the same outside
/// knowledge, also from a model of the previous format version (4); null when there is no model,
/// one of an older version, or one without a word-vector member. Throws IndexError (naming the
/// file) when the model is damaged, so that a caller can say the vectors are lost rather than drop
/// them unnoticed.
[[nodiscard]] std::shared_ptr<const WordVectors> saved_word_vectors(const Index& index,
                                                                    const std::string& facet);

/// True when the saved model was built on another state of the index (another fingerprint, or
/// none recorded), i.e. the index changed since; the model should then be retrained.
[[nodiscard]] bool model_is_stale(const Index& index, const SuggestModel& model);

/// The facets `airm train` builds by default: those with a model file, and every hierarchical
/// facet of the index that has labelled records.
[[nodiscard]] std::vector<std::string> facets_to_model(const Index& index);

} // namespace airm
