/// Loaders: JSON Lines, JSON arrays, CSV through a column mapping, the MIT preset, taxonomy files,
/// and the hierarchy derived from coded values when no taxonomy is given.

#include "engine/error.hpp"
#include "engine/index.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/csv_reader.hpp"
#include "indexer/load/mapping.hpp"
#include "indexer/load/record_reader.hpp"
#include "indexer/load/taxonomy_loader.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

using airm::test::TempDir;
using airm::test::test_data;

namespace {

std::vector<airm::LoadedRecord> load_all(const std::string& path,
                                         const airm::LoadOptions& options = {}) {
    std::vector<airm::LoadedRecord> out;
    auto reader = airm::open_records(path, options);
    airm::LoadedRecord loaded;
    while (reader->next(loaded)) {
        out.push_back(loaded);
    }
    return out;
}

const airm::Record& by_id(const std::vector<airm::LoadedRecord>& records, const std::string& id) {
    for (const auto& r : records) {
        if (r.record.id == id) {
            return r.record;
        }
    }
    FAIL("no record " << id);
    throw std::logic_error("unreachable");
}

std::vector<std::vector<std::string>> csv_rows(const std::string& bytes) {
    std::istringstream in(bytes);
    airm::CsvReader csv(in, "test.csv");
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    while (csv.next(row)) {
        rows.push_back(row);
    }
    return rows;
}

using Facets = std::map<std::string, std::vector<std::string>>;

} // namespace

TEST_CASE("loaders: JSON Lines in the native shape", "[loaders]") {
    const std::string path = test_data("records.jsonl");
    auto records = load_all(path);
    REQUIRE(records.size() == 7);
    CHECK(records[0].origin == "line 1 of " + path);
    CHECK(records[6].origin == "line 7 of " + path);

    const airm::Record& r = by_id(records, "T-001");
    CHECK(r.title == "Red-team GPT-4 class models before release");
    CHECK(r.text.rfind("Run structured red teaming", 0) == 0);
    CHECK(r.reasoning.rfind("Adversarial testing", 0) == 0);
    CHECK(r.source.ref == "Airm2025");
    CHECK(r.source.title == "Hand-written test record");
    CHECK(r.source.authors == "airm project");
    CHECK(r.source.year == 2025);
    CHECK(r.source.url == "https://example.org/airm");
    CHECK(r.facets == Facets{{"category", {"3.1", "1.1"}},
                             {"lifecycle", {"Verify and Validate"}},
                             {"actor", {"Developer"}}});

    const airm::Record& fr = by_id(records, "T-002");
    CHECK(fr.facets.at("actor") == std::vector<std::string>{"Developer", "Deployer"});
    CHECK(fr.source.year == 2024);
    CHECK(fr.source.title.empty());
    CHECK(by_id(records, "T-007").facets.empty());

    // Blank lines, CRLF line ends and a byte-order mark are accepted.
    TempDir dir;
    const std::string crlf =
        dir.write("crlf.jsonl", "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"one\"}\r\n\r\n  "
                                "\n{\"id\":\"b\",\"text\":\"two\"}\r\n");
    auto two = load_all(crlf);
    REQUIRE(two.size() == 2);
    CHECK(two[0].record.id == "a");
    CHECK(two[1].record.text == "two");
    CHECK(two[1].origin == "line 4 of " + crlf);
}

TEST_CASE("loaders: a JSON array of the same objects", "[loaders]") {
    const std::string path = test_data("records.json");
    auto records = load_all(path);
    REQUIRE(records.size() == 2);
    CHECK(records[0].origin == "record 1 of " + path);
    CHECK(records[0].record.id == "J-1");
    CHECK(records[0].record.facets.at("lifecycle") ==
          std::vector<std::string>{"Operate and Monitor"});
    CHECK(records[1].record.source.ref == "Mitchell2019");
    CHECK(records[1].record.source.year == 2019); // a year written as a string

    TempDir dir;
    // One object alone is read as an array of one.
    auto single = load_all(dir.write("one.json", R"({"id": "x", "text": "only"})"));
    REQUIRE(single.size() == 1);
    CHECK(single[0].record.text == "only");
    // Anything else is an error naming the file.
    const std::string number = dir.write("number.json", "42");
    CHECK_THROWS_WITH(load_all(number),
                      Catch::Contains(number) && Catch::Contains("array of record objects"));
}

TEST_CASE("loaders: ids and facet names must fit in index terms", "[loaders]") {
    TempDir dir;
    struct Case {
        std::string line;
        std::vector<std::string> message; ///< parts the error must contain
    };
    const std::vector<Case> cases = {
        {nlohmann::json{{"id", std::string(201, 'x')}, {"text", "t"}}.dump(),
         {"line 1 of", "is 201 bytes long", "at most 200 bytes", "shorten it"}},
        {nlohmann::json{{"id", "a"}, {"text", "t"}, {"facets", {{std::string(41, 'f'), {"v"}}}}}
             .dump(),
         {"line 1 of", "facet name 'fffff", "1 to 40 bytes"}},
        {nlohmann::json{{"id", "a"}, {"text", "t"}, {"facets", {{"risk:domain", {"v"}}}}}.dump(),
         {"line 1 of", "facet name 'risk:domain'", "no ':'"}},
    };
    for (const auto& c : cases) {
        INFO(c.line.substr(0, 80));
        const std::string path = dir.write("case.jsonl", c.line + "\n");
        try {
            (void)load_all(path);
            FAIL("accepted");
        } catch (const airm::InvalidInput& e) {
            for (const auto& part : c.message) {
                CHECK_THAT(e.what(), Catch::Contains(part));
            }
        }
    }
    // The longest id accepted is indexed and found.
    const std::string longest(airm::kMaxIdBytes, 'y');
    const std::string ok =
        dir.write("ok.jsonl", nlohmann::json{{"id", longest}, {"text", "t"}}.dump() + "\n");
    airm::index_files(dir.file("db"), {ok}, {});
    CHECK(airm::Index::open(dir.file("db")).find(longest));
    // A CSV id and a mapped facet name are checked too.
    const std::string csv = dir.write("long.csv", "id,text\n" + std::string(250, 'z') + ",t\n");
    airm::LoadOptions options;
    options.format = airm::InputFormat::csv;
    options.mapping.assign("id=id");
    options.mapping.assign("text=text");
    CHECK_THROWS_WITH(load_all(csv, options),
                      Catch::Contains("line 2 of " + csv + ", column 'id'") &&
                          Catch::Contains("is 250 bytes long"));
    CHECK_THROWS_WITH(options.mapping.assign("facet:a:b=text"),
                      Catch::Contains("facet name 'a:b'"));
}

TEST_CASE("loaders: input formats by name and by file name", "[loaders]") {
    using airm::InputFormat;
    const std::vector<std::pair<const char*, InputFormat>> names = {
        {"jsonl", InputFormat::jsonl},
        {"ndjson", InputFormat::jsonl},
        {"json", InputFormat::json},
        {"csv", InputFormat::csv},
        {"mit-csv", InputFormat::mit_csv}};
    for (const auto& [name, format] : names) {
        CHECK(airm::parse_input_format(name) == format);
    }
    CHECK_THROWS_WITH(airm::parse_input_format("xml"),
                      Catch::Contains("xml") && Catch::Contains("mit-csv"));
    const std::vector<std::pair<const char*, InputFormat>> files = {
        {"a.jsonl", InputFormat::jsonl}, {"a.ndjson", InputFormat::jsonl},
        {"a.json", InputFormat::json},   {"dir/a.csv", InputFormat::csv},
        {"A.CSV", InputFormat::csv},     {"-", InputFormat::jsonl}};
    for (const auto& [file, format] : files) {
        INFO(file);
        CHECK(airm::guess_input_format(file) == format);
    }
}

TEST_CASE("loaders: CSV reader follows RFC 4180", "[loaders][csv]") {
    using Rows = std::vector<std::vector<std::string>>;
    struct Case {
        const char* name;
        std::string bytes;
        Rows rows;
    };
    const std::vector<Case> cases = {
        {"plain", "a,b\n1,2\n", {{"a", "b"}, {"1", "2"}}},
        {"no final newline", "a,b\n1,2", {{"a", "b"}, {"1", "2"}}},
        {"CRLF", "a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
        {"byte-order mark",
         "\xEF\xBB\xBF"
         "a,b\n1,2\n",
         {{"a", "b"}, {"1", "2"}}},
        {"quoted separator", "a,b\n\"x, y\",2\n", {{"a", "b"}, {"x, y", "2"}}},
        {"doubled quotes", "a\n\"say \"\"hi\"\"\"\n", {{"a"}, {"say \"hi\""}}},
        {"embedded newline", "a,b\n\"one\ntwo\",3\n", {{"a", "b"}, {"one\ntwo", "3"}}},
        {"embedded CRLF kept", "a\r\n\"one\r\ntwo\"\r\n", {{"a"}, {"one\r\ntwo"}}},
        {"empty fields", "a,b,c\n,,\n", {{"a", "b", "c"}, {"", "", ""}}},
        {"empty quoted field", "a,b\n\"\",x\n", {{"a", "b"}, {"", "x"}}},
        {"UTF-8", "a\n\"résumé, 测试\"\n", {{"a"}, {"résumé, 测试"}}},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK(csv_rows(c.bytes) == c.rows);
    }

    // Lines of rows that span several lines.
    std::istringstream in("h\n\"a\nb\nc\"\nnext\n");
    airm::CsvReader csv(in, "test.csv");
    std::vector<std::string> row;
    REQUIRE(csv.next(row));
    CHECK(csv.row_line() == 1);
    REQUIRE(csv.next(row));
    CHECK(csv.row_line() == 2);
    REQUIRE(csv.next(row));
    CHECK(row == std::vector<std::string>{"next"});
    CHECK(csv.row_line() == 5);
    CHECK(!csv.next(row));
}

TEST_CASE("loaders: the mit-csv preset joins the source documents", "[loaders][csv]") {
    airm::LoadOptions options;
    options.format = airm::InputFormat::mit_csv;
    options.documents_csv = test_data("documents.csv");
    const std::string path = test_data("mit-shape.csv");
    auto records = load_all(path, options);
    REQUIRE(records.size() == 4);
    CHECK(records[0].origin == "line 2 of " + path);
    CHECK(records[2].origin == "line 5 of " + path); // the second record spans lines 3 and 4

    const airm::Record& a = by_id(records, "A0001_Alpha2024");
    CHECK(a.title == "Safety board");
    CHECK(a.text ==
          "A board committee that oversees model releases, with a \"veto\" over launches.");
    CHECK(a.source.ref == "Alpha2024");
    CHECK(a.source.title == "Alpha Framework for Frontier AI, Version 2");
    CHECK(a.source.authors == "Alpha Institute");
    CHECK(a.source.year == 2024);
    CHECK(a.source.url == "https://example.org/alpha");
    CHECK(a.facets ==
          Facets{{"category", {"1.1 Board Structure & Oversight"}}, {"source", {"Alpha2024"}}});

    CHECK(by_id(records, "A0002_Alpha2024").text ==
          "Adversarial testing before release.\nIt covers CBRN and cyber misuse.");
    const airm::Record& empty = by_id(records, "A0004_Beta2023");
    CHECK(empty.text.empty());
    CHECK(empty.title == "Empty definition");
    CHECK(empty.source.title == "Beta Guidelines");
    CHECK(empty.source.year == 2023);

    // Without --documents only the reference is known.
    airm::LoadOptions bare;
    bare.format = airm::InputFormat::mit_csv;
    auto plain = load_all(path, bare);
    CHECK(by_id(plain, "A0001_Alpha2024").source.ref == "Alpha2024");
    CHECK(by_id(plain, "A0001_Alpha2024").source.title.empty());

    // The same table saved with a byte-order mark and CRLF line ends reads the same.
    std::string text = airm::test::read_file(path);
    std::string crlf = "\xEF\xBB\xBF";
    for (char c : text) {
        if (c == '\n') {
            crlf += "\r\n";
        } else {
            crlf += c;
        }
    }
    TempDir dir;
    auto windows = load_all(dir.write("windows.csv", crlf), options);
    REQUIRE(windows.size() == records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        airm::Record want = records[i].record;
        airm::Record got = windows[i].record;
        // A line break inside a quoted field keeps its CRLF; compare with it made LF.
        for (auto at = got.text.find("\r\n"); at != std::string::npos; at = got.text.find("\r\n")) {
            got.text.erase(at, 1);
        }
        CHECK(got == want);
    }
}

TEST_CASE("loaders: column mapping by --map and by a JSON mapping file", "[loaders][csv]") {
    TempDir dir;
    const std::string csv =
        dir.write("custom.csv", "Ref,Heading,Body,Notes,Published,Codes,Who\n"
                                "R1,Audit,Independent audit.,Done yearly.,2023,3.1; 1.2,Deployer\n"
                                "R2,Board,Safety board.,,,1.1,\n");
    airm::ColumnMapping by_flags;
    for (const char* m : {"id=Ref", "title=Heading", "text=Body+Notes", "source.year=Published",
                          "facet:category=Codes", "split:category=;", "facet:actor=Who"}) {
        by_flags.assign(m);
    }
    const airm::ColumnMapping by_file = airm::ColumnMapping::from_json(
        airm::test::read_file(test_data("mapping.json")), "mapping.json");
    for (const airm::ColumnMapping* mapping :
         std::vector<const airm::ColumnMapping*>{&by_flags, &by_file}) {
        airm::LoadOptions options;
        options.format = airm::InputFormat::csv;
        options.mapping = *mapping;
        auto records = load_all(csv, options);
        REQUIRE(records.size() == 2);
        const airm::Record& r1 = records[0].record;
        CHECK(r1.id == "R1");
        CHECK(r1.title == "Audit");
        CHECK(r1.text == "Independent audit.\n\nDone yearly."); // text=A+B joins with a blank line
        CHECK(r1.source.year == 2023);
        CHECK(r1.facets == Facets{{"category", {"3.1", "1.2"}}, {"actor", {"Deployer"}}});
        const airm::Record& r2 = records[1].record;
        CHECK(r2.text == "Safety board."); // an empty column adds nothing
        CHECK(!r2.source.year);
        CHECK(r2.facets == Facets{{"category", {"1.1"}}});
    }
    // The preset is an ordinary mapping.
    const auto mit = airm::ColumnMapping::mit_csv();
    CHECK(mit.columns() == std::vector<std::string>{"Action ID", "Action Name", "Action Definition",
                                                    "Action Source", "MitigationCode"});

    // Mapping mistakes name the accepted keys.
    airm::ColumnMapping bad;
    CHECK_THROWS_WITH(bad.assign("colour=Red"),
                      Catch::Contains("colour") && Catch::Contains("facet:NAME"));
    CHECK_THROWS_WITH(bad.assign("id"), Catch::Contains("KEY=COLUMN"));
    CHECK_THROWS_WITH(airm::ColumnMapping::from_json(R"({"text": "Body"})", "m.json"),
                      Catch::Contains("m.json") && Catch::Contains("\"id\""));
    // CSV without a mapping says how to give one.
    airm::LoadOptions none;
    none.format = airm::InputFormat::csv;
    CHECK_THROWS_WITH(load_all(csv, none), Catch::Contains("--map id=COLUMN"));
}

TEST_CASE("loaders: taxonomy files in airm and nested format", "[loaders][taxonomy]") {
    for (const char* file : {"taxonomy-airm.json", "taxonomy-nested.json"}) {
        INFO(file);
        const airm::Taxonomy t = airm::load_taxonomy_file(test_data(file));
        CHECK(t.facet() == "category");
        CHECK(t.codes() == std::vector<std::string>{"1", "1.1", "1.2", "3", "3.1"});
        CHECK(t.roots() == std::vector<std::string>{"1", "3"});
        CHECK(t.children("1") == std::vector<std::string>{"1.1", "1.2"});
        CHECK(t.name_of("3.1") == "Testing & Auditing");
        CHECK(t.find("3.1")->description == "Checks before and after release.");
        CHECK(t.find("3.1")->parent == "3");
        CHECK(t.curated());
    }
    // Examples written as one comma-separated string become a list.
    const airm::Taxonomy nested =
        airm::load_taxonomy_file(test_data("taxonomy-nested.json"), "risk");
    CHECK(nested.facet() == "risk");
    CHECK(nested.title() == "Nested test taxonomy");
    CHECK(nested.find("1.1")->examples ==
          std::vector<std::string>{"Risk committees", "safety boards", "veto powers"});
    CHECK(nested.find("1.2")->examples ==
          std::vector<std::string>{"risk registers", "risk appetite"});

    TempDir dir;
    CHECK_THROWS_AS(airm::load_taxonomy_file(dir.file("absent.json")), airm::NotFound);
    const std::string broken = dir.write("broken.json", R"({"categories": [{"name": "no code"}]})");
    CHECK_THROWS_WITH(airm::load_taxonomy_file(broken),
                      Catch::Contains(broken) && Catch::Contains("code"));
    const std::string other = dir.write("other.json", R"({"hello": 1})");
    CHECK_THROWS_WITH(airm::load_taxonomy_file(other),
                      Catch::Contains(other) && Catch::Contains("airm-taxonomy"));
}

TEST_CASE("loaders: the published MIT taxonomy file", "[loaders][taxonomy][shared]") {
    AIRM_REQUIRE_SHARED_DATA(shared);
    const airm::Taxonomy t =
        airm::load_taxonomy_file(shared + "/mit-mitigations/mitigation-taxonomy-2026-08-20.json");
    CHECK(t.roots() == std::vector<std::string>{"1", "2", "3", "4"});
    const std::vector<std::size_t> subcategories = {7, 4, 6, 6};
    std::size_t total = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto children = t.children(t.roots()[i]);
        CHECK(children.size() == subcategories[i]);
        total += children.size();
        for (const auto& code : children) {
            INFO(code);
            CHECK(!t.name_of(code).empty());
            CHECK(!t.find(code)->description.empty());
            CHECK(!t.find(code)->examples.empty());
        }
    }
    CHECK(total == 23);
    CHECK(t.name_of("3.1") == "Testing & Auditing");
    CHECK(t.size() == 27);
}

TEST_CASE("loaders: without a taxonomy the hierarchy comes from the coded values",
          "[loaders][taxonomy]") {
    TempDir dir;
    const std::string input = dir.write(
        "derived.jsonl",
        R"({"id": "1", "text": "a", "facets": {"risk": ["6.5 > Governance failure"], "lifecycle": [" Deploy "]}})"
        "\n"
        R"({"id": "2", "text": "b", "facets": {"risk": ["6.2 > Weak oversight", "7.1"], "lifecycle": ["Deploy"]}})"
        "\n"
        R"({"id": "3", "text": "c", "facets": {"risk": ["6.5"], "year": ["2024"]}})"
        "\n");
    airm::IndexMetadata metadata = airm::IndexMetadata::fresh();
    airm::IndexOptions options;
    const airm::PreparedBatch batch = airm::prepare_batch({input}, options, metadata);
    REQUIRE(batch.records.size() == 3);
    // Coded values become their codes; flat values are trimmed.
    CHECK(batch.records[0].facets.at("risk") == std::vector<std::string>{"6.5"});
    CHECK(batch.records[0].facets.at("lifecycle") == std::vector<std::string>{"Deploy"});
    CHECK(batch.records[1].facets.at("risk") == std::vector<std::string>{"6.2", "7.1"});

    REQUIRE(metadata.facet("risk") != nullptr);
    CHECK(metadata.facet("risk")->hierarchical);
    CHECK(!metadata.facet("lifecycle")->hierarchical);
    CHECK(!metadata.facet("year")->hierarchical); // numbers without a dotted code are flat
    const airm::Taxonomy* t = metadata.taxonomy("risk");
    REQUIRE(t != nullptr);
    CHECK(t->codes() == std::vector<std::string>{"6", "6.2", "6.5", "7", "7.1"});
    CHECK(t->name_of("6.5") == "Governance failure");
    CHECK(t->name_of("6.2") == "Weak oversight");
    CHECK(t->children("6") == std::vector<std::string>{"6.2", "6.5"});
    CHECK(!t->curated());
    CHECK(metadata.taxonomy("lifecycle") == nullptr);
}
