#include "cli_context.hpp"

#include "indexer/ingest.hpp"
#include "indexer/taxonomy_loader.hpp"

#include <cstdlib>
#include <filesystem>

namespace airm::cli {

std::string corpus_dir() {
    if (const char* env = std::getenv("AIRM_CORPUS_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return AIRM_DEFAULT_CORPUS_DIR;
}

namespace {

void build_demo_index(const std::string& db) {
    const std::string corpus = corpus_dir();
    IndexOptions options;
    options.taxonomies.push_back(load_taxonomy_file(corpus + "/taxonomy.json", "category"));
    index_files(db, {corpus + "/records.jsonl"}, options);
}

} // namespace

std::string resolve_db(const std::string& db_option) {
    if (!db_option.empty()) {
        return db_option;
    }
    std::string db = AIRM_DEFAULT_DB;
    if (const char* env = std::getenv("AIRM_DB"); env != nullptr && *env != '\0') {
        db = env;
    }
    if (!looks_like_index(db)) {
        build_demo_index(db);
    }
    return db;
}

Index open_index(const std::string& db_option) {
    return Index::open(resolve_db(db_option));
}

void add_db_option(CLI::App& command, std::string& db) {
    command.add_option("--db", db, "Index folder (default: the bundled demo index, or $AIRM_DB)");
}

} // namespace airm::cli
