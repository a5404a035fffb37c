// Fault injection, as SQLite tests it: every write past a size limit fails as on a full disk, while
// `airm index`, `delete`, `train` and `compact` run. The limit is RLIMIT_FSIZE with SIGXFSZ
// ignored, so a write at or beyond it fails with EFBIG (no root, no special file system). Each
// command is run under a range of limits, so that it fails at different points of its writing:
// wherever it fails, it reports a clear error, the index answers as before, and the same command
// then succeeds.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

using airm::test::airm_ok;
using airm::test::CommandResult;
using airm::test::shell_quote;
using airm::test::TempDir;

/// Runs `airm ARGS...` with every file it writes limited to `max_file_bytes`: a write beyond fails
/// with EFBIG, as a full disk fails it with ENOSPC.
CommandResult run_airm_on_small_disk(const std::vector<std::string>& args,
                                     std::uint64_t max_file_bytes) {
    TempDir tmp;
    const std::string out = tmp.file("stdout");
    const std::string err = tmp.file("stderr");
    std::vector<std::string> argv_strings = {airm::test::airm_binary()};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The output files are opened before the limit, and what airm prints is far below it.
        const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in_fd = ::open("/dev/null", O_RDONLY);
        if (out_fd < 0 || err_fd < 0 || in_fd < 0)
            _exit(120);
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{max_file_bytes, max_file_bytes};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
            _exit(121);
        ::execv(argv[0], argv.data());
        _exit(122);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = airm::test::read_file(out);
    result.err = airm::test::read_file(err);
    REQUIRE(result.exit_code < 120); // the child was set up
    return result;
}

/// What the index at `db` answers: its record count, a search's JSON, and a record.
struct Answers {
    std::uint64_t records = 0;
    std::string search;
    std::string facets;
    friend bool operator==(const Answers&, const Answers&) = default;
};

Answers answers(const std::string& db) {
    Answers a;
    a.records = airm::test::record_count(db);
    a.search = airm_ok("search --json --limit 200 --db " + shell_quote(db) + " model OR risk");
    a.facets = airm_ok("facets --json --db " + shell_quote(db));
    return a;
}

/// Copies index folder `from` to a new folder `to`.
void copy_index(const std::string& from, const std::string& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

/// The limits each command runs under: from one below a Xapian block to beyond what it writes.
const std::vector<std::uint64_t> kLimits = {2048,   8192,   16384,   32768,  65536,
                                            131072, 262144, 1048576, 4194304};

/// The error of a command that failed on a full disk: it says what could not be written and how
/// to fix it.
void check_disk_error(const CommandResult& r) {
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("airm: error: ") == 0);
    CHECK(r.err.find("File too large") != std::string::npos);
    CHECK(r.err.find("free space") != std::string::npos);
    CHECK(r.err.find("internal error") == std::string::npos);
}

/// Runs `args` (which name the index with "--db DB") on a copy of `base` under each limit; where
/// it fails, checks the error and that the copy answers as `base` does and accepts the command
/// again with no limit. Returns how many limits made it fail.
std::size_t run_under_limits(const std::string& base, const std::vector<std::string>& args,
                             const TempDir& dir) {
    const Answers expected = answers(base);
    std::size_t failures = 0;
    for (const std::uint64_t limit : kLimits) {
        const std::string db = dir.file("db-" + std::to_string(limit));
        copy_index(base, db);
        std::vector<std::string> with_db = args;
        for (auto& a : with_db) {
            if (a == "DB")
                a = db;
        }
        const CommandResult r = run_airm_on_small_disk(with_db, limit);
        INFO("limit " << limit << " bytes; stderr: " << r.err);
        if (r.exit_code == 0)
            continue;
        ++failures;
        check_disk_error(r);
        CHECK(answers(db) == expected);
        CHECK(std::system(("xapian-check " + shell_quote(db) + " >/dev/null 2>&1").c_str()) == 0);
        std::string again;
        for (std::size_t i = 0; i < with_db.size(); ++i)
            again += (i ? " " : "") + shell_quote(with_db[i]);
        (void)airm_ok(again);
    }
    return failures;
}

/// An index of the bundled records with the bundled taxonomy, built through `airm index`.
std::string corpus_index(const TempDir& dir) {
    const std::string db = dir.file("base");
    (void)airm_ok("index --db " + shell_quote(db) + " --taxonomy " +
                  shell_quote(airm::test::corpus_dir() + "/taxonomy.json") + " " +
                  shell_quote(airm::test::corpus_dir() + "/records.jsonl"));
    return db;
}

} // namespace

TEST_CASE("airm index on a full disk fails clearly, leaves the index as it was, and runs again",
          "[cli][faults]") {
    TempDir dir;
    const std::string base = corpus_index(dir);
    const std::string input = dir.file("more.jsonl");
    (void)airm::test::write_corpus_copies(input, 20, false,
                                          " added on a small disk"); // 92 replaced, 1,748 new
    const std::size_t failures = run_under_limits(base, {"index", "--db", "DB", input}, dir);
    CHECK(failures >= 3);
}

TEST_CASE("airm delete on a full disk fails clearly, leaves the index as it was, and runs again",
          "[cli][faults]") {
    TempDir dir;
    const std::string base = corpus_index(dir);
    std::ifstream in(airm::test::corpus_dir() + "/records.jsonl");
    std::vector<std::string> args = {"delete", "--db", "DB"};
    for (std::string line; std::getline(in, line) && args.size() < 40;)
        args.push_back(nlohmann::json::parse(line)["id"].get<std::string>());
    const std::size_t failures = run_under_limits(base, args, dir);
    CHECK(failures >= 2);
}

TEST_CASE("airm train on a full disk fails clearly, keeps the model it had, and runs again",
          "[cli][faults]") {
    TempDir dir;
    const std::string base = corpus_index(dir);
    (void)airm_ok("train --db " + shell_quote(base));
    const std::string suggest =
        "suggest --json --db " + shell_quote(base) + " 'red teaming of the model before release'";
    const std::string suggested = airm_ok(suggest);
    std::size_t failures = 0;
    for (const std::uint64_t limit : kLimits) {
        const CommandResult r = run_airm_on_small_disk({"train", "--db", base}, limit);
        INFO("limit " << limit << " bytes; stderr: " << r.err);
        if (r.exit_code == 0)
            continue;
        ++failures;
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("cannot write model") != std::string::npos);
        CHECK(r.err.find("space") != std::string::npos);
        // The model it had answers as before, without retraining, and no temporary file is left.
        const CommandResult s = airm::test::run_airm(suggest);
        CHECK(s.exit_code == 0);
        CHECK(s.out == suggested);
        CHECK(s.err.find("trained") == std::string::npos);
        for (const auto& entry : fs::directory_iterator(base))
            CHECK(entry.path().extension() != ".tmp");
    }
    CHECK(failures >= 1);
    (void)airm_ok("train --db " + shell_quote(base));
    CHECK(airm_ok(suggest) == suggested);
}

TEST_CASE("airm compact on a full disk fails clearly, leaves the index as it was, and runs again",
          "[cli][faults]") {
    TempDir dir;
    const std::string base = corpus_index(dir);
    const std::string input = dir.file("again.jsonl");
    for (int round = 0; round < 4; ++round) { // every record replaced 4 times
        (void)airm::test::write_corpus_copies(input, 3, false, " round " + std::to_string(round));
        (void)airm_ok("index --db " + shell_quote(base) + " " + shell_quote(input));
    }
    const std::size_t failures = run_under_limits(base, {"compact", "--db", "DB"}, dir);
    CHECK(failures >= 2);
}
