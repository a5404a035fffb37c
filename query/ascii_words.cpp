#include "query/ascii_words.hpp"

#include <array>

namespace airm {
namespace {

/// Word-boundary classes (Unicode UAX #29) of the characters handled.
enum class Cls { other, letter, digit, underscore, mid_letter, mid_num_letter, mid_num };

/// Classes of the ASCII characters.
constexpr std::array<Cls, 128> ascii_classes() {
    std::array<Cls, 128> t{};
    for (int c = 'a'; c <= 'z'; ++c)
        t[static_cast<std::size_t>(c)] = Cls::letter;
    for (int c = 'A'; c <= 'Z'; ++c)
        t[static_cast<std::size_t>(c)] = Cls::letter;
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = Cls::digit;
    t['_'] = Cls::underscore;
    t['.'] = Cls::mid_num_letter;
    t['\''] = Cls::mid_num_letter;
    t[','] = Cls::mid_num;
    t[';'] = Cls::mid_num;
    return t;
}
constexpr std::array<Cls, 128> kAscii = ascii_classes();

/// The class of the character at `i` and its length in bytes; nullopt for an unhandled one.
inline std::optional<Cls> classify(std::string_view s, std::size_t i, std::size_t& len) {
    const auto c = static_cast<unsigned char>(s[i]);
    len = 1;
    if (c < 0x80)
        return kAscii[c];
    if (c == 0xC2 && i + 1 < s.size()) {
        len = 2;
        const auto d = static_cast<unsigned char>(s[i + 1]);
        if (d == 0xA0)
            return Cls::other; // no-break space
        if (d == 0xB7)
            return Cls::mid_letter; // middle dot
        return std::nullopt;
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
        len = 3;
        switch (static_cast<unsigned char>(s[i + 2])) {
        case 0x93:
        case 0x94: // en and em dash
        case 0x9C:
        case 0x9D: // double curly quotes
        case 0xA2:
        case 0xA6:
            return Cls::other; // bullet, ellipsis
        case 0x98:
        case 0x99:
            return Cls::mid_num_letter; // single curly quotes
        default:
            return std::nullopt;
        }
    }
    return std::nullopt;
}

bool joins(Cls c) {
    return c == Cls::letter || c == Cls::digit || c == Cls::underscore;
}

} // namespace

std::optional<std::vector<Token>> plain_words(std::string_view text,
                                              const std::array<bool, 256>* wanted) {
    std::vector<Token> out;
    out.reserve(text.size() / 6);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t len = 0;
        auto cls = classify(text, i, len);
        if (!cls)
            return std::nullopt;
        if (!joins(*cls)) {
            i += len;
            continue;
        }
        const std::size_t begin = i;
        Cls last = *cls;
        bool only_underscores = last == Cls::underscore;
        i += len;
        while (i < text.size()) {
            std::size_t l = 0;
            auto c = classify(text, i, l);
            if (!c)
                return std::nullopt;
            if (joins(*c)) {
                only_underscores = only_underscores && *c == Cls::underscore;
                last = *c;
                i += l;
                continue;
            }
            // A single mid character joins two letters (mid_letter, mid_num_letter) or two digits
            // (mid_num, mid_num_letter).
            if (*c == Cls::other || i + l >= text.size())
                break;
            std::size_t l2 = 0;
            auto after = classify(text, i + l, l2);
            if (!after)
                return std::nullopt;
            const bool letters = last == Cls::letter && *after == Cls::letter &&
                                 (*c == Cls::mid_letter || *c == Cls::mid_num_letter);
            const bool digits = last == Cls::digit && *after == Cls::digit &&
                                (*c == Cls::mid_num || *c == Cls::mid_num_letter);
            if (!letters && !digits)
                break;
            i += l + l2;
            last = *after;
        }
        if (only_underscores && i - begin == 1)
            continue; // ICU makes no word of a lone '_'
        Token t;
        t.begin = static_cast<std::uint32_t>(begin);
        t.end = static_cast<std::uint32_t>(i);
        t.kind = TokenKind::word;
        char first = text[begin];
        if (first >= 'A' && first <= 'Z')
            first = static_cast<char>(first - 'A' + 'a');
        if (wanted != nullptr && !(*wanted)[static_cast<unsigned char>(first)]) {
            out.push_back(std::move(t)); // bounds only: nobody looks for a word starting so
            continue;
        }
        const std::string_view word = text.substr(begin, i - begin);
        if (word.find('\xE2') == std::string_view::npos) {
            // The common case, no curly apostrophe: the term is the word in lower case.
            t.term.assign(word);
            for (char& ch : t.term) {
                if (ch >= 'A' && ch <= 'Z')
                    ch = static_cast<char>(ch - 'A' + 'a');
                else if (ch == '.' || (ch >= '0' && ch <= '9'))
                    t.kind = TokenKind::number;
            }
            out.push_back(std::move(t));
            continue;
        }
        for (std::size_t k = begin; k < i; ++k) {
            char ch = text[k];
            if (ch >= 'A' && ch <= 'Z')
                ch = static_cast<char>(ch - 'A' + 'a');
            if (ch == '.' || (ch >= '0' && ch <= '9'))
                t.kind = TokenKind::number;
            if (static_cast<unsigned char>(ch) == 0xE2 && k + 2 < i &&
                static_cast<unsigned char>(text[k + 2]) == 0x99) {
                t.term += '\''; // the analyzer reads the curly apostrophe as the straight one
                k += 2;
                continue;
            }
            t.term += ch;
        }
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace airm
