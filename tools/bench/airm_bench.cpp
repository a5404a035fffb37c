/// `airm_bench`: airm's side of the benchmark where the `airm` command would measure more than the
/// peers do. `airm_bench build --db DB [--taxonomy FACET=FILE] FILE...` runs the same indexing job as
/// `airm index` (bulk path for a new index) without the suggestion-model update that `airm index`
/// runs after it, and prints {"records": N, "seconds": S} as JSON. Timing of the whole process
/// (wall, peak RSS) is taken by the driver, tools/bench/run.

#include "engine/error.hpp"
#include "indexer/ingest.hpp"
#include "indexer/taxonomy_loader.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

int usage() {
    std::cerr << "usage: airm_bench build --db DB [--taxonomy [FACET=]FILE] FILE...\n";
    return 2;
}

int run_build(const std::vector<std::string>& args) {
    std::string db;
    std::vector<std::string> inputs;
    airm::IndexOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--db" && i + 1 < args.size()) {
            db = args[++i];
        } else if (args[i] == "--taxonomy" && i + 1 < args.size()) {
            const std::string spec = args[++i];
            const auto eq = spec.find('=');
            if (eq != std::string::npos && spec.find('/') > eq) {
                options.taxonomies.push_back(airm::load_taxonomy_file(spec.substr(eq + 1), spec.substr(0, eq)));
            } else {
                options.taxonomies.push_back(airm::load_taxonomy_file(spec, "category"));
            }
        } else if (args[i] == "--rebuild") {
            options.rebuild = true;
        } else {
            inputs.push_back(args[i]);
        }
    }
    if (db.empty() || inputs.empty()) {
        return usage();
    }
    const auto start = std::chrono::steady_clock::now();
    const airm::IndexReport report = airm::index_files(db, inputs, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"records\": %llu, \"seconds\": %.3f}\n", static_cast<unsigned long long>(report.total), seconds);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage();
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "build") {
            return run_build(args);
        }
    } catch (const airm::Error& e) {
        std::cerr << "airm_bench: error: " << e.what() << '\n';
        return 1;
    }
    return usage();
}
