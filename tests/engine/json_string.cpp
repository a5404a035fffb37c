// The one JSON string escaper (engine/json_string.hpp), behind stored records and search results:
// its bytes are nlohmann's dump() of the same string, on every alignment of its 8-byte fast path,
// and invalid UTF-8 is either refused untouched or written with one U+FFFD a bad byte.

#include "engine/json_string.hpp"

#include "engine/utf8.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

std::string reference(const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false);
}

/// `text` with every byte that starts no valid UTF-8 character replaced by U+FFFD.
std::string replaced(std::string text) {
    while (auto at = airm::utf8::first_invalid(text)) {
        text.replace(*at, 1, "\xEF\xBF\xBD");
    }
    return text;
}

/// Random strings built from pieces that hit every escape, multi-byte UTF-8, plain runs shorter
/// and longer than 8 bytes and, when `invalid`, bytes that break UTF-8.
std::vector<std::string> random_strings(bool invalid, int count) {
    std::vector<std::string> pieces = {"a",
                                       "plain words ",
                                       "abcdefgh",
                                       "\"",
                                       "\\",
                                       "\n",
                                       "\t",
                                       "\r",
                                       "\b",
                                       "\f",
                                       "\x01",
                                       "\x1f",
                                       "\x7f",
                                       "\xc3\xa9",
                                       "\xe6\xbc\xa2",
                                       "\xf0\x9f\x9a\x80",
                                       "\xef\xbf\xbd",
                                       "/",
                                       std::string(1, '\0')};
    if (invalid) {
        for (const char* bad : {"\x80", "\xc3", "\xe6\xbc", "\xff", "\xed\xa0\x80", "\xc0\xaf"}) {
            pieces.push_back(bad);
        }
    }
    std::mt19937 rng(invalid ? 41 : 7);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        std::string s;
        const unsigned n = rng() % 30;
        for (unsigned p = 0; p < n; ++p) {
            s += pieces[rng() % pieces.size()];
        }
        out.push_back(s);
    }
    return out;
}

} // namespace

TEST_CASE("a valid string is written with the bytes of nlohmann's dump", "[json_string]") {
    std::vector<std::string> cases = {
        "",
        "a",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
        "quote \" and backslash \\ at byte 13",
        "0123456\x01",
        "01234567\x1f",
        "\x7f del is not escaped",
        "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x9a\x80 and U+FFFD \xef\xbf\xbd"};
    for (const auto& s : random_strings(false, 3000)) {
        cases.push_back(s);
    }
    for (const auto& text : cases) {
        INFO("text: " << nlohmann::json(text).dump());
        REQUIRE_FALSE(airm::utf8::first_invalid(text));
        std::string checked = "prefix";
        REQUIRE(airm::append_json_string_if_valid(checked, text));
        CHECK(checked == "prefix" + reference(text));
        std::string always = "prefix";
        airm::append_json_string(always, text);
        CHECK(always == checked);
    }
}

TEST_CASE("an invalid string is refused untouched, or written with U+FFFD for each bad byte",
          "[json_string]") {
    std::vector<std::string> cases = {"\x80", "abcdefgh\xff", "cut at the end \xc3",
                                      "surrogate \xed\xa0\x80 here", "overlong \xc0\xaf"};
    for (const auto& s : random_strings(true, 3000)) {
        if (airm::utf8::first_invalid(s)) {
            cases.push_back(s);
        }
    }
    REQUIRE(cases.size() > 1000);
    for (const auto& text : cases) {
        INFO("text: " << nlohmann::json(text).dump(-1, ' ', true,
                                                   nlohmann::json::error_handler_t::replace));
        std::string checked = "prefix";
        CHECK_FALSE(airm::append_json_string_if_valid(checked, text));
        CHECK(checked == "prefix");
        std::string fixed = "prefix";
        airm::append_json_string(fixed, text);
        CHECK(fixed == "prefix" + reference(replaced(text)));
    }
}
