// `airm suggest`, `airm train`, `airm evaluate` end to end, the model kept up to date by `airm
// index` and `airm delete`, and a CSV of a different taxonomy handled through --map alone.

#include "query/suggest/file_format.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using airm::test::airm_ok;
using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::TempDir;

namespace {

std::string model_header(const std::string& db, const std::string& facet) {
    std::ifstream in(db + "/airm-suggest-" + facet + ".model");
    std::string first, second;
    std::getline(in, first);
    std::getline(in, second);
    return second;
}

/// Indexes the bundled corpus with its taxonomy into a new index in `tmp`; returns its folder.
std::string index_corpus(const TempDir& tmp) {
    const std::string db = tmp.file("db");
    const std::string corpus = airm::test::corpus_dir();
    (void)airm_ok("index --db " + shell_quote(db) + " " + shell_quote(corpus + "/records.jsonl") +
                  " --taxonomy " + shell_quote(corpus + "/taxonomy.json"));
    return db;
}

} // namespace

TEST_CASE("airm suggest --json gives calibrated codes with names and categories",
          "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    // `airm index` does not train; the first suggestion does, says so and saves the model.
    CHECK_FALSE(std::filesystem::exists(db + "/airm-suggest-category.model"));

    auto r = run_airm("suggest --db " + shell_quote(db) +
                      " --json --explain --top 3 'Run red-team exercises and third-party audits "
                      "before deployment'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("trained on 92 labelled records") != std::string::npos);
    REQUIRE(std::filesystem::exists(db + "/airm-suggest-category.model"));
    const auto out = nlohmann::json::parse(r.out);
    REQUIRE(out["suggestions"].size() == 3);
    double previous = 1.0;
    for (const auto& s : out["suggestions"]) {
        CHECK(s["code"].get<std::string>().find('.') != std::string::npos);
        CHECK_FALSE(s["name"].get<std::string>().empty());
        const double c = s["confidence"].get<double>();
        CHECK(c >= 0.0);
        CHECK(c <= previous);
        previous = c;
        CHECK(s.contains("records"));
        CHECK(s.contains("words"));
    }
    CHECK(out["suggestions"][0]["code"].get<std::string>().rfind("3.", 0) ==
          0); // testing & auditing family
    REQUIRE(out.contains("categories"));
    CHECK(out["categories"][0]["code"] == "3");

    // Text from standard input, and a threshold nobody clears.
    auto piped =
        run_airm("suggest --db " + shell_quote(db) + " --json -", "encrypt model weights at rest");
    REQUIRE(piped.exit_code == 0);
    CHECK_FALSE(nlohmann::json::parse(piped.out)["suggestions"].empty());
    auto none =
        run_airm("suggest --db " + shell_quote(db) + " --json --threshold 1 'zebra xylophone'");
    REQUIRE(none.exit_code == 0);
    CHECK(nlohmann::json::parse(none.out)["suggestions"].empty());

    // Bad options fail with a message naming the fix.
    auto bad = run_airm("suggest --db " + shell_quote(db) + " --threshold 1.5 'text'");
    CHECK(bad.exit_code != 0);
    CHECK(bad.err.find("0 to 1") != std::string::npos);
    auto unknown = run_airm("suggest --db " + shell_quote(db) + " --field colour 'text'");
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.find("--field") != std::string::npos);
}

TEST_CASE("airm suggest --input writes one JSON line per record with its id", "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    const std::string input =
        tmp.write("new.jsonl", R"({"id": "new-1", "title": "Watermark generated images"}
{"id": "new-2", "text": "Whistleblower channel for staff to report safety concerns"}
{"id": "new-3", "text": "Publish a model card documenting limitations"}
)");
    auto r =
        run_airm("suggest --db " + shell_quote(db) + " --input " + shell_quote(input) + " --top 2");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string line;
    std::vector<std::string> ids;
    while (std::getline(lines, line)) {
        const auto j = nlohmann::json::parse(line);
        ids.push_back(j["id"].get<std::string>());
        CHECK(j["suggestions"].size() == 2);
    }
    CHECK(ids == std::vector<std::string>{"new-1", "new-2", "new-3"});
}

TEST_CASE("airm index and airm delete make the model retrain on next use", "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    (void)airm_ok("train --db " + shell_quote(db));
    auto before = nlohmann::json::parse(model_header(db, "category"));
    CHECK(before["format"] == "airm-suggest-model");
    CHECK(before["version"] == airm::kModelFormatVersion);
    CHECK(before["trained_records"] == 92);

    // An unchanged index: the saved model is used as it is, without retraining.
    auto same = run_airm("suggest --db " + shell_quote(db) + " --json 'red teaming'");
    REQUIRE(same.exit_code == 0);
    CHECK(same.err.find("trained") == std::string::npos);

    // A curator accepts a code for a new record: indexing only leaves the model out of date...
    const std::string accepted = tmp.write(
        "accepted.jsonl",
        R"({"id": "cur-1", "title": "Quarterly zorblax audits", "text": "Zorblax audits of the frontier model.", "facets": {"category": ["3.1"]}})"
        "\n");
    (void)airm_ok("index --db " + shell_quote(db) + " " + shell_quote(accepted));
    CHECK(nlohmann::json::parse(model_header(db, "category"))["trained_records"] == 92);
    // ...and the next suggestion retrains it, says so, saves it and learns from the new record.
    auto r = run_airm("suggest --db " + shell_quote(db) + " --json --explain 'zorblax'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("was out of date; retrained on 93 labelled records") != std::string::npos);
    CHECK(nlohmann::json::parse(model_header(db, "category"))["trained_records"] == 93);
    const auto out = nlohmann::json::parse(r.out);
    CHECK(out["suggestions"][0]["code"] == "3.1");
    CHECK(out["suggestions"][0]["records"][0]["id"] == "cur-1");

    // Replacing a record keeps the record count, yet still makes the model out of date.
    const std::string recoded = tmp.write(
        "recoded.jsonl",
        R"({"id": "cur-1", "title": "Quarterly zorblax audits", "text": "Zorblax audits of the frontier model.", "facets": {"category": ["1.1"]}})"
        "\n");
    (void)airm_ok("index --db " + shell_quote(db) + " " + shell_quote(recoded));
    auto re = run_airm("suggest --db " + shell_quote(db) + " --json 'zorblax'");
    REQUIRE(re.exit_code == 0);
    CHECK(re.err.find("retrained on 93 labelled records") != std::string::npos);
    CHECK(nlohmann::json::parse(re.out)["suggestions"][0]["code"] == "1.1");

    (void)airm_ok("delete --db " + shell_quote(db) + " cur-1");
    auto gone = run_airm("suggest --db " + shell_quote(db) + " --json --explain 'zorblax audits'");
    REQUIRE(gone.exit_code == 0);
    CHECK(gone.err.find("retrained on 92 labelled records") != std::string::npos);
    CHECK(nlohmann::json::parse(model_header(db, "category"))["trained_records"] == 92);
    CHECK(gone.out.find("cur-1") == std::string::npos);

    // `airm train` rebuilds on demand and reports what it built.
    auto trained = run_airm("train --db " + shell_quote(db) + " --json");
    REQUIRE(trained.exit_code == 0);
    CHECK(nlohmann::json::parse(trained.out)[0]["records"] == 92);
}

TEST_CASE("a model saved in another format version is retrained on next use, not an error",
          "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    (void)airm_ok("train --db " + shell_quote(db));
    const std::string path = db + "/airm-suggest-category.model";

    // Rewrite the first line as an older airm would have written it (version 3, before word
    // vectors; a version 4 model's vectors carry over, tested in word_vectors.cpp).
    std::string data = airm::test::read_file(path);
    const std::string old_line = "airm-suggest-model 3";
    data.replace(0, data.find('\n'), old_line);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;

    auto r = run_airm("suggest --db " + shell_quote(db) + " --json 'red teaming of the model'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("was saved in another format version; retrained on 92 labelled records") !=
          std::string::npos);
    CHECK_FALSE(nlohmann::json::parse(r.out)["suggestions"].empty());
    std::ifstream saved(path);
    std::string first;
    std::getline(saved, first);
    CHECK(first == "airm-suggest-model " + std::to_string(airm::kModelFormatVersion));

    // The retrained model is used as it is from then on.
    auto again = run_airm("suggest --db " + shell_quote(db) + " --json 'red teaming of the model'");
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.find("trained") == std::string::npos);
}

TEST_CASE("a CSV of another taxonomy indexes, suggests and evaluates through --map alone",
          "[suggest][cli]") {
    TempDir tmp;
    const std::string db = tmp.file("db");
    const std::string csv = std::string(AIRM_TEST_DATA_DIR) + "/suggest-risk-incidents.csv";
    auto indexed = run_airm("index --db " + shell_quote(db) + " " + shell_quote(csv) +
                            " --map id=Ref --map title=Headline --map 'text=What happened+Context' "
                            "--map 'facet:risk=Risk Code'");
    INFO(indexed.err);
    REQUIRE(indexed.exit_code == 0);

    auto evaluated =
        run_airm("evaluate --db " + shell_quote(db) + " --field risk --k 3 --seed 7 --json");
    INFO(evaluated.err);
    REQUIRE(evaluated.exit_code == 0);
    const auto report = nlohmann::json::parse(evaluated.out);
    CHECK(report["n"] == 24);
    CHECK(report["labels"] == 4);
    CHECK(report["top1"].get<double>() >= 0.6); // four codes: chance is 0.25
    CHECK(report.contains("category_accuracy"));
    CHECK(report["calibration"].size() == 10);

    auto r = run_airm(
        "suggest --db " + shell_quote(db) +
        " --field risk --json 'The chatbot exposed personal data and phone numbers of customers'");
    REQUIRE(r.exit_code == 0);
    const auto out = nlohmann::json::parse(r.out);
    CHECK(out["suggestions"][0]["code"] == "2.1");
    CHECK(out["suggestions"][0]["name"] == "Compromise of privacy");
    CHECK(out["categories"][0]["code"] == "2");
    CHECK(std::filesystem::exists(db + "/airm-suggest-risk.model")); // trained on first use
}

TEST_CASE("airm evaluate and suggest refuse out-of-range method options, naming option and value",
          "[suggest][cli]") {
    const TempDir tmp;
    const std::string db = index_corpus(tmp);
    struct Case {
        const char* args;
        const char* expected; ///< part of the error message
    };
    const Case cases[] = {
        {"evaluate --svm-c -1", "--svm-c: must be a number above 0, not -1"},
        {"evaluate --svm-c 0", "--svm-c: must be a number above 0, not 0"},
        {"evaluate --title-weight -2", "--title-weight: must be a number of 0 or more, not -2"},
        {"evaluate --balance 3", "--balance: must be a number from 0 to 1, not 3"},
        {"evaluate --balance nan", "--balance: must be a number from 0 to 1, not nan"},
        {"evaluate --svm-c inf", "--svm-c: must be a number above 0, not inf"},
        {"evaluate --title-weight inf", "--title-weight: must be a number of 0 or more, not inf"},
        {"evaluate --source-weight inf", "--source-weight: must be a number of 0 or more, not inf"},
        {"suggest --threshold nan 'audits'", "--threshold: must be a number from 0 to 1, not nan"},
        {"suggest --threshold 2 'audits'", "--threshold: must be a number from 0 to 1, not 2"},
        {"evaluate --inner-folds 1", "inner folds must be 0 (none) or from 2 to 100, not 1"},
        {"evaluate --min-df -1",
         "--min-df must be 0 (by the record count) or from 1 to 1000000, not -1"},
        {"suggest --top -3 'audits'", "--top: Value -3 not in range"},
        {"evaluate --neighbours 1001", "--neighbours: Value 1001 not in range"},
        {"evaluate --source-weight -1", "--source-weight: must be a number of 0 or more, not -1"},
    };
    for (const Case& c : cases) {
        const std::string command = std::string(c.args);
        const auto space = command.find(' ');
        const auto r =
            run_airm(command.substr(0, space) + " --db " + shell_quote(db) + command.substr(space));
        INFO(c.args << " -> " << r.err);
        CHECK(r.exit_code != 0);
        CHECK(r.err.find(c.expected) != std::string::npos);
    }
    // The index is as it was: it still searches and suggests.
    CHECK(run_airm("suggest --db " + shell_quote(db) + " 'independent audits'").exit_code == 0);
}

TEST_CASE("airm train and airm evaluate list at most 15 options, and removed ones are refused",
          "[suggest][cli]") {
    for (const char* command : {"train", "evaluate"}) {
        const auto r = run_airm(std::string(command) + " --help");
        REQUIRE(r.exit_code == 0);
        std::istringstream lines(r.out);
        std::string line;
        std::size_t options = 0;
        while (std::getline(lines, line))
            options += line.rfind("  -", 0) == 0 ? 1 : 0; // "  --name ..." or "  -h,--help"
        INFO(command << " --help:\n" << r.out);
        CHECK(options >= 6);
        CHECK(options <= 15);
    }
    const TempDir tmp;
    const std::string db = index_corpus(tmp);
    for (const char* removed :
         {"evaluate --rerank 10", "evaluate --softmax", "evaluate --bm25-neighbours",
          "evaluate --char-ngrams 5", "train --rerank 10"}) {
        const std::string command = removed;
        const auto space = command.find(' ');
        const auto r =
            run_airm(command.substr(0, space) + " --db " + shell_quote(db) + command.substr(space));
        INFO(removed << " -> " << r.err);
        CHECK(r.exit_code != 0);
        CHECK(r.err.find(command.substr(space + 1, command.find(' ', space + 1) - space - 1)) !=
              std::string::npos);
    }
}

TEST_CASE("airm suggest refuses blank text, accepts --min-df 0 and names a flat value once",
          "[suggest][cli]") {
    const TempDir tmp;
    const std::string db = index_corpus(tmp);
    // Blank input asks for nothing: refused, not answered with the most common codes.
    auto r = run_airm("suggest --db " + shell_quote(db) + " -", "");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("standard input holds no text"));
    CHECK(r.out.empty());
    r = run_airm("suggest --db " + shell_quote(db) + " -", " \n\t\n");
    CHECK(r.exit_code == 1);
    r = run_airm("suggest --db " + shell_quote(db) + " '   '");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("is blank"));
    CHECK(run_airm("suggest --db " + shell_quote(db) + " -", "independent audits\n").exit_code ==
          0);
    // --min-df 0, the default shown by --help, is accepted.
    r = run_airm("evaluate --db " + shell_quote(db) + " --k 2 --inner-folds 0 --min-df 0");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // A flat facet's value is its own name: printed once.
    r = run_airm("suggest --db " + shell_quote(db) + " --field actor --top 1 'independent audits'");
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string line;
    REQUIRE(std::getline(lines, line));
    std::istringstream words(line);
    std::string confidence, value, rest;
    words >> confidence >> value;
    std::getline(words, rest);
    INFO(line);
    CHECK_FALSE(value.empty());
    CHECK(rest.find(value) == std::string::npos);
}

TEST_CASE("airm suggest refuses batch records without text and input that is not UTF-8",
          "[suggest][cli]") {
    const TempDir tmp;
    const std::string db = index_corpus(tmp);
    const std::string batch =
        tmp.write("batch.jsonl", "{\"id\": \"ok\", \"text\": \"Publish a model card\"}\n"
                                 "{\"id\": \"empty\", \"title\": \" \", \"text\": \"\"}\n");
    auto r = run_airm("suggest --db " + shell_quote(db) + " --input " + shell_quote(batch));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("line 2 of") != std::string::npos);
    CHECK(r.err.find("record 'empty' has no text to suggest codes for") != std::string::npos);
    // Bytes that are not text get no suggestions either.
    r = run_airm("suggest --db " + shell_quote(db) + " -",
                 std::string("\x89PNG\r\n\x1a\n\xff\xfe binary \x80\x81"));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("is not valid UTF-8") != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("airm evaluate refuses more folds than labelled records, and a single record",
          "[suggest][cli]") {
    const TempDir tmp;
    const std::string two = tmp.file("two");
    (void)airm_ok(
        "index --db " + shell_quote(two) + " " +
        shell_quote(tmp.write("two.jsonl", "{\"id\": \"a\", \"text\": \"red teaming of models\", "
                                           "\"facets\": {\"category\": [\"3.1\"]}}\n"
                                           "{\"id\": \"b\", \"text\": \"board oversight\", "
                                           "\"facets\": {\"category\": [\"1.1\"]}}\n")));
    for (const char* k : {"", " --k 100", " --k 100000"}) {
        auto r = run_airm("evaluate --db " + shell_quote(two) + k);
        INFO("evaluate" << k << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("asks for more folds than facet 'category' has labelled records (2)") !=
              std::string::npos);
        CHECK(r.err.find("give --k from 2 to 2") != std::string::npos);
    }
    const std::string one = tmp.file("one");
    (void)airm_ok(
        "index --db " + shell_quote(one) + " " +
        shell_quote(tmp.write("one.jsonl", "{\"id\": \"a\", \"text\": \"red teaming of models\", "
                                           "\"facets\": {\"category\": [\"3.1\"]}}\n")));
    auto r = run_airm("evaluate --db " + shell_quote(one) + " --k 2");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("has 1 labelled record") != std::string::npos);
}

TEST_CASE("airm suggest never starts a long training unasked: it names airm train and its time, "
          "and uses an out-of-date model with a notice",
          "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    {
        // Any training counts as long here (the threshold is injectable for tests).
        const airm::test::ScopedEnv quick("AIRM_AUTO_TRAIN_SECONDS", "0");
        auto none = run_airm("suggest --db " + shell_quote(db) + " 'red teaming'");
        INFO(none.err);
        CHECK(none.exit_code != 0);
        CHECK(none.err.find("airm train --db") != std::string::npos);
        CHECK(none.err.find("about") != std::string::npos);
        CHECK(!std::filesystem::exists(db + "/airm-suggest-category.model"));

        (void)airm_ok("train --db " + shell_quote(db));
        const std::string accepted = tmp.write(
            "accepted.jsonl",
            R"({"id": "cur-1", "title": "Zorblax audits", "text": "Zorblax audits.", "facets": {"category": ["3.1"]}})"
            "\n");
        (void)airm_ok("index --db " + shell_quote(db) + " " + shell_quote(accepted));
        auto stale = run_airm("suggest --db " + shell_quote(db) + " --json 'red teaming'");
        INFO(stale.err);
        REQUIRE(stale.exit_code == 0);
        const auto out = nlohmann::json::parse(stale.out);
        REQUIRE(out.contains("notices"));
        CHECK(out["notices"][0].get<std::string>().find("out of date") != std::string::npos);
        CHECK(stale.err.find("airm train --db") != std::string::npos);
        CHECK(nlohmann::json::parse(model_header(db, "category"))["trained_records"] == 92);
    }
    // With the default threshold a small index is quick to train: suggest retrains by itself.
    auto quick = run_airm("suggest --db " + shell_quote(db) + " --json 'red teaming'");
    REQUIRE(quick.exit_code == 0);
    CHECK(quick.err.find("retrained") != std::string::npos);
    CHECK(nlohmann::json::parse(model_header(db, "category"))["trained_records"] == 93);
}

TEST_CASE("airm train refuses a training above --max-memory before it starts, naming the bound "
          "and the fix",
          "[suggest][cli]") {
    TempDir tmp;
    const std::string db = index_corpus(tmp);
    auto r = run_airm("train --db " + shell_quote(db) + " --max-memory 1M");
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("--max-memory") != std::string::npos);
    CHECK(r.err.find("1.0 MiB") != std::string::npos);
    CHECK(!std::filesystem::exists(db + "/airm-suggest-category.model"));
    auto bad = run_airm("train --db " + shell_quote(db) + " --max-memory lots");
    CHECK(bad.exit_code != 0);
    CHECK(bad.err.find("'lots'") != std::string::npos);
    (void)airm_ok("train --db " + shell_quote(db) + " --max-memory 4G");
    CHECK(std::filesystem::exists(db + "/airm-suggest-category.model"));
}
