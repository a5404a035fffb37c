/// The benchmark's small CI form: tools/bench/run on 2,000 generated records. Every system must
/// produce figures, and airm's facet counts (the ones the benchmark times) must equal counts made
/// by brute force over the records, from the corpus file, of every record the query matches.

#include "support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::shell_quote;
using nlohmann::json;

namespace {

using Counts =
    std::map<std::string, std::map<std::string, std::uint64_t>>; // facet -> value -> records

std::vector<json> parse_lines(std::istream& in) {
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            out.push_back(json::parse(line));
    }
    return out;
}

std::vector<json> read_lines(const std::string& path) {
    std::ifstream in(path);
    return parse_lines(in);
}

/// Runs `airm search --batch` over `queries` with every match returned; one result a query.
std::vector<json> search_all(const std::string& index, const std::string& queries) {
    auto result = airm::test::run_airm("search --db " + shell_quote(index) +
                                       " --limit 5000 --batch " + shell_quote(queries));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::istringstream in(result.out);
    return parse_lines(in);
}

/// airm's counts of one result, the tree of a hierarchical facet flattened.
Counts airm_counts(const json& result) {
    Counts out;
    std::function<void(const std::string&, const json&)> add = [&](const std::string& facet,
                                                                   const json& values) {
        for (const auto& v : values) {
            if (v.value("count", 0ULL) > 0 || !v.value("selected", false)) {
                out[facet][v.at("value").get<std::string>()] = v.at("count").get<std::uint64_t>();
            }
            if (v.contains("children"))
                add(facet, v["children"]);
        }
    };
    for (const auto& [facet, values] : result.at("facets").items())
        add(facet, values);
    return out;
}

/// Counts by brute force: every record in `ids` once per value (codes with all their ancestors).
Counts brute_force(const std::map<std::string, json>& records,
                   const std::vector<std::string>& ids) {
    Counts out;
    for (const auto& id : ids) {
        const json& facets = records.at(id).at("facets");
        for (const auto& [facet, values] : facets.items()) {
            std::set<std::string> seen;
            for (const auto& v : values) {
                const std::string value = v.get<std::string>();
                if (facet == "category") {
                    for (std::size_t dot = value.find('.'); dot != std::string::npos;
                         dot = value.find('.', dot + 1)) {
                        seen.insert(value.substr(0, dot));
                    }
                }
                seen.insert(value);
            }
            for (const auto& v : seen)
                ++out[facet][v];
        }
    }
    return out;
}

/// Ids of the records that match the query (airm may add "partial" hits after them, which match
/// only some of the words, when the full matches are few).
std::vector<std::string> result_ids(const json& result) {
    std::vector<std::string> ids;
    for (const auto& hit : result.at("results")) {
        if (!hit.value("partial", false))
            ids.push_back(hit.at("id").get<std::string>());
    }
    return ids;
}

bool on_path(const std::string& program) {
    return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

} // namespace

TEST_CASE("benchmark on 2,000 records: every system measured, airm's facet counts exact",
          "[bench][slow]") {
    AIRM_REQUIRE_SHARED_DATA(data);
    const std::string shared = fs::path(data).parent_path().string();
    if (!fs::exists(shared + "/bench/make_corpus.py")) {
        WARN("SKIPPED: ../shared/bench is absent, so the benchmark did not run");
        return;
    }
    airm::test::TempDir tmp;
    const std::string work = tmp.file("work");
    const std::string report_path = tmp.file("report.json");
    const std::string build_dir =
        fs::path(airm::test::airm_binary()).parent_path().parent_path().parent_path().string();
    const std::string command =
        shell_quote(AIRM_BENCH_DRIVER) + " --records 2000 --queries 60 --texts 300 --runs 1" +
        " --no-warmup --build-dir " + shell_quote(build_dir) + " --work " + shell_quote(work) +
        " --shared " + shell_quote(shared) + " --json " + shell_quote(report_path) + " >" +
        shell_quote(tmp.file("table.txt")) + " 2>" + shell_quote(tmp.file("log.txt"));
    const int status = std::system(command.c_str());
    INFO(airm::test::read_file(tmp.file("log.txt")));
    REQUIRE(status == 0);
    std::ifstream report_file(report_path);
    const json report = json::parse(report_file);

    // Both checks share the one benchmark run (a SECTION would run it again).
    {
        INFO("every system produced figures");
        std::vector<std::string> index_systems = {"airm", "fts5"};
        if (std::system("/usr/bin/python3 -c 'import xapian' >/dev/null 2>&1") == 0) {
            index_systems.push_back("xapian");
        } else {
            WARN("python3-xapian is absent: the Xapian peer was not checked");
        }
        for (const auto& s : index_systems) {
            INFO(s);
            const json& b = report.at("build").at(s);
            CHECK(b.at("records_per_s").get<double>() > 0);
            CHECK(b.at("wall").get<double>() > 0);
            CHECK(b.at("rss_mb").get<double>() > 0);
            CHECK(b.at("size_mb").get<double>() > 0);
            const json& q = report.at("search").at(s);
            CHECK(q.at("queries").get<int>() == 60);
            for (const char* key : {"p50_ms", "p95_ms", "p99_ms", "qps"}) {
                CHECK(q.at(key).get<double>() > 0);
            }
        }
        std::vector<std::string> suggest_systems = {"airm"};
        if (on_path("fasttext")) {
            suggest_systems.push_back("fasttext");
        } else {
            WARN("the fasttext binary is absent: the fastText peer was not checked");
        }
        for (const auto& s : suggest_systems) {
            INFO(s);
            const json& g = report.at("suggest").at(s);
            for (const char* key : {"texts_per_s", "p50_ms", "p99_ms"}) {
                CHECK(g.at(key).get<double>() > 0);
            }
        }
        CHECK(report.at("machine").at("nproc").get<int>() > 0);
        CHECK(report.at("targets").size() == 9);
        if (std::find(index_systems.begin(), index_systems.end(), "xapian") !=
            index_systems.end()) {
            CHECK(report.at("build").at("xapian-min").at("records_per_s").get<double>() > 0);
        }
        CHECK(report.at("table").get<std::string>().find("airm/Xapian") != std::string::npos);
    }

    {
        INFO("tools/bench/report renders the run's JSON as markdown with every table");
        const std::string report_tool =
            (fs::path(AIRM_BENCH_DRIVER).parent_path() / "report").string();
        const std::string markdown_path = tmp.file("RESULTS.md");
        const int rendered =
            std::system((shell_quote(report_tool) + " --output " + shell_quote(markdown_path) +
                         " " + shell_quote(report_path) + " 2>/dev/null")
                            .c_str());
        REQUIRE(rendered == 0);
        const std::string markdown = airm::test::read_file(markdown_path);
        for (const std::string& heading : std::vector<std::string>{
                 "## Method", "## " + report.at("date").get<std::string>() + ", commit ",
                 "### Build", "### Search", "### Suggestion", "### Targets", "| records/s | "}) {
            INFO(heading);
            CHECK(markdown.find(heading) != std::string::npos);
        }
    }

    {
        INFO("airm's facet counts equal brute-force counts over the matching records");
        std::map<std::string, json> records;
        for (auto& r : read_lines(work + "/data/corpus-2000.jsonl"))
            records[r.at("id").get<std::string>()] = r;
        const std::string queries = work + "/data/queries-2000-60.jsonl";
        const std::string index = work + "/idx/airm";
        // Every match of every query (limit above the corpus size), and of each query without its
        // filter (a filtered facet is counted drill-sideways: over the matches of the rest of the
        // query).
        std::ofstream unfiltered(tmp.file("unfiltered.jsonl"));
        for (auto q : read_lines(queries)) {
            q.erase("filter");
            unfiltered << q.dump() << '\n';
        }
        unfiltered.close();
        const auto full = search_all(index, queries);
        const auto without_filter = search_all(index, tmp.file("unfiltered.jsonl"));
        const auto timed =
            read_lines(work + "/out/search-airm.jsonl"); // what the benchmark measured
        const auto asked = read_lines(queries);
        REQUIRE(full.size() == asked.size());
        REQUIRE(timed.size() == asked.size());
        std::size_t matched_queries = 0;
        for (std::size_t i = 0; i < asked.size(); ++i) {
            INFO("query " << asked[i].dump());
            const std::vector<std::string> ids = result_ids(full[i]);
            REQUIRE(ids.size() == full[i].at("total").get<std::size_t>());
            matched_queries += ids.empty() ? 0 : 1;
            Counts expected = brute_force(records, ids);
            if (asked[i].contains("filter")) {
                expected["category"] =
                    brute_force(records, result_ids(without_filter[i]))["category"];
            }
            for (const char* facet : {"category", "lifecycle", "actor"}) {
                INFO("facet " << facet);
                CHECK(airm_counts(full[i])[facet] == expected[facet]);
                CHECK(airm_counts(timed[i])[facet] ==
                      expected[facet]); // the top-10 run counts all matches too
            }
            CHECK(timed[i].at("total") == full[i].at("total"));
            // A full page: records matching only some words may rank among the full matches.
            CHECK(timed[i].at("results").size() >= std::min<std::size_t>(10, ids.size()));
        }
        CHECK(matched_queries > asked.size() / 2);
    }
}
