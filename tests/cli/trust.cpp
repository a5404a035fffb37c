/// No silent wrong answers (issue 20): inputs that used to give a plausible but wrong answer with
/// exit 0 now give an error naming the input and the fix, or a visible notice.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::test::airm_ok;
using airm::test::run_airm;
using airm::test::shell_quote;
using airm::test::SmallIndex;
using airm::test::TempDir;
using nlohmann::json;

namespace {

/// Sets an environment variable for the life of the object.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() { unsetenv(name_); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
};

} // namespace

TEST_CASE("cli trust: AIRM_DB naming a missing folder is an error, not a demo index built there",
          "[cli][trust]") {
    TempDir dir;
    const std::string typo = dir.file("typo");
    ScopedEnv env("AIRM_DB", typo);
    for (const std::string& args :
         std::vector<std::string>{"search \"red teaming\"", "stats", "show AIRM-0046",
                                  "suggest \"Publish a model card\"", "delete AIRM-0046"}) {
        auto r = run_airm(args);
        INFO("AIRM_DB=" << typo << " airm " << args << "\nstdout: " << r.out
                        << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("AIRM_DB='" + typo + "' does not exist") != std::string::npos);
        CHECK(r.err.find("airm index --db " + typo) != std::string::npos);
        CHECK(!fs::exists(typo));
    }
    // An empty folder is not an index either, and stays empty.
    fs::create_directory(typo);
    auto r = run_airm("search \"red teaming\"");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("AIRM_DB='" + typo + "' is not an airm index") != std::string::npos);
    CHECK(fs::is_empty(typo));
    // `airm index` is how an index is made: it creates one where AIRM_DB points.
    airm_ok("index " + shell_quote(airm::test::test_data("records.jsonl")));
    CHECK(airm::test::record_count(typo) == SmallIndex::kIds.size());
}

TEST_CASE("cli trust: an empty --db is a usage error naming the empty value", "[cli][trust]") {
    for (const std::string& args : std::vector<std::string>{
             "search --db \"\" red", "stats --db \"\"",
             "index --db \"\" " + shell_quote(airm::test::test_data("records.jsonl"))}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--db") != std::string::npos);
        CHECK(r.err.find("empty") != std::string::npos);
        CHECK(r.out.empty());
    }
}

TEST_CASE("cli trust: a lock file that cannot be opened is not blamed on another process",
          "[cli][trust]") {
    SmallIndex index;
    // A lock file that cannot be opened for writing, as in a folder the user may not write to
    // (which root, running the tests in CI, could still write): here a folder in its place.
    fs::remove(fs::path(index.db) / "flintlock");
    fs::create_directory(fs::path(index.db) / "flintlock");
    for (const std::string& args : {"delete --db " + shell_quote(index.db) + " T-001",
                                    "index --db " + shell_quote(index.db) + " " +
                                        shell_quote(airm::test::test_data("records.jsonl"))}) {
        auto r = run_airm(args);
        INFO("airm " << args << "\nstderr: " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("locked by another process") == std::string::npos);
        CHECK(r.err.find("cannot take the write lock of index '" + index.db + "'") !=
              std::string::npos);
        CHECK(r.err.find("permissions") != std::string::npos);
    }
}
