/// Relevance on the real MIT export: nDCG@10 and MRR over the judged query set
/// (tests/data/judged-queries-mit.tsv), which must not fall below the recorded floor.
/// tools/bench/relevance.py gives the same figures beside Xapian's QueryParser defaults.
/// Also what `similar` promises: records coded like the nearest neighbours first, the record's own
/// codes unused, and the same-code share on the MIT export (tools/bench/similar.py measures it).

#include "query/search/detail/rerank.hpp"
#include "search/search_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

using namespace airm;
using airm::test::TempDir;

namespace {

/// Measured 0.776 and 0.951 with the default ranking on the 102 judged queries (this test printed
/// 0.7756 and 0.9510 at c3b792d; Xapian's defaults: 0.750 and 0.956; tools/bench/QUALITY.md); the
/// floor sits a little under.
constexpr double kNdcgFloor = 0.77;
constexpr double kMrrFloor = 0.94;

using Judgments = std::map<std::string, std::map<std::string, int>>; // query -> id -> grade

Judgments read_judgments(const std::string& path) {
    Judgments out;
    std::ifstream in(path);
    REQUIRE(in);
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "# airm-judged-queries 1");
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        const auto t1 = line.find('\t'), t2 = line.rfind('\t');
        REQUIRE(t1 != std::string::npos);
        REQUIRE(t2 > t1);
        out[line.substr(0, t1)][line.substr(t1 + 1, t2 - t1 - 1)] = std::stoi(line.substr(t2 + 1));
    }
    return out;
}

double ndcg_at_10(const std::vector<std::string>& ranked,
                  const std::map<std::string, int>& grades) {
    auto gain = [](int g) { return std::pow(2.0, g) - 1; };
    double dcg = 0;
    for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) {
        auto it = grades.find(ranked[i]);
        if (it != grades.end())
            dcg += gain(it->second) / std::log2(static_cast<double>(i) + 2);
    }
    std::vector<int> ideal;
    for (const auto& [id, g] : grades)
        ideal.push_back(g);
    std::sort(ideal.rbegin(), ideal.rend());
    double idcg = 0;
    for (std::size_t i = 0; i < ideal.size() && i < 10; ++i)
        idcg += gain(ideal[i]) / std::log2(static_cast<double>(i) + 2);
    return idcg > 0 ? dcg / idcg : 0;
}

double reciprocal_rank(const std::vector<std::string>& ranked,
                       const std::map<std::string, int>& grades) {
    for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) {
        auto it = grades.find(ranked[i]);
        if (it != grades.end() && it->second >= 1)
            return 1.0 / static_cast<double>(i + 1);
    }
    return 0;
}

} // namespace

TEST_CASE("relevance: the metrics on hand-computed rankings", "[query][relevance]") {
    const std::map<std::string, int> grades{{"a", 2}, {"b", 1}};
    CHECK(ndcg_at_10({"a", "b"}, grades) == Approx(1.0));
    CHECK(ndcg_at_10({"b", "a"}, grades) ==
          Approx((1.0 + 3.0 / std::log2(3)) / (3.0 + 1.0 / std::log2(3))));
    CHECK(ndcg_at_10({"x", "y"}, grades) == 0);
    CHECK(reciprocal_rank({"x", "b", "a"}, grades) == Approx(0.5));
    CHECK(reciprocal_rank({"x"}, grades) == 0);
}

TEST_CASE("relevance: nDCG@10 and MRR on the judged MIT queries stay above the floor",
          "[query][relevance][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    const Judgments judged =
        read_judgments(std::string(AIRM_TEST_DATA_DIR) + "/judged-queries-mit.tsv");
    REQUIRE(judged.size() >= 100);
    TempDir dir;
    Index index = Index::open(test::build_mit_index(dir, shared));
    // Every judged id is a record of the export.
    std::set<std::string> ids;
    index.for_each_record([&](const Record& r) { ids.insert(r.id); });
    for (const auto& [q, grades] : judged) {
        for (const auto& [id, g] : grades) {
            INFO(q << " / " << id);
            CHECK(ids.count(id) == 1);
        }
    }
    Searcher searcher(index, test::searcher_options(index));
    double ndcg = 0, mrr = 0;
    for (const auto& [q, grades] : judged) {
        SearchRequest request;
        request.query = q;
        request.limit = 10;
        request.snippets = false;
        const auto ranked = test::ids_of(searcher.search(request));
        ndcg += ndcg_at_10(ranked, grades);
        mrr += reciprocal_rank(ranked, grades);
    }
    ndcg /= static_cast<double>(judged.size());
    mrr /= static_cast<double>(judged.size());
    std::cout << "relevance on " << judged.size() << " judged MIT queries: nDCG@10 " << ndcg
              << ", MRR " << mrr << " (floors " << kNdcgFloor << ", " << kMrrFloor << ")\n";
    CHECK(ndcg >= kNdcgFloor);
    CHECK(mrr >= kMrrFloor);
}

namespace {

/// A record of JSON Lines with one flat facet value.
std::string coded_record(const std::string& id, const std::string& text, const std::string& area) {
    return R"({"id": ")" + id + R"(", "text": ")" + text + R"(", "facets": {"area": [")" + area +
           "\"]}}\n";
}

} // namespace

TEST_CASE("rerank: a record matching only some words ranks above a full match scored far lower",
          "[query][relevance]") {
    using detail::RerankCandidate;
    std::vector<RerankCandidate> pool{{1, 5.0, 1.0, false, {}}, {2, 10.0, 0.5, true, {}}};
    detail::RerankOptions options;
    options.code_prior = 0;
    auto ranked = detail::rerank(pool, options);
    REQUIRE(ranked.size() == 2);
    CHECK(ranked[0].did == 2); // 10 x 0.5^0.5 = 7.07 > 5
    CHECK(ranked[0].score == Approx(10.0 * std::sqrt(0.5)));
    CHECK(ranked[0].coordination == Approx(ranked[0].score - 10.0));
    CHECK(ranked[0].partial);
    // Scored closer, the full match stays first: 6 x 0.5^0.5 = 4.24 < 5.
    pool[1].score = 6.0;
    ranked = detail::rerank(pool, options);
    CHECK(ranked[0].did == 1);
    // Without coordination the order is BM25's alone.
    options.coordination = 0;
    ranked = detail::rerank(pool, options);
    CHECK(ranked[0].did == 2);
}

TEST_CASE("rerank: of two records scored alike, the one coded like the best results ranks first",
          "[query][relevance]") {
    using detail::RerankCandidate;
    // The best three are coded 2.1; records 4 and 5 score the same, 5 is coded 2.1 too.
    std::vector<RerankCandidate> pool{{1, 10.0, 1.0, false, {"2.1"}},
                                      {2, 9.0, 1.0, false, {"2.1"}},
                                      {3, 8.0, 1.0, false, {"2.1"}},
                                      {4, 5.0, 1.0, false, {"3.4"}},
                                      {5, 5.0, 1.0, false, {"2.1"}}};
    detail::RerankOptions options;
    auto ranked = detail::rerank(pool, options);
    REQUIRE(ranked.size() == 5);
    std::vector<Xapian::docid> order;
    for (const auto& r : ranked)
        order.push_back(r.did);
    CHECK(order == std::vector<Xapian::docid>{1, 2, 3, 5, 4});
    // 2.1 holds 32 / 37 of the top five's scores: + 0.2 x 10 x 32/37.
    CHECK(ranked[3].prior == Approx(0.2 * 10.0 * 32.0 / 37.0));
    CHECK(ranked[3].prior_code == "2.1");
    CHECK(ranked[4].prior == Approx(0.2 * 10.0 * 5.0 / 37.0));
    options.code_prior = 0;
    ranked = detail::rerank(pool, options);
    CHECK(ranked[3].did == 4); // equal scores: by docid
}

TEST_CASE("rerank: a record's codes are its most specific facet values", "[query][relevance]") {
    const std::string slot =
        std::string("1") + '\x1f' + "1.1" + '\x1f' + "2" + '\x1f' + "2.3" + '\x1f' + "4";
    CHECK(detail::leaf_codes(slot) == std::vector<std::string>{"1.1", "2.3", "4"});
    CHECK(detail::leaf_codes("").empty());
}

TEST_CASE("search: a record matching only some words, scored far higher, ranks above a weak full "
          "match",
          "[query][search][relevance]") {
    TempDir dir;
    // "beta" is in the long record W only; "alpha" fills the short record S and its title. Before,
    // every full match came first, so W led although S scores far more.
    std::string filler;
    for (int i = 0; i < 60; ++i)
        filler += " filler" + std::to_string(i);
    std::string records =
        coded_record("W", "alpha beta" + filler, "x") +
        R"({"id": "S", "title": "alpha", "text": "alpha alpha alpha alpha", "facets": {"area": ["x"]}})" +
        "\n";
    for (int i = 0; i < 8; ++i)
        records +=
            coded_record("N" + std::to_string(i), "unrelated words " + std::to_string(i), "y");
    index_files(dir.file("db"), {dir.write("r.jsonl", records)}, IndexOptions{});
    Index index = Index::open(dir.file("db"));
    SearcherOptions options = test::searcher_options(index);
    SearchRequest request;
    request.query = "alpha beta";
    request.limit = 5;
    {
        Searcher searcher(index, options);
        const SearchResult result = searcher.search(request);
        CHECK(test::ids_of(result) == std::vector<std::string>{"S", "W"});
        REQUIRE(result.hits.size() == 2);
        CHECK(result.hits[0].partial);
        CHECK(result.hits[0].score > result.hits[1].score);
        CHECK(result.total == 1);
        CHECK(result.partial_total == 1);
    }
    // Strong coordination puts the full match first again.
    options.ranking.coordination = 10;
    Searcher strict(index, options);
    CHECK(test::ids_of(strict.search(request)) == std::vector<std::string>{"W", "S"});
}

TEST_CASE("similar: of two records as close in words, the one coded like the nearest neighbours "
          "ranks first",
          "[query][search][similar]") {
    TempDir dir;
    // X and Y share three words with Q each and are otherwise alike (their cosines are equal); X
    // comes first in the index. Q's other neighbours are all coded "security", like Y.
    const std::string records =
        coded_record("Q", "firewall intrusion scanning penetration weaknesses network", "legal") +
        coded_record("X", "firewall intrusion scanning contract clauses signed", "legal") +
        coded_record("Y", "firewall intrusion scanning patches servers hardened", "security") +
        coded_record("N1", "penetration network audit logs", "security") +
        coded_record("N2", "weaknesses network monitoring alerts", "security") +
        coded_record("N3", "penetration weaknesses triage tickets", "security") +
        coded_record("G1", "board charter governance minutes", "legal") +
        coded_record("G2", "budget finance quarterly report", "legal");
    index_files(dir.file("db"), {dir.write("r.jsonl", records)}, IndexOptions{});
    Index index = Index::open(dir.file("db"));
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.limit = 7;
    const auto ids = test::ids_of(searcher.similar("Q", request));
    const auto y = std::find(ids.begin(), ids.end(), "Y");
    const auto x = std::find(ids.begin(), ids.end(), "X");
    REQUIRE(y != ids.end());
    REQUIRE(x != ids.end());
    CHECK(y < x);
}

TEST_CASE("similar: a record's own codes never change the records found like it",
          "[query][search][similar]") {
    TempDir dir;
    std::string records, recoded;
    const char* texts[] = {"staged release of model weights to vetted partners",
                           "release model weights in stages after red team review",
                           "vetted partners receive early model access",
                           "board reviews the release decision",
                           "red team review of dangerous capabilities"};
    const char* areas[] = {"deployment", "deployment", "access", "governance", "testing"};
    for (int i = 0; i < 5; ++i) {
        const std::string id = "R" + std::to_string(i);
        records += coded_record(id, texts[i], areas[i]);
        recoded += coded_record(id, texts[i], i == 0 ? "governance" : areas[i]);
    }
    index_files(dir.file("a"), {dir.write("a.jsonl", records)}, IndexOptions{});
    index_files(dir.file("b"), {dir.write("b.jsonl", recoded)}, IndexOptions{});
    Index a = Index::open(dir.file("a"));
    Index b = Index::open(dir.file("b"));
    Searcher in_a(a, test::searcher_options(a));
    Searcher in_b(b, test::searcher_options(b));
    SearchRequest request;
    request.limit = 4;
    CHECK(test::ids_of(in_a.similar("R0", request)) == test::ids_of(in_b.similar("R0", request)));
}

TEST_CASE(
    "similar: on the MIT export, records with the record's code fill at least 40% of the top 5",
    "[query][search][similar][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    TempDir dir;
    Index index = Index::open(test::build_mit_index(dir, shared));
    std::map<std::string, std::string> code; // id -> its one code
    std::vector<std::string> ids;
    index.for_each_record([&](const Record& r) {
        ids.push_back(r.id);
        code[r.id] = r.facets.at("category").front();
    });
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.limit = 5;
    request.snippets = false;
    double share = 0;
    std::size_t asked = 0;
    for (std::size_t i = 0; i < ids.size(); i += 3) { // every third record
        for (const auto& other : test::ids_of(searcher.similar(ids[i], request)))
            share += code.at(other) == code.at(ids[i]) ? 0.2 : 0.0;
        ++asked;
    }
    share /= static_cast<double>(asked);
    std::cout << "similar on every third MIT record: " << share
              << " of the top 5 share the record's code\n";
    CHECK(share >= 0.40);
}
