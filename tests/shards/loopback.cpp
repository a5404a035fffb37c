// Shards on Xapian's remote backend: one index and 3 shards of the same records, the shards served
// by stock xapian-tcpsrv processes on 127.0.0.1, must give the same answers.

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "query/search/searcher.hpp"
#include "query/suggest/store.hpp"
#include "query/suggest/suggest.hpp"
#include "serve/serve_process.hpp"
#include "shards/shard_server.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unistd.h>

using namespace airm;
using airm::test::shard_server_installed;
using airm::test::ShardServer;
using airm::test::TempDir;

namespace {

IndexOptions options_for(std::optional<ShardSpec> shard) {
    IndexOptions options;
    options.taxonomies.push_back(
        load_taxonomy_file(airm::test::corpus_dir() + "/taxonomy.json", "category"));
    options.shard = shard;
    return options;
}

struct Query {
    Query(std::string t, std::vector<Filter> f = {}, SortOrder s = SortOrder::relevance)
        : text(std::move(t)), filters(std::move(f)), sort(s) {}
    std::string text;
    std::vector<Filter> filters;
    SortOrder sort;
};

std::string describe(const Query& q) {
    std::string out = "query '" + q.text + "'";
    for (const auto& f : q.filters)
        out += " --filter " + f.field + "=" + f.value;
    if (q.sort != SortOrder::relevance)
        out += q.sort == SortOrder::year ? " --sort year" : " --sort id";
    return out;
}

void flatten(const std::vector<FacetValue>& values, const std::string& facet,
             std::map<std::string, std::uint64_t>& out) {
    for (const auto& v : values) {
        out[facet + "=" + v.value + (v.selected ? " (selected)" : "")] = v.count;
        flatten(v.children, facet, out);
    }
}

std::map<std::string, std::uint64_t> facet_map(const SearchResult& r) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& f : r.facets)
        flatten(f.values, f.facet + (f.drill_sideways ? "(sideways)" : ""), out);
    return out;
}

/// The same hits: ids in the same order where scores differ by more than 1e-9, and scores equal
/// to 1e-9 rank by rank (records of equal score may come in another order).
void require_same_hits(const SearchResult& one, const SearchResult& sharded, bool by_score) {
    REQUIRE(one.hits.size() == sharded.hits.size());
    std::multiset<std::string> ids_one, ids_sharded;
    for (std::size_t i = 0; i < one.hits.size(); ++i) {
        if (by_score)
            CHECK(sharded.hits[i].score == Approx(one.hits[i].score).margin(1e-9));
        ids_one.insert(one.hits[i].record.id);
        ids_sharded.insert(sharded.hits[i].record.id);
        const bool tie_before = i > 0 && std::abs(one.hits[i].score - one.hits[i - 1].score) < 1e-9;
        const bool tie_after =
            i + 1 < one.hits.size() && std::abs(one.hits[i].score - one.hits[i + 1].score) < 1e-9;
        if (by_score && !tie_before && !tie_after)
            CHECK(sharded.hits[i].record.id == one.hits[i].record.id);
    }
    // A tie at the page's end may bring in another record of the same score; otherwise the
    // same records.
    const bool tie_at_end =
        one.hits.size() > 1 && by_score &&
        std::abs(one.hits.back().score - one.hits[one.hits.size() - 2].score) < 1e-9;
    if (!tie_at_end)
        CHECK(ids_one == ids_sharded);
}

} // namespace

TEST_CASE("Three shards served by xapian-tcpsrv give the same answers as one index", "[shards]") {
    if (!shard_server_installed())
        return;
    TempDir dir;
    const std::string records = airm::test::corpus_dir() + "/records.jsonl";
    const std::string one = dir.file("one");
    (void)index_files(one, {records}, options_for(ShardSpec{0, 1}));
    std::vector<std::string> shard_folders;
    std::uint64_t kept = 0;
    for (std::uint32_t k = 0; k < 3; ++k) {
        shard_folders.push_back(dir.file("shard" + std::to_string(k)));
        kept += index_files(shard_folders.back(), {records}, options_for(ShardSpec{k, 3})).added;
    }
    ShardServer s0(shard_folders[0]), s1(shard_folders[1]), s2(shard_folders[2]);
    REQUIRE(s0.running());
    REQUIRE(s1.running());
    REQUIRE(s2.running());
    const std::string stub =
        dir.write("shards.stub", "remote 127.0.0.1:" + std::to_string(s0.port()) +
                                     "\nremote 127.0.0.1:" + std::to_string(s1.port()) +
                                     "\nremote 127.0.0.1:" + std::to_string(s2.port()) + "\n");

    const Index single = Index::open(one);
    const Index sharded = Index::open(stub);
    REQUIRE(kept == single.record_count());
    REQUIRE(sharded.record_count() == single.record_count());
    REQUIRE(sharded.remote_shards() == 3);
    CHECK(sharded.facet_counts("category") == single.facet_counts("category"));
    Searcher one_searcher(single);
    Searcher shard_searcher(sharded);

    const std::vector<Query> queries = {
        {"model"},
        {"red teaming"},
        {"\"model weights\""},
        {"\"incident reporting\""},
        {"access OR audit"},
        {"model -release"},
        {"NOT model"},
        {"safety AND evaluation"},
        {"title:board"},
        {"text:model"},
        {"reasoning:risk"},
        {"evalu*"},
        {"text:monitor*"},
        {"model", {{"category", "2"}}},
        {"model", {{"category", "3.1"}, {"actor", "Developer"}}},
        {"risk", {{"lifecycle", "Deploy"}}},
        {"model", {{"year", "2023..2025"}}},
        {"model", {}, SortOrder::year},
        {"risk", {{"category", "1"}}, SortOrder::id},
        {"security", {{"actor", "Developer"}}, SortOrder::year},
        {"data*", {}, SortOrder::id},
        {"governance oversight"},
        {"whistleblower"},
        {"whistleblower when"}, // a stop word: full matches without it are coordinated
        {"model audit access"}, // full matches few, partial ones many
    };
    for (const Query& q : queries) {
        INFO(describe(q));
        SearchRequest request;
        request.query = q.text;
        request.filters = q.filters;
        request.sort = q.sort;
        request.limit = 20;
        request.facets = {"category", "lifecycle", "actor"};
        const SearchResult a = one_searcher.search(request);
        const SearchResult b = shard_searcher.search(request);
        CHECK(b.total == a.total);
        CHECK(facet_map(b) == facet_map(a));
        require_same_hits(a, b, q.sort == SortOrder::relevance);
    }

    SECTION("similar records are the same") {
        for (const std::string id : {"AIRM-0001", "AIRM-0046", "AIRM-0090"}) {
            INFO("similar " << id);
            SearchRequest request;
            request.limit = 20;
            const SearchResult a = one_searcher.similar(id, request);
            const SearchResult b = shard_searcher.similar(id, request);
            CHECK(b.parsed == a.parsed);
            CHECK(b.total == a.total);
            require_same_hits(a, b, true);
        }
    }

    SECTION("records and suggestions read through the shards are the same") {
        CHECK(sharded.find("AIRM-0046")->title == single.find("AIRM-0046")->title);
        const Suggester a(train_for_index(single, "category"));
        const Suggester b(train_for_index(sharded, "category"));
        for (const char* text : {"publish model weights only after red teaming",
                                 "report incidents to regulators", "train staff on security"}) {
            INFO("suggest '" << text << "'");
            const SuggestResult ra = a.suggest(text, {});
            const SuggestResult rb = b.suggest(text, {});
            REQUIRE(ra.suggestions.size() == rb.suggestions.size());
            for (std::size_t i = 0; i < ra.suggestions.size(); ++i) {
                CHECK(rb.suggestions[i].code == ra.suggestions[i].code);
                CHECK(rb.suggestions[i].confidence ==
                      Approx(ra.suggestions[i].confidence).margin(1e-6));
            }
        }
    }

    SECTION("taxonomy, evaluate and serve over the shard servers answer as the one index") {
        auto over = [&](const std::string& command, const std::string& db) {
            return airm::test::airm_ok(command + " --json --db '" + db + "'");
        };
        CHECK(over("taxonomy", stub) == over("taxonomy", one));
        CHECK(over("evaluate", stub) == over("evaluate", one));

        airm::test::ServeProcess served_one(one);
        airm::test::ServeProcess served_shards(stub);
        for (const char* path :
             {"/v1/search?q=model&limit=20&facets=category,actor",
              "/v1/search?q=risk&filter=category%3D1&sort=id", "/v1/records/AIRM-0046",
              "/v1/records/AIRM-0046/similar", "/v1/taxonomy"}) {
            INFO("GET " << path);
            auto a = served_one.client().Get(path);
            auto b = served_shards.client().Get(path);
            REQUIRE(a);
            REQUIRE(b);
            CHECK(a->status == 200);
            CHECK(b->status == a->status);
            auto answer = nlohmann::json::parse(a->body);
            auto sharded_answer = nlohmann::json::parse(b->body);
            for (auto* j : {&answer, &sharded_answer}) {
                j->erase("took_ms"); // the time taken, and where the answer came from, differ
                j->erase("db");
            }
            CHECK(sharded_answer == answer);
        }

        const auto twice = airm::test::serve_expecting_failure(
            {"--db", shard_folders[0], "--db", shard_folders[1], "--port", "0"});
        CHECK(twice.exit_code != 0);
        CHECK_THAT(twice.err,
                   Catch::Contains("airm serve serves one index folder or one stub file"));
        CHECK_THAT(twice.err, Catch::Contains("--db STUB"));
        const auto writes =
            airm::test::serve_expecting_failure({"--db", stub, "--allow-writes", "--port", "0"});
        CHECK(writes.exit_code != 0);
        CHECK_THAT(writes.err, Catch::Contains("is a stub file of shards"));
    }

    SECTION("a shard server that is down gives an error naming it") {
        const std::string port = std::to_string(s1.port());
        s1.stop_now();
        try {
            (void)Index::open(stub);
            FAIL("opening a stub file with a stopped shard server succeeded");
        } catch (const IndexError& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::Contains("127.0.0.1:" + port));
            CHECK_THAT(message, Catch::Contains("xapian-tcpsrv"));
        }
        // An open index whose server went away: an error, never a partial answer.
        SearchRequest request;
        request.query = "model";
        CHECK_THROWS_AS(shard_searcher.search(request), airm::Error);
    }
}

TEST_CASE("A searcher and airm serve over a shard server see a record committed to the shard a "
          "second later",
          "[shards]") {
    if (!shard_server_installed())
        return;
    TempDir dir;
    const std::string folder = dir.file("shard");
    (void)index_files(folder, {airm::test::corpus_dir() + "/records.jsonl"},
                      options_for(ShardSpec{0, 1}));
    ShardServer server(folder);
    REQUIRE(server.running());
    const std::string stub =
        dir.write("shard.stub", "remote 127.0.0.1:" + std::to_string(server.port()) + "\n");
    const Index index = Index::open(stub);
    Searcher searcher(index);
    SearchRequest request;
    request.query = "quokkafresh";
    REQUIRE(searcher.search(request).total == 0);
    airm::test::ServeProcess served(stub); // `airm serve` keeps its readers open the same way
    auto served_total = [&] {
        auto answer = served.client().Get("/v1/search?q=quokkafresh");
        REQUIRE(answer);
        REQUIRE(answer->status == 200);
        return nlohmann::json::parse(answer->body).at("total").get<int>();
    };
    REQUIRE(served_total() == 0);

    // The writer commits while the server serves the shard; the searcher asks the server for a
    // new commit at most once a second (engine/README.md).
    const std::string added = dir.write(
        "added.jsonl", "{\"id\": \"FRESH-1\", \"title\": \"A quokkafresh record\", \"text\": "
                       "\"Written while a shard server serves its shard.\"}\n");
    REQUIRE(index_files(folder, {added}, options_for(ShardSpec{0, 1})).added == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const SearchResult after = searcher.search(request);
    REQUIRE(after.total == 1);
    CHECK(after.hits.front().record.id == "FRESH-1");
    CHECK(served_total() == 1);
}
