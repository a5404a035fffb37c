#include "engine/analysis/analyzer.hpp"

#include "engine/analysis/detail/ascii.hpp"
#include "engine/analysis/detail/stem_cache.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <unicode/normalizer2.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <xapian.h>

namespace airm {
namespace {

/// RAII for ICU's C break iterator.
struct BreakIteratorCloser {
    void operator()(UBreakIterator* it) const { ubrk_close(it); }
};
using BreakIteratorPtr = std::unique_ptr<UBreakIterator, BreakIteratorCloser>;

// Stem cache bounds: 50,000 words of up to 32 bytes, in at most 131,072 slots of 80 bytes (10 MB)
// per analyzer.
constexpr std::size_t kMaxCachedStems = 50000;
constexpr std::size_t kMaxCachedStemBytes = 32;
constexpr std::size_t kMaxCompoundParts = 8;

void check(UErrorCode status, const char* what) {
    if (U_FAILURE(status)) {
        throw Error(std::string("ICU failed in ") + what + ": " + u_errorName(status) +
                    "; check that the ICU data library (libicu72) is installed");
    }
}

/// The input as UTF-16, with the UTF-8 byte offset of every UTF-16 unit (and one past the end).
struct Utf16Text {
    std::u16string units;
    std::vector<std::uint32_t> byte_offset;
};

Utf16Text to_utf16(std::string_view text) {
    Utf16Text out;
    out.units.reserve(text.size());
    out.byte_offset.reserve(text.size() + 1);
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto start = static_cast<std::uint32_t>(pos);
        char32_t cp = utf8::decode(text, pos);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out.units.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
            out.units.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
            out.byte_offset.push_back(start);
            out.byte_offset.push_back(start);
        } else {
            out.units.push_back(static_cast<char16_t>(cp));
            out.byte_offset.push_back(start);
        }
    }
    out.byte_offset.push_back(static_cast<std::uint32_t>(text.size()));
    return out;
}

/// The ASCII joiner a character stands for inside a compound ("GPT-4", "ISO/IEC"), or 0 when it
/// joins nothing. Hyphen variants read as '-', full-width forms (NFKC) as their ASCII letters.
char ascii_joiner(char16_t c) {
    if (c == 0x2010 || c == 0x2011) { // hyphen, non-breaking hyphen
        return '-';
    }
    if (c >= 0xFF01 && c <= 0xFF5E) { // full-width ASCII
        c = static_cast<char16_t>(c - 0xFEE0);
    }
    switch (c) {
    case u'-':
    case u'/':
    case u'.':
    case u'_':
    case u'&':
    case u'+':
        return static_cast<char>(c);
    default:
        return 0;
    }
}

bool script_has_diacritics_to_fold(UScriptCode script) {
    return script == USCRIPT_LATIN || script == USCRIPT_GREEK || script == USCRIPT_CYRILLIC;
}

using detail::RawToken;

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// Where the ICU-segmented stretch around a non-ASCII byte at `at` begins: just after the last
/// ASCII white space before it that is followed by an ASCII character, or `from`. Word boundaries
/// there are certain (no UAX #29 rule joins across white space, or looks past it), so both sides
/// segment alone exactly as they do together.
std::size_t stretch_begin(std::string_view text, std::size_t from, std::size_t at) {
    for (std::size_t c = at; c > from; --c) {
        if (is_ascii_space(text[c - 1]) && static_cast<unsigned char>(text[c]) < 0x80) {
            return c;
        }
    }
    return from;
}

/// Where that stretch ends: at the first such boundary after `at`, or the end of the text.
std::size_t stretch_end(std::string_view text, std::size_t at) {
    for (std::size_t c = at + 1; c < text.size(); ++c) {
        if (is_ascii_space(text[c - 1]) && static_cast<unsigned char>(text[c]) < 0x80) {
            return c;
        }
    }
    return text.size();
}

std::size_t first_non_ascii(std::string_view text, std::size_t from) {
    for (std::size_t i = from; i < text.size(); ++i) {
        if (static_cast<unsigned char>(text[i]) >= 0x80) {
            return i;
        }
    }
    return text.size();
}

/// The analyzer's state and work; Analyzer::Impl is this, and the tests' ICU-only path builds one.
struct AnalyzerCore {
    BreakIteratorPtr words;
    const icu::Normalizer2* nfkc_casefold = nullptr;
    const icu::Normalizer2* nfd = nullptr;
    const icu::Normalizer2* nfc = nullptr;
    Xapian::Stem stemmer;
    /// Stems already computed; bounded, so memory stays bounded.
    mutable detail::StemCache stem_cache{kMaxCachedStems};
    /// The words of the text being analysed, kept from call to call so that its buffer is reused.
    mutable std::vector<RawToken> raw_tokens;
    bool stems = false;
    bool fold_diacritics = true;

    explicit AnalyzerCore(const AnalyzerConfig& config) {
        UErrorCode status = U_ZERO_ERROR;
        words.reset(ubrk_open(UBRK_WORD, "", nullptr, 0, &status));
        check(status, "ubrk_open");
        nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
        check(status, "getNFKCCasefoldInstance");
        nfd = icu::Normalizer2::getNFDInstance(status);
        check(status, "getNFDInstance");
        nfc = icu::Normalizer2::getNFCInstance(status);
        check(status, "getNFCInstance");
        fold_diacritics = config.fold_diacritics;
        if (config.language != "none" && !config.language.empty()) {
            try {
                stemmer = Xapian::Stem(config.language);
                stems = true;
            } catch (const Xapian::Error& e) {
                throw InvalidInput(
                    "analyzer language '" + config.language + "' has no stemmer (" + e.get_msg() +
                    "); use one of: " + Xapian::Stem::get_available_languages() + ", or none");
            }
        }
    }

    /// Appends the word tokens ICU's break iterator finds in `text` to `raw`, offsets from `base`.
    void segment_icu(std::string_view text, std::uint32_t base, std::vector<RawToken>& raw) const {
        Utf16Text utf16 = to_utf16(text);
        const char16_t* units = utf16.units.data();
        const auto length = static_cast<std::int32_t>(utf16.units.size());

        UErrorCode status = U_ZERO_ERROR;
        UBreakIterator* it = words.get();
        ubrk_setText(it, reinterpret_cast<const UChar*>(units), length, &status);
        check(status, "ubrk_setText");

        std::int32_t start = ubrk_first(it);
        for (std::int32_t end = ubrk_next(it); end != UBRK_DONE; start = end, end = ubrk_next(it)) {
            std::int32_t rule = ubrk_getRuleStatus(it);
            if (rule < UBRK_WORD_NONE_LIMIT) {
                continue;
            }
            TokenKind kind = TokenKind::word;
            if (rule < UBRK_WORD_NUMBER_LIMIT) {
                kind = TokenKind::number;
            } else if (rule >= UBRK_WORD_KANA) {
                kind = TokenKind::ideo;
            }
            std::string term = normalize(units + start, end - start);
            if (term.empty() || term.size() > kMaxTermBytes) {
                continue;
            }
            if (kind == TokenKind::word && std::any_of(term.begin(), term.end(), [](char c) {
                    return c == '.' || (c >= '0' && c <= '9');
                })) {
                kind = TokenKind::number; // "x.x", "e.g", "gpt4": kept whole, not stemmed
            }
            RawToken token;
            token.begin = base + utf16.byte_offset[static_cast<std::size_t>(start)];
            token.end = base + utf16.byte_offset[static_cast<std::size_t>(end)];
            if (end < length) {
                token.joiner = ascii_joiner(units[end]);
                token.after_joiner = base + utf16.byte_offset[static_cast<std::size_t>(end) + 1];
            }
            token.kind = kind;
            token.term = std::move(term);
            raw.push_back(std::move(token));
        }
    }

    /// Segments `text`: pure-ASCII stretches without ICU (same tokens, far cheaper), the stretches
    /// around non-ASCII characters with ICU.
    void segment(std::string_view text, bool ascii_path, std::vector<RawToken>& raw) const {
        if (!ascii_path) {
            segment_icu(text, 0, raw);
            return;
        }
        std::size_t pos = 0;
        while (pos < text.size()) {
            const std::size_t other = first_non_ascii(text, pos);
            const std::size_t begin =
                other == text.size() ? other : stretch_begin(text, pos, other);
            if (begin > pos) {
                detail::segment_ascii(text.substr(pos, begin - pos),
                                      static_cast<std::uint32_t>(pos), kMaxTermBytes, raw);
            }
            if (other == text.size()) {
                break;
            }
            const std::size_t end = stretch_end(text, other);
            segment_icu(text.substr(begin, end - begin), static_cast<std::uint32_t>(begin), raw);
            pos = end;
        }
    }

    /// The tokens of `text`: its words, then compounds of words joined by single joiner characters.
    std::vector<Token> analyze(std::string_view text, bool ascii_path) const;

    /// NFKC case folding, then diacritic removal for scripts that carry them as marks.
    std::string normalize(const char16_t* units, std::int32_t length) const {
        bool ascii = true;
        for (std::int32_t i = 0; i < length; ++i) {
            if (units[i] >= 0x80) {
                ascii = false;
                break;
            }
        }
        std::string out;
        if (ascii) {
            out.reserve(static_cast<std::size_t>(length));
            for (std::int32_t i = 0; i < length; ++i) {
                auto c = static_cast<char>(units[i]);
                out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
            }
            return out;
        }
        UErrorCode status = U_ZERO_ERROR;
        icu::UnicodeString source(false, units, length);
        icu::UnicodeString folded = nfkc_casefold->normalize(source, status);
        check(status, "NFKC case folding");
        if (fold_diacritics) {
            folded = strip_marks(folded);
        }
        // The typographic apostrophe ("team’s") matches the typed one ("team's"), and the stemmer
        // only knows the latter.
        folded.findAndReplace(icu::UnicodeString(static_cast<UChar>(0x2019)),
                              icu::UnicodeString(u'\''));
        folded.toUTF8String(out);
        return out;
    }

    icu::UnicodeString strip_marks(const icu::UnicodeString& text) const {
        UErrorCode status = U_ZERO_ERROR;
        icu::UnicodeString decomposed = nfd->normalize(text, status);
        check(status, "NFD");
        icu::UnicodeString kept;
        UScriptCode base_script = USCRIPT_COMMON;
        for (std::int32_t i = 0; i < decomposed.length();) {
            UChar32 c = decomposed.char32At(i);
            i += U16_LENGTH(c);
            if (u_charType(c) == U_NON_SPACING_MARK && script_has_diacritics_to_fold(base_script)) {
                continue;
            }
            if (u_charType(c) != U_NON_SPACING_MARK) {
                UErrorCode script_status = U_ZERO_ERROR;
                base_script = uscript_getScript(c, &script_status);
            }
            kept.append(c);
        }
        icu::UnicodeString composed = nfc->normalize(kept, status);
        check(status, "NFC");
        return composed;
    }
};

} // namespace

struct Analyzer::Impl : AnalyzerCore {
    using AnalyzerCore::AnalyzerCore;
};

Analyzer::Analyzer(AnalyzerConfig config)
    : config_(std::move(config)), impl_(std::make_unique<Impl>(config_)) {}
Analyzer::Analyzer(const Analyzer& other)
    : config_(other.config_), impl_(std::make_unique<Impl>(config_)) {}
Analyzer& Analyzer::operator=(const Analyzer& other) {
    if (this != &other) {
        config_ = other.config_;
        impl_ = std::make_unique<Impl>(config_);
    }
    return *this;
}
Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;
Analyzer::~Analyzer() = default;

namespace {

std::vector<Token> AnalyzerCore::analyze(std::string_view text, bool ascii_path) const {
    std::vector<Token> tokens;
    if (text.empty()) {
        return tokens;
    }
    if (text.size() > 0x7fffffffU / 2) {
        throw InvalidInput("text of " + std::to_string(text.size()) +
                           " bytes is too long to analyse");
    }
    std::vector<RawToken>& raw = raw_tokens;
    raw.clear();
    segment(text, ascii_path, raw);

    tokens.reserve(raw.size() + raw.size() / 8);
    std::uint32_t position = 0;
    for (std::size_t i = 0; i < raw.size();) {
        // Find a chain of tokens joined by single joiner characters ("GPT-4", "ISO/IEC", "1.X").
        std::size_t j = i;
        bool only_hyphens = true;
        while (j + 1 < raw.size() && raw[j].joiner != 0 &&
               raw[j + 1].begin == raw[j].after_joiner) {
            only_hyphens = only_hyphens && raw[j].joiner == '-';
            ++j;
        }
        const std::uint32_t first_position = position;
        for (std::size_t k = i; k <= j; ++k) {
            Token t;
            t.term = std::move(raw[k].term);
            t.begin = raw[k].begin;
            t.end = raw[k].end;
            t.position = position++;
            t.kind = raw[k].kind;
            tokens.push_back(std::move(t));
        }
        const std::size_t parts = j - i + 1;
        if (parts > 1 && parts <= kMaxCompoundParts) {
            const std::size_t first = tokens.size() - parts;
            Token compound;
            compound.kind = TokenKind::compound;
            compound.begin = tokens[first].begin;
            compound.end = tokens.back().end;
            compound.position = first_position;
            std::string joined;
            for (std::size_t k = first; k < tokens.size(); ++k) {
                if (k > first) {
                    compound.term += raw[i + (k - first) - 1].joiner;
                }
                compound.term += tokens[k].term;
                joined += tokens[k].term;
            }
            if (compound.term.size() <= kMaxTermBytes) {
                if (only_hyphens) {
                    Token concatenated = compound;
                    concatenated.term = std::move(joined);
                    tokens.push_back(std::move(compound));
                    tokens.push_back(std::move(concatenated));
                } else {
                    tokens.push_back(std::move(compound));
                }
            }
        }
        i = j + 1;
    }
    return tokens;
}

} // namespace

std::vector<Token> Analyzer::analyze(std::string_view text) const {
    return impl_->analyze(text, true);
}

std::vector<Token> detail::analyze_with_icu_only(const AnalyzerConfig& config,
                                                 std::string_view text) {
    return AnalyzerCore(config).analyze(text, false);
}

std::string Analyzer::stem(const Token& token) const {
    if (!impl_->stems || token.kind != TokenKind::word) {
        return {};
    }
    if (token.term.size() > kMaxCachedStemBytes) {
        return impl_->stemmer(token.term);
    }
    auto& cache = impl_->stem_cache;
    if (const std::string* hit = cache.find(token.term)) {
        return *hit;
    }
    return cache.insert(token.term, impl_->stemmer(token.term));
}

std::string Analyzer::fold(std::string_view text) const {
    Utf16Text utf16 = to_utf16(text);
    return impl_->normalize(utf16.units.data(), static_cast<std::int32_t>(utf16.units.size()));
}

} // namespace airm
