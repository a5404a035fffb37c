#include "query/suggest/scorers/embedding.hpp"

#include <cmath>
#include <map>

namespace airm {
namespace {

void normalise(std::vector<float>& v) {
    double norm = 0;
    for (float x : v)
        norm += static_cast<double>(x) * x;
    if (norm <= 0)
        return;
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v)
        x *= scale;
}

/// The IDF-weighted, normalised sum of the vectors of a bag's words (empty when none has one);
/// `weights` is parallel to the table's words.
std::vector<float> weighted_sum(const FeatureBag& bag, const WordVectors& vectors,
                                const std::vector<float>& weights) {
    const std::size_t d = vectors.dimensions();
    std::vector<float> sum(d, 0.0F);
    bool any = false;
    for (const RawFeature& word : bag.words) {
        const std::int64_t index = vectors.index_of(word.term);
        if (index < 0)
            continue;
        const float w = weights[static_cast<std::size_t>(index)] * word.count;
        if (w <= 0.0F)
            continue;
        const float* v = vectors.at(static_cast<std::size_t>(index));
        for (std::size_t i = 0; i < d; ++i)
            sum[i] += w * v[i];
        any = true;
    }
    if (!any)
        return {};
    normalise(sum);
    return sum;
}

} // namespace

float dot_product(const float* a, const float* b, std::size_t n) {
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (std::size_t j = 0; j < 8; ++j)
            sums[j] += a[i + j] * b[i + j];
    }
    for (; i < n; ++i)
        sums[0] += a[i] * b[i];
    return ((sums[0] + sums[1]) + (sums[2] + sums[3])) +
           ((sums[4] + sums[5]) + (sums[6] + sums[7]));
}

std::vector<float> SuggestModel::embed(const FeatureBag& bag) const {
    if (word_vectors == nullptr || embedding_mean.empty() ||
        word_weights.size() != word_vectors->size())
        return {};
    std::vector<float> e = weighted_sum(bag, *word_vectors, word_weights);
    if (e.empty())
        return {};
    for (std::size_t i = 0; i < e.size(); ++i)
        e[i] -= embedding_mean[i];
    normalise(e);
    return e;
}

void fit_embedding(const std::vector<const FeatureBag*>& bags,
                   const std::vector<std::vector<std::uint32_t>>& labels,
                   const std::shared_ptr<const WordVectors>& vectors, std::size_t keep_frequent,
                   SuggestModel& model) {
    model.word_vectors.reset();
    model.word_weights.clear();
    model.embedding_mean.clear();
    model.embedding_centroids.clear();
    model.embedding_examples.clear();
    if (vectors == nullptr || vectors->size() == 0 || bags.empty())
        return;
    // IDF of the training words, unsmoothed so that a word in every record weighs nothing.
    std::map<std::string, std::uint32_t, std::less<>> df;
    for (const FeatureBag* bag : bags) {
        for (const RawFeature& word : bag->words)
            ++df[word.term];
    }
    const double n = static_cast<double>(bags.size());
    auto idf = [&](std::string_view word) {
        auto it = df.find(word);
        const double count = it == df.end() ? 0.0 : it->second;
        return static_cast<float>(std::log((1.0 + n) / (1.0 + count)));
    };

    // The model's own table: the most frequent words first, so that a retrain from this table
    // keeps the same frequent words, then the training words with a vector.
    const std::size_t d = vectors->dimensions();
    std::vector<std::string> kept_words;
    std::vector<float> kept;
    std::vector<float> weights;
    std::map<std::string_view, bool> taken;
    auto keep = [&](const std::string& word) {
        const float* v = vectors->find(word);
        if (v == nullptr || !taken.emplace(word, true).second)
            return;
        kept_words.push_back(word);
        kept.insert(kept.end(), v, v + d);
        weights.push_back(idf(word));
    };
    for (std::size_t i = 0; i < vectors->size() && i < keep_frequent; ++i)
        keep(vectors->words()[i]);
    for (const auto& [term, count] : df)
        keep(term);
    model.word_vectors = std::make_shared<const WordVectors>(
        WordVectors::from_parts(std::move(kept_words), std::move(kept), d));
    model.word_weights = std::move(weights);

    std::vector<std::vector<float>> embedded(bags.size());
    std::vector<double> mean(d, 0.0);
    std::size_t counted = 0;
    for (std::size_t r = 0; r < bags.size(); ++r) {
        embedded[r] = weighted_sum(*bags[r], *model.word_vectors, model.word_weights);
        if (embedded[r].empty())
            continue;
        for (std::size_t i = 0; i < d; ++i)
            mean[i] += embedded[r][i];
        ++counted;
    }
    if (counted == 0) {
        model.word_vectors.reset();
        return;
    }
    model.embedding_mean.resize(d);
    for (std::size_t i = 0; i < d; ++i)
        model.embedding_mean[i] = static_cast<float>(mean[i] / static_cast<double>(counted));
    const std::size_t n_labels = model.labels.size();
    model.embedding_centroids.assign(n_labels * d, 0.0F);
    model.embedding_examples.assign(bags.size() * d, 0.0F);
    for (std::size_t r = 0; r < bags.size(); ++r) {
        if (embedded[r].empty())
            continue;
        std::vector<float>& e = embedded[r];
        for (std::size_t i = 0; i < d; ++i)
            e[i] -= model.embedding_mean[i];
        normalise(e);
        std::copy(e.begin(), e.end(),
                  model.embedding_examples.begin() + static_cast<std::ptrdiff_t>(r * d));
        for (std::uint32_t l : labels[r]) {
            float* centroid = model.embedding_centroids.data() + static_cast<std::size_t>(l) * d;
            for (std::size_t i = 0; i < d; ++i)
                centroid[i] += e[i];
        }
    }
    for (std::size_t l = 0; l < n_labels; ++l) {
        std::vector<float> c(model.embedding_centroids.begin() + static_cast<std::ptrdiff_t>(l * d),
                             model.embedding_centroids.begin() +
                                 static_cast<std::ptrdiff_t>((l + 1) * d));
        normalise(c);
        std::copy(c.begin(), c.end(),
                  model.embedding_centroids.begin() + static_cast<std::ptrdiff_t>(l * d));
    }
}

} // namespace airm
