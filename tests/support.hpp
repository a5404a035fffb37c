#pragma once
/// Helpers shared by the tests: temporary folders, paths to bundled and shared data, running airm.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

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
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
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

/// Result of running a command.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
/// Runs `airm` with the given argument string (already shell-quoted), capturing output.
[[nodiscard]] CommandResult run_airm(const std::string& args, const std::string& stdin_text = "");
/// Every file below `folder` (relative path -> bytes): equal before and after a command means it
/// wrote nothing there.
[[nodiscard]] std::map<std::string, std::string> folder_contents(const std::string& folder);

/// Quotes one argument for the shell.
[[nodiscard]] std::string shell_quote(const std::string& arg);

} // namespace airm::test

/// Skips the rest of a test when the shared data is absent, saying so.
#define AIRM_REQUIRE_SHARED_DATA(var)                                                               \
    auto var##_opt = ::airm::test::shared_data_dir();                                               \
    if (!var##_opt) {                                                                               \
        WARN("SKIPPED: ../shared/data is absent, so this test of the real data did not run");       \
        return;                                                                                     \
    }                                                                                               \
    const std::string var = *var##_opt
