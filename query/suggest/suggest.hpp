#pragma once
/// Suggesting facet values (taxonomy codes) for new, unlabelled text with a trained model: a ranked
/// list with calibrated confidences, category-level confidences derived from the code ones, and on
/// request the labelled records and input words behind each suggestion.

#include "engine/analysis/analyzer.hpp"
#include "engine/record/record.hpp"
#include "query/suggest/model.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

struct SuggestOptions {
    std::size_t top = 5;    ///< at most this many suggestions
    double threshold = 0.0; ///< only suggestions at least this confident (several may clear it)
    bool explain = false;   ///< add supporting records and weighty input words
    std::size_t explain_records = 3;
    std::size_t explain_words = 5;
};

/// A labelled record that supports a suggestion.
struct SupportingRecord {
    std::string id;
    std::string title;
    double similarity = 0; ///< cosine of the TF-IDF vectors
};

/// An input word (or word pair, or the source) and how much it adds to a suggestion's score.
struct WeightedWord {
    std::string word;
    double weight = 0;
};

struct Suggestion {
    std::string code;
    std::string name;
    double confidence = 0; ///< calibrated probability that the code is right
    std::string category;  ///< first code segment (hierarchical facets)
    std::vector<SupportingRecord> records;
    std::vector<WeightedWord> words;
};

/// A first-segment code ("3") with the confidence derived from its codes' confidences.
struct CategorySuggestion {
    std::string code;
    std::string name;
    double confidence = 0;
};

struct SuggestResult {
    std::vector<Suggestion> suggestions;        ///< most confident first
    std::vector<CategorySuggestion> categories; ///< hierarchical facets: most confident first
};

/// Category-level confidences from label confidences: the sum of a category's codes (single-label:
/// they exclude each other) or the chance that at least one is right (multi-label, independent).
[[nodiscard]] std::vector<double> category_confidences(const SuggestModel& model,
                                                       const std::vector<float>& confidences);

/// Suggests with one model. Holds an analyzer, so use one Suggester per thread.
class Suggester {
  public:
    explicit Suggester(SuggestModel model);

    /// Suggestions for a record (title, text, reasoning and source are used as in training).
    /// Throws InvalidInput naming the record when it has no text or text that is not UTF-8: the
    /// model would answer anyway, with suggestions that mean nothing.
    [[nodiscard]] SuggestResult suggest(const Record& input, const SuggestOptions& options) const;
    /// Suggestions for plain text (the same checks).
    [[nodiscard]] SuggestResult suggest(std::string_view text, const SuggestOptions& options) const;
    /// Suggestions for many records in one go (the batch mode of `airm suggest --input`).
    [[nodiscard]] std::vector<SuggestResult> suggest_many(const std::vector<Record>& inputs,
                                                          const SuggestOptions& options) const;
    /// The calibrated confidence of every label of the model, in model label order.
    [[nodiscard]] std::vector<float> confidences(const Record& input) const;

    [[nodiscard]] const SuggestModel& model() const { return model_; }

  private:
    SuggestModel model_;
    Analyzer analyzer_;
};

/// {"suggestions": [{"code", "name", "confidence", "category", "records"?, "words"?}],
/// "categories": [...]}.
[[nodiscard]] nlohmann::json to_json(const SuggestResult& result);

} // namespace airm
