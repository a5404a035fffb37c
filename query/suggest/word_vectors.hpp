#pragma once
/// Pretrained word vectors (GloVe's text format: a word and its numbers per line), the outside
/// knowledge that lets suggestion relate words no labelled record used ("espionage") to words
/// that records did use ("theft"). Read from a user's file; airm ships none.

#include "query/suggest/string_hash.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace airm {

/// A table of word vectors, all of one dimension. Words are looked up exactly: callers pass
/// folded (lower-case) words, as GloVe's vocabulary is.
class WordVectors {
  public:
    WordVectors() = default;

    /// Reads a text file of lines "word v1 v2 ... vd" (an optional first line "count d", as
    /// word2vec writes, is skipped). Keeps the first `max_words` words (0: all); files list the
    /// most frequent words first. Throws InvalidInput naming the file, the line and the fix on a
    /// line whose count of numbers differs from the first line's or that holds a non-number.
    [[nodiscard]] static WordVectors load_text(const std::string& path, std::size_t max_words = 0);
    /// Builds a table from words and their vectors, `vectors` holding words.size() x dimensions.
    [[nodiscard]] static WordVectors from_parts(std::vector<std::string> words,
                                                std::vector<float> vectors, std::size_t dimensions);

    /// The vector of `word` (dimensions() numbers), or nullptr when the table lacks it.
    [[nodiscard]] const float* find(std::string_view word) const;
    /// The position of `word` in words(), or -1 when the table lacks it.
    [[nodiscard]] std::int64_t index_of(std::string_view word) const;
    /// The vector at position `index` of words().
    [[nodiscard]] const float* at(std::size_t index) const {
        return vectors_.data() + index * dimensions_;
    }

    [[nodiscard]] std::size_t dimensions() const { return dimensions_; }
    [[nodiscard]] std::size_t size() const { return words_.size(); }
    [[nodiscard]] const std::vector<std::string>& words() const { return words_; }
    [[nodiscard]] const std::vector<float>& vectors() const { return vectors_; }

  private:
    void build_lookup();
    std::size_t dimensions_ = 0;
    std::vector<std::string> words_;
    std::vector<float> vectors_;
    std::unordered_map<std::string, std::uint32_t, TransparentStringHash, std::equal_to<>> lookup_;
};

} // namespace airm
