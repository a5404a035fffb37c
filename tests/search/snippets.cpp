/// Snippets: the best field, the densest passage, marks on exactly the matched tokens (multibyte
/// text included), HTML escaping; and the fast word splitter agreeing with the analyzer.

#include "query/search/snippets.hpp"

#include "query/search/detail/ascii_words.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace airm;

namespace {

/// The marked words of a snippet, in order.
std::vector<std::string> marked(const Snippet& s) {
    std::vector<std::string> out;
    for (const auto& [b, e] : s.marks)
        out.push_back(s.text.substr(b, e - b));
    return out;
}

HighlightTerms stems_of(const Analyzer& a, std::initializer_list<const char*> words) {
    HighlightTerms h;
    for (const char* w : words) {
        for (const Token& t : a.analyze(w)) {
            const std::string stem = a.stem(t);
            if (stem.empty()) {
                h.terms.insert(t.term);
            } else {
                h.stems.insert(stem);
            }
        }
    }
    return h;
}

} // namespace

TEST_CASE("snippets: the field with most matched terms, marks by byte offsets",
          "[query][snippets]") {
    Analyzer a;
    Record r;
    r.id = "x";
    r.title = "Red teaming";
    r.text = "Teams probe the model. Red teams test models adversarially.";
    r.reasoning = "Coded as testing.";
    const Snippet s = make_snippet(r, stems_of(a, {"red", "teaming", "test"}), a);
    CHECK(s.field == "text");
    CHECK(s.text == r.text);
    // "Teams" (stem team); "Red teams test" is one mark: marks a space apart join.
    CHECK(marked(s) == std::vector<std::string>{"Teams", "Red teams test"});
    CHECK(snippet_html(s) ==
          "<mark>Teams</mark> probe the model. <mark>Red teams test</mark> models adversarially.");
    CHECK(snippet_marked(s, "[", "]") ==
          "[Teams] probe the model. [Red teams test] models adversarially.");
}

TEST_CASE("snippets: multibyte text is cut and marked on character boundaries",
          "[query][snippets]") {
    Analyzer a;
    Record r;
    r.id = "x";
    r.title = "Überwachung";
    std::string filler;
    for (int i = 0; i < 30; ++i)
        filler += "Größe Äpfel über Straße ";
    r.text = filler + "die Risikoprüfung für Modelle — naïve résumé " + filler;
    const Snippet s =
        make_snippet(r, stems_of(a, {"risikoprüfung", "naive", "resume"}), a, SnippetOptions{80});
    CHECK(s.field == "text");
    CHECK(s.text.size() <= 80 + 2 * 3); // the passage and its two "…"
    CHECK(s.text.rfind("\u2026", 0) == 0);
    CHECK(s.text.size() >= 3);
    CHECK(s.text.compare(s.text.size() - 3, 3, "\u2026") == 0);
    // Folded matches mark the text as written.
    CHECK(marked(s) == std::vector<std::string>{"Risikoprüfung", "naïve résumé"});
    // Every byte offset falls on a character boundary.
    for (const auto& [b, e] : s.marks) {
        CHECK((static_cast<unsigned char>(s.text[b]) & 0xC0) != 0x80);
        CHECK((e == s.text.size() || (static_cast<unsigned char>(s.text[e]) & 0xC0) != 0x80));
    }
    // CJK: dictionary-segmented words match whole.
    Record cjk;
    cjk.id = "y";
    cjk.text = "人工知能のリスク管理と監査。";
    HighlightTerms h;
    for (const Token& t : a.analyze("監査"))
        h.terms.insert(t.term);
    const Snippet c = make_snippet(cjk, h, a);
    CHECK(marked(c) == std::vector<std::string>{"監査"});
}

TEST_CASE("snippets: a long field shows the passage with the most distinct terms",
          "[query][snippets]") {
    Analyzer a;
    Record r;
    r.id = "x";
    std::string text;
    for (int i = 0; i < 20; ++i)
        text += "Unrelated words about governance fill this part. ";
    text += "Here the watermark and the provenance of content appear together. ";
    for (int i = 0; i < 20; ++i)
        text += "More filler about audits follows here. ";
    text += "A watermark alone again.";
    r.text = text;
    const Snippet s =
        make_snippet(r, stems_of(a, {"watermark", "provenance"}), a, SnippetOptions{120});
    CHECK(marked(s) == std::vector<std::string>{"watermark", "provenance"});
    CHECK(s.text.find("Here the watermark") != std::string::npos);
    // Without any match: the start of the text.
    const Snippet none = make_snippet(r, HighlightTerms{}, a, SnippetOptions{40});
    CHECK(none.text.rfind("Unrelated words", 0) == 0);
    CHECK(none.marks.empty());
}

TEST_CASE("snippets: codes, compounds and prefixes are marked; HTML is escaped",
          "[query][snippets]") {
    Analyzer a;
    Record r;
    r.id = "x";
    r.text = "Use <GPT-4> & ISO/IEC 42001 under code 2.2.2, not 2.2.20; whistleblowers & "
             "whistle-blowing.";
    HighlightTerms h;
    h.terms = {"gpt-4", "iso/iec", "2.2.2"};
    h.prefixes = {"whistle"};
    const Snippet s = make_snippet(r, h, a);
    // A prefix marks the words it starts: "whistle" of the compound "whistle-blowing".
    CHECK(marked(s) ==
          std::vector<std::string>{"GPT-4", "ISO/IEC", "2.2.2", "whistleblowers", "whistle"});
    CHECK_THAT(snippet_html(s),
               Catch::Contains("&lt;<mark>GPT-4</mark>&gt; &amp; <mark>ISO/IEC</mark>"));
}

namespace {

/// Every bundled record's title, text and reasoning, and the real data's lines when present.
std::vector<std::string> corpus_texts() {
    std::vector<std::string> texts;
    std::ifstream in(test::corpus_dir() + "/records.jsonl");
    std::string line;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        texts.push_back(j.value("title", ""));
        texts.push_back(j.value("text", ""));
        texts.push_back(j.value("reasoning", ""));
    }
    if (auto shared = test::shared_data_dir()) {
        std::ifstream csv(*shared + "/mit-mitigations/mitigation-database-2025-07-23.csv");
        while (std::getline(csv, line))
            texts.push_back(line);
    }
    return texts;
}

/// Checks that plain_words(text, nullptr, fold) finds the analyzer's word tokens (terms, bounds,
/// kinds) on every text it handles; returns the texts handled.
std::vector<std::string> check_splitter(const Analyzer& a, const std::vector<std::string>& texts,
                                        bool fold) {
    std::vector<std::string> handled;
    for (const auto& text : texts) {
        auto fast = plain_words(text, nullptr, fold);
        if (!fast)
            continue;
        handled.push_back(text);
        std::vector<Token> exact;
        for (const Token& t : a.analyze(text)) {
            if (t.kind != TokenKind::compound)
                exact.push_back(t);
        }
        INFO("text: " << text);
        REQUIRE(fast->size() == exact.size());
        for (std::size_t i = 0; i < exact.size(); ++i) {
            CHECK(fast->at(i).term == exact[i].term);
            CHECK(fast->at(i).begin == exact[i].begin);
            CHECK(fast->at(i).end == exact[i].end);
            CHECK(fast->at(i).kind == exact[i].kind);
        }
    }
    return handled;
}

} // namespace

TEST_CASE("snippets: the fast word splitter finds the analyzer's word tokens",
          "[query][snippets]") {
    Analyzer a;
    std::vector<std::string> texts = {
        "Don't stop: e.g. GPT-4o, v2.0 and 1,000.50 items; foo_bar baz. The team’s ‘quoted’ work — "
        "done…",
        "ratio:x a.b.c 3.5% 10:30 x-ray ISO/IEC-42001 co-operate “quoted” • bullet\u00a0space "
        "_lead trail_",
        "write to ethics@lab.org or @ once; a@b c@ @d __ x__y",
        // Words longer than the analyzer's longest term are dropped by both.
        "short " + std::string(kMaxTermBytes + 1, 'a') + " " + std::string(kMaxTermBytes, 'b') +
            " end",
    };
    // Every bundled record's text (and the real data's, when present) that the splitter handles.
    for (auto& t : corpus_texts())
        texts.push_back(std::move(t));
    CHECK(check_splitter(a, texts, false).size() > texts.size() / 2);
    // Text it does not handle is left to the analyzer.
    CHECK_FALSE(plain_words("naïve").has_value());
}

TEST_CASE("snippets: the fast word splitter folds accented Latin-1 letters as the analyzer does",
          "[query][snippets]") {
    Analyzer a; // folds diacritics (the default)
    REQUIRE(a.config().fold_diacritics);
    const std::vector<std::string> samples = {
        "Café naïve résumé Ångström São Paulo ZÜRICH façade-like jalapeño’s Ýves ÿes",
        "£100 and €5, ©2024 ±3 45° §2 «quoted» ¿qué? ¡sí! 3×4 8÷2 ÀÉÎÕÜ àéîõü é.g. 1,5é",
        // The longest term counts folded letters: a word of 160 letters, one of them accented.
        "long " + std::string(kMaxTermBytes - 1, 'c') + "é " + std::string(kMaxTermBytes, 'd') +
            "é end",
    };
    CHECK(check_splitter(a, samples, true) == samples); // both handled and agreeing
    std::vector<std::string> texts = corpus_texts();
    texts.push_back("Ñandú co‑operate l·l");
    CHECK(check_splitter(a, texts, true).size() > texts.size() / 2);
    // Letters without a one-letter fold, and folding turned off, are left to the analyzer.
    CHECK_FALSE(plain_words("Ærø", nullptr, true).has_value());
    CHECK_FALSE(plain_words("straße", nullptr, true).has_value());
    CHECK_FALSE(plain_words("co‑operate", nullptr, true).has_value()); // non-breaking hyphen
    CHECK_FALSE(plain_words("café", nullptr, false).has_value());
    // A searched compound is still marked in accented text (the analyzer's compounds).
    Record r;
    r.id = "x";
    r.text = "The café-bar and the naïve-bayes model.";
    HighlightTerms h;
    h.terms = {"naive-bayes"};
    const Snippet s = make_snippet(r, h, a);
    REQUIRE(s.marks.size() == 1);
    CHECK(s.text.substr(s.marks[0].first, s.marks[0].second - s.marks[0].first) == "naïve-bayes");
}
