#pragma once
/// Internal to the analyzer (not a public header): word segmentation of pure-ASCII text without
/// ICU. It finds exactly the word segments ICU's word break iterator (UAX #29 with ICU's tailoring)
/// finds in ASCII text, which is most of what is indexed, at a fraction of the cost of converting
/// to UTF-16 and running the break iterator. tests/engine/analyzer.cpp checks it against ICU.

#include "engine/analysis/analyzer.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airm::detail {

/// A word found by segmentation, before compound joining. Offsets are bytes into the analysed text.
struct RawToken {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    /// The ASCII joiner ('-', '/', '.', '_', '&', '+') right after the token, or 0 when none is.
    char joiner = 0;
    /// Byte offset just past that joiner: the next token is joined to this one when it begins here.
    std::uint32_t after_joiner = 0;
    TokenKind kind = TokenKind::word;
    std::string term;
};

/// Appends the word tokens of `text`, which must be pure ASCII, to `out`: lower-cased terms, word
/// or number kinds as the ICU path gives them, offsets counted from `base`. Terms longer than
/// `max_term_bytes` are dropped, as the ICU path drops them.
void segment_ascii(std::string_view text, std::uint32_t base, std::size_t max_term_bytes,
                   std::vector<RawToken>& out);

/// Analyses `text` with ICU alone, never the ASCII path: what the fast path must reproduce (tests).
[[nodiscard]] std::vector<Token> analyze_with_icu_only(const AnalyzerConfig& config,
                                                       std::string_view text);

} // namespace airm::detail
