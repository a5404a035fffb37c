#pragma once
/// Terminal output: styles (bold, dim) on a terminal only, its width, word wrapping, number
/// formats and progress lines. Every escape sequence the airm command writes lives here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace airm::cli {

/// True when standard output is a terminal (so styling is wanted).
[[nodiscard]] bool stdout_is_terminal();
/// True when standard error is a terminal (so progress may be shown).
[[nodiscard]] bool stderr_is_terminal();

/// When standard output is styled: `--color=auto` (on a terminal, unless $NO_COLOR is set and not
/// empty or $TERM is dumb), `always` (even piped, whatever $NO_COLOR says) or `never`.
enum class ColorMode { automatic, always, never };
/// Sets the mode for the rest of the process (the `--color` option of every command).
void set_color_mode(ColorMode mode);
/// True when standard output gets styles, by the mode and the environment.
[[nodiscard]] bool styles_wanted();

/// A text style of standard output.
enum class Style { bold, dim };
/// The escape sequences that turn a style on and off; both empty when styles are not wanted (by
/// default, when standard output is not a terminal), so piped output carries no escapes.
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
/// `text` (from the data) safe to show: tabs and line breaks become spaces, other control
/// characters (an ESC sequence in a title, C1 controls) '?', byte for byte, so that offsets into
/// the text (snippet marks) stay valid and the data can never drive the terminal.
[[nodiscard]] std::string printable(std::string_view text);
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

/// The help of `--skip-bad-lines`, the same for every batch input.
inline constexpr const char* kSkipBadLinesHelp =
    "Skip the lines of a JSON Lines input that are not a valid record (or query), each reported "
    "on stderr as 'airm: skipped line N of FILE: why', then how many; the exit code stays 0 "
    "unless nothing was left";
/// A sink for LoadOptions::on_bad_line: reports each bad line on stderr as it is skipped, once
/// (a read that restarts sees the line again), and keeps its message in `skipped`.
[[nodiscard]] std::function<void(const std::string&)>
skipping_into(std::vector<std::string>& skipped);
/// After a batch: "airm: skipped 3 bad lines; the others were `done`" on stderr, when any were.
void report_skipped(const std::vector<std::string>& skipped, std::string_view done);

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
