// to_json_line writes a record directly; these tests hold it to the bytes of the json object path
// (record_to_json + dump) it replaced, over a table of awkward values, random records and the
// bundled corpus, and check that what it writes parses back to the same record.

#include "engine/record/record.hpp"

#include "engine/record/json.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::Record;

namespace {

std::string reference_line(const Record& record) {
    return airm::record_to_json(record).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

Record make(std::string id, std::string title, std::string text) {
    Record r;
    r.id = std::move(id);
    r.title = std::move(title);
    r.text = std::move(text);
    return r;
}

} // namespace

TEST_CASE("to_json_line: awkward values give the json object's bytes", "[record]") {
    std::vector<Record> cases;
    cases.push_back(make("M-1", "Red teaming", "Test the model."));
    cases.push_back(make("", "", ""));
    cases.push_back(make("q\"uote", "back\\slash", "tab\there\nnew line\r\x08\x0c"));
    cases.push_back(make("ctl", std::string("nul\0byte", 8), "\x01\x1f\x7f end"));
    cases.push_back(
        make("utf8", "caf\xc3\xa9 \xe2\x80\x94 dash", "emoji \xf0\x9f\x98\x80 and \xe2\x80\x99"));
    cases.push_back(make("slash", "a/b </script>", "{\"json\": [1, 2]}"));
    {
        Record r = make("full", "Title", "Text");
        r.reasoning = "because \"so\"";
        r.source.ref = "Ref2024";
        r.source.title = "A \"document\"";
        r.source.authors = "Org\\Lab";
        r.source.year = 2024;
        r.source.url = "https://example.org/a?b=c&d";
        r.facets["category"] = {"3.1", "2.2.2"};
        r.facets["actor"] = {"Developer"};
        r.facets["empty"] = {};
        r.facets["lifecycle"] = {"4 Deploy", "tab\tvalue"};
        cases.push_back(r);
    }
    for (int year : {0, -44, 1}) {
        Record r = make("year", "t", "x");
        r.source.year = year;
        cases.push_back(r);
    }
    {
        Record r = make("partial source", "t", "x");
        r.source.url = "https://example.org";
        cases.push_back(r);
    }
    {
        Record r = make("facet names", "t", "x");
        r.facets["z\"q"] = {"1"};
        r.facets["Actor"] = {"a", "b", "c"};
        cases.push_back(r);
    }
    // Invalid UTF-8 is refused by every loader; it still serialises, with replacement characters.
    cases.push_back(make("bad", "cut \xc3", "lone \x80 byte \xff"));

    for (const Record& record : cases) {
        INFO("id: " << record.id);
        CHECK(airm::to_json_line(record) == reference_line(record));
    }
}

TEST_CASE("to_json_line: random records give the json object's bytes and parse back", "[record]") {
    // Pieces chosen to hit every escape, multi-byte UTF-8 and plain runs of several lengths.
    const std::vector<std::string> pieces = {
        "a",    "word ", "\"",   "\\",       "\n",           "\t", "\r",
        "\x01", "\x1f",  "\x7f", "\xc3\xa9", "\xe2\x82\xac", "/",  "\xf0\x9f\x8c\x8d",
        "  ",   "0.1",   "{",    "}"};
    std::mt19937 rng(20261129);
    auto text = [&](int max_pieces) {
        std::string out;
        const int n = static_cast<int>(rng() % static_cast<unsigned>(max_pieces + 1));
        for (int i = 0; i < n; ++i) {
            out += pieces[rng() % pieces.size()];
        }
        return out;
    };
    for (int i = 0; i < 2000; ++i) {
        Record r;
        r.id = "R" + std::to_string(i) + text(3);
        r.title = text(8);
        r.text = text(40);
        r.reasoning = rng() % 2 ? text(20) : "";
        if (rng() % 2) {
            r.source.ref = text(3);
            r.source.title = text(6);
            r.source.authors = rng() % 2 ? text(4) : "";
            r.source.url = rng() % 2 ? text(4) : "";
            if (rng() % 2) {
                r.source.year = static_cast<int>(rng() % 3000) - 500;
            }
        }
        const int facets = static_cast<int>(rng() % 4);
        for (int f = 0; f < facets; ++f) {
            std::vector<std::string> values;
            const int n = static_cast<int>(rng() % 4);
            for (int v = 0; v < n; ++v) {
                values.push_back(text(4));
            }
            r.facets["f" + text(2)] = values;
        }
        const std::string line = airm::to_json_line(r);
        REQUIRE(line == reference_line(r));
        REQUIRE(line.find('\n') == std::string::npos);
    }
}

TEST_CASE("to_json_line: every bundled record parses back to itself", "[record]") {
    std::ifstream in(fs::path(AIRM_TEST_CORPUS_DIR) / "records.jsonl");
    REQUIRE(in);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            continue;
        }
        const Record record = airm::parse_record(line, "records.jsonl");
        const std::string written = airm::to_json_line(record);
        CHECK(written == reference_line(record));
        CHECK(airm::parse_record(written, "written") == record);
        ++n;
    }
    CHECK(n > 20);
}
