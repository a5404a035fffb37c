/// Spelling suggestions from the index's vocabulary, and query-time synonyms.

#include "query/search/spelling.hpp"

#include "engine/error.hpp"
#include "query/search/synonyms.hpp"
#include "search/search_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace airm;
using airm::test::TempDir;

TEST_CASE("spelling: edit distance counts a transposition once, in characters",
          "[query][spelling]") {
    struct Row {
        const char* a;
        const char* b;
        std::size_t distance;
    };
    const Row rows[] = {{"whistleblowr", "whistleblower", 1},
                        {"teh", "the", 1},
                        {"audit", "audit", 0},
                        {"kitten", "sitting", 3},
                        {"naïve", "naive", 1},
                        {"", "abc", 3}};
    for (const auto& r : rows) {
        INFO(r.a << " / " << r.b);
        CHECK(edit_distance(r.a, r.b, 5) == r.distance);
    }
    CHECK(edit_distance("kitten", "sitting", 2) == 3); // above the limit: limit + 1
    CHECK(max_edits(4) == 1);
    CHECK(max_edits(9) == 2);
}

TEST_CASE(
    "spelling: an unknown word gets a suggestion from the index, and --auto-correct searches it",
    "[query][spelling]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    CHECK(suggest_spelling(index, "whistleblowr") == std::optional<std::string>("whistleblower"));
    CHECK(suggest_spelling(index, "hwistleblower") == std::optional<std::string>("whistleblower"));
    CHECK(suggest_spelling(index, "whistleblower") == std::optional<std::string>("whistleblower"));
    CHECK_FALSE(suggest_spelling(index, "qqqqqqqq").has_value());

    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.query = "whistleblowr protection";
    SearchResult plain = searcher.search(request);
    CHECK(plain.total == 0);
    CHECK(plain.did_you_mean == std::optional<std::string>("whistleblower protection"));
    CHECK_FALSE(plain.corrected);

    request.auto_correct = true;
    SearchResult fixed = searcher.search(request);
    CHECK(fixed.corrected);
    CHECK(fixed.query == "whistleblower protection");
    CHECK(fixed.original_query == "whistleblowr protection");
    CHECK(fixed.total > 0);
    for (const auto& h : fixed.hits) {
        if (h.partial)
            continue;
        CHECK_THAT(h.record.text + h.record.title + h.record.reasoning,
                   Catch::Contains("histleblower"));
    }
    // Known words get no suggestion.
    request.query = "whistleblower";
    CHECK_FALSE(searcher.search(request).did_you_mean.has_value());
}

TEST_CASE("synonyms: the file format, and errors naming the line", "[query][synonyms]") {
    Analyzer a;
    SynonymTable t =
        SynonymTable::parse("# comment\n\nred teaming = red-teaming = adversarial testing\nrlhf = "
                            "reinforcement learning from human feedback\n",
                            "test.txt", a);
    CHECK(t.size() == 2);
    // Members match on analysed keys: case, hyphens and inflections do not matter.
    auto m = t.longest_match(text_keys("Red Teams", a), 0);
    REQUIRE(m.has_value());
    CHECK(m->length == 2);
    CHECK(t.members(m->groups.front()).size() == 3);
    CHECK(t.longest_match(text_keys("reinforcement learning from human feedback now", a), 0)
              ->length == 5);
    CHECK_FALSE(t.longest_match(text_keys("blue teaming", a), 0).has_value());

    CHECK_THROWS_AS(SynonymTable::parse("lonely\n", "s.txt", a), InvalidInput);
    CHECK_THROWS_WITH(SynonymTable::parse("a = b\nlonely\n", "s.txt", a),
                      Catch::Contains("line 2 of s.txt"));
    CHECK_THROWS_WITH(SynonymTable::parse("a =  = b\n", "s.txt", a),
                      Catch::Contains("empty member"));
    CHECK_THROWS_AS(SynonymTable::load("/nonexistent/synonyms.txt", a), NotFound);

    SynonymTable user = SynonymTable::parse("kill switch = off switch\n", "user.txt", a);
    t.merge(user);
    CHECK(t.size() == 3);
    CHECK(t.longest_match(text_keys("off switch", a), 0).has_value());
}

TEST_CASE("synonyms: a query finds the records of its synonyms too, and marks their words",
          "[query][synonyms]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    SearcherOptions with = test::searcher_options(index);
    SearcherOptions without = test::searcher_options(index);
    without.synonyms = SynonymTable{};
    Searcher syn(index, std::move(with));
    Searcher plain(index, std::move(without));
    SearchRequest request;
    request.limit = 50;

    // "adversarial testing" = "red teaming" (corpus/synonyms.txt): every full match of "red
    // teaming" is a full match of "adversarial testing".
    auto full = [](const SearchResult& r) {
        std::vector<std::string> ids;
        for (const auto& h : r.hits) {
            if (!h.partial)
                ids.push_back(h.record.id);
        }
        return ids;
    };
    request.query = "adversarial testing";
    const auto found = full(syn.search(request));
    request.query = "red teaming";
    const auto red = full(plain.search(request));
    REQUIRE_FALSE(red.empty());
    for (const auto& id : red)
        CHECK(std::find(found.begin(), found.end(), id) != found.end());

    // "watermarking" = "content provenance": records saying only "provenance of content" are found.
    request.query = "watermarking";
    SearchResult w = syn.search(request);
    SearchResult w_plain = plain.search(request);
    CHECK(w.total > w_plain.total);
    // Every record found without synonyms is still found.
    const std::vector<std::string> with_ids = full(w);
    for (const auto& id : full(w_plain)) {
        CHECK(std::find(with_ids.begin(), with_ids.end(), id) != with_ids.end());
    }
    // The snippet marks the synonym's words too.
    bool provenance_marked = false;
    for (const auto& h : w.hits) {
        for (const auto& [b, e] : h.snippet.marks) {
            std::string m = h.snippet.text.substr(b, e - b);
            std::transform(m.begin(), m.end(), m.begin(), ::tolower);
            provenance_marked = provenance_marked || m.find("provenance") != std::string::npos;
        }
    }
    CHECK(provenance_marked);
}
