#include "engine/codes.hpp"

#include <algorithm>
#include <cctype>

namespace airm {
namespace {

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::string_view> segments(std::string_view code) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto dot = code.find('.', start);
        out.push_back(code.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                       : dot - start));
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

} // namespace

bool is_code(std::string_view token) {
    if (token.empty() || token.size() > 200) {
        return false;
    }
    bool has_digit = false;
    bool has_dot = token.find('.') != std::string_view::npos;
    for (auto seg : segments(token)) {
        if (seg.empty()) {
            return false;
        }
        if (all_digits(seg)) {
            if (seg.size() > 6) {
                return false;
            }
            has_digit = true;
            continue;
        }
        if (seg.size() > 2 ||
            !std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isalnum(c); })) {
            return false;
        }
        if (std::any_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isdigit(c); })) {
            has_digit = true;
        }
    }
    // A lone word of one or two letters ("AI") is not a code; "X.X" and "1" are.
    return has_digit || has_dot;
}

bool is_taxonomy_code(std::string_view code) {
    if (code.empty() || code.size() > 200) {
        return false;
    }
    for (auto seg : segments(code)) {
        if (seg.empty() ||
            !std::all_of(seg.begin(), seg.end(), [](unsigned char c) { return std::isalnum(c); })) {
            return false;
        }
    }
    return true;
}

std::optional<CodedValue> parse_coded_value(std::string_view value) {
    value = trim(value);
    std::size_t end = 0;
    while (end < value.size() && !std::isspace(static_cast<unsigned char>(value[end]))) {
        ++end;
    }
    std::string_view head = value.substr(0, end);
    // "3.1." and "3.1:" are written too.
    while (!head.empty() && (head.back() == '.' || head.back() == ':')) {
        head.remove_suffix(1);
    }
    if (!is_code(head)) {
        return std::nullopt;
    }
    std::string_view rest = trim(value.substr(end));
    // Separators seen between a code and its name: "6.5 > Name", "3.1 - Name", "3.1: Name", "3.1 –
    // Name".
    for (std::string_view sep : {">", "-", ":", "\xE2\x80\x93", "\xE2\x80\x94", "|"}) {
        if (rest.substr(0, sep.size()) == sep) {
            rest = trim(rest.substr(sep.size()));
            break;
        }
    }
    return CodedValue{std::string(head), std::string(rest)};
}

std::string parent_code(std::string_view code) {
    auto dot = code.rfind('.');
    return dot == std::string_view::npos ? std::string() : std::string(code.substr(0, dot));
}

std::vector<std::string> code_path(std::string_view code) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        auto dot = code.find('.', pos);
        if (dot == std::string_view::npos) {
            out.emplace_back(code);
            break;
        }
        out.emplace_back(code.substr(0, dot));
        pos = dot + 1;
    }
    return out;
}

bool code_less(std::string_view a, std::string_view b) {
    auto sa = segments(a);
    auto sb = segments(b);
    for (std::size_t i = 0; i < std::min(sa.size(), sb.size()); ++i) {
        if (sa[i] == sb[i]) {
            continue;
        }
        bool na = all_digits(sa[i]);
        bool nb = all_digits(sb[i]);
        if (na && nb) {
            if (sa[i].size() != sb[i].size()) {
                return sa[i].size() < sb[i].size();
            }
            return sa[i] < sb[i];
        }
        if (na != nb) {
            return na; // numbers before letters: "1.9" before "1.X"
        }
        return sa[i] < sb[i];
    }
    return sa.size() < sb.size();
}

} // namespace airm
