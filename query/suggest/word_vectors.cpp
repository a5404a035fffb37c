#include "query/suggest/word_vectors.hpp"

#include "engine/error.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace airm {
namespace {

std::string where(const std::string& path, std::size_t line) {
    return "line " + std::to_string(line) + " of word vectors file '" + path + "'";
}

/// Splits a line at single spaces or tabs, dropping empty fields and a trailing '\r'.
std::vector<std::string_view> fields_of(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < line.size()) {
        const std::size_t end = line.find_first_of(" \t", start);
        const std::size_t stop = end == std::string_view::npos ? line.size() : end;
        if (stop > start)
            out.push_back(line.substr(start, stop - start));
        start = stop + 1;
    }
    return out;
}

/// One number of a vector: finite, in float range, an optional leading '+' allowed.
float parse_number(std::string_view field, const std::string& path, std::size_t line) {
    std::string_view digits = field;
    if (digits.size() > 1 && digits.front() == '+')
        digits.remove_prefix(1);
    float value = 0;
    const char* first = digits.data();
    const char* last = first + digits.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    const std::string shown =
        field.size() <= 40 ? std::string(field) : std::string(field.substr(0, 40)) + "...";
    if (ec == std::errc::result_out_of_range) {
        throw InvalidInput(where(path, line) + ": '" + shown +
                           "' is out of the range of a float; vectors hold ordinary numbers");
    }
    if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
        throw InvalidInput(where(path, line) + ": '" + shown +
                           "' is not a finite number; each line must be a word followed by "
                           "its vector of numbers");
    }
    return value;
}

bool is_count(std::string_view field) {
    return !field.empty() && field.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

WordVectors WordVectors::load_text(const std::string& path, std::size_t max_words) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec)) {
        throw InvalidInput("cannot read word vectors file '" + path +
                           "'; give the path of a GloVe-format text file (a word and its "
                           "numbers per line)");
    }
    WordVectors out;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::vector<std::string_view> fields = fields_of(line);
        if (fields.empty())
            continue;
        if (number == 1 && fields.size() == 2 && is_count(fields[0]) && is_count(fields[1])) {
            continue; // word2vec's header "count dimensions"
        }
        if (fields.size() < 2) {
            throw InvalidInput(where(path, number) + ": a word without numbers; each line must "
                                                     "be a word followed by its vector");
        }
        const std::size_t d = fields.size() - 1;
        if (out.dimensions_ == 0) {
            out.dimensions_ = d;
        } else if (d != out.dimensions_) {
            throw InvalidInput(where(path, number) + ": " + std::to_string(d) +
                               " numbers where earlier lines have " +
                               std::to_string(out.dimensions_) +
                               "; every vector must have the same length");
        }
        for (std::size_t i = 1; i < fields.size(); ++i) {
            out.vectors_.push_back(parse_number(fields[i], path, number));
        }
        std::string_view word = fields[0];
        if (number == 1 && word.substr(0, 3) == "\xEF\xBB\xBF")
            word.remove_prefix(3); // a UTF-8 byte-order mark is not part of the first word
        out.words_.emplace_back(word);
        if (max_words != 0 && out.words_.size() >= max_words)
            break;
    }
    if (out.words_.empty()) {
        throw InvalidInput("word vectors file '" + path +
                           "' holds no vectors; give a GloVe-format text file (a word and its "
                           "numbers per line)");
    }
    out.build_lookup();
    return out;
}

WordVectors WordVectors::from_parts(std::vector<std::string> words, std::vector<float> vectors,
                                    std::size_t dimensions) {
    WordVectors out;
    out.dimensions_ = dimensions;
    out.words_ = std::move(words);
    out.vectors_ = std::move(vectors);
    out.build_lookup();
    return out;
}

void WordVectors::build_lookup() {
    lookup_.clear();
    lookup_.reserve(words_.size());
    for (std::size_t i = 0; i < words_.size(); ++i) {
        lookup_.emplace(words_[i], static_cast<std::uint32_t>(i)); // the first of a repeat wins
    }
}

std::int64_t WordVectors::index_of(std::string_view word) const {
    auto it = lookup_.find(word);
    return it == lookup_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

const float* WordVectors::find(std::string_view word) const {
    auto it = lookup_.find(word);
    return it == lookup_.end()
               ? nullptr
               : vectors_.data() + static_cast<std::size_t>(it->second) * dimensions_;
}

} // namespace airm
