#pragma once
/// Terminal output: styles (bold, dim) on a terminal only, its width, word wrapping, number
/// formats and progress lines. Every escape sequence the airm command writes lives here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace airm::cli {

/// True when standard output is a terminal (so styling is wanted).
[[nodiscard]] bool stdout_is_terminal();
/// True when standard error is a terminal (so progress may be shown).
[[nodiscard]] bool stderr_is_terminal();

/// A text style of standard output.
enum class Style { bold, dim };
/// The escape sequences that turn a style on and off; both empty when standard output is not a
/// terminal, so piped output carries no escapes.
struct StyleCodes {
    std::string_view on;
    std::string_view off;
};
[[nodiscard]] StyleCodes style_codes(Style style);
/// `text` in bold (on a terminal).
[[nodiscard]] std::string bold(std::string_view text);
/// `text` dimmed (on a terminal).
[[nodiscard]] std::string dim(std::string_view text);

/// Columns of the terminal on standard output (at least 40), or 100 when it is not a terminal.
[[nodiscard]] std::size_t terminal_columns();
/// Characters shown for UTF-8 `text` (continuation bytes do not count).
[[nodiscard]] std::size_t display_width(std::string_view text);
/// `text` in a column of `width` characters: cut (at a character boundary, leaving one column
/// free) when longer, padded with spaces when shorter.
[[nodiscard]] std::string fit(std::string_view text, std::size_t width);

/// Marks around the parts of a text that wrap() shows in a style; control bytes, so they never
/// occur in shown text.
inline constexpr std::string_view kMarkOn = "\x01";
inline constexpr std::string_view kMarkOff = "\x02";
/// `text` between kMarkOn and kMarkOff.
[[nodiscard]] std::string marked(std::string_view text);
/// Word-wraps `text` at spaces to `width` columns, every line after `indent` spaces; the parts
/// between kMarkOn and kMarkOff are shown in `style`. Marks take no width.
[[nodiscard]] std::string wrap(std::string_view text, std::size_t indent, std::size_t width,
                               Style style);

/// 12345 -> "12,345".
[[nodiscard]] std::string with_commas(std::uint64_t n);
/// 1536 -> "1.5 KiB".
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

/// Prints "done / total records, rate, ETA" on one refreshed line of standard error, only when it
/// is a terminal and at most a few times a second. With the unit "%" it prints the share done and
/// the ETA instead (for work counted in units a user has no name for).
class ProgressLine {
  public:
    explicit ProgressLine(std::string label, std::string unit = "records");
    ~ProgressLine();
    void update(std::uint64_t done, std::uint64_t total);

  private:
    std::string label_;
    std::string unit_;
    bool enabled_;
    bool printed_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
};

} // namespace airm::cli
