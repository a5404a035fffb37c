#pragma once
/// The bulk build behind `airm index` into a new or empty index, and behind `--rebuild`: the inputs
/// are streamed and validated as they are read, worker threads analyse the records and write
/// partial Xapian databases in a temporary folder beside the target, and one compaction merges them
/// into the index. Memory stays bounded by the chunk size whatever the input size, and the target
/// folder only appears (or is replaced) when everything succeeded.
///
/// The result is the index the transactional path of indexer/build/ingest.hpp would write from the
/// same inputs: the same documents in the same order, and identical metadata (facets and slots,
/// facet kinds, taxonomies with the nodes derived from the data).

#include "engine/metadata.hpp"
#include "engine/record/record.hpp"
#include "indexer/build/ingest.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace airm {

/// Tuning of the bulk build. Zero means "choose"; the environment variables AIRM_BULK_WORKERS,
/// AIRM_BULK_CHUNK and AIRM_BULK_FLUSH override the defaults (for benchmarking).
struct BulkOptions {
    unsigned workers = 0;          ///< builder threads (default: one per core)
    std::size_t chunk_records = 0; ///< records per partial database (default 10,000)
    std::size_t flush_records =
        0; ///< records a worker buffers in memory between flushes (default 200)
};

/// True when index_files() takes the bulk path: every input is a file (standard input cannot be
/// read twice), the target is absent, an empty folder, or being rebuilt, and its parent exists.
/// AIRM_BULK_BUILD=off in the environment turns the bulk path off (the transactional one is used).
[[nodiscard]] bool bulk_build_applies(const std::string& db, const std::vector<std::string>& inputs,
                                      const IndexOptions& options);

/// Builds the index at `db` from `inputs` as described above. Throws what index_files() throws,
/// with the same messages; on any error every temporary folder is removed and `db` is left
/// untouched.
IndexReport bulk_index(const std::string& db, const std::vector<std::string>& inputs,
                       const IndexOptions& options, const BulkOptions& bulk = {});

/// Turns the raw facet values of one record into stored values, as the transactional path does:
/// codes for hierarchical facets (checked against curated taxonomies, adding derived nodes to
/// `taxonomies`), trimmed values for flat ones, duplicates dropped. `origin` names the record in
/// errors (InvalidInput naming file, line, facet and value).
void normalize_facets(Record& record, const std::string& origin, const IndexMetadata& layout,
                      std::map<std::string, Taxonomy>& taxonomies, bool allow_new_codes);

} // namespace airm
