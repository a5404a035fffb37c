#include "query/suggest/model.hpp"

#include "query/suggest/scorers/embedding.hpp"

#include <algorithm>
#include <cmath>

namespace airm {

SparseRows SparseRows::transpose(const std::vector<SparseVector>& columns, std::size_t rows) {
    SparseRows out;
    out.offsets.assign(rows + 1, 0);
    for (const SparseVector& column : columns) {
        for (const auto& entry : column) {
            ++out.offsets[entry.first + 1];
        }
    }
    for (std::size_t r = 0; r < rows; ++r) {
        out.offsets[r + 1] += out.offsets[r];
    }
    out.entries.resize(out.offsets[rows]);
    std::vector<std::uint32_t> fill(out.offsets.begin(), out.offsets.end() - 1);
    for (std::size_t c = 0; c < columns.size(); ++c) {
        for (const auto& [row, value] : columns[c]) {
            out.entries[fill[row]++] = {static_cast<std::uint32_t>(c), value};
        }
    }
    return out;
}

void SuggestModel::finalize() {
    std::vector<SparseVector> example_vectors;
    example_vectors.reserve(examples.size());
    for (const ModelExample& e : examples) {
        example_vectors.push_back(e.vector);
    }
    example_rows_ = SparseRows::transpose(example_vectors, vocabulary.size());
    prior_rows_ = SparseRows::transpose(prior_vectors, vocabulary.size());
    centroid_rows_ = SparseRows::transpose(centroids, vocabulary.size());
}

namespace {

/// Turns the k highest (example, score) pairs into label votes, each weighing its share of the
/// total score; `matches` is reordered.
void vote(std::vector<std::pair<std::uint32_t, float>>& matches, std::size_t k,
          const std::vector<ModelExample>& examples, std::vector<float>& votes) {
    auto by_score = [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    };
    k = std::min(k, matches.size());
    std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(k),
                      matches.end(), by_score);
    matches.resize(k);
    float total = 0.0F;
    for (const auto& [example, s] : matches) {
        total += s;
        for (std::uint32_t label : examples[example].labels) {
            votes[label] += s;
        }
    }
    if (total > 0.0F) {
        for (float& v : votes) {
            v /= total;
        }
    }
}

} // namespace

ComponentScores SuggestModel::score(const SparseVector& x, const FeatureBag* bag) const {
    const std::size_t n_labels = labels.size();
    ComponentScores out;
    out.linear.assign(bias.begin(), bias.end());
    out.linear.resize(n_labels, 0.0F);
    out.neighbour.assign(n_labels, 0.0F);
    out.prior.assign(n_labels, 0.0F);
    out.centroid.assign(n_labels, 0.0F);
    const std::size_t n_groups = group_bias.size();
    std::vector<float> group_scores(group_bias.begin(), group_bias.end());

    std::vector<float> similarity(examples.size(), 0.0F);
    std::vector<std::uint32_t> touched;
    for (const auto& [feature, value] : x) {
        const float* row = weights.data() + static_cast<std::size_t>(feature) * n_labels;
        for (std::size_t c = 0; c < n_labels; ++c) {
            out.linear[c] += value * row[c];
        }
        const float* group_row =
            group_weights.data() + static_cast<std::size_t>(feature) * n_groups;
        for (std::size_t g = 0; g < n_groups; ++g) {
            group_scores[g] += value * group_row[g];
        }
        for (std::uint32_t i = prior_rows_.offsets[feature]; i < prior_rows_.offsets[feature + 1];
             ++i) {
            const auto& [label, weight] = prior_rows_.entries[i];
            out.prior[label] += value * weight;
        }
        for (std::uint32_t i = centroid_rows_.offsets[feature];
             i < centroid_rows_.offsets[feature + 1]; ++i) {
            const auto& [label, weight] = centroid_rows_.entries[i];
            out.centroid[label] += value * weight;
        }
        if (neighbour_weight == 0.0F) {
            continue; // the mix does not use the neighbour vote: skip it
        }
        for (std::uint32_t i = example_rows_.offsets[feature];
             i < example_rows_.offsets[feature + 1]; ++i) {
            const auto& [example, weight] = example_rows_.entries[i];
            if (similarity[example] == 0.0F) {
                touched.push_back(example);
            }
            similarity[example] += value * weight;
        }
    }

    out.group.assign(n_labels, 0.0F);
    if (n_groups > 0) {
        for (std::size_t c = 0; c < n_labels; ++c) {
            out.group[c] = group_scores[label_group[c]];
        }
    }
    out.neighbours.reserve(touched.size());
    for (std::uint32_t example : touched) {
        if (similarity[example] > 0.0F) {
            out.neighbours.emplace_back(example, similarity[example]);
        }
    }
    vote(out.neighbours, neighbours_k, examples, out.neighbour);

    out.embedding.assign(n_labels, 0.0F);
    out.embedding_prior.assign(n_labels, 0.0F);
    if (bag != nullptr && word_vectors != nullptr && !embedding_centroids.empty()) {
        const std::vector<float> e = embed(*bag);
        const std::size_t d = e.size();
        auto cosines = [&](const std::vector<float>& table, std::vector<float>& into) {
            if (table.size() != n_labels * d)
                return;
            // A code without records (or without a text) has a zero embedding and scores 0, the
            // neutral value of a centred cosine: no evidence for or against it.
            for (std::size_t c = 0; c < n_labels && d > 0; ++c)
                into[c] = dot_product(e.data(), table.data() + c * d, d);
        };
        cosines(embedding_centroids, out.embedding);
        cosines(embedding_priors, out.embedding_prior);
        if (d > 0 && embedding_examples.size() == examples.size() * d) {
            std::vector<std::pair<std::uint32_t, float>> matches;
            matches.reserve(examples.size());
            for (std::size_t example = 0; example < examples.size(); ++example) {
                const float dot = dot_product(e.data(), embedding_examples.data() + example * d, d);
                if (dot > 0.0F)
                    matches.emplace_back(static_cast<std::uint32_t>(example), dot * dot * dot);
            }
            out.embedding_neighbour.assign(n_labels, 0.0F);
            vote(matches, neighbours_k, examples, out.embedding_neighbour);
        }
    }
    out.embedding_neighbour.resize(n_labels, 0.0F);
    return out;
}

std::vector<float> SuggestModel::similarities(const SparseVector& x) const {
    std::vector<float> similarity(examples.size(), 0.0F);
    for (const auto& [feature, value] : x) {
        for (std::uint32_t i = example_rows_.offsets[feature];
             i < example_rows_.offsets[feature + 1]; ++i) {
            similarity[example_rows_.entries[i].first] += value * example_rows_.entries[i].second;
        }
    }
    return similarity;
}

std::vector<float> SuggestModel::combine(const ComponentScores& components) const {
    std::vector<float> scores(labels.size());
    for (std::size_t c = 0; c < scores.size(); ++c) {
        scores[c] = components.linear[c] + neighbour_weight * components.neighbour[c] +
                    prior_weight * components.prior[c] + group_weight * components.group[c] +
                    centroid_weight * components.centroid[c];
        if (embedding_weight != 0.0F && c < components.embedding.size())
            scores[c] += embedding_weight * components.embedding[c];
        if (embedding_prior_weight != 0.0F && c < components.embedding_prior.size())
            scores[c] += embedding_prior_weight * components.embedding_prior[c];
        if (embedding_neighbour_weight != 0.0F && c < components.embedding_neighbour.size())
            scores[c] += embedding_neighbour_weight * components.embedding_neighbour[c];
    }
    return scores;
}

std::vector<float> softmax(const std::vector<float>& scores, float temperature) {
    std::vector<float> out(scores.size());
    if (scores.empty()) {
        return out;
    }
    const float top = *std::max_element(scores.begin(), scores.end());
    double sum = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        out[i] = std::exp((scores[i] - top) / temperature);
        sum += out[i];
    }
    for (float& v : out) {
        v = static_cast<float>(v / sum);
    }
    return out;
}

std::vector<float> SuggestModel::confidences(const ComponentScores& components) const {
    return calibrate(combine(components));
}

std::vector<float> SuggestModel::calibrate(const std::vector<float>& scores) const {
    if (!multi_label) {
        return softmax(scores, temperature);
    }
    std::vector<float> out(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        out[i] = 1.0F / (1.0F + std::exp(-(platt_a * scores[i] + platt_b)));
    }
    return out;
}

} // namespace airm
