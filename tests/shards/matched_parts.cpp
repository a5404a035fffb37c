// detail::matched_parts on a small local database: which parts each document matches, read from
// the weights of one match.

#include "query/search/detail/shard_search.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <xapian.h>

using airm::test::TempDir;

TEST_CASE("matched_parts reads a part that matches every document as matched by each", "[shards]") {
    TempDir dir;
    const std::string path = dir.file("db");
    {
        Xapian::WritableDatabase writer(path, Xapian::DB_CREATE);
        const std::vector<std::pair<std::vector<std::string>, std::string>> docs = {
            {{"apple", "pear"}, "one"}, {{"pear"}, "two"}, {{"plum"}, "three"}};
        for (const auto& [terms, value] : docs) {
            Xapian::Document doc;
            for (const auto& term : terms)
                doc.add_term(term);
            doc.add_value(0, value);
            writer.add_document(doc);
        }
        writer.commit();
    }
    const Xapian::Database db(path);
    const std::vector<std::string> every = {"apple", "pear", "plum"};
    const Xapian::Query docs(Xapian::Query::OP_OR, every.begin(), every.end());
    // As the query compiler writes "every record" (weight 0), and plain MatchAll.
    const std::vector<Xapian::Query> parts = {
        Xapian::Query("apple"),
        Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query::MatchAll, 0.0),
        Xapian::Query::MatchAll, Xapian::Query("pear")};
    const auto found = airm::detail::matched_parts(db, docs, parts, 0, 10);
    REQUIRE(found);
    REQUIRE(found->size() == 3);
    CHECK(found->at(1).parts == 0b1111U);
    CHECK(found->at(1).value == "one");
    CHECK(found->at(2).parts == 0b1110U);
    CHECK(found->at(3).parts == 0b0110U);
}
