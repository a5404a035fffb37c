#include "engine/analysis/detail/ascii.hpp"

#include "engine/analysis/word_break.hpp"

#include <array>

namespace airm::detail {
namespace {

using WordClass = WordBreakClass;

WordClass class_of(char c) {
    return kAsciiWordBreak[static_cast<unsigned char>(c) & 0x7F];
}

bool is_word_part(WordClass c) {
    return c == WordClass::letter || c == WordClass::digit || c == WordClass::underscore;
}

char joiner_of(char c) {
    switch (c) {
    case '-':
    case '/':
    case '.':
    case '_':
    case '&':
    case '+':
        return c;
    default:
        return 0;
    }
}

} // namespace

void segment_ascii(std::string_view text, std::uint32_t base, std::size_t max_term_bytes,
                   std::vector<RawToken>& out) {
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        if (!is_word_part(class_of(text[i]))) {
            ++i; // a segment of its own that is not a word (spaces, punctuation)
            continue;
        }
        const std::size_t start = i;
        bool alnum = class_of(text[i]) != WordClass::underscore;
        bool digit_or_dot = class_of(text[i]) == WordClass::digit;
        std::size_t j = i + 1;
        while (j < n) {
            const WordClass prev = class_of(text[j - 1]);
            const WordClass cur = class_of(text[j]);
            if (is_word_part(
                    cur)) { // WB5, WB8-WB10, WB13a/b: letters, digits and '_' hold together
                alnum = alnum || cur != WordClass::underscore;
                digit_or_dot = digit_or_dot || cur == WordClass::digit;
                ++j;
                continue;
            }
            if ((cur == WordClass::mid_num_letter || cur == WordClass::mid_num) && j + 1 < n) {
                const WordClass next = class_of(text[j + 1]);
                const bool letters = prev == WordClass::letter && next == WordClass::letter &&
                                     cur == WordClass::mid_num_letter; // WB6/WB7
                const bool digits =
                    prev == WordClass::digit && next == WordClass::digit; // WB11/WB12
                if (letters || digits) {
                    digit_or_dot = digit_or_dot || digits || text[j] == '.';
                    j += 2;
                    continue;
                }
            }
            break;
        }
        i = j;
        // A lone '_' is not a word for ICU; a run of two or more is.
        if (!alnum && j - start < 2) {
            continue;
        }
        if (j - start > max_term_bytes) {
            continue;
        }
        RawToken token;
        token.begin = base + static_cast<std::uint32_t>(start);
        token.end = base + static_cast<std::uint32_t>(j);
        token.kind = digit_or_dot ? TokenKind::number : TokenKind::word;
        token.term.resize(j - start);
        for (std::size_t k = start; k < j; ++k) {
            const char c = text[k];
            token.term[k - start] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        if (j < n) {
            token.joiner = joiner_of(text[j]);
            token.after_joiner = token.end + 1;
        }
        out.push_back(std::move(token));
    }
}

} // namespace airm::detail
