/// The analyzer shared by indexing and querying: segmentation, folding, stemming, codes, offsets.

#include "engine/analysis/analyzer.hpp"

#include "engine/analysis/detail/ascii.hpp"
#include "engine/analysis/detail/stem_cache.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using airm::Analyzer;
using airm::AnalyzerConfig;
using airm::Token;
using airm::TokenKind;

namespace {

std::vector<std::string> terms_of(const Analyzer& analyzer, std::string_view text) {
    std::vector<std::string> out;
    for (const Token& t : analyzer.analyze(text)) {
        out.push_back(t.term);
    }
    return out;
}

const Token* find_token(const std::vector<Token>& tokens, std::string_view term) {
    auto it =
        std::find_if(tokens.begin(), tokens.end(), [&](const Token& t) { return t.term == term; });
    return it == tokens.end() ? nullptr : &*it;
}

struct TermsCase {
    const char* input;
    std::vector<std::string> expected; ///< every term, in the order the analyzer emits them
};

} // namespace

TEST_CASE("analyzer: segmentation, folding and codes give the expected terms", "[analyzer]") {
    // input -> every term, in order (a compound follows its parts; hyphen compounds are also
    // emitted concatenated)
    const std::vector<TermsCase> cases = {
        {"Red teaming", {"red", "teaming"}},
        {"", {}},
        {"  ,;  ", {}},
        // NFKC case folding: full-width letters and digits, ligatures, sharp s
        {"ＡＢＣ Ｒｅｄ", {"abc", "red"}},
        {"２０２４", {"2024"}},
        {"ﬁnance ﬂow", {"finance", "flow"}},
        {"Straße STRASSE", {"strasse", "strasse"}},
        // diacritic folding for Latin, Greek and Cyrillic
        {"résumé", {"resume"}},
        {"NAÏVE Café", {"naive", "cafe"}},
        {"İstanbul", {"istanbul"}},
        {"ΑΘΉΝΑ", {"αθηνα"}},
        {"Ёлка", {"елка"}},
        // codes and identifiers kept whole
        {"2.2.2", {"2.2.2"}},
        {"3.1 Testing", {"3.1", "testing"}},
        {"ISO/IEC 42001", {"iso", "iec", "iso/iec", "42001"}},
        {"GPT-4", {"gpt", "4", "gpt-4", "gpt4"}},
        {"CBRN", {"cbrn"}},
        {"e-mail", {"e", "mail", "e-mail", "email"}},
        {"E‑mail", {"e", "mail", "e-mail", "email"}}, // non-breaking hyphen
        {"1.X", {"1", "x", "1.x"}},
        {"X.X", {"x.x"}},
        {"AT&T", {"at", "t", "at&t"}},
        // full-width joiners join as their ASCII forms
        {"ＧＰＴ－４", {"gpt", "4", "gpt-4", "gpt4"}},
        {"ISO／IEC", {"iso", "iec", "iso/iec"}},
        // the typographic apostrophe reads as the typed one
        {"team’s", {"team's"}},
        {"team's", {"team's"}},
    };
    const Analyzer analyzer;
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        CHECK(terms_of(analyzer, c.input) == c.expected);
    }
}

TEST_CASE("analyzer: token kinds decide what is stemmed", "[analyzer]") {
    struct KindCase {
        const char* input;
        const char* term;
        TokenKind kind;
    };
    const std::vector<KindCase> cases = {
        {"mitigation", "mitigation", TokenKind::word}, {"2.2.2", "2.2.2", TokenKind::number},
        {"42001", "42001", TokenKind::number},         {"X.X", "x.x", TokenKind::number},
        {"gpt4", "gpt4", TokenKind::number},           {"GPT-4", "gpt-4", TokenKind::compound},
        {"ISO/IEC", "iso/iec", TokenKind::compound},   {"测试", "测试", TokenKind::ideo},
        {"リスク", "リスク", TokenKind::ideo},
    };
    const Analyzer analyzer;
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        auto tokens = analyzer.analyze(c.input);
        const Token* t = find_token(tokens, c.term);
        REQUIRE(t != nullptr);
        CHECK(t->kind == c.kind);
    }
}

TEST_CASE("analyzer: Snowball stems, English by default, language configurable", "[analyzer]") {
    struct StemCase {
        const char* language;
        const char* input;
        const char* stem; ///< "" when the token is not stemmed
    };
    const std::vector<StemCase> cases = {
        {"english", "mitigations", "mitig"},
        {"english", "testing", "test"},
        {"english", "governance", "govern"},
        {"english", "résumés", "resum"},
        {"english", "team’s", "team"},
        {"english", "2.2.2", ""},
        {"english", "gpt4", ""},
        {"english", "测试", ""},
        {"french", "gouvernance", "gouvern"},
        {"french", "évaluations", "evalu"},
        {"none", "testing", ""},
        {"none", "mitigations", ""},
    };
    for (const auto& c : cases) {
        INFO(c.language << ": " << c.input);
        AnalyzerConfig config;
        config.language = c.language;
        Analyzer analyzer(config);
        auto tokens = analyzer.analyze(c.input);
        REQUIRE(!tokens.empty());
        CHECK(analyzer.stem(tokens.front()) == c.stem);
    }
    // The default is English.
    CHECK(Analyzer().config().language == "english");
    // Compounds keep their whole form and are not stemmed.
    Analyzer english;
    for (const Token& t : english.analyze("GPT-4 e-mail")) {
        if (t.kind == TokenKind::compound) {
            CHECK(english.stem(t).empty());
        }
    }
}

TEST_CASE("analyzer: an unknown language is an error naming the choices", "[analyzer]") {
    AnalyzerConfig config;
    config.language = "klingon";
    try {
        Analyzer analyzer(config);
        FAIL("an unknown language was accepted");
    } catch (const airm::InvalidInput& e) {
        const std::string msg = e.what();
        CHECK(msg.find("klingon") != std::string::npos);
        CHECK(msg.find("english") != std::string::npos);
        CHECK(msg.find("none") != std::string::npos);
    }
}

TEST_CASE("analyzer: diacritic folding can be turned off", "[analyzer]") {
    AnalyzerConfig config;
    config.fold_diacritics = false;
    Analyzer keep(config);
    CHECK(terms_of(keep, "Résumé") == std::vector<std::string>{"résumé"});
    CHECK(terms_of(keep, "ＡＢＣ") ==
          std::vector<std::string>{"abc"}); // still NFKC and case folded
}

TEST_CASE("analyzer: dictionary segmentation of Chinese, Japanese and Thai", "[analyzer]") {
    const Analyzer analyzer;
    struct DictCase {
        const char* input;
        std::vector<std::string> must_contain;
        std::size_t min_tokens;
    };
    const std::vector<DictCase> cases = {
        // "We must safety-test AI systems."
        {"我们必须对人工智能系统进行安全测试。", {"安全", "测试", "系统"}, 5},
        // "Evaluate the safety of artificial intelligence." and "risk management" in katakana
        {"人工知能の安全性を評価する。リスクマネジメント", {"安全", "評価", "リスク"}, 5},
        // "Thai is very easy"
        {"ภาษาไทยง่ายนิดเดียว", {"ภาษา", "ไทย", "ง่าย"}, 3},
    };
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        auto tokens = analyzer.analyze(c.input);
        CHECK(tokens.size() >= c.min_tokens);
        for (const auto& want : c.must_contain) {
            INFO("expected term: " << want);
            CHECK(find_token(tokens, want) != nullptr);
        }
        // Words, not one token per sentence: no token is longer than six characters (3 bytes
        // each) here, and together the tokens cover every letter of the input.
        std::string joined;
        for (const Token& t : tokens) {
            CHECK(t.end - t.begin <= 6 * 3);
            joined += std::string(c.input).substr(t.begin, t.end - t.begin);
        }
        std::string letters = c.input;
        for (const char* punct : {"。"}) {
            for (auto at = letters.find(punct); at != std::string::npos; at = letters.find(punct)) {
                letters.erase(at, std::string(punct).size());
            }
        }
        CHECK(joined == letters);
    }
    // Thai tone marks are part of the word and survive diacritic folding.
    CHECK(terms_of(analyzer, "ง่าย") == std::vector<std::string>{"ง่าย"});
}

TEST_CASE("analyzer: byte offsets point at the original token, positions count words",
          "[analyzer]") {
    const std::string text = "Ünïcödé résumé: GPT-4 测试 𠮷野家 ＡＢＣ ภาษาไทย 2.2.2 team’s";
    const Analyzer analyzer;
    auto tokens = analyzer.analyze(text);
    REQUIRE(tokens.size() > 10);
    for (const Token& t : tokens) {
        INFO("term " << t.term);
        REQUIRE(t.begin < t.end);
        REQUIRE(t.end <= text.size());
        const std::string original = text.substr(t.begin, t.end - t.begin);
        CHECK(!airm::utf8::first_invalid(original));
        if (t.kind != TokenKind::compound) {
            // Folding the original text of a token gives its term.
            CHECK(analyzer.fold(original) == t.term);
        }
    }
    // Explicit offsets: input -> (term, original text)
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"unicode", "Ünïcödé"}, {"resume", "résumé"}, {"gpt-4", "GPT-4"}, {"测试", "测试"},
        {"𠮷", "𠮷"},           {"abc", "ＡＢＣ"},    {"2.2.2", "2.2.2"}, {"team's", "team’s"},
    };
    for (const auto& [term, original] : expected) {
        INFO("term " << term);
        const Token* t = find_token(tokens, term);
        REQUIRE(t != nullptr);
        CHECK(text.substr(t->begin, t->end - t->begin) == original);
    }

    // Positions: words count from 0, compounds take the position of their first part.
    auto words = analyzer.analyze("alpha GPT-4 beta");
    std::vector<std::pair<std::string, std::uint32_t>> got;
    for (const Token& t : words) {
        got.emplace_back(t.term, t.position);
    }
    const std::vector<std::pair<std::string, std::uint32_t>> want = {
        {"alpha", 0}, {"gpt", 1}, {"4", 2}, {"gpt-4", 1}, {"gpt4", 1}, {"beta", 3}};
    CHECK(got == want);
}

TEST_CASE("analyzer: invalid UTF-8 never crashes and never yields garbage tokens", "[analyzer]") {
    const Analyzer analyzer;
    // input -> every term
    const std::vector<TermsCase> cases = {
        {"abc\xff\xfe"
         "def",
         {"abc", "def"}},
        {"\xc3", {}},
        {"caf\xc3", {"caf"}},
        {"x\xc0\xafy", {"x", "y"}},               // overlong encoding of '/'
        {"\xed\xa0\x80z", {"z"}},                 // UTF-16 surrogate encoded in UTF-8
        {"\xf4\x90\x80\x80q", {"q"}},             // beyond U+10FFFF
        {"r\xc3\xa9sum\xc3\xa9\x80", {"resume"}}, // stray continuation byte
    };
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        CHECK(terms_of(analyzer, c.input) == c.expected);
    }

    // Random byte soup of valid pieces and broken bytes.
    const std::vector<std::string> pieces = {
        "a", "Z",  " ", "-",    ".",    "/",    "4",        "é",        "测",          "ไ",
        "่",  "𠮷", "’", "\xff", "\xc3", "\x80", "\xe6\xb5", "\xf0\x9f", "\xed\xa0\x80"};
    std::mt19937 rng(42);
    for (int i = 0; i < 3000; ++i) {
        std::string text;
        const int n = static_cast<int>(rng() % 30);
        for (int k = 0; k < n; ++k) {
            text += pieces[rng() % pieces.size()];
        }
        std::vector<Token> tokens;
        REQUIRE_NOTHROW(tokens = analyzer.analyze(text));
        for (const Token& t : tokens) {
            INFO("input bytes: " << text << " term: " << t.term);
            REQUIRE(!t.term.empty());
            REQUIRE(!airm::utf8::first_invalid(t.term));
            REQUIRE(t.term.find("\xef\xbf\xbd") == std::string::npos); // no U+FFFD
            REQUIRE(t.begin < t.end);
            REQUIRE(t.end <= text.size());
            REQUIRE(!airm::utf8::first_invalid(text.substr(t.begin, t.end - t.begin)));
        }
    }
}

TEST_CASE("analyzer: copies analyse like the original", "[analyzer]") {
    AnalyzerConfig config;
    config.language = "french";
    Analyzer original(config);
    Analyzer copy = original;
    Analyzer assigned;
    assigned = original;
    const std::string text = "Les évaluations de sécurité GPT-4";
    CHECK(terms_of(copy, text) == terms_of(original, text));
    CHECK(terms_of(assigned, text) == terms_of(original, text));
    CHECK(assigned.config() == config);
    auto tokens = original.analyze("évaluations");
    CHECK(copy.stem(tokens.front()) == original.stem(tokens.front()));
}

namespace {

/// Every field of every token, so that two analyses compare exactly.
std::string describe(const std::vector<Token>& tokens) {
    std::string out;
    for (const Token& t : tokens) {
        out += t.term + "@" + std::to_string(t.begin) + "-" + std::to_string(t.end) + "#" +
               std::to_string(t.position) + "k" + std::to_string(static_cast<int>(t.kind)) + " ";
    }
    return out;
}

} // namespace

TEST_CASE("analyzer: the ASCII fast path gives exactly the tokens of the ICU path", "[analyzer]") {
    const Analyzer analyzer;
    const AnalyzerConfig config;
    // Tricky ASCII (and mixed) input -> every term, and the same tokens (term, offsets, position,
    // kind) as ICU alone gives
    const std::vector<TermsCase> cases = {
        {"well-known state-of-the-art",
         {"well", "known", "well-known", "wellknown", "state", "of", "the", "art",
          "state-of-the-art", "stateoftheart"}},
        {"team's teams' 'quoted'", {"team's", "teams", "quoted"}},
        {"and/or ISO/IEC 42001", {"and", "or", "and/or", "iso", "iec", "iso/iec", "42001"}},
        {"3.1 v3.1.2 1,000,000 1;2 1:2", {"3.1", "v3.1.2", "1,000,000", "1;2", "1", "2"}},
        {"e.g. i.e. U.S.A.", {"e.g", "i.e", "u.s.a"}},
        {"user@example.com http://a.b/c?d=1",
         {"user@example.com", "http", "a.b", "c", "a.b/c", "d", "1"}},
        {"snake_case __init__ _ a_1 _x", {"snake_case", "__init__", "a_1", "_x"}},
        {"CBRN NIST-AI-RMF AT&T C++ R&D",
         {"cbrn", "nist", "ai", "rmf", "nist-ai-rmf", "nistairmf", "at", "t", "at&t", "c", "r", "d",
          "r&d"}},
        {"gpt-4 GPT-4o gpt4",
         {"gpt", "4", "gpt-4", "gpt4", "gpt", "4o", "gpt-4o", "gpt4o", "gpt4"}},
        {"iso/iec 42001:2023", {"iso", "iec", "iso/iec", "42001", "2023"}},
        {"a--b a-/b -a- a.-b 1.x x.1 1.a",
         {"a", "b", "a", "b", "a", "a", "b", "1", "x", "1.x", "x", "1", "x.1", "1", "a", "1.a"}},
        {"tab\there\r\nnew\x0bline\x0c end", {"tab", "here", "new", "line", "end"}},
        {"(parens) [brackets] {braces} \"quotes\" #tag $5 100% ~x^y",
         {"parens", "brackets", "braces", "quotes", "tag", "5", "100", "x", "y"}},
        {"the team’s GPT-4 work – café-au-lait",
         {"the", "team's", "gpt", "4", "gpt-4", "gpt4", "work", "cafe", "au", "lait",
          "cafe-au-lait", "cafeaulait"}},
    };
    for (const auto& c : cases) {
        INFO("input: " << c.input);
        CHECK(terms_of(analyzer, c.input) == c.expected);
        CHECK(describe(analyzer.analyze(c.input)) ==
              describe(airm::detail::analyze_with_icu_only(config, c.input)));
    }
}

TEST_CASE("analyzer: the ASCII fast path matches ICU on every short string and on random text",
          "[analyzer]") {
    const Analyzer analyzer;
    const AnalyzerConfig config;
    // Every string of up to 4 characters over the classes that matter to word breaks.
    const std::string alphabet = "aB7.'_-/,;:@ &\n";
    std::vector<std::string> level = {""};
    std::size_t checked = 0;
    for (int length = 1; length <= 4; ++length) {
        std::vector<std::string> next;
        for (const auto& prefix : level) {
            for (char c : alphabet) {
                std::string s = prefix + c;
                INFO("input: '" << s << "'");
                REQUIRE(describe(analyzer.analyze(s)) ==
                        describe(airm::detail::analyze_with_icu_only(config, s)));
                ++checked;
                next.push_back(std::move(s));
            }
        }
        level = std::move(next);
    }
    CHECK(checked > 50000);
    // Random text over all of ASCII, and ASCII mixed with non-ASCII (which goes through ICU around
    // it): letters and digits weighted up so that long words and compounds occur.
    const std::vector<std::string> extra = {"é",        "’",    "–",  "‑",  "测试", "ไทย",
                                            "\xcc\x81", "\xff", "Ａ", "－", "𠮷"};
    std::mt19937 rng(7);
    for (int i = 0; i < 4000; ++i) {
        std::string text;
        const int n = static_cast<int>(rng() % 60);
        for (int k = 0; k < n; ++k) {
            const unsigned r = rng() % 100;
            if (r < 40) {
                text += static_cast<char>('a' + rng() % 26);
            } else if (r < 50) {
                text += static_cast<char>('0' + rng() % 10);
            } else if (r < 60) {
                text += ' ';
            } else if (r < 68 && i % 2 == 1) {
                text += extra[rng() % extra.size()];
            } else {
                text += static_cast<char>(1 + rng() % 127);
            }
        }
        INFO("input: '" << text << "'");
        REQUIRE(describe(analyzer.analyze(text)) ==
                describe(airm::detail::analyze_with_icu_only(config, text)));
    }
}

TEST_CASE("stem cache: finds every stored word across growth, and empties when full",
          "[analyzer]") {
    airm::detail::StemCache cache(3000);
    CHECK(cache.find("") == nullptr);
    for (int i = 0; i < 3000; ++i) {
        const std::string word = "word" + std::to_string(i);
        REQUIRE(cache.find(word) == nullptr);
        CHECK(cache.insert(word, "stem" + std::to_string(i)) == "stem" + std::to_string(i));
    }
    CHECK(cache.size() == 3000);
    for (int i = 0; i < 3000; ++i) {
        const std::string* stem = cache.find("word" + std::to_string(i));
        REQUIRE(stem != nullptr);
        CHECK(*stem == "stem" + std::to_string(i));
    }
    CHECK(cache.find("word3000") == nullptr);
    CHECK(cache.find("wor") == nullptr);
    // Full: the next word empties the cache first, so memory stays bounded.
    CHECK(cache.insert("", "empty") == "empty");
    CHECK(cache.size() == 1);
    CHECK(cache.find("word0") == nullptr);
    REQUIRE(cache.find("") != nullptr);
    CHECK(*cache.find("") == "empty");
}
