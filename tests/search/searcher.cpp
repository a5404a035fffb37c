/// Searching end to end: every indexed word finds its record, the in-memory matcher ranks exactly
/// as Xapian's does, partial matches, paging and sorting, similar records, and the `airm search`,
/// `airm facets` and `airm similar` commands.

#include "query/search/searcher.hpp"

#include "engine/error.hpp"
#include "search/search_support.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace airm;
using airm::test::TempDir;
using nlohmann::json;

namespace {

/// Checks that every token of every record's title, text and reasoning, searched alone as written,
/// finds that record. Returns how many distinct tokens were searched.
std::size_t check_round_trip(const Index& index) {
    Analyzer analyzer = index.make_analyzer();
    std::map<std::string, std::set<std::string>> records_of; // token as written -> records
    index.for_each_record([&](const Record& r) {
        for (const std::string* text : {&r.title, &r.text, &r.reasoning}) {
            for (const Token& t : analyzer.analyze(*text)) {
                records_of[text->substr(t.begin, t.end - t.begin)].insert(r.id);
            }
        }
    });
    Searcher searcher(index, SearcherOptions{});
    SearchRequest request;
    request.limit = index.record_count();
    request.snippets = false;
    for (const auto& [token, ids] : records_of) {
        request.query = token;
        SearchResult result = searcher.search(request);
        std::set<std::string> found;
        for (const auto& h : result.hits) {
            if (!h.partial)
                found.insert(h.record.id);
        }
        for (const auto& id : ids) {
            INFO("token '" << token << "' of record " << id);
            CHECK(found.count(id) == 1);
        }
    }
    return records_of.size();
}

std::map<std::string, double> scores(const SearchResult& r) {
    std::map<std::string, double> out;
    for (const auto& h : r.hits)
        out[h.record.id] = h.score;
    return out;
}

json run_json(const std::string& args) {
    return json::parse(test::airm_ok(args));
}

} // namespace

TEST_CASE("search: every token of the bundled corpus, searched alone, finds its record",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    CHECK(check_round_trip(index) > 1000);
}

TEST_CASE("search: every token of the MIT export, searched alone, finds its record",
          "[query][search][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    TempDir dir;
    Index index = Index::open(test::build_mit_index(dir, shared));
    CHECK(check_round_trip(index) > 3000);
}

TEST_CASE("search: words match stems, codes and compounds exactly, all words by default",
          "[query][search]") {
    TempDir dir;
    const std::string input = dir.write(
        "r.jsonl",
        R"({"id": "a", "title": "Testing models", "text": "Models are tested against GPT-4 under code 2.2.2 by e-mail.", "facets": {"category": ["2.2"]}}
{"id": "b", "title": "Audit", "text": "An email to the ISO/IEC 42001 auditors about tests.", "facets": {"category": ["3.1"]}}
{"id": "c", "title": "Other", "text": "Nothing about gpt or 4 or code 2.2.20 here.", "facets": {"category": ["3.1"]}}
)");
    const std::string db = dir.file("db");
    index_files(db, {input}, IndexOptions{});
    Index index = Index::open(db);
    Searcher searcher(index, SearcherOptions{});
    auto full = [&](const std::string& q) {
        SearchRequest r;
        r.query = q;
        std::vector<std::string> ids;
        for (const auto& h : searcher.search(r).hits) {
            if (!h.partial)
                ids.push_back(h.record.id);
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    using V = std::vector<std::string>;
    CHECK(full("test") == V{"a", "b"});   // stems: tested, tests, testing
    CHECK(full("2.2.2") == V{"a"});       // a code, not 2.2.20
    CHECK(full("GPT-4") == V{"a"});       // the compound, not its parts apart
    CHECK(full("e-mail") == V{"a", "b"}); // "email" too
    CHECK(full("ISO/IEC 42001") == V{"b"});
    CHECK(full("models tested") == V{"a"}); // all words
    CHECK(full("models OR audit") == V{"a", "b"});
    CHECK(full("test -audit") == V{"a"});
    CHECK(full("\"tested against\"") == V{"a"});
    CHECK(full("\"against tested\"").empty());
    CHECK(full("title:audit") == V{"b"});
    CHECK(full("text:audit").empty()); // "auditors" stems to "auditor"
    CHECK(full("audit*") == V{"b"});
    CHECK(full("category:3") == V{"b", "c"});
    CHECK(full("category:2 OR category:3.1") == V{"a", "b", "c"});
}

TEST_CASE("search: the in-memory matcher gives Xapian's BM25 scores and counts",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher memory(index, test::searcher_options(index, true));
    Searcher xapian(index, test::searcher_options(index, false));
    for (const char* q :
         {"model", "risk assessment", "incident OR response", "\"red teams\"", "audit -external",
          "training data", "title:board", "NOT model", "watermarking", "red teaming",
          "roll back a model", "risk risk management", "+board oversight", "category:1 governance",
          ""}) {
        INFO("query '" << q << "'");
        SearchRequest request;
        request.query = q;
        request.limit = index.record_count();
        request.facets = {"category", "actor"};
        SearchResult a = memory.search(request);
        SearchResult b = xapian.search(request);
        CHECK(a.total == b.total);
        CHECK(a.partial_total == b.partial_total);
        auto sa = scores(a), sb = scores(b);
        REQUIRE(sa.size() == sb.size());
        for (const auto& [id, s] : sa) {
            INFO("record " << id);
            REQUIRE(sb.count(id) == 1);
            CHECK(std::fabs(s - sb[id]) <= 1e-9 * std::max(1.0, std::fabs(s)));
        }
        // Full matches in order of score, then partial ones in order of score.
        for (std::size_t i = 0; i + 1 < a.hits.size(); ++i) {
            if (a.hits[i].partial != a.hits[i + 1].partial)
                continue;
            CHECK(a.hits[i].score >= a.hits[i + 1].score - 1e-9);
        }
        for (std::size_t f = 0; f < a.facets.size(); ++f) {
            REQUIRE(f < b.facets.size());
            CHECK(a.facets[f].values.size() == b.facets[f].values.size());
        }
    }
}

TEST_CASE("search: too few full matches are followed by partial ones, best score first",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.query = "whistleblower protection zzzunknownword";
    request.limit = 5;
    SearchResult r = searcher.search(request);
    CHECK(r.total == 0);
    REQUIRE_FALSE(r.hits.empty());
    CHECK(r.partial_total >= r.hits.size());
    for (const auto& h : r.hits)
        CHECK(h.partial);
    // "whistleblower" is rarer than "protection": records with it come first.
    const Record& first = r.hits.front().record;
    CHECK_THAT(first.title + first.text + first.reasoning, Catch::Contains("histleblower"));
    // Ranked by their own score, like the full matches.
    for (std::size_t i = 0; i + 1 < r.hits.size(); ++i)
        CHECK(r.hits[i].score >= r.hits[i + 1].score - 1e-9);
    // Required parts stay required.
    request.query = "+protection whistleblower zzzunknownword";
    for (const auto& h : searcher.search(request).hits) {
        Analyzer a = index.make_analyzer();
        bool has = false;
        for (const std::string* t : {&h.record.title, &h.record.text, &h.record.reasoning}) {
            for (const Token& tok : a.analyze(*t))
                has = has || a.stem(tok) == "protect";
        }
        CHECK(has);
    }
    // Enough full matches: no partial ones.
    request.query = "model risk";
    request.limit = 3;
    SearchResult enough = searcher.search(request);
    REQUIRE(enough.total >= 3);
    for (const auto& h : enough.hits)
        CHECK_FALSE(h.partial);
    CHECK(enough.partial_total == 0);
}

TEST_CASE("search: stop words and words in most records only add weight beside rarer words",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.limit = 100;
    request.query = "whistleblower";
    const std::uint64_t rare = searcher.search(request).total;
    request.query = "the whistleblower";
    CHECK(searcher.search(request).total == rare); // "the" is a stop word
    request.query = "risk whistleblower";          // "risk" is in over 20% of the records
    // Weights compared below: no code prior, which depends on which records lead each search.
    SearcherOptions loose_options = test::searcher_options(index);
    loose_options.ranking.code_prior = 0;
    SearchResult loose = Searcher(index, loose_options).search(request);
    CHECK(loose.total == rare);
    SearcherOptions strict_options = std::move(loose_options);
    strict_options.ranking.common_cutoff = 0;
    Searcher strict(index, std::move(strict_options));
    SearchResult tight = strict.search(request);
    const std::uint64_t both = tight.total;
    CHECK(both < rare);
    // Records with both words are among them, with the common word's weight added.
    for (const auto& h : tight.hits) {
        if (h.partial)
            continue;
        auto it = std::find_if(loose.hits.begin(), loose.hits.end(),
                               [&](const Hit& l) { return l.record.id == h.record.id; });
        REQUIRE(it != loose.hits.end());
        CHECK(it->score == Approx(h.score));
    }
    // "+risk" keeps it required; a query of common words alone requires them all.
    request.query = "+risk whistleblower";
    CHECK(searcher.search(request).total == both);
    request.query = "the";
    CHECK(searcher.search(request).total > 0);
}

TEST_CASE("search: paging, sorting and filters by year", "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.query = "risk";
    request.limit = 100;
    const std::vector<std::string> all = test::ids_of(searcher.search(request));
    REQUIRE(all.size() > 12);
    request.offset = 5;
    request.limit = 4;
    SearchResult page = searcher.search(request);
    CHECK(test::ids_of(page) == std::vector<std::string>(all.begin() + 5, all.begin() + 9));
    CHECK(page.hits.front().rank == 6);

    request.offset = 0;
    request.limit = 100;
    request.sort = SortOrder::year;
    std::optional<int> last;
    for (const auto& h : searcher.search(request).hits) {
        if (last && h.record.source.year)
            CHECK(*h.record.source.year <= *last);
        if (h.record.source.year)
            last = h.record.source.year;
    }
    request.sort = SortOrder::id;
    const auto by_id = test::ids_of(searcher.search(request));
    CHECK(std::is_sorted(by_id.begin(), by_id.end()));

    request.sort = SortOrder::relevance;
    request.filters = {{"year", "2024"}};
    SearchResult y = searcher.search(request);
    CHECK(y.total > 0);
    for (const auto& h : y.hits)
        CHECK(h.record.source.year == std::optional<int>(2024));
    request.filters.clear();
    request.query = "risk year:..2023";
    for (const auto& h : searcher.search(request).hits)
        CHECK(h.record.source.year.value_or(0) <= 2023);
}

TEST_CASE("search: the pages of a reranked search neither repeat nor skip a record",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    SearcherOptions options = test::searcher_options(index);
    options.ranking.common_cutoff = 0; // "model" and "risk" are in most records: keep them words
    Searcher searcher(index, std::move(options));
    // Between 10 and 20 full matches, and partial matches that reranking may lift among them.
    for (const char* query : {"model training", "model system", "risk safety"}) {
        INFO(query);
        auto ids = [&](std::size_t offset, std::size_t limit) {
            SearchRequest request;
            request.query = query;
            request.offset = offset;
            request.limit = limit;
            std::vector<std::string> out;
            for (const auto& h : searcher.search(request).hits)
                out.push_back(h.record.id);
            return out;
        };
        const std::vector<std::string> both = ids(0, 20);
        REQUIRE(both.size() == 20);
        std::vector<std::string> pages = ids(0, 10);
        const std::vector<std::string> second = ids(10, 10);
        pages.insert(pages.end(), second.begin(), second.end());
        CHECK(pages == both);
    }
}

TEST_CASE("search: a full match without a stop word of the query counts as matching part of it",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    for (bool in_memory : {true, false}) {
        Searcher searcher(index, test::searcher_options(index, in_memory));
        SearchRequest request;
        request.query = "whistleblower when"; // "when" is a stop word: it only adds weight
        request.explain = true;
        SearchResult r = searcher.search(request);
        REQUIRE(r.total >= 2);
        bool without = false;
        for (const auto& h : r.hits) {
            CHECK_FALSE(h.partial);
            REQUIRE(h.explain.size() >= 2);
            const bool has_stop_word = h.explain[1].label == "when" && h.explain[1].weight > 0;
            bool coordination = false;
            for (const auto& part : h.explain)
                coordination = coordination || part.label == "(not every word: coordination)";
            CHECK(coordination == !has_stop_word);
            without = without || !has_stop_word;
        }
        CHECK(without); // records without "when" are among the full matches
    }
}

TEST_CASE("search: --explain parts add up to the score and name their fields", "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    for (bool in_memory : {true, false}) {
        SearcherOptions options = test::searcher_options(index, in_memory);
        options.ranking.common_cutoff = 0; // "risk" is in most records: keep it required here
        Searcher searcher(index, std::move(options));
        SearchRequest request;
        request.query = "board risk";
        request.explain = true;
        SearchResult r = searcher.search(request);
        REQUIRE_FALSE(r.hits.empty());
        CHECK_THAT(r.ranking, Catch::Contains("BM25"));
        for (const auto& h : r.hits) {
            // The two words, then what reranking changed: "(not every word: coordination)" for a
            // partial match, "(code prior CODE)" for a record coded like the best results.
            REQUIRE(h.explain.size() >= 2);
            double sum = 0;
            for (const auto& p : h.explain)
                sum += p.weight;
            CHECK(sum == Approx(h.score).epsilon(1e-9));
            bool coordination = false;
            for (std::size_t i = 2; i < h.explain.size(); ++i) {
                const std::string& label = h.explain[i].label;
                coordination = coordination || label == "(not every word: coordination)";
                CHECK((label == "(not every word: coordination)" ? h.explain[i].weight < 0
                                                                 : h.explain[i].weight > 0));
                CHECK(label.front() == '(');
            }
            CHECK(coordination == h.partial);
            if (h.partial)
                continue; // matches one word only
            CHECK(h.explain[0].label == "board");
            for (std::size_t i = 0; i < 2; ++i) {
                CHECK(h.explain[i].weight > 0);
                CHECK_FALSE(h.explain[i].fields.empty());
            }
        }
    }
}

TEST_CASE("search: similar records share the record's telling words and leave it out",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.limit = 5;
    SearchResult r = searcher.similar("AIRM-0018", request); // an independent whistleblower intake
    REQUIRE(r.hits.size() == 5);
    for (const auto& h : r.hits)
        CHECK(h.record.id != "AIRM-0018");
    CHECK_THAT(r.parsed, Catch::Contains("similar to AIRM-0018") && Catch::Contains("whistleblow"));
    // The most similar record is another whistleblowing one (1.4), found through the record's
    // own rare words, not its source.
    CHECK(r.hits.front().record.facets.at("category") == std::vector<std::string>{"1.4"});
    CHECK_THROWS_AS(searcher.similar("NO-SUCH-ID", request), NotFound);
}

TEST_CASE("cli: airm search --json on the bundled corpus has the documented shape",
          "[query][cli]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    json r = run_json("search --db " + test::shell_quote(db) + " --json 'red teaming'");
    CHECK(r["schema"] == 1);
    CHECK(r["query"] == "red teaming");
    CHECK(r["total"].get<int>() >= 1);
    CHECK(r["did_you_mean"].is_null());
    REQUIRE_FALSE(r["results"].empty());
    const json& hit = r["results"][0];
    for (const char* key : {"rank", "id", "title", "score", "snippet", "facets", "source"})
        CHECK(hit.contains(key));
    const json& snippet = hit["snippet"];
    CHECK_THAT(snippet["html"].get<std::string>(), Catch::Contains("<mark>"));
    for (const auto& m : snippet["marks"]) {
        const std::string text = snippet["text"];
        const auto b = m[0].get<std::size_t>(), e = m[1].get<std::size_t>();
        REQUIRE(e <= text.size());
        CHECK(b < e);
    }
    CHECK(hit["facets"]["category"][0].contains("name"));
    const json& cat = r["facets"]["category"];
    REQUIRE(cat.is_array());
    CHECK(cat[0].contains("children"));
    CHECK(cat[0].contains("name"));
    CHECK(r["facets"].contains("actor"));

    // A filter with drill-sideways counts.
    json f = run_json("search --db " + test::shell_quote(db) +
                      " --json --filter category=3.1 --facets category --limit 50 model");
    CHECK(f["drill_sideways"] == json::array({"category"}));
    for (const auto& h : f["results"]) {
        bool in = false;
        for (const auto& c : h["facets"]["category"])
            in = in || c["value"] == "3.1";
        CHECK(in);
    }

    // Spelling.
    json s = run_json("search --db " + test::shell_quote(db) + " --json whistleblowr");
    CHECK(s["did_you_mean"] == "whistleblower");
    json c =
        run_json("search --db " + test::shell_quote(db) + " --json --auto-correct whistleblowr");
    CHECK(c["corrected"] == true);
    CHECK(c["query"] == "whistleblower");
    CHECK(c["total"].get<int>() > 0);
}

TEST_CASE("cli: airm search --batch runs a query file with the index opened once", "[query][cli]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    const std::string queries = dir.write(
        "q.jsonl",
        "{\"q\": \"red teaming\"}\n{\"q\": \"model\", \"filter\": {\"category\": \"3.1\"}}\n\n"
        "{\"q\": \"risk\", \"filter\": {\"category\": [\"1\", \"2\"]}}\n");
    auto r = test::run_airm("search --db " + test::shell_quote(db) + " --batch " +
                            test::shell_quote(queries));
    REQUIRE(r.exit_code == 0);
    std::vector<json> lines;
    std::size_t start = 0;
    while (start < r.out.size()) {
        const std::size_t nl = r.out.find('\n', start);
        lines.push_back(json::parse(r.out.substr(start, nl - start)));
        start = nl + 1;
    }
    REQUIRE(lines.size() == 3);
    for (const auto& l : lines) {
        CHECK(l["schema"] == 1);
        CHECK(l["took_ms"].get<double>() >= 0);
        // Default batch facets: the bundled corpus has all three.
        CHECK(l["facets"].contains("category"));
        CHECK(l["facets"].contains("lifecycle"));
        CHECK(l["facets"].contains("actor"));
    }
    CHECK(lines[1]["drill_sideways"] == json::array({"category"}));

    const std::string bad = dir.write("bad.jsonl", "{\"q\": \"ok\"}\nnot json\n");
    auto e = test::run_airm("search --db " + test::shell_quote(db) + " --batch " +
                            test::shell_quote(bad));
    CHECK(e.exit_code != 0);
    CHECK_THAT(e.err, Catch::Contains("line 2 of"));
}

TEST_CASE("cli: airm facets, airm similar, terminal output and errors", "[query][cli]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    const std::string q = " --db " + test::shell_quote(db);
    json f = run_json("facets" + q + " --json");
    CHECK(f["schema"] == 1);
    CHECK(f["total"] == 92);
    std::uint64_t roots = 0;
    for (const auto& n : f["facets"]["category"])
        roots += n["count"].get<std::uint64_t>();
    CHECK(roots >= 92); // every record under at least one root
    json fq = run_json("facets" + q + " --json --filter actor=Deployer");
    CHECK(fq["total"].get<int>() < 92);

    json s = run_json("similar AIRM-0046" + q + " --json --limit 3");
    CHECK(s["results"].size() == 3);
    for (const auto& h : s["results"])
        CHECK(h["id"] != "AIRM-0046");

    auto text = test::run_airm("search" + q + " 'red teaming' --explain");
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("Red teaming before each major release"));
    CHECK_THAT(text.out, Catch::Contains("score") && Catch::Contains("category"));
    CHECK(text.out.find("\033[") == std::string::npos); // no styling when not a terminal

    auto strict = test::run_airm("search" + q + " --strict '\"red teaming'");
    CHECK(strict.exit_code == 1);
    CHECK_THAT(strict.err, Catch::Contains("column 1"));
    auto lenient = test::run_airm("search" + q + " '\"red teaming'");
    CHECK(lenient.exit_code == 0);
    CHECK_THAT(lenient.err, Catch::Contains("read as plain words"));
    auto bad_filter = test::run_airm("search" + q + " --filter colour=red risk");
    CHECK(bad_filter.exit_code == 1);
    CHECK_THAT(bad_filter.err, Catch::Contains("no facet 'colour'"));
    auto missing = test::run_airm("similar NOPE" + q);
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("NOPE"));
}

TEST_CASE("search: check_filter and search refuse filters no record can match, naming the nearest",
          "[query][search]") {
    TempDir dir;
    Index index = Index::open(test::build_corpus_index(dir));
    Searcher searcher(index, test::searcher_options(index));
    std::vector<std::string> actors;
    for (const auto& [value, count] : index.facet_counts("actor"))
        actors.push_back(value);
    REQUIRE_FALSE(actors.empty());
    const std::string near = actors.front().substr(0, actors.front().size() - 1) + "x";
    for (const Filter& f : {Filter{"actor", near}, Filter{"actr", actors.front()}}) {
        INFO("filter " << f.field << "=" << f.value);
        SearchRequest request;
        request.query = "model";
        request.filters = {f};
        for (int via_search = 0; via_search < 2; ++via_search) {
            try {
                if (via_search == 1)
                    (void)searcher.search(request);
                else
                    check_filter(index, f);
                FAIL("the filter was accepted");
            } catch (const FilterError& e) {
                CHECK(e.filter().field == f.field);
                CHECK(e.unknown_field() == (f.field == "actr"));
                REQUIRE_FALSE(e.nearest().empty());
                CHECK(e.nearest().front() == (f.field == "actr" ? "actor" : actors.front()));
            }
        }
    }
    // Known values, taxonomy names of hierarchical facets and year ranges pass.
    check_filter(index, Filter{"actor", actors.front()});
    check_filter(index, Filter{"category", "Testing & Auditing"});
    check_filter(index, Filter{"year", "2023..2025"});
}

TEST_CASE("search: ranking settings refuse NaN, infinity and values out of range",
          "[query][search]") {
    for (const char* bad : {"k1=nan", "b=inf", "title=-1", "b=1.5", "common=2", "k1=101"}) {
        INFO(bad);
        RankingOptions r;
        CHECK_THROWS_AS(r.set(bad), InvalidInput);
    }
    RankingOptions r;
    r.set("k1=2 b=1 common=0 title=0.5");
    CHECK(r.k1 == 2);
    CHECK(r.b == 1);
    CHECK(r.title_boost == 0.5);
}
