#include "terminal.hpp"

#include <cstdio>
#include <unistd.h>

namespace airm::cli {

bool stdout_is_terminal() {
    return isatty(STDOUT_FILENO) != 0;
}

bool stderr_is_terminal() {
    return isatty(STDERR_FILENO) != 0;
}

std::string bold(std::string_view text) {
    return stdout_is_terminal() ? "\033[1m" + std::string(text) + "\033[0m" : std::string(text);
}

std::string dim(std::string_view text) {
    return stdout_is_terminal() ? "\033[2m" + std::string(text) + "\033[0m" : std::string(text);
}

std::string with_commas(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
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

ProgressLine::ProgressLine(std::string label)
    : label_(std::move(label)), enabled_(stderr_is_terminal()), start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressLine::~ProgressLine() {
    if (printed_) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
    }
}

void ProgressLine::update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done != total) return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    std::string line = "\r\033[K" + label_ + " " + with_commas(done);
    if (total > 0) {
        line += " / " + with_commas(total) + " records";
        if (rate > 0) {
            char buf[96];
            std::snprintf(buf, sizeof buf, ", %s records/s, ETA %.0f s", with_commas(static_cast<std::uint64_t>(rate)).c_str(),
                          static_cast<double>(total - done) / rate);
            line += buf;
        }
    } else {
        line += " records read";
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    printed_ = true;
}

} // namespace airm::cli
