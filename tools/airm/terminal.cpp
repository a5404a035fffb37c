#include "terminal.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sys/ioctl.h>
#include <unistd.h>
#include <unordered_set>

namespace airm::cli {

bool stdout_is_terminal() {
    return isatty(STDOUT_FILENO) != 0;
}

bool stderr_is_terminal() {
    return isatty(STDERR_FILENO) != 0;
}

namespace {

ColorMode color_mode = ColorMode::automatic;

bool env_set(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
}

} // namespace

void set_color_mode(ColorMode mode) {
    color_mode = mode;
}

bool styles_wanted() {
    switch (color_mode) {
    case ColorMode::always:
        return true;
    case ColorMode::never:
        return false;
    case ColorMode::automatic:
        break;
    }
    const char* term = std::getenv("TERM");
    return !env_set("NO_COLOR") && !(term != nullptr && std::string_view(term) == "dumb") &&
           stdout_is_terminal();
}

StyleCodes style_codes(Style style) {
    if (!styles_wanted())
        return {};
    switch (style) {
    case Style::bold:
        return {"\033[1m", "\033[0m"};
    case Style::dim:
        return {"\033[2m", "\033[0m"};
    }
    return {};
}

namespace {

std::string styled(std::string_view text, Style style) {
    const StyleCodes codes = style_codes(style);
    std::string out;
    out.reserve(codes.on.size() + text.size() + codes.off.size());
    out.append(codes.on).append(text).append(codes.off);
    return out;
}

} // namespace

std::string bold(std::string_view text) {
    return styled(text, Style::bold);
}

std::string dim(std::string_view text) {
    return styled(text, Style::dim);
}

std::size_t terminal_columns() {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 100;
}

std::size_t display_width(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            ++n;
    }
    return n;
}

std::string printable(std::string_view text) {
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto c = static_cast<unsigned char>(out[i]);
        if (c == '\t' || c == '\n' || c == '\r') {
            out[i] = ' ';
        } else if (c < 0x20 || c == 0x7F) {
            out[i] = '?';
        } else if (c == 0xC2 && i + 1 < out.size() &&
                   static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(out[i + 1]) <= 0x9F) {
            out[i] = '?'; // U+0080..U+009F, the C1 controls (CSI among them)
            out[++i] = '?';
        }
    }
    return out;
}

std::string fit(std::string_view text, std::size_t width) {
    const std::size_t keep = display_width(text) < width ? width : (width > 0 ? width - 1 : 0);
    std::string out;
    std::size_t shown = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && shown++ == keep)
            break;
        out += c;
    }
    out.append(width - std::min(width, display_width(out)), ' ');
    return out;
}

std::string marked(std::string_view text) {
    std::string out;
    out.reserve(kMarkOn.size() + text.size() + kMarkOff.size());
    out.append(kMarkOn).append(text).append(kMarkOff);
    return out;
}

std::string wrap(std::string_view text, std::size_t indent, std::size_t width, Style style) {
    const StyleCodes codes = style_codes(style);
    const std::string pad(indent, ' ');
    std::string out = pad;
    std::size_t col = indent;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = text.find(' ', i);
        if (j == std::string_view::npos)
            j = text.size();
        std::string_view word = text.substr(i, j - i);
        std::string shown;
        std::size_t w = 0;
        for (char c : word) {
            if (c == kMarkOn[0]) {
                shown += codes.on;
            } else if (c == kMarkOff[0]) {
                shown += codes.off;
            } else {
                shown += c;
                if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
                    ++w;
            }
        }
        if (col > indent && col + 1 + w > width) {
            out += "\n" + pad;
            col = indent;
        } else if (col > indent) {
            out += ' ';
            ++col;
        }
        out += shown;
        col += w;
        i = j + 1;
    }
    return out;
}

std::function<void(const std::string&)> skipping_into(std::vector<std::string>& skipped) {
    auto seen = std::make_shared<std::unordered_set<std::string>>();
    return [&skipped, seen](const std::string& message) {
        if (!seen->insert(message).second)
            return;
        skipped.push_back(message);
        std::fprintf(stderr, "airm: skipped %s\n", message.c_str());
    };
}

void report_skipped(const std::vector<std::string>& skipped, std::string_view done) {
    if (skipped.empty())
        return;
    std::fprintf(stderr, "airm: skipped %s; the others were %.*s\n",
                 skipped.size() == 1 ? "1 bad line"
                                     : (with_commas(skipped.size()) + " bad lines").c_str(),
                 static_cast<int>(done.size()), done.data());
}

std::string with_commas(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string human_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return buf;
}

ProgressLine::ProgressLine(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), enabled_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressLine::~ProgressLine() {
    if (printed_) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
    }
}

void ProgressLine::update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_)
        return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done != total)
        return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    std::string line = "\r\033[K" + label_ + " ";
    if (unit_ == "%") {
        const double share = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
        char buf[96];
        if (share > 0 && seconds > 0)
            std::snprintf(buf, sizeof buf, "%.0f%%, ETA %.0f s", 100 * share,
                          seconds * (1 - share) / share);
        else
            std::snprintf(buf, sizeof buf, "%.0f%%", 100 * share);
        line += buf;
    } else if (total > 0) {
        line += with_commas(done) + " / " + with_commas(total) + " " + unit_;
        if (rate > 0) {
            char buf[96];
            std::snprintf(buf, sizeof buf, ", %s %s/s, ETA %.0f s",
                          with_commas(static_cast<std::uint64_t>(rate)).c_str(), unit_.c_str(),
                          static_cast<double>(total - done) / rate);
            line += buf;
        }
    } else {
        line += with_commas(done) + " " + unit_ + " read";
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    printed_ = true;
}

} // namespace airm::cli
