#pragma once
/// Word-break classes of the ASCII characters (UAX #29 as ICU 72 tailors it), in one table shared
/// by the analyzer's ASCII path and the snippet splitter, so that both find the words ICU finds.
/// tests/engine/analyzer.cpp and tests/search/snippets.cpp check both against ICU.

#include <array>
#include <cstdint>

namespace airm {

/// How a character takes part in a word.
enum class WordBreakClass : std::uint8_t {
    other,          ///< breaks on both sides; never part of a word
    letter,         ///< ALetter: A-Z, a-z and '@' (ICU 72 keeps e-mail addresses whole)
    digit,          ///< Numeric: 0-9
    underscore,     ///< ExtendNumLet '_': joins letters, digits and itself
    mid_letter,     ///< MidLetter: between two letters only (no ASCII one: ICU breaks at ':')
    mid_num_letter, ///< MidNumLet, Single_Quote '.', '\'': between two letters or two digits
    mid_num,        ///< MidNum ',', ';': between two digits only
};

/// The class of every ASCII character.
[[nodiscard]] constexpr std::array<WordBreakClass, 128> ascii_word_break_classes() {
    std::array<WordBreakClass, 128> classes{};
    for (auto& c : classes) {
        c = WordBreakClass::other;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        classes[static_cast<std::size_t>(c)] = WordBreakClass::letter;
        classes[static_cast<std::size_t>(c - 'a' + 'A')] = WordBreakClass::letter;
    }
    classes['@'] = WordBreakClass::letter;
    for (int c = '0'; c <= '9'; ++c) {
        classes[static_cast<std::size_t>(c)] = WordBreakClass::digit;
    }
    classes['_'] = WordBreakClass::underscore;
    classes['.'] = WordBreakClass::mid_num_letter;
    classes['\''] = WordBreakClass::mid_num_letter;
    classes[','] = WordBreakClass::mid_num;
    classes[';'] = WordBreakClass::mid_num;
    return classes;
}

/// ascii_word_break_classes(), computed once.
inline constexpr std::array<WordBreakClass, 128> kAsciiWordBreak = ascii_word_break_classes();

} // namespace airm
