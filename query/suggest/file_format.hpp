#pragma once
/// The model file: a first line "airm-suggest-model VERSION", a second line of JSON describing the
/// model (facet, labels, options, mixing and calibration), then the vocabulary, weights,
/// examples and the word-vector member (its own table of word vectors) as little-endian binary
/// arrays. Models live in the index folder, one per facet.

#include "query/suggest/model.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// Name and version written on the first line of every model file.
inline constexpr std::string_view kModelFormatName = "airm-suggest-model";
inline constexpr int kModelFormatVersion = 6;
/// The previous version, the same but for sparse vectors stored as (index, value) pairs of 4 bytes
/// each: still read, and written on request.
inline constexpr int kModelFormatPairsVersion = 5;

/// Where the model of `facet` lives in index folder `db`: "<db>/airm-suggest-<facet>.model" (facet
/// characters other than letters, digits, '-' and '_' written as %XX).
[[nodiscard]] std::string model_path(std::string_view db, std::string_view facet);

/// Facets that have a model file in index folder `db`.
[[nodiscard]] std::vector<std::string> model_facets(std::string_view db);

/// Writes the model to `path` atomically (a temporary file renamed over it), in format `version`
/// (kModelFormatVersion, or kModelFormatPairsVersion for an airm that reads only that). Throws
/// IndexError naming the path when it cannot be written, InvalidInput for another version.
void save_model(const SuggestModel& model, const std::string& path,
                int version = kModelFormatVersion);

/// Reads a model of this format version or of version 5 (the same members, sparse vectors stored
/// as pairs). Throws NotFound (no file; the fix is `airm train`), VersionMismatch (another format
/// version, naming both) or IndexError (not a model, or damaged), each naming the path.
[[nodiscard]] SuggestModel load_model(const std::string& path);

/// The word vectors the model at `path` holds (null: none), so that retraining it keeps them.
/// Reads the versions load_model reads and version 4, the last before the members that measurements
/// rejected were removed, so that a model with vectors survives the upgrade. Throws as
/// load_model (VersionMismatch for any other version).
[[nodiscard]] std::shared_ptr<const WordVectors> load_word_vectors(const std::string& path);

} // namespace airm
