#include "engine/json_string.hpp"

#include "engine/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace airm {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

/// True for the bytes a JSON string holds as they are.
bool plain(char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
}

/// True when none of the 8 bytes of `word` needs an escape (no control byte, '"' or '\\').
bool plain8(std::uint64_t word) {
    auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
    const bool control = ((word - kOnes * 0x20) & ~word & kHighs) != 0;
    return !control && !has_zero(word ^ (kOnes * '"')) && !has_zero(word ^ (kOnes * '\\'));
}

/// Appends the escape of one byte that is not plain().
void append_escape(std::string& out, char c) {
    static constexpr char kHex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        out += "\\\"";
        break;
    case '\\':
        out += "\\\\";
        break;
    case '\n':
        out += "\\n";
        break;
    case '\r':
        out += "\\r";
        break;
    case '\t':
        out += "\\t";
        break;
    case '\b':
        out += "\\b";
        break;
    case '\f':
        out += "\\f";
        break;
    default: {
        const auto byte = static_cast<unsigned char>(c);
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xF];
    }
    }
}

/// Appends `s` escaped, whatever its bytes, copying the runs that need no escape at once.
void append_escaped(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = i;
        for (; j + 8 <= s.size(); j += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + j, 8);
            if (!plain8(word))
                break;
        }
        while (j < s.size() && plain(s[j]))
            ++j;
        out.append(s.data() + i, j - i);
        if (j == s.size())
            break;
        append_escape(out, s[j]);
        i = j + 1;
    }
}

/// append_escaped(s) while checking in the same pass that `s` is valid UTF-8: false, with part of
/// `s` written, at the first invalid byte.
bool append_escaped_if_valid(std::string& out, std::string_view s) {
    std::size_t i = 0;
    std::size_t run = 0; // bytes from `run` to `i` are still to be copied
    while (i < s.size()) {
        if (i + 8 <= s.size()) { // 8 ASCII bytes needing no escape a step
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & kHighs) == 0 && plain8(word)) {
                i += 8;
                continue;
            }
        }
        const char c = s[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            const std::size_t start = i;
            if (utf8::decode(s, i) == 0xFFFD && i == start + 1)
                return false;
            continue; // a valid character, copied with the run
        }
        if (plain(c)) {
            ++i;
            continue;
        }
        out.append(s.data() + run, i - run);
        append_escape(out, c);
        run = ++i;
    }
    out.append(s.data() + run, i - run);
    return true;
}

} // namespace

bool append_json_string_if_valid(std::string& out, std::string_view text) {
    const std::size_t mark = out.size();
    out += '"';
    if (!append_escaped_if_valid(out, text)) {
        out.resize(mark);
        return false;
    }
    out += '"';
    return true;
}

void append_json_string(std::string& out, std::string_view text) {
    if (append_json_string_if_valid(out, text))
        return;
    std::string fixed;
    fixed.reserve(text.size() + 8);
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t start = pos;
        const char32_t cp = utf8::decode(text, pos);
        // decode() yields U+FFFD for an invalid byte and for a literal U+FFFD (3 bytes, valid).
        if (cp == 0xFFFD && pos == start + 1) {
            fixed += "\xEF\xBF\xBD";
        } else {
            fixed.append(text, start, pos - start);
        }
    }
    out += '"';
    append_escaped(out, fixed);
    out += '"';
}

} // namespace airm
