#pragma once
/// The text analyzer shared by indexing and querying: ICU word segmentation, then token filters
/// (NFKC case folding, diacritic folding, compound joining, Snowball stemming). Tokens carry byte
/// offsets into the input, so snippets and highlighting see exactly the tokens that were indexed.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// Longer terms are dropped: they are not words anyone searches for, and Xapian limits term length.
inline constexpr std::size_t kMaxTermBytes = 160;

/// How text is analysed; stored in the index metadata so queries analyse the same way.
struct AnalyzerConfig {
    std::string language = "english"; ///< Snowball stemmer name, or "none"
    bool fold_diacritics = true; ///< "résumé" -> "resume" (Latin, Greek and Cyrillic scripts)
    bool operator==(const AnalyzerConfig& other) const = default;
};

/// What a token is, which decides how it is stemmed and matched.
enum class TokenKind : std::uint8_t {
    word,     ///< letters: stemmed
    number,   ///< digits, codes such as "2.2.2": kept whole
    ideo,     ///< ideographic, kana or other dictionary-segmented script: kept whole
    compound, ///< parts joined by - / . _ & + without spaces ("gpt-4", "iso/iec"): kept whole,
              ///< emitted in addition to its parts and at the position of its first part
};

/// One analysed token.
struct Token {
    std::string term;           ///< normalised (folded) form, the unstemmed index term
    std::uint32_t begin = 0;    ///< byte offset of the token's first byte in the input
    std::uint32_t end = 0;      ///< byte offset one past its last byte
    std::uint32_t position = 0; ///< word position, counted from 0
    TokenKind kind = TokenKind::word;
};

/// Analyses UTF-8 text. Not safe to share between threads: copy it, one per thread.
class Analyzer {
  public:
    explicit Analyzer(AnalyzerConfig config = {});
    Analyzer(const Analyzer& other);
    Analyzer& operator=(const Analyzer& other);
    Analyzer(Analyzer&&) noexcept;
    Analyzer& operator=(Analyzer&&) noexcept;
    ~Analyzer();

    /// Segments and normalises `text`; invalid UTF-8 bytes are read as U+FFFD and never tokens.
    [[nodiscard]] std::vector<Token> analyze(std::string_view text) const;
    /// The stem of a token's term for word tokens; empty when the token is not stemmed.
    [[nodiscard]] std::string stem(const Token& token) const;
    /// Case- and diacritic-folds a short string (facet values, single query words).
    [[nodiscard]] std::string fold(std::string_view text) const;

    [[nodiscard]] const AnalyzerConfig& config() const { return config_; }

  private:
    struct Impl;
    AnalyzerConfig config_;
    std::unique_ptr<Impl> impl_;
};

} // namespace airm
