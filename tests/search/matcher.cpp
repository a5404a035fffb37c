/// The in-memory matcher on the query shapes whose parts carry no weight (right of NOT, filters,
/// the exclusions of partial matches), where it skips the optional title terms and a phrase's
/// term cursors: it must still match, count and weigh exactly as Xapian's matcher does.

#include "indexer/build/ingest.hpp"
#include "query/search/searcher.hpp"
#include "search/search_support.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace airm;
using airm::test::TempDir;

TEST_CASE("matcher: unweighted parts match as in Xapian's matcher, with the same weights",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher memory(index, test::searcher_options(index, true));
    Searcher xapian(index, test::searcher_options(index, false));
    struct Case {
        const char* query;
        std::vector<Filter> filters;
    };
    const Case cases[] = {
        {"model -\"red teams\"", {}},                    // a phrase right of NOT
        {"\"red teams\" -audit", {}},                    // a phrase weighted, a word not
        {"risk -model -\"risk assessment\"", {}},        // words and a phrase excluded
        {"whistleblower protection zzzunknownword", {}}, // partial matches and their exclusions
        {"board oversight incident", {}},                // three droppable words
        {"+board oversight zzzunknownword", {}},         // a required word kept in every subset
        {"model", {{"year", "2024"}}},                   // a filter right of the query
        {"\"red teams\" testing", {{"category", "3"}}},  // a filtered, counted facet
        {"governance -\"board oversight\" zzzunknownword", {}},
        // The text's stem terms are derived, not read (schema::kDerivedField).
        {"text:model", {}},
        {"text:\"red teams\" -title:model", {}},
        {"model -text:model", {}},
        {"text:risk text:model zzzunknownword", {}},
        {"text:model", {{"category", "3"}}},
    };
    for (const Case& c : cases) {
        INFO("query '" << c.query << "'");
        SearchRequest request;
        request.query = c.query;
        request.filters = c.filters;
        request.limit = index.record_count();
        request.facets = {"category", "actor"};
        const SearchResult a = memory.search(request);
        const SearchResult b = xapian.search(request);
        CHECK(a.total == b.total);
        CHECK(a.partial_total == b.partial_total);
        REQUIRE(a.hits.size() == b.hits.size());
        for (std::size_t i = 0; i < a.hits.size(); ++i) {
            INFO("hit " << i << ": " << a.hits[i].record.id);
            CHECK(a.hits[i].partial == b.hits[i].partial);
            CHECK(std::fabs(a.hits[i].score - b.hits[i].score) <=
                  1e-9 * std::max(1.0, std::fabs(a.hits[i].score)));
        }
        REQUIRE(a.facets.size() == b.facets.size());
        for (std::size_t f = 0; f < a.facets.size(); ++f) {
            REQUIRE(a.facets[f].values.size() == b.facets[f].values.size());
            for (std::size_t v = 0; v < a.facets[f].values.size(); ++v) {
                CHECK(a.facets[f].values[v].value == b.facets[f].values[v].value);
                CHECK(a.facets[f].values[v].count == b.facets[f].values[v].count);
            }
        }
        // The same search again on the same searcher (its columns and buffers reused) is the same.
        const SearchResult again = memory.search(request);
        REQUIRE(again.hits.size() == a.hits.size());
        for (std::size_t i = 0; i < a.hits.size(); ++i) {
            CHECK(again.hits[i].record.id == a.hits[i].record.id);
            CHECK(again.hits[i].score == a.hits[i].score);
        }
    }
}

TEST_CASE("searcher: every searcher over one index follows a commit, not only the first to see it",
          "[query][search]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    // Two in-memory searchers share the index handle: the first reopens it after the commit, and
    // the second must still drop the lengths, facet columns and term statistics it made before.
    Searcher first(index, test::searcher_options(index, true));
    Searcher second(index, test::searcher_options(index, true));
    Searcher reference(index, test::searcher_options(index, false));
    SearchRequest request;
    request.query = "model";
    request.limit = 100;
    request.facets = {"category"};
    const std::uint64_t before = first.search(request).total;
    REQUIRE(second.search(request).total == before);

    const std::string batch = dir.file("more.jsonl");
    {
        std::ofstream out(batch);
        for (int i = 0; i < 6; ++i) {
            out << nlohmann::json{{"id", "NEW-" + std::to_string(i)},
                                  {"title", "Model review " + std::to_string(i)},
                                  {"text", "A model risk review before deployment"},
                                  {"facets", {{"category", {"3.1"}}}}}
                       .dump()
                << '\n';
        }
    }
    index_files(db, {batch}, IndexOptions{});

    const SearchResult via_first = first.search(request);
    const SearchResult via_second = second.search(request);
    const SearchResult expected = reference.search(request);
    CHECK(via_first.total == before + 6);
    CHECK(via_second.total == before + 6);
    CHECK(expected.total == before + 6);
    REQUIRE(via_second.hits.size() == expected.hits.size());
    for (std::size_t i = 0; i < expected.hits.size(); ++i) {
        CHECK(via_second.hits[i].record.id == expected.hits[i].record.id);
        CHECK(std::abs(via_second.hits[i].score - expected.hits[i].score) < 1e-9);
    }
    REQUIRE(!via_second.facets.empty());
    REQUIRE(!expected.facets.empty());
    CHECK(via_second.facets.front().values.size() == expected.facets.front().values.size());
    for (std::size_t i = 0; i < expected.facets.front().values.size(); ++i) {
        CHECK(via_second.facets.front().values[i].value == expected.facets.front().values[i].value);
        CHECK(via_second.facets.front().values[i].count == expected.facets.front().values[i].count);
    }
}

TEST_CASE(
    "searcher: the records shown follow a commit that replaced them, from the first search on",
    "[query][search]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    // From its second search a searcher reads record pointers from a column it keeps per index
    // state; the first reads them from the documents. Both must show the committed record.
    Searcher searcher(index, test::searcher_options(index, true));
    SearchRequest request;
    request.query = "zzzreplacedword";
    const std::string batch = dir.file("more.jsonl");
    for (int round = 0; round < 4; ++round) {
        {
            std::ofstream out(batch);
            out << nlohmann::json{{"id", "NEW-1"},
                                  {"title", "Round " + std::to_string(round)},
                                  {"text", "zzzreplacedword in round " + std::to_string(round)}}
                       .dump()
                << '\n';
        }
        index_files(db, {batch}, IndexOptions{});
        for (int repeat = 0; repeat < 3; ++repeat) {
            INFO("round " << round << ", search " << repeat);
            const SearchResult result = searcher.search(request);
            REQUIRE(result.hits.size() == 1);
            CHECK(result.hits[0].record.title == "Round " + std::to_string(round));
            CHECK(result.hits[0].snippet.text ==
                  "zzzreplacedword in round " + std::to_string(round));
        }
    }
    // A record read from a column stays right when other records come and go around it.
    request.query = "model";
    request.limit = 5;
    const SearchResult before = searcher.search(request);
    Searcher fresh(index, test::searcher_options(index, false));
    const SearchResult expected = fresh.search(request);
    REQUIRE(before.hits.size() == expected.hits.size());
    for (std::size_t i = 0; i < expected.hits.size(); ++i)
        CHECK(before.hits[i].record == expected.hits[i].record);
}
