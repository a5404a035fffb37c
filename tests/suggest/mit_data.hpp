#pragma once
// The MIT export of ../shared/data indexed as `airm index --format mit-csv` does, and its fixed
// folds: shared by the suggestion tests that measure quality on the real data.

#include "indexer/load/csv_reader.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "support.hpp"

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace airm::test {

/// Indexes `data`/mit-mitigations with the bundled taxonomy into a new folder of `tmp`.
inline std::string index_mit_export(const TempDir& tmp, const std::string& data) {
    IndexOptions options;
    options.load.format = InputFormat::mit_csv;
    options.taxonomies.push_back(load_taxonomy_file(corpus_dir() + "/taxonomy.json", "category"));
    const std::string db = tmp.file("mit");
    (void)index_files(db, {data + "/mit-mitigations/mitigation-database-2025-07-23.csv"}, options);
    return db;
}

/// The fixed folds of the MIT export (id -> fold), from folds-5.csv.
inline std::map<std::string, int> read_mit_folds(const std::string& data) {
    std::ifstream in(data + "/mit-mitigations/folds-5.csv", std::ios::binary);
    CsvReader csv(in, "folds-5.csv");
    std::vector<std::string> row;
    std::map<std::string, int> folds;
    if (!csv.next(row)) // header
        return folds;
    while (csv.next(row))
        folds[row[0]] = std::stoi(row[1]);
    return folds;
}

} // namespace airm::test
