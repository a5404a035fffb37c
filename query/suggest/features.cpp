#include "query/suggest/features.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace airm {
namespace {

struct Accumulated {
    float count = 0;
    std::string surface;
};

void add_field(std::map<std::string, Accumulated, std::less<>>& out,
               std::map<std::string, float, std::less<>>* words, std::string_view text,
               float weight, const Analyzer& analyzer, const FeatureOptions& options,
               bool with_surfaces) {
    if (text.empty() || weight <= 0) {
        return;
    }
    const std::vector<Token> tokens = analyzer.analyze(text);
    auto add = [&](std::string term, std::uint32_t begin, std::uint32_t end) {
        Accumulated& a = out[std::move(term)];
        a.count += weight;
        if (with_surfaces && a.surface.empty()) {
            a.surface.assign(text.substr(begin, end - begin));
        }
    };
    const Token* previous = nullptr;
    std::string previous_term;
    for (const Token& token : tokens) {
        if (words != nullptr && token.kind == TokenKind::word) {
            (*words)[token.term] += weight;
        }
        std::string term = token.kind == TokenKind::word ? analyzer.stem(token) : std::string();
        if (term.empty()) {
            term = token.term;
        }
        if (token.kind == TokenKind::compound) {
            add(std::move(term), token.begin, token.end);
            continue; // a compound repeats its parts' position: no bigram across it
        }
        if (options.bigrams && previous != nullptr && token.position == previous->position + 1) {
            add(previous_term + ' ' + term, previous->begin, token.end);
        }
        previous = &token;
        previous_term = term;
        add(std::move(term), token.begin, token.end);
    }
}

} // namespace

std::string source_feature(std::string_view folded_ref) {
    return "@source:" + std::string(folded_ref);
}

FeatureBag extract_features(const Record& record, const Analyzer& analyzer,
                            const FeatureOptions& options, bool with_surfaces, bool with_words) {
    std::map<std::string, Accumulated, std::less<>> acc;
    std::map<std::string, float, std::less<>> words;
    std::map<std::string, float, std::less<>>* word_counts = with_words ? &words : nullptr;
    add_field(acc, word_counts, record.title, options.title_weight, analyzer, options,
              with_surfaces);
    add_field(acc, word_counts, record.text, options.text_weight, analyzer, options, with_surfaces);
    add_field(acc, word_counts, record.reasoning, options.reasoning_weight, analyzer, options,
              with_surfaces);
    if (!record.source.ref.empty() && options.source_weight > 0) {
        Accumulated& a = acc[source_feature(analyzer.fold(record.source.ref))];
        a.count += options.source_weight;
        if (with_surfaces) {
            a.surface = "source " + record.source.ref;
        }
    }
    FeatureBag bag;
    bag.features.reserve(acc.size());
    if (with_surfaces) {
        bag.surfaces.reserve(acc.size());
    }
    for (auto& [term, a] : acc) {
        bag.features.push_back({term, a.count});
        if (with_surfaces) {
            bag.surfaces.push_back(std::move(a.surface));
        }
    }
    bag.words.reserve(words.size());
    for (auto& [word, count] : words) {
        bag.words.push_back({word, count});
    }
    return bag;
}

Vocabulary Vocabulary::fit(const std::vector<const FeatureBag*>& bags, std::uint32_t min_df) {
    // Counted in a hash table, then sorted by term: the same vocabulary as an ordered map gives,
    // at a fraction of the string comparisons.
    std::unordered_map<std::string_view, std::uint32_t> counts;
    for (const FeatureBag* bag : bags) {
        for (const RawFeature& f : bag->features) {
            ++counts[f.term];
        }
    }
    std::vector<std::pair<std::string_view, std::uint32_t>> df(counts.begin(), counts.end());
    counts = {};
    std::sort(df.begin(), df.end());
    Vocabulary v;
    const double n = static_cast<double>(bags.size());
    for (const auto& [term, count] : df) {
        if (count < std::max<std::uint32_t>(min_df, 1)) {
            continue;
        }
        v.terms_.emplace_back(term);
        // Smoothed IDF: never zero, so a feature in every record still counts a little.
        v.idf_.push_back(static_cast<float>(std::log((1.0 + n) / (1.0 + count)) + 1.0));
    }
    v.build_lookup();
    return v;
}

Vocabulary Vocabulary::from_parts(std::vector<std::string> terms, std::vector<float> idf) {
    Vocabulary v;
    v.terms_ = std::move(terms);
    v.idf_ = std::move(idf);
    v.build_lookup();
    return v;
}

void Vocabulary::build_lookup() {
    lookup_.clear();
    lookup_.reserve(terms_.size());
    for (std::size_t i = 0; i < terms_.size(); ++i) {
        lookup_.emplace(terms_[i], static_cast<std::uint32_t>(i));
    }
}

std::int64_t Vocabulary::find(std::string_view term) const {
    auto it = lookup_.find(term);
    return it == lookup_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

SparseVector Vocabulary::vectorize(const FeatureBag& bag,
                                   std::vector<std::uint32_t>* positions) const {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> found; // (feature index, position in bag)
    found.reserve(bag.features.size());
    for (std::size_t i = 0; i < bag.features.size(); ++i) {
        std::int64_t index = find(bag.features[i].term);
        if (index >= 0) {
            found.emplace_back(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(i));
        }
    }
    std::sort(found.begin(), found.end());
    SparseVector out;
    out.reserve(found.size());
    double norm = 0;
    for (const auto& [index, position] : found) {
        const float value =
            (1.0F + std::log(std::max(bag.features[position].count, 1.0F))) * idf_[index];
        out.emplace_back(index, value);
        norm += static_cast<double>(value) * value;
    }
    if (norm > 0) {
        const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
        for (auto& entry : out) {
            entry.second *= scale;
        }
    }
    if (positions != nullptr) {
        positions->clear();
        for (const auto& entry : found) {
            positions->push_back(entry.second);
        }
    }
    return out;
}

} // namespace airm
