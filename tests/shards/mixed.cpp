// A stub file mixing a local shard and one served by xapian-tcpsrv on 127.0.0.1: the local shard
// is reopened on every search, the served one at most once a second unless forced.

#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/searcher.hpp"
#include "serve/serve_process.hpp"
#include "shards/shard_server.hpp"
#include "support.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace airm;
using airm::test::shard_server_installed;
using airm::test::ShardServer;
using airm::test::TempDir;

namespace {

IndexOptions shard_options(std::uint32_t k) {
    IndexOptions options;
    options.taxonomies.push_back(
        load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json", "category"));
    options.shard = ShardSpec{k, 2};
    return options;
}

/// An id that shard `k` of 2 keeps.
std::string id_of_shard(std::uint32_t k, const std::string& stem) {
    for (int n = 1;; ++n) {
        const std::string id = stem + "-" + std::to_string(n);
        if (shard_of(id, 2) == k)
            return id;
    }
}

/// Indexes one record with `word` in its title into shard `k` of 2 in `folder`.
void commit_record(TempDir& dir, const std::string& folder, std::uint32_t k, const std::string& id,
                   const std::string& word) {
    const std::string added = dir.write(
        id + ".jsonl", "{\"id\": \"" + id + "\", \"title\": \"A " + word +
                           " record\", \"text\": \"Committed while the index is open.\"}\n");
    REQUIRE(index_files(folder, {added}, shard_options(k)).added == 1);
}

} // namespace

TEST_CASE("A searcher and airm serve over a stub of a local and a served shard see a record "
          "committed to the local shard at once",
          "[shards]") {
    if (!shard_server_installed())
        return;
    TempDir dir;
    const std::string records = airm::test::corpus_dir() + "/records.jsonl";
    const std::string local = dir.file("local");
    const std::string served = dir.file("served");
    (void)index_files(local, {records}, shard_options(0));
    (void)index_files(served, {records}, shard_options(1));
    ShardServer server(served);
    REQUIRE(server.running());
    const std::string stub =
        dir.write("mixed.stub",
                  "auto " + local + "\nremote 127.0.0.1:" + std::to_string(server.port()) + "\n");
    airm::test::ServeProcess serve(stub);
    auto served_total = [&](const std::string& word) {
        auto answer = serve.client().Get("/v1/search?q=" + word);
        REQUIRE(answer);
        REQUIRE(answer->status == 200);
        return nlohmann::json::parse(answer->body).at("total").get<int>();
    };
    const Index index = Index::open(stub);
    REQUIRE(index.remote_shards() == 1);
    Searcher searcher(index);
    SearchRequest request;
    request.query = "quokkalocal";
    REQUIRE(searcher.search(request).total == 0);
    REQUIRE(served_total("quokkalocal") == 0);

    // No wait: the shard server was asked less than a second ago, the local shard is not throttled.
    const std::string id = id_of_shard(0, "LOCAL");
    commit_record(dir, local, 0, id, "quokkalocal");
    CHECK(served_total("quokkalocal") == 1);
    const SearchResult after = searcher.search(request);
    REQUIRE(after.total == 1);
    CHECK(after.hits.front().record.id == id);
}

TEST_CASE("A forced refresh asks a shard server for a new commit at once, and threads sharing an "
          "Index ask it once between them",
          "[shards]") {
    if (!shard_server_installed())
        return;
    TempDir dir;
    const std::string served = dir.file("served");
    (void)index_files(served, {airm::test::corpus_dir() + "/records.jsonl"}, shard_options(1));
    ShardServer server(served);
    REQUIRE(server.running());
    const std::string stub =
        dir.write("served.stub", "remote 127.0.0.1:" + std::to_string(server.port()) + "\n");
    const Index index = Index::open(stub);
    const std::uint64_t before = index.record_count();

    commit_record(dir, served, 1, id_of_shard(1, "FORCED"), "quokkaforced");
    CHECK(index.refresh(true));
    CHECK(index.record_count() == before + 1);

    // After a second, one of the threads asks the server and sees the next commit; the others
    // find the second claimed (TSan checks the stamp is shared without a data race).
    commit_record(dir, served, 1, id_of_shard(1, "THREADS"), "quokkathreads");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    constexpr int kThreads = 4;
    std::atomic<int> changed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] { changed += index.refresh() ? 1 : 0; });
    for (auto& thread : threads)
        thread.join();
    CHECK(changed == 1);
    CHECK(index.record_count() == before + 2);
}
