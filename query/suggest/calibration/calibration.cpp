#include "query/suggest/calibration/calibration.hpp"

#include <algorithm>
#include <array>
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

namespace {

using Member = std::vector<float> ComponentScores::*;
/// The members mixed with the linear score, in the order of Mixture's weights.
constexpr std::size_t kMemberCount = 7;
const std::array<Member, kMemberCount> kMembers = {&ComponentScores::neighbour,
                                                   &ComponentScores::prior,
                                                   &ComponentScores::group,
                                                   &ComponentScores::centroid,
                                                   &ComponentScores::embedding,
                                                   &ComponentScores::embedding_prior,
                                                   &ComponentScores::embedding_neighbour};
using Weights = std::array<float, kMemberCount>;

Mixture mixture_of(const Weights& w) {
    Mixture m;
    m.neighbour_weight = w[0];
    m.prior_weight = w[1];
    m.group_weight = w[2];
    m.centroid_weight = w[3];
    m.embedding_weight = w[4];
    m.embedding_prior_weight = w[5];
    m.embedding_neighbour_weight = w[6];
    return m;
}

/// Which members carry a score anywhere (a member that is zero everywhere was not fitted).
std::array<bool, kMemberCount> present_members(const std::vector<ComponentScores>& held_out) {
    std::array<bool, kMemberCount> present{};
    for (std::size_t m = 0; m < kMembers.size(); ++m) {
        for (const ComponentScores& c : held_out) {
            const auto& v = c.*kMembers[m];
            if (std::any_of(v.begin(), v.end(), [](float x) { return x != 0.0F; })) {
                present[m] = true;
                break;
            }
        }
    }
    return present;
}

/// The mixed score of every label of every held-out record under member weights `w`.
void mix(const std::vector<ComponentScores>& held_out, const Weights& w,
         std::vector<std::vector<float>>& combined) {
    combined.resize(held_out.size());
    for (std::size_t i = 0; i < held_out.size(); ++i) {
        const ComponentScores& c = held_out[i];
        combined[i].assign(c.linear.begin(), c.linear.end());
        for (std::size_t m = 0; m < kMembers.size(); ++m) {
            const auto& v = c.*kMembers[m];
            if (w[m] == 0.0F || v.empty())
                continue;
            for (std::size_t l = 0; l < combined[i].size(); ++l)
                combined[i][l] += w[m] * v[l];
        }
    }
}

} // namespace

Mixture fit_mixture(const std::vector<ComponentScores>& held_out,
                    const std::vector<std::vector<std::uint32_t>>& gold, bool multi_label) {
    static const std::vector<float> kGrid = {0.0F, 0.25F, 0.5F, 1.0F, 1.5F, 2.0F,
                                             3.0F, 4.0F,  6.0F, 8.0F, 12.0F};
    // A member that is zero everywhere (not fitted) keeps weight 0.
    const std::array<bool, kMemberCount> present = present_members(held_out);
    std::vector<std::vector<float>> combined;
    auto evaluate = [&](const Weights& w) {
        mix(held_out, w, combined);
        Mixture m = mixture_of(w);
        if (multi_label) {
            auto [a, b] = fit_platt(combined, gold, &m.log_loss);
            m.platt_a = a;
            m.platt_b = b;
        } else {
            m.temperature = fit_temperature(combined, gold, &m.log_loss);
        }
        return m;
    };
    auto better = [](const Mixture& a, const Mixture& b) { return a.log_loss < b.log_loss; };
    Weights weights{};
    for (std::size_t m = 0; m < weights.size(); ++m)
        weights[m] = present[m] && m < 4 ? 0.5F : 0.0F;
    Mixture best = evaluate(weights);
    for (int round = 0; round < 3; ++round) {
        const Mixture start = best;
        for (std::size_t coordinate = 0; coordinate < kMembers.size(); ++coordinate) {
            if (!present[coordinate])
                continue;
            Weights trial = weights;
            for (float v : kGrid) {
                trial[coordinate] = v;
                Mixture m = evaluate(trial);
                if (better(m, best)) {
                    best = m;
                    weights = trial;
                }
            }
        }
        if (!better(best, start))
            break;
    }
    return best;
}

} // namespace airm
