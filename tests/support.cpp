#include "support.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <utility>

namespace fs = std::filesystem;

namespace airm::test {

TempDir::TempDir() {
    std::random_device rd;
    std::mt19937_64 rng(rd());
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path candidate = fs::temp_directory_path() / ("airm-test-" + std::to_string(rng()));
        if (fs::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("could not create a temporary folder");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
    std::string p = file(name);
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p;
}

std::string corpus_dir() {
    return AIRM_TEST_CORPUS_DIR;
}

std::optional<std::string> shared_data_dir() {
    fs::path p = fs::path(AIRM_TEST_SHARED_DIR) / "data";
    if (fs::exists(p / "mit-mitigations" / "mitigation-database-2025-07-23.csv")) {
        return p.string();
    }
    return std::nullopt;
}

std::string airm_binary() {
    return AIRM_TEST_BINARY;
}

std::string test_data(const std::string& name) {
    return std::string(AIRM_TEST_DATA_DIR) + "/" + name;
}

std::string airm_ok(const std::string& args, const std::string& stdin_text) {
    CommandResult r = run_airm(args, stdin_text);
    INFO("airm " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

std::uint64_t record_count(const std::string& db) {
    return nlohmann::json::parse(airm_ok("stats --json --db " + shell_quote(db)))["records"]
        .get<std::uint64_t>();
}

const std::vector<std::string> SmallIndex::kIds = {"T-001", "T-002", "T-003", "T-004",
                                                   "T-005", "T-006", "T-007"};

SmallIndex::SmallIndex() {
    airm_ok("index --db " + shell_quote(db) + " --taxonomy " +
            shell_quote(corpus_dir() + "/taxonomy.json") + " " +
            shell_quote(test_data("records.jsonl")));
}

std::map<std::string, std::string> folder_contents(const std::string& folder) {
    std::map<std::string, std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        if (!entry.is_regular_file())
            continue;
        out[fs::relative(entry.path(), folder).string()] = read_file(entry.path().string());
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

std::string shell_quote(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

CommandResult run_airm(const std::string& args, const std::string& stdin_text) {
    TempDir tmp;
    std::string in = tmp.write("stdin", stdin_text);
    std::string out = tmp.file("stdout");
    std::string err = tmp.file("stderr");
    std::string cmd = shell_quote(airm_binary()) + " " + args + " <" + shell_quote(in) + " >" +
                      shell_quote(out) + " 2>" + shell_quote(err);
    int status = std::system(cmd.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(out);
    result.err = read_file(err);
    // tools/test-sanitizers makes a sanitizer report end a process with 86, a code airm never uses:
    // fail the test here, since a test that only expects a non-zero exit would accept it.
    if (result.exit_code == 86) {
        throw std::runtime_error("airm " + args + " was stopped by a sanitizer report:\n" +
                                 result.err);
    }
    return result;
}

std::size_t write_corpus_copies(const std::string& path, std::size_t copies, bool rename_first,
                                const std::string& text_suffix) {
    std::ifstream in(corpus_dir() + "/records.jsonl");
    std::vector<nlohmann::json> records;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            records.push_back(nlohmann::json::parse(line));
    }
    std::ofstream out(path);
    std::size_t written = 0;
    for (std::size_t c = 0; c < copies; ++c) {
        for (auto record : records) {
            if (c > 0 || rename_first)
                record["id"] = "C" + std::to_string(c) + "-" + record["id"].get<std::string>();
            if (!text_suffix.empty())
                record["text"] = record["text"].get<std::string>() + text_suffix;
            out << record.dump() << '\n';
            ++written;
        }
    }
    return written;
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
    unsetenv(name_.c_str());
}

} // namespace airm::test
