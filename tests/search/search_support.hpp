#pragma once
/// What the search tests share: indexes of the bundled corpus and of the real MIT export, built in
/// a test's own temporary folder, and searchers over them with the bundled synonyms.

#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/searcher.hpp"
#include "support.hpp"

#include <string>

namespace airm::test {

/// Indexes corpus/records.jsonl with corpus/taxonomy.json into `dir`/name; returns the folder.
inline std::string build_corpus_index(const TempDir& dir, const std::string& name = "corpus") {
    IndexOptions options;
    options.taxonomies.push_back(load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    const std::string db = dir.file(name);
    index_files(db, {corpus_dir() + "/records.jsonl"}, options);
    return db;
}

/// Indexes the MIT export as `airm index --format mit-csv --documents ...` does.
inline std::string build_mit_index(const TempDir& dir, const std::string& shared_data) {
    const std::string mit = shared_data + "/mit-mitigations/";
    IndexOptions options;
    options.load.format = InputFormat::mit_csv;
    options.load.documents_csv = mit + "mitigation-database-included-documents-2025-07-23.csv";
    options.taxonomies.push_back(load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    const std::string db = dir.file("mit");
    index_files(db, {mit + "mitigation-database-2025-07-23.csv"}, options);
    return db;
}

/// Searcher options with the bundled synonyms; `in_memory` picks the in-memory matcher (true) or
/// Xapian's (false).
inline SearcherOptions searcher_options(const Index& index, bool in_memory = true) {
    SearcherOptions options;
    options.synonyms = SynonymTable::load(corpus_dir() + "/synonyms.txt", index.make_analyzer());
    options.keep_in_memory = in_memory;
    return options;
}

/// The ids of a result, in rank order.
inline std::vector<std::string> ids_of(const SearchResult& result) {
    std::vector<std::string> out;
    for (const auto& h : result.hits)
        out.push_back(h.record.id);
    return out;
}

} // namespace airm::test
