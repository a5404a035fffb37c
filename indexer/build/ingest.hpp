#pragma once
/// The `airm index` and `airm delete` jobs: read and validate a whole batch first, then apply it to
/// the index in one transaction, so that bad input never leaves a partial change behind.

#include "engine/analysis/analyzer.hpp"
#include "engine/metadata.hpp"
#include "engine/taxonomy.hpp"
#include "indexer/load/record_reader.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace airm {

/// Progress of a long job: records done out of total (0 when unknown).
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct IndexOptions {
    LoadOptions load;
    std::vector<Taxonomy> taxonomies; ///< curated taxonomies; codes outside them are errors
    bool allow_new_codes = false;     ///< accept codes missing from a curated taxonomy
    bool rebuild = false;             ///< replace the whole index with the inputs
    AnalyzerConfig analyzer;          ///< used when the index is created or rebuilt
    /// Build shard K of N in the remote-servable layout (see ShardSpec): only the records whose id
    /// hashes to K are kept. An index built as a shard keeps routing later batches the same way.
    std::optional<ShardSpec> shard;
    std::chrono::milliseconds lock_wait{0}; ///< how long to wait for another writer's lock
    ProgressCallback progress;
};

struct IndexReport {
    std::uint64_t read = 0;         ///< records read from the inputs
    std::uint64_t other_shards = 0; ///< records read that belong to other shards (not indexed)
    std::uint64_t added = 0;        ///< new ids
    std::uint64_t replaced = 0;     ///< ids that were already in the index
    std::uint64_t total = 0;        ///< records in the index afterwards
};

/// A batch of records read from inputs and checked against each other and the taxonomies.
struct PreparedBatch {
    std::vector<Record> records;
};

/// Reads every input, checks ids (present, unique in the batch), text, UTF-8 and codes, and turns
/// coded facet values into codes registered in `metadata` (new facets and derived taxonomy nodes).
/// Throws InvalidInput naming file, line and field; `metadata` is then unchanged.
[[nodiscard]] PreparedBatch prepare_batch(const std::vector<std::string>& inputs,
                                          const IndexOptions& options, IndexMetadata& metadata);

/// Throws InvalidInput naming `inputs` when `read`, the records read from them, is 0: an empty
/// export is surely a mistake, and indexing it would change nothing (or, with `rebuild`, empty the
/// index `db`). Called before anything is written, so the index is unchanged.
void refuse_no_records(std::uint64_t read, const std::vector<std::string>& inputs,
                       const std::string& db, bool rebuild);

/// Indexes `inputs` into the index at `db` (created when absent). All or nothing; inputs that hold
/// no records at all are refused (see refuse_no_records()), and so are records that would replace
/// records with a source title, authors, year or URL by ones citing the same source without any
/// (an export re-indexed without its documents table), unless `rebuild`.
IndexReport index_files(const std::string& db, const std::vector<std::string>& inputs,
                        const IndexOptions& options);

struct DeleteReport {
    std::uint64_t removed = 0;
    std::uint64_t total = 0;
};

/// Removes records by id; throws NotFound (and removes nothing) when any id is not in the index.
/// On a shard, ids that hash to other shards are passed over (their shards delete them).
DeleteReport delete_records(const std::string& db, const std::vector<std::string>& ids,
                            std::chrono::milliseconds lock_wait = std::chrono::milliseconds(0));

} // namespace airm
