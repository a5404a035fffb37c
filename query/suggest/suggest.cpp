#include "query/suggest/suggest.hpp"

#include "engine/error.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace airm {
namespace {

float sparse_at(const SparseVector& v, std::uint32_t index) {
    auto it = std::lower_bound(v.begin(), v.end(), index,
                               [](const auto& e, std::uint32_t i) { return e.first < i; });
    return it != v.end() && it->first == index ? it->second : 0.0F;
}

double rounded(double v, double scale = 1e4) {
    return std::round(v * scale) / scale;
}

void explain(const SuggestModel& model, const SparseVector& x,
             const std::vector<std::uint32_t>& positions, const FeatureBag& bag,
             const std::vector<float>& similarity, std::uint32_t label,
             const SuggestOptions& options, Suggestion& out) {
    const std::size_t n_labels = model.labels.size();
    std::vector<WeightedWord> words;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const auto [feature, value] = x[i];
        const double weight =
            value * (model.weights[static_cast<std::size_t>(feature) * n_labels + label] +
                     model.prior_weight * sparse_at(model.prior_vectors[label], feature));
        if (weight > 0 && positions[i] < bag.surfaces.size()) {
            words.push_back({bag.surfaces[positions[i]], weight});
        }
    }
    std::sort(words.begin(), words.end(),
              [](const auto& a, const auto& b) { return a.weight > b.weight; });
    if (words.size() > options.explain_words)
        words.resize(options.explain_words);
    for (auto& w : words)
        w.weight = rounded(w.weight);
    out.words = std::move(words);

    std::vector<SupportingRecord> records;
    for (std::size_t i = 0; i < model.examples.size(); ++i) {
        const ModelExample& e = model.examples[i];
        if (similarity[i] <= 0.0F ||
            std::find(e.labels.begin(), e.labels.end(), label) == e.labels.end())
            continue;
        records.push_back({e.id, e.title, similarity[i]});
    }
    const std::size_t keep = std::min(options.explain_records, records.size());
    std::partial_sort(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(keep),
                      records.end(),
                      [](const auto& a, const auto& b) { return a.similarity > b.similarity; });
    records.resize(keep);
    for (auto& r : records)
        r.similarity = rounded(r.similarity);
    out.records = std::move(records);
}

} // namespace

std::vector<double> category_confidences(const SuggestModel& model,
                                         const std::vector<float>& confidences) {
    std::vector<double> out(model.group_codes.size(), model.multi_label ? 1.0 : 0.0);
    for (std::size_t c = 0; c < confidences.size() && c < model.label_group.size(); ++c) {
        double& g = out[model.label_group[c]];
        if (model.multi_label) {
            g *= 1.0 - confidences[c]; // chance that none is right, turned around below
        } else {
            g += confidences[c];
        }
    }
    if (model.multi_label) {
        for (double& g : out)
            g = 1.0 - g;
    }
    for (double& g : out)
        g = std::clamp(g, 0.0, 1.0);
    return out;
}

Suggester::Suggester(SuggestModel model) : model_(std::move(model)), analyzer_(model_.analyzer) {}

std::vector<float> Suggester::confidences(const Record& input) const {
    const FeatureBag bag =
        extract_features(input, analyzer_, model_.features, false, model_.word_vectors != nullptr);
    return model_.confidences(model_.score(model_.vocabulary.vectorize(bag), &bag));
}

namespace {

/// Refuses input with nothing to read (the model would answer with its base rates, which look like
/// suggestions) or that is not UTF-8 (bytes that are not text), naming the record and the fix.
void check_input(const Record& input) {
    const std::string what =
        input.id.empty() ? std::string("the text") : "record '" + input.id + "'";
    if (input.has_no_text()) {
        throw InvalidInput(what +
                           " has no text to suggest codes for (title, text and reasoning are "
                           "empty); give it a title or a text");
    }
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string&>{"title", input.title},
          {"text", input.text},
          {"reasoning", input.reasoning}}) {
        if (auto bad = utf8::first_invalid(value)) {
            throw InvalidInput((input.id.empty() ? std::string() : what + ": ") + "the " + field +
                               " is not valid UTF-8 (at byte " + std::to_string(*bad) +
                               "); convert it to UTF-8 first, e.g. with iconv -f latin1 -t utf-8");
        }
    }
}

} // namespace

SuggestResult Suggester::suggest(const Record& input, const SuggestOptions& options) const {
    check_input(input);
    const FeatureBag bag = extract_features(input, analyzer_, model_.features, options.explain,
                                            model_.word_vectors != nullptr);
    std::vector<std::uint32_t> positions;
    const SparseVector x = model_.vocabulary.vectorize(bag, options.explain ? &positions : nullptr);
    const ComponentScores components = model_.score(x, &bag);
    const std::vector<float> scores = model_.combine(components);
    const std::vector<float> confidence = model_.confidences(components);

    std::vector<std::uint32_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0U);
    const std::size_t keep = std::min(options.top, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                          if (confidence[a] != confidence[b])
                              return confidence[a] > confidence[b];
                          return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
                      });
    SuggestResult result;
    const std::vector<float> similarity =
        options.explain ? model_.similarities(x) : std::vector<float>();
    for (std::size_t i = 0; i < keep; ++i) {
        const std::uint32_t label = order[i];
        if (confidence[label] < options.threshold)
            break;
        Suggestion s;
        s.code = model_.labels[label];
        s.name = model_.label_names[label];
        s.confidence = rounded(confidence[label]);
        if (model_.hierarchical)
            s.category = model_.group_codes[model_.label_group[label]];
        if (options.explain)
            explain(model_, x, positions, bag, similarity, label, options, s);
        result.suggestions.push_back(std::move(s));
    }
    if (model_.hierarchical) {
        const std::vector<double> groups = category_confidences(model_, confidence);
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if (groups[g] >= options.threshold) {
                result.categories.push_back(
                    {model_.group_codes[g], model_.group_names[g], rounded(groups[g])});
            }
        }
        std::stable_sort(result.categories.begin(), result.categories.end(),
                         [](const auto& a, const auto& b) { return a.confidence > b.confidence; });
        if (result.categories.size() > options.top)
            result.categories.resize(options.top);
    }
    return result;
}

SuggestResult Suggester::suggest(std::string_view text, const SuggestOptions& options) const {
    Record r;
    r.text = std::string(text);
    return suggest(r, options);
}

std::vector<SuggestResult> Suggester::suggest_many(const std::vector<Record>& inputs,
                                                   const SuggestOptions& options) const {
    std::vector<SuggestResult> out;
    out.reserve(inputs.size());
    for (const Record& r : inputs) {
        out.push_back(suggest(r, options));
    }
    return out;
}

nlohmann::json to_json(const SuggestResult& result) {
    nlohmann::json suggestions = nlohmann::json::array();
    for (const Suggestion& s : result.suggestions) {
        nlohmann::json j = {{"code", s.code}, {"name", s.name}, {"confidence", s.confidence}};
        if (!s.category.empty())
            j["category"] = s.category;
        if (!s.records.empty() || !s.words.empty()) {
            nlohmann::json records = nlohmann::json::array();
            for (const auto& r : s.records) {
                records.push_back({{"id", r.id}, {"title", r.title}, {"similarity", r.similarity}});
            }
            nlohmann::json words = nlohmann::json::array();
            for (const auto& w : s.words) {
                words.push_back({{"word", w.word}, {"weight", w.weight}});
            }
            j["records"] = std::move(records);
            j["words"] = std::move(words);
        }
        suggestions.push_back(std::move(j));
    }
    nlohmann::json out = {{"suggestions", std::move(suggestions)}};
    if (!result.categories.empty()) {
        nlohmann::json categories = nlohmann::json::array();
        for (const auto& c : result.categories) {
            categories.push_back(
                {{"code", c.code}, {"name", c.name}, {"confidence", c.confidence}});
        }
        out["categories"] = std::move(categories);
    }
    return out;
}

} // namespace airm
