/// Facet counts: exact over the whole match set, hierarchical roll-up (a record counts once at each
/// ancestor), multi-valued records, drill-sideways counts, checked against a brute-force count over
/// the records, with the in-memory matcher and with Xapian's.

#include "query/search/facets.hpp"

#include "engine/codes.hpp"
#include "engine/record/record.hpp"
#include "search/search_support.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>

using namespace airm;
using airm::test::TempDir;

namespace {

using Counts = std::map<std::string, std::uint64_t>;

std::vector<Record> corpus_records() {
    std::vector<Record> out;
    std::ifstream in(test::corpus_dir() + "/records.jsonl");
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty())
            out.push_back(parse_record(line, "records.jsonl"));
    }
    return out;
}

/// The values a record counts under: hierarchical codes with every ancestor, each once.
std::set<std::string> counted_values(const Record& r, const std::string& facet, bool hierarchical) {
    std::set<std::string> out;
    auto it = r.facets.find(facet);
    if (it == r.facets.end())
        return out;
    for (const auto& v : it->second) {
        if (hierarchical) {
            for (const auto& c : code_path(v))
                out.insert(c);
        } else {
            out.insert(v);
        }
    }
    return out;
}

Counts brute_force(const std::vector<const Record*>& records, const std::string& facet,
                   bool hierarchical) {
    Counts c;
    for (const Record* r : records) {
        for (const auto& v : counted_values(*r, facet, hierarchical))
            ++c[v];
    }
    return c;
}

void flatten(const std::vector<FacetValue>& values, Counts& out) {
    for (const auto& v : values) {
        if (v.count != 0)
            out[v.value] = v.count;
        flatten(v.children, out);
    }
}

Counts counts_of(const SearchResult& result, const std::string& facet) {
    Counts c;
    for (const auto& f : result.facets) {
        if (f.facet == facet)
            flatten(f.values, c);
    }
    return c;
}

const FacetCounts* find_facet(const SearchResult& result, const std::string& facet) {
    for (const auto& f : result.facets) {
        if (f.facet == facet)
            return &f;
    }
    return nullptr;
}

/// Does record r pass a filter of `facet` to any of `values` (codes match everything below them)?
bool passes(const Record& r, const std::string& facet, bool hierarchical,
            const std::set<std::string>& values) {
    for (const auto& v : counted_values(r, facet, hierarchical)) {
        if (values.count(v) != 0)
            return true;
    }
    return false;
}

} // namespace

TEST_CASE("facets: counts over all matches equal a brute-force count over the records",
          "[query][facets]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    const std::vector<Record> records = corpus_records();
    REQUIRE(records.size() == index.record_count());

    for (bool in_memory : {true, false}) {
        Searcher searcher(index, test::searcher_options(index, in_memory));
        for (const char* q :
             {"", "model", "risk OR incident", "training data", "audit -external"}) {
            INFO("query '" << q << "', in memory " << in_memory);
            SearchRequest request;
            request.query = q;
            request.facets = {"category", "actor", "lifecycle"};
            request.limit = records.size();
            SearchResult result = searcher.search(request);
            std::vector<const Record*> matched; // the full matches (partial ones are not counted)
            for (const auto& h : result.hits) {
                if (!h.partial)
                    matched.push_back(&h.record);
            }
            REQUIRE(matched.size() == result.total);
            CHECK(counts_of(result, "category") == brute_force(matched, "category", true));
            CHECK(counts_of(result, "actor") == brute_force(matched, "actor", false));
            CHECK(counts_of(result, "lifecycle") == brute_force(matched, "lifecycle", false));
            // A page of two records still counts the whole match set.
            request.limit = 2;
            CHECK(counts_of(searcher.search(request), "category") == counts_of(result, "category"));
        }
    }
}

TEST_CASE("facets: a hierarchical facet rolls up, each record once per ancestor, multi-valued ones "
          "once per value",
          "[query][facets]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    const std::vector<Record> records = corpus_records();
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.facets = {"category"};
    request.limit = 0;
    SearchResult all = searcher.search(request);
    CHECK(all.total == records.size());
    std::vector<const Record*> every;
    for (const auto& r : records)
        every.push_back(&r);
    const Counts expected = brute_force(every, "category", true);
    CHECK(counts_of(all, "category") == expected);

    // The corpus has records coded twice under one parent: the parent counts them once.
    const FacetCounts* category = find_facet(all, "category");
    REQUIRE(category != nullptr);
    CHECK(category->hierarchical);
    for (const auto& root : category->values) {
        std::uint64_t children = 0;
        for (const auto& c : root.children)
            children += c.count;
        CHECK(root.count <= children); // equal unless some record has two codes below this root
        CHECK_FALSE(root.name.empty());
    }
    bool shared_parent = false;
    for (const auto& r : records) {
        auto codes =
            r.facets.count("category") ? r.facets.at("category") : std::vector<std::string>{};
        std::set<std::string> parents;
        for (const auto& c : codes)
            parents.insert(parent_code(c));
        shared_parent = shared_parent || parents.size() < codes.size();
    }
    CHECK(shared_parent); // the check above was exercised
    // Tree order follows the taxonomy: roots ascending.
    for (std::size_t i = 1; i < category->values.size(); ++i) {
        CHECK(code_less(category->values[i - 1].value, category->values[i].value));
    }
}

TEST_CASE("facets: a filtered facet reports drill-sideways counts, the others count the hits",
          "[query][facets]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    const std::vector<Record> records = corpus_records();

    const std::set<std::string> category_filter{"2", "3.1"};
    const std::set<std::string> actor_filter{"Developer"};
    // Brute force: hits pass both filters; category's counts ignore the category filter and
    // actor's ignore the actor filter.
    std::vector<const Record*> hits, without_category, without_actor;
    for (const auto& r : records) {
        const bool c = passes(r, "category", true, category_filter);
        const bool a = passes(r, "actor", false, actor_filter);
        if (c && a)
            hits.push_back(&r);
        if (a)
            without_category.push_back(&r);
        if (c)
            without_actor.push_back(&r);
    }
    REQUIRE(hits.size() < without_category.size());

    for (bool in_memory : {true, false}) {
        INFO("in memory " << in_memory);
        Searcher searcher(index, test::searcher_options(index, in_memory));
        SearchRequest request;
        request.filters = {{"category", "2"}, {"category", "3.1"}, {"actor", "developer"}};
        request.facets = {"category", "actor", "lifecycle"};
        request.limit = records.size();
        SearchResult result = searcher.search(request);
        CHECK(result.total == hits.size());
        CHECK(result.hits.size() == hits.size());
        for (const auto& h : result.hits) {
            CHECK(passes(h.record, "category", true, category_filter));
            CHECK(passes(h.record, "actor", false, actor_filter));
        }
        CHECK(counts_of(result, "category") == brute_force(without_category, "category", true));
        CHECK(counts_of(result, "actor") == brute_force(without_actor, "actor", false));
        CHECK(counts_of(result, "lifecycle") == brute_force(hits, "lifecycle", false));
        CHECK(find_facet(result, "category")->drill_sideways);
        CHECK(find_facet(result, "actor")->drill_sideways);
        CHECK_FALSE(find_facet(result, "lifecycle")->drill_sideways);
        // The filtered values are marked.
        for (const auto& v : find_facet(result, "actor")->values)
            CHECK(v.selected == (v.value == "Developer"));

        // Without counting the facet, its filter is a plain filter.
        request.facets = {"lifecycle"};
        SearchResult plain = searcher.search(request);
        CHECK(plain.total == hits.size());
        CHECK(counts_of(plain, "lifecycle") == brute_force(hits, "lifecycle", false));
    }
}

TEST_CASE("facets: filters on unknown facets or codes are refused, naming the fix",
          "[query][facets]") {
    TempDir dir;
    const std::string db = test::build_corpus_index(dir);
    Index index = Index::open(db);
    Searcher searcher(index, test::searcher_options(index));
    SearchRequest request;
    request.filters = {{"colour", "red"}};
    CHECK_THROWS_WITH(searcher.search(request),
                      Catch::Contains("no facet 'colour'") && Catch::Contains("category"));
    request.filters = {{"category", "9.9"}};
    CHECK_THROWS_WITH(searcher.search(request),
                      Catch::Contains("'9.9'") && Catch::Contains("nearest"));
    request.filters = {{"year", "soon"}};
    CHECK_THROWS_WITH(searcher.search(request), Catch::Contains("year='soon'"));
    request.filters.clear();
    request.facets = {"colour"};
    CHECK_THROWS_WITH(searcher.search(request), Catch::Contains("--facets colour"));
}

TEST_CASE("facets: FacetLayout keeps taxonomy order, names and selected values",
          "[query][facets]") {
    IndexMetadata meta = IndexMetadata::fresh();
    meta.ensure_facet("category", true);
    Taxonomy t("category");
    t.add(TaxonomyNode{"1", "", "One", "", {}, false});
    t.add(TaxonomyNode{"1.2", "1", "One two", "", {}, false});
    t.add(TaxonomyNode{"1.10", "1", "One ten", "", {}, false});
    t.add(TaxonomyNode{"2", "", "Two", "", {}, false});
    meta.taxonomies["category"] = t;
    FacetLayout layout("category", meta);
    FacetCounts c = layout.build({{"1", 3}, {"1.10", 2}, {"1.2", 1}}, {"2"});
    REQUIRE(c.values.size() == 2);
    CHECK(c.values[0].value == "1");
    CHECK(c.values[0].name == "One");
    REQUIRE(c.values[0].children.size() == 2);
    CHECK(c.values[0].children[0].value == "1.2"); // 1.2 before 1.10
    CHECK(c.values[0].children[1].count == 2);
    CHECK(c.values[1].value == "2"); // selected, kept with count 0
    CHECK(c.values[1].selected);
    CHECK(c.values[1].count == 0);
}

TEST_CASE("facets: several shards searched as one count and rank as one index", "[query][facets]") {
    TempDir dir;
    // The bundled corpus split in two shards, and whole.
    std::ifstream in(test::corpus_dir() + "/records.jsonl");
    std::string line, first, second;
    for (int i = 0; std::getline(in, line); ++i)
        (i % 2 == 0 ? first : second) += line + "\n";
    IndexOptions options;
    options.taxonomies.push_back(
        load_taxonomy_file(test::corpus_dir() + "/taxonomy.json", "category"));
    index_files(dir.file("a"), {dir.write("a.jsonl", first)}, options);
    index_files(dir.file("b"), {dir.write("b.jsonl", second)}, options);
    Index shards = Index::open(std::vector<std::string>{dir.file("a"), dir.file("b")});
    Index whole = Index::open(test::build_corpus_index(dir));
    Searcher s1(shards, test::searcher_options(shards));
    Searcher s2(whole, test::searcher_options(whole));
    for (const char* q : {"", "model risk", "incident"}) {
        INFO("query '" << q << "'");
        SearchRequest request;
        request.query = q;
        request.facets = {"category", "actor"};
        request.filters = {{"actor", "Developer"}};
        request.limit = 100;
        SearchResult a = s1.search(request), b = s2.search(request);
        CHECK(a.total == b.total);
        CHECK(counts_of(a, "category") == counts_of(b, "category"));
        CHECK(counts_of(a, "actor") == counts_of(b, "actor")); // drill-sideways on the shards too
        std::set<std::string> ia, ib;
        for (const auto& h : a.hits)
            ia.insert(h.record.id);
        for (const auto& h : b.hits)
            ib.insert(h.record.id);
        CHECK(ia == ib);
    }
}
