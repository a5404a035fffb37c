// record_codec: round trips of every kind of input, the raw fallback, compression of real records,
// and refusal (IndexError, never a crash) of every truncated or corrupted stored form.

#include "engine/error.hpp"
#include "engine/record/codec.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::compress_record;
using airm::decompress_record;

namespace {

std::vector<std::string> corpus_lines() {
    std::ifstream in(fs::path(AIRM_TEST_CORPUS_DIR) / "records.jsonl");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(line);
        }
    }
    return lines;
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) {
        c = static_cast<char>(rng() & 0xff);
    }
    return out;
}

/// Text of `n` bytes built from a small vocabulary, like a long record.
std::string text_of(std::size_t n) {
    static const char* const words[] = {"model", "risk",        "the",  "evaluation", "red-teaming",
                                        "of",    "développeur", "安全", "incident",   "audit",
                                        "2024",  "safeguards",  "and",  "access"};
    std::mt19937 rng(7);
    std::string out;
    while (out.size() < n) {
        out += words[rng() % std::size(words)];
        out += rng() % 9 == 0 ? ". " : " ";
    }
    out.resize(n);
    return out;
}

/// Decoding `stored` either throws IndexError (naming where and the fix) or returns some string;
/// anything else (another exception, a crash under the sanitizers) fails.
void decode_or_refuse(const std::string& stored) {
    try {
        (void)decompress_record(stored, "test-index, record 7");
    } catch (const airm::IndexError& e) {
        const std::string message = e.what();
        CHECK(message.find("test-index, record 7") != std::string::npos);
        CHECK(message.find("airm index --rebuild") != std::string::npos);
    }
}

} // namespace

TEST_CASE("record codec: inputs of every kind round-trip", "[record_codec]") {
    const struct {
        const char* name;
        std::string input;
    } cases[] = {
        {"empty", ""},
        {"one byte", "x"},
        {"short", R"({"id": "a"})"},
        {"just above the raw threshold", "abcdabcdabcdabcdabcd"},
        {"highly repetitive (overlapping matches)", std::string(100000, 'a')},
        {"two-byte period",
         [] {
             std::string s;
             for (int i = 0; i < 5000; ++i)
                 s += "ab";
             return s;
         }()},
        {"period 9 (overlap copied in 8-byte steps)",
         [] {
             std::string s;
             for (int i = 0; i < 3000; ++i)
                 s += "123456789";
             return s;
         }()},
        {"random bytes (raw fallback)", random_bytes(4096, 1)},
        {"UTF-8 text",
         "Évaluation des modèles — 安全评估 — оценка рисков — évaluation des modèles — 安全评估"},
        {"zero bytes", std::string(3000, '\0')},
        {"5 MB text", text_of(5 * 1000 * 1000)},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const std::string stored = compress_record(c.input);
        REQUIRE(!stored.empty());
        CHECK(stored.size() <= c.input.size() + 1); // never larger than the raw fallback
        CHECK(decompress_record(stored, "test") == c.input);
    }
}

TEST_CASE("record codec: what each input is stored as", "[record_codec]") {
    const struct {
        const char* name;
        std::string input;
        char format;
    } cases[] = {
        {"empty is raw", "", 'J'},
        {"tiny is raw", "abc", 'J'},
        {"random is raw", random_bytes(2000, 2), 'J'},
        {"repetitive is packed", std::string(1000, 'z'), 'L'},
        {"a JSON record is packed", corpus_lines().front(), 'L'},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const std::string stored = compress_record(c.input);
        REQUIRE(!stored.empty());
        CHECK(stored.front() == c.format);
    }
    CHECK(compress_record(std::string(100000, 'a')).size() < 1000); // one long match
}

TEST_CASE("record codec: every bundled record round-trips and the codec compresses",
          "[record_codec]") {
    const auto lines = corpus_lines();
    REQUIRE(lines.size() >= 50);
    std::size_t raw = 0;
    std::size_t packed = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        INFO("line " << i + 1);
        const std::string stored = compress_record(lines[i]);
        REQUIRE(decompress_record(stored, "corpus") == lines[i]);
        raw += lines[i].size();
        packed += stored.size();
    }
    const double ratio = static_cast<double>(packed) / static_cast<double>(raw);
    INFO("ratio " << ratio);
    CHECK(ratio < 0.8);
}

TEST_CASE("record codec: every prefix of a stored record is refused", "[record_codec]") {
    for (const std::string& input :
         {corpus_lines().front(), std::string(5000, 'a'), text_of(3000)}) {
        const std::string stored = compress_record(input);
        REQUIRE(stored.front() == 'L');
        for (std::size_t n = 0; n < stored.size(); ++n) {
            INFO("prefix of " << n << " of " << stored.size() << " bytes");
            CHECK_THROWS_AS(decompress_record(stored.substr(0, n), "test-index"), airm::IndexError);
        }
        CHECK_THROWS_AS(decompress_record(stored + "x", "test-index"),
                        airm::IndexError); // trailing byte
    }
}

TEST_CASE("record codec: hand-made corrupt inputs are refused", "[record_codec]") {
    using namespace std::string_literals;
    const struct {
        const char* name;
        std::string stored;
    } cases[] = {
        {"empty", ""},
        {"unknown format byte", "Xabc"},
        {"length header never ends", "L\xff\xff\xff"s},
        {"length header too long", "L\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"s},
        {"length larger than the data can hold", "L\x80\x80\x40\x00"s},
        {"literals past the end of the output", "L\x02\x30xyz"s},
        {"literals past the end of the input", "L\x05\x50xy"s},
        {"offset zero", "L\x08\x40"
                        "abcd\x00\x00"s},
        {"offset before the start of the dictionary", "L\x08\x40"
                                                      "abcd\xff\xff"s},
        {"match length past the end", "L\x08\x41"
                                      "abcd\x04\x00"s},
        {"match length extension past the end", "L\x08\x4f"
                                                "abcd\x04\x00\xff\xff"s},
        {"match truncated before its offset", "L\x08\x40"
                                              "abcd\x04"s},
        {"no tokens", "L\x08"s},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK_THROWS_AS(decompress_record(c.stored, "test-index"), airm::IndexError);
    }
    // A well-formed hand-made stream decodes: 4 literals, then an overlapping match of 4 at
    // offset 4.
    CHECK(decompress_record("L\x08\x40"
                            "abcd\x04\x00"s,
                            "test-index") == "abcdabcd");
    CHECK(decompress_record("L\x08\x40"
                            "abcd\x01\x00"s,
                            "test-index") == "abcddddd");
}

TEST_CASE("record codec: corrupt input names the record and the fix", "[record_codec]") {
    try {
        (void)decompress_record("L\x08\x40"
                                "abcd\xff\xff",
                                "my-index, record r1");
        FAIL("no error");
    } catch (const airm::IndexError& e) {
        CHECK_THAT(e.what(), Catch::Contains("my-index, record r1") &&
                                 Catch::Contains("airm index --rebuild"));
    }
}

TEST_CASE("record codec: flipped bytes never crash", "[record_codec]") {
    const auto lines = corpus_lines();
    std::mt19937 rng(11);
    for (std::size_t l = 0; l < 10 && l < lines.size(); ++l) {
        const std::string stored = compress_record(lines[l]);
        for (std::size_t i = 0; i < stored.size(); ++i) {
            for (unsigned bit : {0U, 3U, 7U}) {
                std::string bad = stored;
                bad[i] = static_cast<char>(bad[i] ^ (1U << bit));
                decode_or_refuse(bad);
            }
        }
        for (int k = 0; k < 200; ++k) { // a few bytes replaced at random
            std::string bad = stored;
            for (int j = 0; j < 3; ++j) {
                bad[rng() % bad.size()] = static_cast<char>(rng() & 0xff);
            }
            decode_or_refuse(bad);
        }
    }
}
