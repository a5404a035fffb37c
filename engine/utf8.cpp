#include "engine/utf8.hpp"

namespace airm::utf8 {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

} // namespace

char32_t decode(std::string_view text, std::size_t& pos) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    unsigned char c = s[pos];
    if (c < 0x80) {
        ++pos;
        return c;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        ++pos;
        return kReplacement;
    }
    if (pos + len > n) {
        ++pos;
        return kReplacement;
    }
    for (std::size_t i = 1; i < len; ++i) {
        if (!continuation(s[pos + i])) {
            ++pos;
            return kReplacement;
        }
        cp = (cp << 6) | (s[pos + i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return kReplacement;
    }
    pos += len;
    return cp;
}

std::optional<std::size_t> first_invalid(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Fast path over ASCII.
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        std::size_t start = pos;
        char32_t cp = decode(text, pos);
        if (cp == kReplacement && pos == start + 1) {
            return start;
        }
        // A literal U+FFFD in the input is valid (3 bytes), so only one-byte advances are errors.
    }
    return std::nullopt;
}

std::string_view truncate(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return text;
    }
    std::size_t cut = max_bytes;
    while (cut > 0 && continuation(static_cast<unsigned char>(text[cut]))) {
        --cut;
    }
    return text.substr(0, cut);
}

} // namespace airm::utf8
