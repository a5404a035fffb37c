#pragma once
/// Helpers shared by the tests: temporary folders, paths to bundled and shared data, running airm,
/// and a small index built through the binary.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace airm::test {

/// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// `path() / name` as a string.
    [[nodiscard]] std::string file(const std::string& name) const {
        return (path_ / name).string();
    }
    /// Writes `content` to `name` inside the folder and returns its path.
    std::string write(const std::string& name, const std::string& content) const;

  private:
    std::filesystem::path path_;
};

/// The bundled corpus folder (corpus/ in the source tree).
[[nodiscard]] std::string corpus_dir();
/// The shared reference data folder (../shared/data), or nullopt when it is absent.
[[nodiscard]] std::optional<std::string> shared_data_dir();
/// Path of the airm binary under test.
[[nodiscard]] std::string airm_binary();
/// Path of `name` in the hand-written test data (tests/data).
[[nodiscard]] std::string test_data(const std::string& name);

/// Result of running a command.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
/// Runs `airm` with the given argument string (already shell-quoted), capturing output.
[[nodiscard]] CommandResult run_airm(const std::string& args, const std::string& stdin_text = "");
/// Runs `airm` like run_airm() and requires it to succeed (exit 0), returning standard output; when
/// it fails the test stops there, showing the command and both outputs.
std::string airm_ok(const std::string& args, const std::string& stdin_text = "");
/// Number of records in the index at `db`, as `airm stats --json` reports it.
[[nodiscard]] std::uint64_t record_count(const std::string& db);
/// Every file below `folder` (relative path -> bytes): equal before and after a command means it
/// wrote nothing there.
[[nodiscard]] std::map<std::string, std::string> folder_contents(const std::string& folder);

/// The whole file at `path` as bytes ("" when it cannot be read).
[[nodiscard]] std::string read_file(const std::string& path);

/// Quotes one argument for the shell.
[[nodiscard]] std::string shell_quote(const std::string& arg);

/// Writes `copies` copies of the bundled records (corpus/records.jsonl) to `path` as JSON Lines:
/// copy c > 0 (and copy 0 too when `rename_first`) has its ids prefixed "Cc-", and `text_suffix` is
/// appended to every text. Returns the lines written.
std::size_t write_corpus_copies(const std::string& path, std::size_t copies, bool rename_first,
                                const std::string& text_suffix = "");

/// Sets an environment variable for the commands a test runs, and unsets it when it goes away.
class ScopedEnv {
  public:
    ScopedEnv(std::string name, const std::string& value);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string name_;
};

/// The 7 hand-written records of tests/data/records.jsonl (ids SmallIndex::kIds) indexed with the
/// bundled taxonomy through `airm index`, in a temporary folder removed with the object.
struct SmallIndex {
    /// The ids of the records, in file order.
    static const std::vector<std::string> kIds;
    TempDir dir;
    std::string db = dir.file("db");
    SmallIndex();
    /// Number of records the index holds now.
    [[nodiscard]] std::uint64_t records() const { return record_count(db); }
};

} // namespace airm::test

/// Skips the rest of a test when the shared data is absent, saying so.
#define AIRM_REQUIRE_SHARED_DATA(var)                                                              \
    auto var##_opt = ::airm::test::shared_data_dir();                                              \
    if (!var##_opt) {                                                                              \
        WARN("SKIPPED: ../shared/data is absent, so this test of the real data did not run");      \
        return;                                                                                    \
    }                                                                                              \
    const std::string var = *var##_opt
