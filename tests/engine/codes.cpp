/// Dotted taxonomy codes, coded facet values and taxonomies derived from data.

#include "engine/codes.hpp"

#include "engine/error.hpp"
#include "engine/taxonomy.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

TEST_CASE("codes: what has the shape of a taxonomy code", "[codes]") {
    const std::vector<std::pair<const char*, bool>> cases = {
        {"2", true},    {"2.2", true},   {"2.2.2", true}, {"1.X", true},     {"X.X", true},
        {"A1.3", true}, {"10.12", true}, {"AI", false},   {"", false},       {"2.", false},
        {".2", false},  {"2..2", false}, {"risk", false}, {"3.1a-b", false},
    };
    for (const auto& [input, expected] : cases) {
        INFO("input: " << input);
        CHECK(airm::is_code(input) == expected);
    }
}

TEST_CASE("codes: a facet value that begins with a code is that code and its name", "[codes]") {
    struct Case {
        const char* value;
        const char* code; ///< nullptr when the value is not coded
        const char* name;
    };
    const std::vector<Case> cases = {
        {"3.1 Testing & Auditing", "3.1", "Testing & Auditing"},
        {"6.5 > Governance failure", "6.5", "Governance failure"},
        {"  2.2.2  ", "2.2.2", ""},
        {"3.1: Testing", "3.1", "Testing"},
        {"3.1. Testing", "3.1", "Testing"},
        {"4.2 – Name with dash", "4.2", "Name with dash"},
        {"X.X Control not otherwise categorized", "X.X", "Control not otherwise categorized"},
        {"1.X", "1.X", ""},
        {"Deploy", nullptr, nullptr},
        {"Operate and Monitor", nullptr, nullptr},
    };
    for (const auto& c : cases) {
        INFO("value: " << c.value);
        auto coded = airm::parse_coded_value(c.value);
        if (c.code == nullptr) {
            CHECK(!coded);
            continue;
        }
        REQUIRE(coded);
        CHECK(coded->code == c.code);
        CHECK(coded->name == c.name);
    }
}

TEST_CASE("codes: parents, paths and taxonomy order", "[codes]") {
    CHECK(airm::parent_code("2.2.2") == "2.2");
    CHECK(airm::parent_code("2") == "");
    CHECK(airm::code_path("2.2.2") == std::vector<std::string>{"2", "2.2", "2.2.2"});
    CHECK(airm::code_path("4") == std::vector<std::string>{"4"});
    std::vector<std::string> codes = {"1.10", "X.X", "1.X", "1.9", "2", "1", "10", "1.2.1"};
    std::sort(codes.begin(), codes.end(),
              [](const auto& a, const auto& b) { return airm::code_less(a, b); });
    CHECK(codes == std::vector<std::string>{"1", "1.2.1", "1.9", "1.10", "1.X", "2", "10", "X.X"});
}

TEST_CASE("taxonomy: derived from data, codes and names come from the values",
          "[codes][taxonomy]") {
    airm::Taxonomy t("category");
    for (const char* value :
         {"6.5 > Governance failure", "6.2 > Weak oversight", "7.1", "6.5 Other name"}) {
        auto coded = airm::parse_coded_value(value);
        REQUIRE(coded);
        t.add_from_data(coded->code, coded->name);
    }
    CHECK(t.codes() == std::vector<std::string>{"6", "6.2", "6.5", "7", "7.1"});
    CHECK(t.roots() == std::vector<std::string>{"6", "7"});
    CHECK(t.children("6") == std::vector<std::string>{"6.2", "6.5"});
    CHECK(t.name_of("6.5") == "Governance failure"); // the first name seen wins
    CHECK(t.name_of("6.2") == "Weak oversight");
    CHECK(t.name_of("6").empty());
    CHECK(!t.curated());
}

TEST_CASE("taxonomy: airm-taxonomy JSON round-trips and starts with format and version",
          "[codes][taxonomy]") {
    airm::Taxonomy t("category");
    t.set_title("Test taxonomy");
    t.add({"1", "", "Governance", "Oversight bodies", {"boards"}, false});
    t.add({"1.1", "", "Board Structure", "", {}, false});
    t.add_from_data("1.X", "Catch-all");
    const std::string json = t.to_json();
    const auto format_at = json.find("\"format\"");
    const auto version_at = json.find("\"version\"");
    REQUIRE(format_at != std::string::npos);
    REQUIRE(version_at != std::string::npos);
    // The format name is the first key and the version the second.
    CHECK(json.find_first_not_of("{ \n") == format_at);
    CHECK(version_at < json.find("\"facet\""));

    airm::Taxonomy back = airm::Taxonomy::from_json(json, "test");
    CHECK(back.codes() == t.codes());
    CHECK(back.facet() == "category");
    CHECK(back.title() == "Test taxonomy");
    CHECK(back.name_of("1.1") == "Board Structure");
    REQUIRE(back.find("1") != nullptr);
    CHECK(back.find("1")->examples == std::vector<std::string>{"boards"});
    REQUIRE(back.find("1.X") != nullptr);
    CHECK(back.find("1.X")->from_data);
    CHECK(back.curated());

    // Another format version is refused, naming both versions.
    std::string v2 = json;
    v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
    try {
        (void)airm::Taxonomy::from_json(v2, "tax.json");
        FAIL("version 2 was accepted");
    } catch (const airm::VersionMismatch& e) {
        const std::string msg = e.what();
        CHECK(msg.find("tax.json") != std::string::npos);
        CHECK(msg.find('2') != std::string::npos);
        CHECK(msg.find('1') != std::string::npos);
    }
}

TEST_CASE("taxonomy: nearest codes prefer siblings", "[codes][taxonomy]") {
    airm::Taxonomy t("category");
    for (const char* code : {"1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3", "2.4"}) {
        t.add({code, "", std::string("name ") + code, "", {}, false});
    }
    auto near = t.nearest("2.9");
    REQUIRE(near.size() == 3);
    for (const auto& code : near) {
        CHECK(airm::parent_code(code) == "2");
    }
    CHECK(near.front() == "2.4");
}
