#include "query/model_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace airm {
namespace {

double softmax_loss(const std::vector<std::vector<float>>& scores,
                    const std::vector<std::vector<std::uint32_t>>& gold, double temperature) {
    double total = 0;
    std::size_t counted = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (gold[i].empty())
            continue;
        const auto& s = scores[i];
        const double top = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (float v : s)
            sum += std::exp((v - top) / temperature);
        total += std::log(sum) - (s[gold[i].front()] - top) / temperature;
        ++counted;
    }
    return counted == 0 ? 0.0 : total / static_cast<double>(counted);
}

/// Log-loss of a sigmoid on (score, target) pairs, computed stably.
double platt_loss(const std::vector<std::pair<float, double>>& pairs, double a, double b) {
    double total = 0;
    for (const auto& [score, target] : pairs) {
        const double f = a * score + b;
        // -[t log s(f) + (1 - t) log(1 - s(f))] = log(1 + e^f) - t f
        total += (f > 0 ? f + std::log1p(std::exp(-f)) : std::log1p(std::exp(f))) - target * f;
    }
    return pairs.empty() ? 0.0 : total / static_cast<double>(pairs.size());
}

} // namespace

float fit_temperature(const std::vector<std::vector<float>>& scores,
                      const std::vector<std::vector<std::uint32_t>>& gold, double* loss) {
    // Golden-section search over log(temperature); the loss is unimodal in it in practice.
    double lo = std::log(0.005);
    double hi = std::log(20.0);
    const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
    double x1 = hi - ratio * (hi - lo);
    double x2 = lo + ratio * (hi - lo);
    double f1 = softmax_loss(scores, gold, std::exp(x1));
    double f2 = softmax_loss(scores, gold, std::exp(x2));
    for (int i = 0; i < 40; ++i) {
        if (f1 < f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = softmax_loss(scores, gold, std::exp(x1));
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = softmax_loss(scores, gold, std::exp(x2));
        }
    }
    const double best = (lo + hi) / 2;
    if (loss != nullptr)
        *loss = softmax_loss(scores, gold, std::exp(best));
    return static_cast<float>(std::exp(best));
}

std::pair<float, float> fit_platt(const std::vector<std::vector<float>>& scores,
                                  const std::vector<std::vector<std::uint32_t>>& gold,
                                  double* loss) {
    // Targets smoothed as Platt (1999) proposed, so that separable data keeps finite weights.
    std::size_t positives = 0;
    std::size_t total = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        positives += gold[i].size();
        total += scores[i].size();
    }
    const double hi_target =
        (static_cast<double>(positives) + 1.0) / (static_cast<double>(positives) + 2.0);
    const double lo_target = 1.0 / (static_cast<double>(total - positives) + 2.0);
    std::vector<std::pair<float, double>> pairs;
    pairs.reserve(total);
    for (std::size_t i = 0; i < scores.size(); ++i) {
        for (std::uint32_t c = 0; c < scores[i].size(); ++c) {
            const bool hit = std::find(gold[i].begin(), gold[i].end(), c) != gold[i].end();
            pairs.emplace_back(scores[i][c], hit ? hi_target : lo_target);
        }
    }
    // Newton's method with backtracking on the two parameters.
    double a = 1.0;
    double b = 0.0;
    double current = platt_loss(pairs, a, b);
    for (int iteration = 0; iteration < 100; ++iteration) {
        double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
        for (const auto& [score, target] : pairs) {
            const double p = 1.0 / (1.0 + std::exp(-(a * score + b)));
            const double d = p - target;
            const double w = p * (1 - p);
            ga += d * score;
            gb += d;
            haa += w * score * score;
            hab += w * score;
            hbb += w;
        }
        const double det = haa * hbb - hab * hab;
        if (std::fabs(det) < 1e-18)
            break;
        const double da = -(hbb * ga - hab * gb) / det;
        const double db = -(haa * gb - hab * ga) / det;
        double step = 1.0;
        double next = current;
        while (step > 1e-8) {
            next = platt_loss(pairs, a + step * da, b + step * db);
            if (next < current)
                break;
            step /= 2;
        }
        if (step <= 1e-8)
            break;
        a += step * da;
        b += step * db;
        const bool converged = current - next < 1e-9;
        current = next;
        if (converged)
            break;
    }
    if (loss != nullptr)
        *loss = current;
    return {static_cast<float>(a), static_cast<float>(b)};
}

Mixture fit_mixture(const std::vector<ComponentScores>& held_out,
                    const std::vector<std::vector<std::uint32_t>>& gold, bool multi_label) {
    static const std::vector<float> kGrid = {0.0F, 0.25F, 0.5F, 1.0F, 1.5F, 2.0F,
                                             3.0F, 4.0F,  6.0F, 8.0F, 12.0F};
    const bool has_group = !held_out.empty() && !held_out.front().group.empty() &&
                           std::any_of(held_out.front().group.begin(), held_out.front().group.end(),
                                       [](float v) { return v != 0.0F; });
    std::vector<std::vector<float>> combined(held_out.size());
    auto evaluate = [&](float nw, float pw, float gw, float cw) {
        for (std::size_t i = 0; i < held_out.size(); ++i) {
            const ComponentScores& c = held_out[i];
            combined[i].resize(c.linear.size());
            for (std::size_t l = 0; l < c.linear.size(); ++l) {
                combined[i][l] = c.linear[l] + nw * c.neighbour[l] + pw * c.prior[l] +
                                 (c.group.empty() ? 0.0F : gw * c.group[l]) + cw * c.centroid[l];
            }
        }
        Mixture m;
        m.neighbour_weight = nw;
        m.prior_weight = pw;
        m.group_weight = gw;
        m.centroid_weight = cw;
        if (multi_label) {
            auto [a, b] = fit_platt(combined, gold, &m.log_loss);
            m.platt_a = a;
            m.platt_b = b;
        } else {
            m.temperature = fit_temperature(combined, gold, &m.log_loss);
        }
        return m;
    };
    Mixture best = evaluate(0.5F, 0.5F, has_group ? 0.5F : 0.0F, 0.5F);
    for (int round = 0; round < 3; ++round) {
        const Mixture start = best;
        for (int coordinate = 0; coordinate < 4; ++coordinate) {
            if (coordinate == 2 && !has_group)
                continue;
            for (float v : kGrid) {
                Mixture m = evaluate(coordinate == 0 ? v : best.neighbour_weight,
                                     coordinate == 1 ? v : best.prior_weight,
                                     coordinate == 2 ? v : best.group_weight,
                                     coordinate == 3 ? v : best.centroid_weight);
                if (m.log_loss < best.log_loss)
                    best = m;
            }
        }
        if (best.log_loss >= start.log_loss)
            break;
    }
    return best;
}

} // namespace airm
