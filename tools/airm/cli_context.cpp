#include "cli_context.hpp"

#include "engine/error.hpp"
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

void throw_with_demo_fix(const VersionMismatch& error, const std::string& db) {
    // The default index is usually the demo index built from the bundled corpus: name the files it
    // is built from, so the fix can be pasted as it is.
    const std::string corpus = corpus_dir();
    throw VersionMismatch(std::string(error.what()) +
                          "; if it is the bundled demo index, rebuild it with 'airm index "
                          "--rebuild --db " +
                          db + " --taxonomy " + corpus + "/taxonomy.json " + corpus +
                          "/records.jsonl'");
}

Index open_index(const std::string& db_option) {
    const std::string db = resolve_db(db_option);
    if (!db_option.empty()) {
        return Index::open(db);
    }
    try {
        return Index::open(db);
    } catch (const VersionMismatch& e) {
        throw_with_demo_fix(e, db);
    }
}

void add_db_option(CLI::App& command, std::string& db) {
    command.add_option("--db", db, "Index folder (default: the bundled demo index, or $AIRM_DB)");
}

} // namespace airm::cli
