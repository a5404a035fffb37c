#include "query/suggest/features.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
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

std::uint32_t TermDictionary::intern(std::string_view term) {
    if (2 * (ends_.size() + 1) > slots_.size())
        grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = std::hash<std::string_view>{}(term)&mask;; slot = (slot + 1) & mask) {
        const std::uint32_t entry = slots_[slot];
        if (entry == 0) {
            const auto id = static_cast<std::uint32_t>(ends_.size());
            chars_.append(term);
            ends_.push_back(chars_.size());
            slots_[slot] = id + 1;
            return id;
        }
        if (this->term(entry - 1) == term)
            return entry - 1;
    }
}

void TermDictionary::grow() {
    slots_.assign(std::max<std::size_t>(1024, 2 * slots_.size()), 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::uint32_t id = 0; id < ends_.size(); ++id) {
        std::size_t slot = std::hash<std::string_view>{}(term(id)) & mask;
        while (slots_[slot] != 0)
            slot = (slot + 1) & mask;
        slots_[slot] = id + 1;
    }
}

TermCounts intern_features(const FeatureBag& bag, TermDictionary& dictionary) {
    TermCounts out;
    out.reserve(bag.features.size());
    for (const RawFeature& f : bag.features)
        out.push_back({dictionary.intern(f.term), f.count});
    return out;
}

Vocabulary Vocabulary::fit(const std::vector<const TermCounts*>& bags,
                           const TermDictionary& dictionary, std::uint32_t min_df,
                           std::vector<std::int32_t>& index_of) {
    std::vector<std::uint32_t> counts(dictionary.size(), 0);
    for (const TermCounts* bag : bags) {
        for (const TermCount& f : *bag)
            ++counts[f.term];
    }
    std::vector<std::uint32_t> kept; // dictionary ids, then sorted by term
    for (std::uint32_t id = 0; id < counts.size(); ++id) {
        if (counts[id] >= std::max<std::uint32_t>(min_df, 1))
            kept.push_back(id);
    }
    std::sort(kept.begin(), kept.end(), [&dictionary](std::uint32_t a, std::uint32_t b) {
        return dictionary.term(a) < dictionary.term(b);
    });
    Vocabulary v;
    v.terms_.reserve(kept.size());
    v.idf_.reserve(kept.size());
    index_of.assign(dictionary.size(), -1);
    const double n = static_cast<double>(bags.size());
    for (std::uint32_t id : kept) {
        index_of[id] = static_cast<std::int32_t>(v.terms_.size());
        v.terms_.emplace_back(dictionary.term(id));
        // Smoothed IDF: never zero, so a feature in every record still counts a little.
        v.idf_.push_back(static_cast<float>(std::log((1.0 + n) / (1.0 + counts[id])) + 1.0));
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

namespace {

/// (vocabulary index, position) of each of a record's `n` features that the vocabulary has:
/// `index_at(i)` is feature i's vocabulary index, or negative when the vocabulary lacks it.
template <typename IndexAt>
std::vector<std::pair<std::uint32_t, std::uint32_t>> found_features(std::size_t n,
                                                                    IndexAt index_at) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> found;
    found.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t index = index_at(i);
        if (index >= 0)
            found.emplace_back(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(i));
    }
    return found;
}

/// The L2-normalised sublinear TF-IDF vector of the features found in the vocabulary: `found`
/// holds (vocabulary index, position in the record's features), `count` gives a position's count.
template <typename Count>
SparseVector tf_idf(std::vector<std::pair<std::uint32_t, std::uint32_t>>& found,
                    const std::vector<float>& idf, Count count) {
    std::sort(found.begin(), found.end());
    SparseVector out;
    out.reserve(found.size());
    double norm = 0;
    for (const auto& [index, position] : found) {
        const float value = (1.0F + std::log(std::max(count(position), 1.0F))) * idf[index];
        out.emplace_back(index, value);
        norm += static_cast<double>(value) * value;
    }
    if (norm > 0) {
        const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
        for (auto& entry : out) {
            entry.second *= scale;
        }
    }
    return out;
}

} // namespace

SparseVector Vocabulary::vectorize(const FeatureBag& bag,
                                   std::vector<std::uint32_t>* positions) const {
    auto found = found_features(bag.features.size(),
                                [&](std::size_t i) { return find(bag.features[i].term); });
    SparseVector out =
        tf_idf(found, idf_, [&bag](std::uint32_t i) { return bag.features[i].count; });
    if (positions != nullptr) {
        positions->clear();
        for (const auto& entry : found) {
            positions->push_back(entry.second);
        }
    }
    return out;
}

SparseVector Vocabulary::vectorize(const TermCounts& terms,
                                   const std::vector<std::int32_t>& index_of) const {
    auto found = found_features(terms.size(), [&](std::size_t i) {
        return static_cast<std::int64_t>(index_of[terms[i].term]);
    });
    return tf_idf(found, idf_, [&terms](std::uint32_t i) { return terms[i].count; });
}

SparseVector Vocabulary::vectorize(const TermCounts& terms,
                                   const TermDictionary& dictionary) const {
    auto found = found_features(
        terms.size(), [&](std::size_t i) { return find(dictionary.term(terms[i].term)); });
    return tf_idf(found, idf_, [&terms](std::uint32_t i) { return terms[i].count; });
}

} // namespace airm
