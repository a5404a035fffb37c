#include "query/suggest/scorers/rerank.hpp"

#include "query/suggest/calibration/newton.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace airm {
namespace {

// Feature groups (bits of RerankOptions::mask) and their columns.
constexpr std::uint32_t kBase = 1;      // log confidence, rank 1..5 and beyond (7)
constexpr std::uint32_t kMembers = 2;   // linear, prior, group, centroid, neighbour scores (5)
constexpr std::uint32_t kRanks = 4;     // log(1 + rank) of the label in each of those members (5)
constexpr std::uint32_t kShare = 8;     // log share of the label among training records (1)
constexpr std::uint32_t kCategory = 16; // category confidence, share in it, same as the first (3)
constexpr std::uint32_t kAgree = 32;    // members placing the label among their first three (1)

struct Group {
    std::uint32_t bit;
    std::size_t first;
    std::size_t count;
};
constexpr Group kGroups[] = {{kBase, 0, 7},   {kMembers, 7, 5},   {kRanks, 12, 5},
                             {kShare, 17, 1}, {kCategory, 18, 3}, {kAgree, 21, 1}};
static_assert(18 + 3 + 1 == kRerankFeatures);

/// Labels scoring strictly higher than `label` in `scores`.
std::size_t rank_in(const std::vector<float>& scores, std::uint32_t label) {
    if (scores.empty())
        return 0;
    const float s = scores[label];
    return static_cast<std::size_t>(
        std::count_if(scores.begin(), scores.end(), [s](float v) { return v > s; }));
}

} // namespace

void rerank_features(const SuggestModel& model, const ComponentScores& c,
                     const std::vector<float>& confidence, std::size_t depth,
                     std::vector<std::uint32_t>& candidates, std::vector<float>& features) {
    const std::size_t n_labels = confidence.size();
    std::vector<std::uint32_t> order(n_labels);
    std::iota(order.begin(), order.end(), 0U);
    const std::size_t k = std::min(depth, n_labels);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                          return confidence[a] != confidence[b] ? confidence[a] > confidence[b]
                                                                : a < b;
                      });
    candidates.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
    features.assign(k * kRerankFeatures, 0.0F);

    const bool grouped = model.hierarchical && model.label_group.size() == n_labels;
    std::vector<double> category(grouped ? model.group_codes.size() : 0, 0.0);
    std::vector<float> group_score(category.size(), 0.0F);
    if (grouped) {
        for (std::size_t l = 0; l < n_labels; ++l) {
            category[model.label_group[l]] += confidence[l];
            if (!c.group.empty())
                group_score[model.label_group[l]] = c.group[l];
        }
    }
    const std::vector<float>* members[] = {&c.linear, &c.prior, &c.group, &c.centroid,
                                           &c.neighbour};
    for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t label = candidates[i];
        float* x = features.data() + i * kRerankFeatures;
        x[0] = std::log(std::max(confidence[label], 1e-9F));
        x[1 + std::min<std::size_t>(i, 5)] = 1.0F;
        std::size_t agree = 0;
        for (std::size_t m = 0; m < 5; ++m) {
            const std::vector<float>& v = *members[m];
            x[7 + m] = v.empty() ? 0.0F : v[label];
            std::size_t rank = 0;
            if (m == 2) {
                if (grouped) {
                    const float s = group_score[model.label_group[label]];
                    rank = static_cast<std::size_t>(std::count_if(
                        group_score.begin(), group_score.end(), [s](float g) { return g > s; }));
                }
            } else {
                rank = rank_in(v, label);
            }
            x[12 + m] = std::log1p(static_cast<float>(rank));
            agree += (m == 2 ? rank < 1 : rank < 3) && !v.empty() ? 1 : 0;
        }
        x[17] = c.share.empty() ? 0.0F : c.share[label];
        if (grouped) {
            const double mass = category[model.label_group[label]];
            x[18] = static_cast<float>(mass);
            x[19] = static_cast<float>(
                std::log(std::max(confidence[label] / std::max(mass, 1e-12), 1e-9)));
            x[20] = model.label_group[label] == model.label_group[candidates.front()] ? 1.0F : 0.0F;
        }
        x[21] = static_cast<float>(agree);
    }
}

std::vector<float> fit_reranker(const SuggestModel& model,
                                const std::vector<ComponentScores>& held_out,
                                const std::vector<std::vector<std::uint32_t>>& gold,
                                const RerankOptions& options) {
    constexpr std::size_t d = kRerankFeatures;
    std::vector<bool> used(d, false);
    for (const Group& g : kGroups) {
        if (options.mask & g.bit)
            std::fill_n(used.begin() + static_cast<std::ptrdiff_t>(g.first), g.count, true);
    }
    // Candidate rows per usable record and the position of its gold code among them.
    std::vector<std::vector<float>> rows;
    std::vector<std::size_t> gold_at;
    std::vector<std::uint32_t> candidates;
    std::vector<float> features;
    for (std::size_t i = 0; i < held_out.size(); ++i) {
        if (gold[i].empty())
            continue;
        const std::vector<float> confidence = model.calibrate(model.combine(held_out[i]));
        rerank_features(model, held_out[i], confidence, options.depth, candidates, features);
        const auto it = std::find(candidates.begin(), candidates.end(), gold[i].front());
        if (it == candidates.end() || candidates.size() < 2)
            continue;
        gold_at.push_back(static_cast<std::size_t>(it - candidates.begin()));
        rows.push_back(features);
    }
    if (rows.empty())
        return {};

    // Standardise every used feature over all candidates; a shift is the same for every candidate
    // of a record, so only the scale matters to the softmax.
    std::vector<double> mean(d, 0.0), scale(d, 0.0);
    std::size_t count = 0;
    for (const auto& r : rows) {
        for (std::size_t j = 0; j + d <= r.size(); j += d) {
            for (std::size_t f = 0; f < d; ++f)
                mean[f] += r[j + f];
            ++count;
        }
    }
    for (double& m : mean)
        m /= static_cast<double>(count);
    for (const auto& r : rows) {
        for (std::size_t j = 0; j + d <= r.size(); j += d) {
            for (std::size_t f = 0; f < d; ++f)
                scale[f] += (r[j + f] - mean[f]) * (r[j + f] - mean[f]);
        }
    }
    for (std::size_t f = 0; f < d; ++f) {
        scale[f] = std::sqrt(scale[f] / static_cast<double>(count));
        if (scale[f] < 1e-9)
            used[f] = false; // constant: carries nothing
    }
    std::vector<std::size_t> active;
    for (std::size_t f = 0; f < d; ++f) {
        if (used[f])
            active.push_back(f);
    }
    const std::size_t a = active.size();
    if (a == 0)
        return {};
    // The penalty pulls towards the first stage's own order: weight 1 on the log confidence.
    std::vector<double> anchor(a, 0.0);
    for (std::size_t j = 0; j < a; ++j) {
        if (active[j] == 0)
            anchor[j] = scale[0];
    }
    auto z = [&](const std::vector<float>& r, std::size_t candidate, std::size_t j) {
        const std::size_t f = active[j];
        return (r[candidate * d + f] - mean[f]) / scale[f];
    };
    // The re-ranker's score of every candidate of row i under weights w.
    auto scores_at = [&](const std::vector<double>& w, std::size_t i, std::vector<double>& s) {
        const std::size_t k = rows[i].size() / d;
        s.assign(k, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < a; ++j)
                s[c] += w[j] * z(rows[i], c, j);
        }
    };
    const double n = static_cast<double>(rows.size());
    auto loss_at = [&](const std::vector<double>& w, std::vector<double>* grad,
                       std::vector<double>* hess) {
        double total = 0;
        if (grad) {
            grad->assign(a, 0.0);
            hess->assign(a * a, 0.0);
        }
        std::vector<double> s, ex(a);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::size_t k = rows[i].size() / d;
            scores_at(w, i, s);
            const double top = *std::max_element(s.begin(), s.end());
            double sum = 0;
            for (double& v : s) {
                v = std::exp(v - top);
                sum += v;
            }
            total += std::log(sum) - std::log(s[gold_at[i]]);
            if (!grad)
                continue;
            for (double& v : s)
                v /= sum;
            std::fill(ex.begin(), ex.end(), 0.0);
            for (std::size_t c = 0; c < k; ++c) {
                for (std::size_t j = 0; j < a; ++j)
                    ex[j] += s[c] * z(rows[i], c, j);
            }
            for (std::size_t j = 0; j < a; ++j)
                (*grad)[j] += ex[j] - z(rows[i], gold_at[i], j);
            for (std::size_t c = 0; c < k; ++c) {
                for (std::size_t j = 0; j < a; ++j) {
                    const double zj = z(rows[i], c, j) - ex[j];
                    for (std::size_t l = j; l < a; ++l)
                        (*hess)[j * a + l] += s[c] * zj * (z(rows[i], c, l) - ex[l]);
                }
            }
        }
        double penalty = 0;
        for (std::size_t j = 0; j < a; ++j)
            penalty += (w[j] - anchor[j]) * (w[j] - anchor[j]);
        if (grad) {
            for (std::size_t j = 0; j < a; ++j) {
                (*grad)[j] = (*grad)[j] / n + options.l2 * (w[j] - anchor[j]);
                for (std::size_t l = j; l < a; ++l) {
                    (*hess)[j * a + l] = (*hess)[j * a + l] / n + (j == l ? options.l2 : 0.0);
                    (*hess)[l * a + j] = (*hess)[j * a + l];
                }
            }
        }
        return total / n + 0.5 * options.l2 * penalty;
    };
    std::vector<double> w = minimise_newton(anchor, loss_at);
    if (options.top_k > 0) {
        // Top-k hinge (Lapin et al. 2015): the mean of the k largest margin violations
        // 1 + s_j - s_gold over the other candidates, minimised by subgradient descent.
        w = anchor;
        std::vector<double> best = w;
        double best_loss = 1e300;
        std::vector<double> s, grad(a);
        const std::size_t top_k = options.top_k;
        for (int t = 1; t <= 400; ++t) {
            std::fill(grad.begin(), grad.end(), 0.0);
            double total = 0;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const std::size_t k = rows[i].size() / d;
                scores_at(w, i, s);
                const std::size_t g = gold_at[i];
                std::vector<std::pair<double, std::size_t>> margins;
                for (std::size_t c = 0; c < k; ++c) {
                    if (c != g)
                        margins.emplace_back(options.margin + s[c] - s[g], c);
                }
                std::sort(margins.begin(), margins.end(), std::greater<>());
                const std::size_t m = std::min(top_k, margins.size());
                double sum = 0;
                for (std::size_t q = 0; q < m; ++q)
                    sum += margins[q].first;
                if (sum <= 0)
                    continue;
                total += sum / static_cast<double>(top_k);
                for (std::size_t q = 0; q < m; ++q) {
                    for (std::size_t j = 0; j < a; ++j)
                        grad[j] += (z(rows[i], margins[q].second, j) - z(rows[i], g, j)) /
                                   static_cast<double>(top_k);
                }
            }
            double penalty = 0;
            for (std::size_t j = 0; j < a; ++j)
                penalty += (w[j] - anchor[j]) * (w[j] - anchor[j]);
            const double objective = total / n + 0.5 * options.l2 * penalty;
            if (objective < best_loss) {
                best_loss = objective;
                best = w;
            }
            const double step = 0.5 / std::sqrt(static_cast<double>(t));
            for (std::size_t j = 0; j < a; ++j)
                w[j] -= step * (grad[j] / n + options.l2 * (w[j] - anchor[j]));
        }
        w = best;
    }
    std::vector<float> out(d, 0.0F);
    for (std::size_t j = 0; j < a; ++j)
        out[active[j]] = static_cast<float>(w[j] / scale[active[j]]);
    return out;
}

std::vector<float> SuggestModel::confidences(const ComponentScores& components) const {
    std::vector<float> confidence = calibrate(combine(components));
    if (rerank_weights.size() != kRerankFeatures || multi_label || rerank_depth < 2 ||
        confidence.size() < 2)
        return confidence;
    std::vector<std::uint32_t> candidates;
    std::vector<float> rows;
    rerank_features(*this, components, confidence, rerank_depth, candidates, rows);
    // The candidates keep their joint confidence; the re-ranker shares it out among them.
    double mass = 0;
    for (std::uint32_t label : candidates)
        mass += confidence[label];
    std::vector<double> s(candidates.size(), 0.0);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        for (std::size_t f = 0; f < kRerankFeatures; ++f)
            s[i] += rerank_weights[f] * rows[i * kRerankFeatures + f];
    }
    const double top = *std::max_element(s.begin(), s.end());
    double sum = 0;
    for (double& v : s) {
        v = std::exp(v - top);
        sum += v;
    }
    for (std::size_t i = 0; i < candidates.size(); ++i)
        confidence[candidates[i]] = static_cast<float>(mass * s[i] / sum);
    return confidence;
}

} // namespace airm
