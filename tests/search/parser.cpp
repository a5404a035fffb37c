/// The query language: how queries parse (a table of inputs, trees and the Xapian queries they
/// become), and how malformed ones are read leniently or refused with the column.

#include "query/search/parser.hpp"

#include "engine/error.hpp"
#include "engine/metadata.hpp"
#include "query/search/detail/xapian_query.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace airm;

namespace {

struct Fixture {
    QuerySyntax syntax{{"category", "actor"}};
    IndexMetadata meta = IndexMetadata::fresh();
    Analyzer analyzer;

    Fixture() {
        meta.ensure_facet("category", true);
        meta.ensure_facet("actor", false);
        Taxonomy t("category");
        t.add(TaxonomyNode{"3", "", "Operational Process Controls", "", {}, false});
        t.add(TaxonomyNode{"3.1", "3", "Testing & Auditing", "", {}, false});
        meta.taxonomies["category"] = t;
    }

    std::string xapian(const std::string& q) {
        detail::CompileContext ctx{
            analyzer, meta, nullptr, 0.8, 0.0, &detail::stopwords_for("english"), 0.0, {}, 0};
        return detail::to_xapian(detail::compile_query(parse_query(q, syntax), q, ctx).query)
            .get_description();
    }
};

} // namespace

TEST_CASE("parser: well-formed queries become the expected tree and Xapian query",
          "[query][parser]") {
    Fixture f;
    struct Row {
        const char* query;
        const char* tree;
        const char* xapian;
    };
    const Row rows[] = {
        {"red teaming", "AND(word:red, word:teaming)", "Query((Zred AND Zteam))"},
        {"audit OR evaluation", "OR(word:audit, word:evaluation)", "Query((Zaudit OR Zevalu))"},
        {"incident -cyber", "AND(word:incident, NOT word:cyber)", "Query((Zincid AND_NOT Zcyber))"},
        {"incident NOT cyber", "AND(word:incident, NOT word:cyber)",
         "Query((Zincid AND_NOT Zcyber))"},
        {"NOT cyber", "NOT word:cyber", "Query((0 * <alldocuments> AND_NOT Zcyber))"},
        {"+watermark", "+word:watermark", "Query(Zwatermark)"},
        {"audit AND review", "AND(word:audit, word:review)", "Query((Zaudit AND Zreview))"},
        {"\"model weights\"", "phrase:\"model weights\"", "Query((model PHRASE 2 weights))"},
        {"\"testing\"", "phrase:\"testing\"", "Query(testing)"},
        {"(audit OR review) external", "AND(OR(word:audit, word:review), word:external)",
         "Query(((Zaudit OR Zreview) AND Zextern))"},
        {"title:board", "title:word:board", "Query(ZSboard)"},
        {"reasoning:alignment", "reasoning:word:alignment", "Query(ZXRalign)"},
        {"title:\"risk committee\"", "title:phrase:\"risk committee\"",
         "Query(((risk PHRASE 2 committee) AND ZSrisk AND ZScommitte))"},
        {"title:(board OR committee)", "OR(title:word:board, title:word:committee)",
         "Query((ZSboard OR ZScommitte))"},
        {"whistle*", "prefix:whistle*", "Query(WILDCARD SYNONYM whistle)"},
        {"category:3.1", "category=3.1", "Query(0 * XFcategory:3.1)"},
        {"category:\"3.1 Testing & Auditing\"", "category=3.1 Testing & Auditing",
         "Query(0 * XFcategory:3.1)"},
        {"actor:Developer", "actor=Developer", "Query(0 * XFactor:developer)"},
        {"audit category:3", "AND(word:audit, category=3)", "Query((Zaudit AND 0 * XFcategory:3))"},
        {"year:2024", "year=2024..2024", "Query(VALUE_RANGE 1 \\xcf\\xe8 \\xcf\\xe8)"},
        {"year:..2020", "year=..2020", "Query(VALUE_LE 1 \\xcf\\xe4)"},
        // Codes, compounds and numbers match exactly; a hyphenated word also as one word.
        {"2.2.2", "word:2.2.2", "Query(2.2.2)"},
        {"GPT-4", "word:GPT-4", "Query(((gpt PHRASE 2 4) OR gpt4))"},
        {"e-mail", "word:e-mail", "Query(((e PHRASE 2 mail) OR email))"},
        {"ISO/IEC 42001", "AND(word:ISO/IEC, word:42001)", "Query(((iso PHRASE 2 iec) AND 42001))"},
        // Stop words beside other words only add weight.
        {"roll back a model", "AND(word:roll, word:back, word:a, word:model)",
         "Query(((Zroll AND Zback AND Zmodel) AND_MAYBE Za))"},
        {"the", "word:the", "Query(Zthe)"},
        // Case and diacritics fold as at indexing.
        {"ÉCOLE naïve", "AND(word:ÉCOLE, word:naïve)", "Query((Zecol AND Znaiv))"},
        {"", "ALL", "Query(0 * <alldocuments>)"},
    };
    for (const auto& row : rows) {
        INFO("query: " << row.query);
        const ParsedQuery p = parse_query_strict(row.query, f.syntax);
        CHECK(p.notice.empty());
        CHECK(describe(p.root) == row.tree);
        CHECK(f.xapian(row.query) == row.xapian);
    }
}

TEST_CASE("parser: malformed queries are read as plain words, or refused with the column",
          "[query][parser]") {
    Fixture f;
    struct Row {
        const char* query;
        const char* lenient_tree; ///< the plain-words reading
        const char* error_part;   ///< what the strict error says
        int column;
    };
    const Row rows[] = {
        {"\"red teaming", "AND(word:red, word:teaming)", "quote is never closed", 1},
        {"red \"teaming", "AND(word:red, word:teaming)", "quote is never closed", 5},
        {"(audit", "word:audit", "'(' is never closed", 1},
        {"audit)", "word:audit", "')' has no matching '('", 6},
        {"OR audit", "AND(word:OR, word:audit)", "'OR' has nothing on its left", 1},
        {"audit OR", "AND(word:audit, word:OR)", "'OR' has nothing on its right", 7},
        {"audit AND", "AND(word:audit, word:AND)", "'AND' has nothing on its right", 7},
        {"audit NOT", "AND(word:audit, word:NOT)", "is followed by nothing", 7},
        {"title:", "word:title", "'title:' is followed by nothing", 1},
        {"review title: board", "AND(word:review, word:title, word:board)",
         "'title:' is followed by nothing", 8},
        {"year:abc", "AND(word:year, word:abc)", "'abc' is not a year", 6},
        {"year:2025..2023", "AND(word:year, word:2025..2023)", "runs backwards", 6},
        {"()", "ALL", "parentheses are empty", 2},
        {"é (audit", "AND(word:é, word:audit)", "'(' is never closed", 3},
    };
    for (const auto& row : rows) {
        INFO("query: " << row.query);
        const ParsedQuery p = parse_query(row.query, f.syntax);
        CHECK(describe(p.root) == row.lenient_tree);
        CHECK_THAT(p.notice,
                   Catch::Contains("read as plain words") && Catch::Contains(row.error_part));
        try {
            (void)parse_query_strict(row.query, f.syntax);
            FAIL("the strict parser accepted a malformed query");
        } catch (const QueryError& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::Contains(row.error_part));
            CHECK_THAT(message, Catch::Contains("(column " + std::to_string(row.column) + ")"));
            CHECK_THAT(message, Catch::Contains(row.query));
        }
        // A malformed query still compiles into something runnable.
        CHECK_NOTHROW(f.xapian(row.query));
    }
}

TEST_CASE("parser: an unknown field is text, a facet value outside the taxonomy is refused",
          "[query][parser]") {
    Fixture f;
    // "foo" is no field, so "foo:bar" is searched as the text it is.
    const ParsedQuery p = parse_query_strict("foo:bar", f.syntax);
    CHECK(describe(p.root) == "word:foo:bar");
    CHECK(f.xapian("foo:bar") == "Query((foo PHRASE 2 bar))");
    CHECK(p.notice.empty());
    // ... but a name close to a field's is most likely a misspelt field: the search says so.
    struct Row {
        const char* query;
        const char* hint; ///< empty: no hint
    };
    const Row rows[] = {
        {"texts:model", "'texts' is not a field, so 'texts:model' was searched as text; did you "
                        "mean 'text:model'?"},
        {"Title:board", "did you mean 'title:board'?"},
        {"categroy:3.1", "did you mean 'category:3.1'?"},
        {"reason:safety", "did you mean 'reasoning:safety'?"},
        {"audit yeer:2024", "did you mean 'year:2024'?"},
        {"ISO:27001", ""},
        {"http://example.org", ""},
        {"gpt:4", ""},
        {"title:board", ""},
    };
    for (const auto& row : rows) {
        INFO("query: " << row.query);
        const ParsedQuery parsed = parse_query(row.query, f.syntax);
        if (std::string(row.hint).empty()) {
            CHECK(parsed.notice.empty());
        } else {
            CHECK_THAT(parsed.notice, Catch::Contains(row.hint));
            CHECK(parse_query_strict(row.query, f.syntax).notice == parsed.notice);
        }
    }
    try {
        (void)f.xapian("category:9.9");
        FAIL("a code outside the taxonomy was accepted");
    } catch (const QueryError& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::Contains("'9.9'") && Catch::Contains("airm taxonomy"));
    }
    // A taxonomy name instead of a code is understood.
    CHECK(f.xapian("category:\"testing & auditing\"") == "Query(0 * XFcategory:3.1)");
}

TEST_CASE(
    "parser: every leading '-' or '+' binds to the next term, never to a compound inside a word",
    "[query][parser]") {
    Fixture f;
    CHECK(describe(parse_query_strict("-\"model weights\"", f.syntax).root) ==
          "NOT phrase:\"model weights\"");
    CHECK(describe(parse_query_strict("-(a OR b)", f.syntax).root) == "NOT OR(word:a, word:b)");
    CHECK(describe(parse_query_strict("state-of-the-art", f.syntax).root) ==
          "word:state-of-the-art");
    CHECK(describe(parse_query_strict("NOT NOT audit", f.syntax).root) == "word:audit");
}

TEST_CASE("parser: nesting is bounded at 100 levels, refused beyond with the fix",
          "[query][parser][limits]") {
    Fixture f;
    auto nested = [](int levels, const std::string& open) {
        std::string q;
        for (int i = 0; i < levels; ++i)
            q += open;
        q += "audit";
        if (open == "(")
            q += std::string(static_cast<std::size_t>(levels), ')');
        return q;
    };
    for (const std::string open : {"(", "NOT "}) {
        INFO("nesting with '" << open << "'");
        CHECK_NOTHROW(parse_query_strict(nested(100, open), f.syntax));
        CHECK_THROWS_WITH(parse_query_strict(nested(101, open), f.syntax),
                          Catch::Contains("nest more than 100 deep"));
        // The default reading falls back to plain words instead of refusing.
        CHECK_THAT(parse_query(nested(5000, open), f.syntax).notice,
                   Catch::Contains("read as plain words"));
    }
}

TEST_CASE("parser: an AND_MAYBE where weights are ignored becomes its first part",
          "[query][parser]") {
    // Xapian 1.4.22 decides from maximum weights it never computed (uninitialised memory) whether
    // such an AND_MAYBE's optional part is required: the matches depended on uninitialised memory.
    using detail::QNode;
    using detail::QOp;
    auto maybe = [](const char* a, const char* b) {
        return QNode::combine(QOp::and_maybe, {QNode::leaf(a), QNode::scaled(QNode::leaf(b), 1.0)});
    };
    auto both = [&] { return QNode::combine(QOp::and_, {maybe("Zb", "ZSb"), QNode::leaf("Zc")}); };
    struct Row {
        QNode query;
        const char* xapian;
    };
    const Row rows[] = {
        {QNode::combine(QOp::and_not, {QNode::leaf("Za"), both()}),
         "Query((Za AND_NOT (Zb AND Zc)))"},
        {QNode::combine(QOp::filter, {QNode::leaf("Za"), both()}),
         "Query((Za FILTER (Zb AND Zc)))"},
        {QNode::scaled(both(), 0.0), "Query(0 * (Zb AND Zc))"},
        // Weighted, the optional part stays: it adds weight.
        {both(), "Query(((Zb AND_MAYBE 1 * ZSb) AND Zc))"},
        {QNode::combine(QOp::and_not, {both(), QNode::leaf("Za")}),
         "Query((((Zb AND_MAYBE 1 * ZSb) AND Zc) AND_NOT Za))"},
    };
    for (const auto& row : rows)
        CHECK(detail::to_xapian(row.query).get_description() == row.xapian);
}
