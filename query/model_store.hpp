#pragma once
/// Keeping suggestion models beside their index: train and save one, open one for suggesting, and
/// retrain every model of an index after `airm index` or `airm delete` changed its records.

#include "engine/index.hpp"
#include "query/model_train.hpp"
#include "query/suggest.hpp"

#include <string>
#include <vector>

namespace airm {

/// Trains the model of `facet` on every labelled record of `index` and saves it in the index
/// folder (the first shard's). Returns the model.
SuggestModel train_and_save(const Index& index, const std::string& facet,
                            const TrainOptions& options = {});

/// Opens the saved model of `facet`. Throws NotFound (no model: the fix is `airm train`),
/// VersionMismatch or IndexError (see load_model), and IndexError when the model was trained with
/// another analyzer than the index's.
[[nodiscard]] Suggester open_suggester(const Index& index, const std::string& facet);

/// True when the saved model was built when the index held another number of records.
[[nodiscard]] bool model_is_stale(const Index& index, const SuggestModel& model);

/// The facets whose models `update_models` keeps: those with a model file, and every hierarchical
/// facet of the index that has labelled records.
[[nodiscard]] std::vector<std::string> facets_to_model(const Index& index);

/// Retrains and saves the models of `facets_to_model` for the index folder `db`; returns the facets
/// retrained. Called after the labelled records changed, so accepted codes improve suggestions.
std::vector<std::string> update_models(const std::string& db, const TrainOptions& options = {});

} // namespace airm
