#pragma once
/// A fast word splitter for plain text, for snippets: on text made of ASCII and a few punctuation
/// marks it finds the same word tokens as the Analyzer (ICU word boundaries, then lower case), far
/// more cheaply. A test checks the two agree on the bundled and the real corpus.

#include "engine/analysis/analyzer.hpp"

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace airm {

/// The word and number tokens of `text` (no compounds; positions not counted), or nullopt when the
/// text holds a character this splitter does not handle (then use Analyzer::analyze). Handled:
/// ASCII, no-break space, curly quotes, dashes, bullet, ellipsis, middle dot and (see below)
/// accented Latin-1 letters and some symbols. (ICU's word
/// boundaries join letters across "." "'" "’" "·", digits across "." "," ";" "'" "’", and split
/// at ":".)
/// With `wanted`, only tokens whose first (lower-case) byte is marked get their term and kind;
/// the others carry their bounds alone, which saves building terms nobody looks at.
/// With `fold_diacritics` (set it as the analyzer's AnalyzerConfig is), the accented letters of
/// Latin-1 that fold to one ASCII letter ("é", "ñ", "ü") are handled too, folded as the analyzer
/// folds them; a few Latin-1 and currency symbols ("£", "€", "©", "°") are handled either way.
[[nodiscard]] std::optional<std::vector<Token>>
plain_words(std::string_view text, const std::array<bool, 256>* wanted = nullptr,
            bool fold_diacritics = false);

} // namespace airm
