// Concurrency: searches and suggestions from several threads while a writer adds batches. Every
// reader sees a committed state (whole batches, facet counts that agree with the total), nothing
// throws, a reader that outlives writes moves on to the new state, and a second writer is refused
// at once (or waits with a timeout).

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/searcher.hpp"
#include "query/suggest/store.hpp"
#include "query/suggest/suggest.hpp"
#include "support.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace {

constexpr std::size_t kBatch = 25;
constexpr std::size_t kBatches = 12;

std::string write_batch(const airm::test::TempDir& tmp, std::size_t k) {
    const std::string path = tmp.file("batch" + std::to_string(k) + ".jsonl");
    std::ofstream out(path);
    for (std::size_t i = 0; i < kBatch; ++i) {
        nlohmann::json r = {{"id", "Z" + std::to_string(k) + "-" + std::to_string(i)},
                            {"title", "Zebra crossing audit " + std::to_string(i)},
                            {"text", "An external zebra audit of the deployment pipeline, batch " +
                                         std::to_string(k)},
                            {"facets", {{"category", {"3.1"}}, {"actor", {"Developer"}}}}};
        out << r.dump() << '\n';
    }
    return path;
}

std::uint64_t count_of(const airm::SearchResult& result, const std::string& facet,
                       const std::string& value) {
    for (const auto& f : result.facets) {
        if (f.facet != facet)
            continue;
        std::function<std::uint64_t(const std::vector<airm::FacetValue>&)> find =
            [&](const std::vector<airm::FacetValue>& values) -> std::uint64_t {
            for (const auto& v : values) {
                if (v.value == value)
                    return v.count;
                if (auto c = find(v.children))
                    return c;
            }
            return 0;
        };
        return find(f.values);
    }
    return 0;
}

} // namespace

TEST_CASE("readers and suggesters run consistently while a writer commits batches",
          "[concurrency]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    airm::IndexOptions options;
    options.taxonomies.push_back(
        airm::load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json"));
    airm::index_files(db, {airm::test::corpus_dir() + "/records.jsonl"}, options);
    {
        airm::Index index = airm::Index::open(db);
        (void)airm::train_and_save(index, "category");
    }
    airm::Index early =
        airm::Index::open(db); // opened before any write, searched after all of them
    std::vector<std::string> batches;
    for (std::size_t k = 0; k < kBatches; ++k)
        batches.push_back(write_batch(tmp, k));

    std::atomic<bool> writer_done{false};
    std::atomic<std::size_t> searches{0};
    std::atomic<std::size_t> failures{0};
    std::vector<std::string> problems(4);

    auto reader = [&](std::size_t slot) {
        try {
            airm::Index index = airm::Index::open(db);
            airm::Searcher searcher(index);
            airm::SearchRequest request;
            request.query = "zebra";
            request.facets = {"category", "actor"};
            bool final_pass = false;
            while (true) {
                final_pass = writer_done.load();
                airm::SearchResult result = searcher.search(request);
                ++searches;
                if (result.total % kBatch != 0) {
                    problems[slot] = "torn batch: total " + std::to_string(result.total);
                    ++failures;
                }
                if (count_of(result, "category", "3.1") != result.total ||
                    count_of(result, "actor", "Developer") < result.total) {
                    problems[slot] =
                        "facet counts disagree with total " + std::to_string(result.total);
                    ++failures;
                }
                if (final_pass) {
                    // Searched after the last commit: a reader opened before the writes has moved
                    // on.
                    if (result.total != kBatch * kBatches) {
                        problems[slot] = "stale after the writer finished: total " +
                                         std::to_string(result.total);
                        ++failures;
                    }
                    break;
                }
            }
        } catch (const std::exception& e) {
            problems[slot] = std::string("reader threw: ") + e.what();
            ++failures;
        }
    };
    auto suggester = [&](std::size_t slot) {
        try {
            airm::Index index = airm::Index::open(db);
            airm::Suggester s = airm::open_suggester(index, "category");
            airm::SuggestOptions so;
            while (!writer_done.load()) {
                auto result =
                    s.suggest(std::string_view("independent red teaming before release"), so);
                if (result.suggestions.empty()) {
                    problems[slot] = "no suggestion";
                    ++failures;
                }
            }
        } catch (const std::exception& e) {
            problems[slot] = std::string("suggester threw: ") + e.what();
            ++failures;
        }
    };

    std::thread r1(reader, 0), r2(reader, 1), s1(suggester, 2);
    std::thread writer([&]() {
        try {
            for (const auto& b : batches)
                airm::index_files(db, {b}, airm::IndexOptions{});
        } catch (const std::exception& e) {
            problems[3] = std::string("writer threw: ") + e.what();
            ++failures;
        }
        writer_done = true;
    });
    writer.join();
    r1.join();
    r2.join();
    s1.join();
    for (const auto& p : problems) {
        INFO(p);
        CHECK(p.empty());
    }
    CHECK(failures == 0);
    CHECK(searches > 0);

    // An index handle opened before all the writes searches the final state.
    airm::Searcher searcher(early);
    airm::SearchRequest request;
    request.query = "zebra";
    CHECK(searcher.search(request).total == kBatch * kBatches);
}

TEST_CASE("a second writer is refused at once, or waits with a timeout", "[concurrency]") {
    airm::test::TempDir tmp;
    const std::string db = tmp.file("db");
    airm::index_files(db, {airm::test::corpus_dir() + "/records.jsonl"}, airm::IndexOptions{});
    const std::string batch = write_batch(tmp, 0);
    {
        airm::IndexWriter holder = airm::IndexWriter::open(db, false);
        auto refused = airm::test::run_airm("index --db " + airm::test::shell_quote(db) + " " +
                                            airm::test::shell_quote(batch));
        CHECK(refused.exit_code == 1);
        CHECK_THAT(refused.err,
                   Catch::Contains("locked by another process") && Catch::Contains("--wait"));
    }
    // With --wait, a writer that is released in time lets the command through.
    std::thread release;
    {
        auto holder = std::make_shared<airm::IndexWriter>(airm::IndexWriter::open(db, false));
        release = std::thread([holder]() mutable {
            std::this_thread::sleep_for(std::chrono::milliseconds(700));
            holder.reset();
        });
    }
    auto waited = airm::test::run_airm("index --wait 30 --db " + airm::test::shell_quote(db) + " " +
                                       airm::test::shell_quote(batch));
    release.join();
    INFO(waited.err);
    CHECK(waited.exit_code == 0);
}
