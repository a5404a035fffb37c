#pragma once
/// "Did you mean": corrections for query words the index does not know, drawn from the index's own
/// vocabulary (its unstemmed terms), closest first by edit distance, then most frequent.

#include "engine/index.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace airm {

/// Damerau-Levenshtein distance (adjacent transpositions count once) between two strings, counted
/// in code points; any value above `limit` is returned as limit + 1.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

/// The most edits a correction of a word of this many characters may need: 1 up to 4, else 2.
[[nodiscard]] std::size_t max_edits(std::size_t characters);

/// The best known replacement of `word` (already case-folded) in `index`, or nullopt when none is
/// close enough. A word the index knows is its own answer.
[[nodiscard]] std::optional<std::string> suggest_spelling(const Index& index,
                                                          std::string_view word);

} // namespace airm
