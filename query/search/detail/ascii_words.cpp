#include "query/search/detail/ascii_words.hpp"

#include "engine/analysis/word_break.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace airm {
namespace {

using Cls = WordBreakClass;
constexpr const std::array<Cls, 128>& kAscii = kAsciiWordBreak;

/// Per byte: letter or digit for ASCII letters and digits, other for everything else.
constexpr std::array<Cls, 256> ascii_word_classes() {
    std::array<Cls, 256> t{};
    for (std::size_t c = 0; c < 128; ++c) {
        if (kAscii[c] == Cls::letter || kAscii[c] == Cls::digit)
            t[c] = kAscii[c];
    }
    return t;
}
constexpr std::array<Cls, 256> kAsciiWord = ascii_word_classes();

/// The letters U+00C0..U+00FF, indexed by their second UTF-8 byte minus 0x80: the ASCII letter
/// each folds to (case and diacritics, as NFKC case folding and mark removal do), 'x' for the two
/// symbols (U+00D7, U+00F7), or 0 for a letter without a one-letter fold (Æ, Ð, Ø, Þ, ß...).
constexpr std::array<char, 64> latin1_folds() {
    std::array<char, 64> t{};
    const char* upper = "aaaaaa\0ceeeeiiii\0nooooox\0uuuuy\0\0"; // U+00C0..U+00DF
    for (int k = 0; k < 32; ++k) {
        t[static_cast<std::size_t>(k)] = upper[k];
        t[static_cast<std::size_t>(k + 32)] = upper[k]; // U+00E0..U+00FF, same pattern
    }
    t[0x1E] = 0;   // U+00DE thorn
    t[0x1F] = 0;   // U+00DF sharp s (folds to "ss")
    t[0x3E] = 0;   // U+00FE thorn
    t[0x3F] = 'y'; // U+00FF y with diaeresis
    return t;
}
constexpr std::array<char, 64> kLatin1Folds = latin1_folds();

/// classify() for a byte >= 0x80 (kept out of line, so that the ASCII case stays small).
std::optional<Cls> classify_multibyte(std::string_view s, std::size_t i, std::size_t& len,
                                      bool fold) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && fold && i + 1 < s.size()) {
        len = 2;
        const auto d = static_cast<unsigned char>(s[i + 1]);
        if (d < 0x80 || d > 0xBF)
            return std::nullopt;
        const char f = kLatin1Folds[d - 0x80];
        if (f == 'x' && (d == 0x97 || d == 0xB7))
            return Cls::other; // multiplication and division signs
        if (f == 0)
            return std::nullopt;
        return Cls::letter;
    }
    if (c == 0xC2 && i + 1 < s.size()) {
        len = 2;
        const auto d = static_cast<unsigned char>(s[i + 1]);
        if (d == 0xA0)
            return Cls::other; // no-break space
        if (d == 0xB7)
            return Cls::mid_letter; // middle dot
        switch (d) {
        case 0xA1: // inverted exclamation mark
        case 0xA2: // cent
        case 0xA3: // pound
        case 0xA5: // yen
        case 0xA7: // section
        case 0xA9: // copyright
        case 0xAB: // left guillemet
        case 0xAE: // registered
        case 0xB0: // degree
        case 0xB1: // plus-minus
        case 0xBB: // right guillemet
        case 0xBF: // inverted question mark
            return Cls::other;
        default:
            return std::nullopt;
        }
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x82 &&
        static_cast<unsigned char>(s[i + 2]) == 0xAC) {
        len = 3;
        return Cls::other; // euro sign
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

/// The class of the character at `i` and its length in bytes; nullopt for an unhandled one.
/// Accented Latin-1 letters are letters only when `fold` (the analyzer folds diacritics).
inline std::optional<Cls> classify(std::string_view s, std::size_t i, std::size_t& len, bool fold) {
    const auto c = static_cast<unsigned char>(s[i]);
    len = 1;
    if (c < 0x80)
        return kAscii[c];
    return classify_multibyte(s, i, len, fold);
}

bool joins(Cls c) {
    return c == Cls::letter || c == Cls::digit || c == Cls::underscore;
}

/// The length of the term of a word (see the loop that builds it in plain_words()).
std::size_t term_length(std::string_view word) {
    std::size_t length = 0;
    for (std::size_t k = 0; k < word.size(); ++k, ++length) {
        const auto ch = static_cast<unsigned char>(word[k]);
        if (ch == 0xE2 && k + 2 < word.size() && static_cast<unsigned char>(word[k + 2]) == 0x99)
            k += 2; // a curly apostrophe becomes '\''
        else if (ch == 0xC3 && k + 1 < word.size())
            ++k; // an accented letter becomes its one-letter fold
    }
    return length;
}

} // namespace

std::optional<std::vector<Token>>
plain_words(std::string_view text, const std::array<bool, 256>* wanted, bool fold_diacritics) {
    // Refuse text with an unhandled character before splitting any of it: only the bytes >= 0x80
    // need a look, found 8 at a time.
    for (std::size_t k = 0; k < text.size();) {
        if (k + 8 <= text.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, text.data() + k, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                k += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(text[k]) < 0x80) {
            ++k;
            continue;
        }
        std::size_t len = 1;
        if (!classify_multibyte(text, k, len, fold_diacritics))
            return std::nullopt;
        k += len;
    }
    std::vector<Token> out;
    out.reserve(text.size() / 6);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t len = 0;
        auto cls = classify(text, i, len, fold_diacritics);
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
            // The common case first: a run of ASCII letters or digits, one table look-up a byte.
            while (i < text.size()) {
                const Cls k = kAsciiWord[static_cast<unsigned char>(text[i])];
                if (k == Cls::other)
                    break;
                last = k;
                only_underscores = false;
                ++i;
            }
            if (i >= text.size())
                break;
            std::size_t l = 0;
            auto c = classify(text, i, l, fold_diacritics);
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
            auto after = classify(text, i + l, l2, fold_diacritics);
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
        if (i - begin > kMaxTermBytes && term_length(text.substr(begin, i - begin)) > kMaxTermBytes)
            continue;                  // the analyzer drops such a term
        Token& t = out.emplace_back(); // filled in place: most tokens carry their bounds alone
        t.begin = static_cast<std::uint32_t>(begin);
        t.end = static_cast<std::uint32_t>(i);
        t.kind = TokenKind::word;
        char first = text[begin];
        if (first >= 'A' && first <= 'Z')
            first = static_cast<char>(first - 'A' + 'a');
        else if (static_cast<unsigned char>(first) == 0xC3)
            first = kLatin1Folds[static_cast<unsigned char>(text[begin + 1]) - 0x80];
        if (wanted != nullptr && !(*wanted)[static_cast<unsigned char>(first)])
            continue; // bounds only: nobody looks for a word starting so
        const std::string_view word = text.substr(begin, i - begin);
        if (word.find('\xE2') == std::string_view::npos &&
            word.find('\xC3') == std::string_view::npos) {
            // The common case, no curly apostrophe: the term is the word in lower case.
            t.term.assign(word);
            for (char& ch : t.term) {
                if (ch >= 'A' && ch <= 'Z')
                    ch = static_cast<char>(ch - 'A' + 'a');
                else if (ch == '.' || (ch >= '0' && ch <= '9'))
                    t.kind = TokenKind::number;
            }
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
            if (static_cast<unsigned char>(ch) == 0xC3 && k + 1 < i) {
                // An accented letter (classify() let only foldable ones through): its fold.
                t.term += kLatin1Folds[static_cast<unsigned char>(text[k + 1]) - 0x80];
                ++k;
                continue;
            }
            t.term += ch;
        }
    }
    return out;
}

} // namespace airm
