#pragma once
// The bundled records indexed with the bundled taxonomy, for the suggestion tests.

#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "support.hpp"

#include <string>

namespace airm::test {

/// Builds an index of corpus/records.jsonl with corpus/taxonomy.json as facet `category` in `tmp`.
inline std::string build_corpus_index(const TempDir& tmp) {
    IndexOptions options;
    options.taxonomies.push_back(load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    const std::string db = tmp.file("corpus-db");
    (void)index_files(db, {corpus_dir() + "/records.jsonl"}, options);
    return db;
}

} // namespace airm::test
