/// The text field's stem terms are not stored (schema::kDerivedField): a search derives them from
/// the all-fields stem term and the other fields' stem terms. These tests check the derivation
/// against counts written out by hand, over an on-disk and an in-memory index, and through both
/// matchers of the searcher.

#include "query/search/detail/derived_terms.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/schema.hpp"
#include "indexer/build/detail/document_builder.hpp"
#include "indexer/build/ingest.hpp"
#include "query/search/searcher.hpp"
#include "search/search_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace airm;
using airm::test::TempDir;

namespace {

/// Each record holds "audit" (and other words) in different fields.
const char* const kRecords[] = {
    R"({"id": "title-only", "title": "Audit plan", "text": "Plans for review"})",
    R"({"id": "text-twice", "title": "Trails", "text": "Audits and audit trails"})",
    R"({"id": "reasoning-only", "title": "Other", "text": "Nothing here", "reasoning": "Auditing matters"})",
    R"({"id": "every-field", "title": "audit", "text": "audited twice, audit", "reasoning": "audit", "source": {"ref": "Ref1", "title": "Audit Handbook"}})",
    R"({"id": "source-only", "title": "Other", "text": "a review", "source": {"ref": "Ref2", "title": "Audit Guide"}})",
};

/// stem -> record id -> how often the text holds it; every record not listed holds it 0 times.
const std::map<std::string, std::map<std::string, Xapian::termcount>> kExpected = {
    {"audit", {{"text-twice", 2}, {"every-field", 2}}},
    {"plan", {{"title-only", 1}}},
    {"review", {{"title-only", 1}, {"source-only", 1}}},
    {"trail", {{"text-twice", 1}}},
    {"matter", {}},
    {"handbook", {}},
    {"absentword", {}},
};

std::string write_records(const TempDir& dir) {
    const std::string path = dir.file("records.jsonl");
    std::ofstream out(path);
    for (const char* line : kRecords)
        out << line << "\n";
    return path;
}

/// The derived postings of `stems` by record id.
std::map<std::string, Xapian::termcount> derived_by_id(const Xapian::Database& db,
                                                       const std::vector<std::string>& stems) {
    const detail::DerivedPostings postings = detail::derive_postings(db, stems);
    REQUIRE(postings.docids.size() == postings.wdfs.size());
    REQUIRE(std::is_sorted(postings.docids.begin(), postings.docids.end()));
    std::map<std::string, Xapian::termcount> out;
    for (std::size_t i = 0; i < postings.docids.size(); ++i)
        out[db.get_document(postings.docids[i]).get_value(schema::kSlotId)] = postings.wdfs[i];
    return out;
}

void check_derivation(const Xapian::Database& db) {
    REQUIRE(db.get_doccount() == std::size(kRecords));
    for (const auto& [stem, expected] : kExpected) {
        INFO("stem " << stem);
        // The index holds no such term: it is derived.
        CHECK(db.get_termfreq(schema::field_stem_term(schema::kDerivedField, stem)) == 0);
        CHECK(derived_by_id(db, {stem}) == expected);
        for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
            const Xapian::Document doc = db.get_document(*it);
            const std::string id = doc.get_value(schema::kSlotId);
            INFO("record " << id);
            const auto want = expected.count(id) != 0 ? expected.at(id) : 0;
            CHECK(detail::derived_wdf(doc, stem) == want);
        }
    }
    // Several stems (a wildcard) merge as one term: the wdfs of a record add up.
    CHECK(derived_by_id(db, {"audit", "trail", "plan"}) ==
          std::map<std::string, Xapian::termcount>{
              {"text-twice", 3}, {"every-field", 2}, {"title-only", 1}});
    const std::vector<std::string> stems = detail::stems_with_prefix(db, "aud", 10);
    CHECK(std::find(stems.begin(), stems.end(), "audit") != stems.end());
    CHECK(detail::stems_with_prefix(db, "aud", 0).empty());
}

} // namespace

TEST_CASE("derived terms: the text's stem counts follow from the other terms exactly",
          "[query][derived]") {
    TempDir dir;
    const std::string input = write_records(dir);

    SECTION("on disk") {
        const std::string db = dir.file("db");
        index_files(db, {input}, IndexOptions{});
        Index index = Index::open(db);
        check_derivation(detail::IndexAccess::database(index));
    }
    SECTION("in memory") {
        IndexMetadata metadata = IndexMetadata::fresh();
        const auto batch = prepare_batch({input}, IndexOptions{}, metadata);
        Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
        const Analyzer analyzer;
        auto records = RecordStoreWriter::create(dir.path().string(), 0);
        for (const Record& record : batch.records)
            db.add_document(build_document(record, metadata, analyzer, records));
        check_derivation(db);
    }
}

TEST_CASE("derived terms: text field queries find the records holding the word in their text",
          "[query][derived][search]") {
    TempDir dir;
    const std::string db = dir.file("db");
    index_files(db, {write_records(dir)}, IndexOptions{});
    Index index = Index::open(db);
    struct Row {
        const char* query;
        std::set<std::string> ids;
    };
    const Row rows[] = {
        {"text:audit", {"text-twice", "every-field"}},
        {"text:audits", {"text-twice", "every-field"}}, // stemmed like the index
        {"text:plan", {"title-only"}},
        {"title:plan", {"title-only"}},
        {"text:review", {"title-only", "source-only"}},
        {"text:matter", {}},
        {"reasoning:audit", {"reasoning-only", "every-field"}},
        {"text:audit*", {"text-twice", "every-field"}}, // a wildcard of derived terms
        {"text:\"audit trails\"", {"text-twice"}},      // a phrase in the field
        {"text:review -title:plan", {"source-only"}},   // a derived term, negated field
        {"audit -text:audit", {"title-only", "reasoning-only", "source-only"}}, // derived, excluded
        {"text:trail OR text:plan", {"text-twice", "title-only"}},
    };
    for (bool in_memory : {true, false}) {
        Searcher searcher(index, test::searcher_options(index, in_memory));
        for (const Row& row : rows) {
            INFO("query '" << row.query << "', " << (in_memory ? "in-memory" : "Xapian")
                           << " matcher");
            SearchRequest request;
            request.query = row.query;
            request.limit = 10;
            const SearchResult result = searcher.search(request);
            const std::vector<std::string> ids = test::ids_of(result);
            CHECK(std::set<std::string>(ids.begin(), ids.end()) == row.ids);
            CHECK(result.total == row.ids.size());
            for (const auto& hit : result.hits)
                CHECK(hit.score > 0);
        }
    }
}

TEST_CASE("derived terms: several shards score a text query as one index, in both matchers",
          "[query][derived][search]") {
    TempDir dir;
    // The bundled corpus split in two shards, and whole.
    std::ifstream in(test::corpus_dir() + "/records.jsonl");
    std::string line, first, second;
    for (int i = 0; std::getline(in, line); ++i)
        (i % 2 == 0 ? first : second) += line + "\n";
    index_files(dir.file("a"), {dir.write("a.jsonl", first)}, IndexOptions{});
    index_files(dir.file("b"), {dir.write("b.jsonl", second)}, IndexOptions{});
    Index shards = Index::open(std::vector<std::string>{dir.file("a"), dir.file("b")});
    Index whole = Index::open(test::build_corpus_index(dir));
    auto scores = [](Index& index, bool in_memory, const char* query) {
        Searcher searcher(index, test::searcher_options(index, in_memory));
        SearchRequest request;
        request.query = query;
        request.limit = 200;
        std::map<std::string, double> out;
        for (const auto& hit : searcher.search(request).hits)
            out[hit.record.id] = hit.score;
        return out;
    };
    // The second query holds a wildcard, which only Xapian's matcher runs.
    for (const char* query : {"text:model", "text:model text:risk*"}) {
        INFO("query '" << query << "'");
        const auto expected = scores(whole, true, query);
        REQUIRE(!expected.empty());
        for (bool in_memory : {true, false}) {
            INFO((in_memory ? "in-memory" : "Xapian") << " matcher over two shards");
            const auto got = scores(shards, in_memory, query);
            REQUIRE(got.size() == expected.size());
            for (const auto& [id, score] : expected) {
                INFO("record " << id);
                REQUIRE(got.count(id) == 1);
                CHECK(std::fabs(got.at(id) - score) <= 1e-9 * std::max(1.0, score));
            }
        }
    }
}
