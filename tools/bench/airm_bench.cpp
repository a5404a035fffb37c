/// `airm_bench`: airm's side of the benchmark where the `airm` command would measure more than the
/// peers do. `airm_bench build --db DB [--taxonomy FACET=FILE] FILE...` runs the same indexing job
/// as `airm index` (bulk path for a new index) without the suggestion-model update that `airm
/// index` runs after it, and prints {"records": N, "seconds": S} as JSON. `airm_bench
/// suggest-latency --db DB [--field F] TEXTS.jsonl` suggests for every record of the file one at a
/// time through the library (as a server would, with explanations) and prints the latency
/// percentiles as JSON. Timing of whole processes (wall, peak RSS) is taken by tools/bench/run.

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/record_reader.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/suggest/store.hpp"
#include "query/suggest/suggest.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

int usage() {
    std::cerr << "usage: airm_bench build --db DB [--taxonomy [FACET=]FILE] [--rebuild] FILE...\n"
                 "       airm_bench suggest-latency --db DB [--field FACET] TEXTS.jsonl\n";
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
                options.taxonomies.push_back(
                    airm::load_taxonomy_file(spec.substr(eq + 1), spec.substr(0, eq)));
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
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"records\": %llu, \"seconds\": %.3f}\n",
                static_cast<unsigned long long>(report.total), seconds);
    return 0;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

int run_suggest_latency(const std::vector<std::string>& args) {
    std::string db;
    std::string field = "category";
    std::string input;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--db" && i + 1 < args.size()) {
            db = args[++i];
        } else if (args[i] == "--field" && i + 1 < args.size()) {
            field = args[++i];
        } else {
            input = args[i];
        }
    }
    if (db.empty() || input.empty()) {
        return usage();
    }
    const airm::Index index = airm::Index::open(db);
    const airm::Suggester suggester = airm::open_suggester(index, field);
    airm::SuggestOptions options;
    options.explain = true;
    std::vector<double> latencies;
    auto reader = airm::open_records(input, {});
    airm::LoadedRecord loaded;
    std::size_t suggestions = 0;
    while (reader->next(loaded)) {
        const auto start = std::chrono::steady_clock::now();
        const airm::SuggestResult result = suggester.suggest(loaded.record, options);
        latencies.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        suggestions += result.suggestions.size();
    }
    double total = 0;
    for (double l : latencies) {
        total += l;
    }
    std::sort(latencies.begin(), latencies.end());
    std::printf("{\"texts\": %zu, \"suggestions\": %zu, \"total_ms\": %.3f, \"p50_ms\": %.4f, "
                "\"p95_ms\": %.4f, "
                "\"p99_ms\": %.4f}\n",
                latencies.size(), suggestions, total, percentile(latencies, 0.50),
                percentile(latencies, 0.95), percentile(latencies, 0.99));
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
        if (command == "suggest-latency") {
            return run_suggest_latency(args);
        }
    } catch (const airm::Error& e) {
        std::cerr << "airm_bench: error: " << e.what() << '\n';
        return 1;
    }
    return usage();
}
