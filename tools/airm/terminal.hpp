#pragma once
/// Terminal output helpers: bold and dim on a terminal only, progress lines, JSON printing.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace airm::cli {

/// True when standard output is a terminal (so styling is wanted).
[[nodiscard]] bool stdout_is_terminal();
/// True when standard error is a terminal (so progress may be shown).
[[nodiscard]] bool stderr_is_terminal();
[[nodiscard]] std::string bold(std::string_view text);
[[nodiscard]] std::string dim(std::string_view text);
/// 12345 -> "12,345".
[[nodiscard]] std::string with_commas(std::uint64_t n);
/// 1536 -> "1.5 KiB".
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

/// Prints "done / total records, rate, ETA" on one refreshed line of standard error, only when it
/// is a terminal and at most a few times a second.
class ProgressLine {
public:
    explicit ProgressLine(std::string label);
    ~ProgressLine();
    void update(std::uint64_t done, std::uint64_t total);

private:
    std::string label_;
    bool enabled_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
};

} // namespace airm::cli
