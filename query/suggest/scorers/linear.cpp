#include "query/suggest/scorers/linear.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <thread>

namespace airm {
namespace {

constexpr std::size_t kPrefetchBytes = 1024; ///< of the next row, asked for ahead of its visit

/// One binary problem: w and bias minimising 1/2 |w|^2 + sum_i C_i max(0, 1 - y_i (w.x_i + b))^2.
/// The loss has no upper bound on the dual variables, so the only examples shrinking sets aside are
/// those at zero whose gradient exceeds the last sweep's largest projected gradient: they are
/// unlikely to move. Once the remaining examples meet the tolerance, every example is checked again
/// and the descent only stops when all of them meet it.
LinearSolverStats solve_binary(const LinearProblem& problem, const std::vector<signed char>& y,
                               const std::vector<double>& cost, const LinearSvmOptions& options,
                               std::vector<double>& w, double& bias) {
    const std::size_t n = problem.rows.size();
    std::vector<double> alpha(n, 0.0);
    std::vector<double> diag(n);
    std::vector<double> qd(n);
    for (std::size_t i = 0; i < n; ++i) {
        diag[i] = 0.5 / cost[i];
        double norm = 1.0; // the bias feature
        for (const auto& entry : problem.rows[i]) {
            norm += static_cast<double>(entry.second) * entry.second;
        }
        qd[i] = norm + diag[i];
    }
    std::fill(w.begin(), w.end(), 0.0);
    bias = 0.0;
    constexpr double infinity = std::numeric_limits<double>::infinity();
    // order[0, active) are the examples still visited; the shrunk ones follow them.
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::size_t active = n;
    double shrink_above = infinity; // without shrinking, never passed
    std::uint64_t state = options.seed;
    LinearSolverStats stats;
    while (stats.sweeps < options.max_iterations) {
        ++stats.sweeps;
        for (std::size_t i = active; i > 1; --i) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            std::swap(order[i - 1], order[(state >> 33) % i]);
        }
        double pg_max = -infinity;
        double pg_min = infinity;
        for (std::size_t s = 0; s < active;) {
            const std::uint32_t i = order[s];
            ++stats.visits;
            if (s + 1 < active) {
                // The rows are visited in random order and at a million records far exceed the
                // caches: asking for the next row's start now hides most of its memory latency
                // (about 10% of the solver's time, measured; the arithmetic is unchanged).
                const SparseVector& next = problem.rows[order[s + 1]];
                const char* start = reinterpret_cast<const char*>(next.data());
                const std::size_t bytes = std::min<std::size_t>(
                    next.size() * sizeof(SparseVector::value_type), kPrefetchBytes);
                for (std::size_t offset = 0; offset < bytes; offset += 64)
                    __builtin_prefetch(start + offset);
                __builtin_prefetch(&alpha[order[s + 1]]);
            }
            double dot = bias;
            for (const auto& [feature, value] : problem.rows[i]) {
                dot += w[feature] * value;
            }
            const double g = y[i] * dot - 1.0 + diag[i] * alpha[i];
            if (alpha[i] == 0.0 && g > shrink_above) {
                --active;
                std::swap(order[s], order[active]);
                continue; // order[s] is now an example not yet visited in this sweep
            }
            const double pg = alpha[i] == 0.0 ? std::min(g, 0.0) : g;
            pg_max = std::max(pg_max, pg);
            pg_min = std::min(pg_min, pg);
            if (std::fabs(pg) > 1e-12) {
                const double old = alpha[i];
                alpha[i] = std::max(alpha[i] - g / qd[i], 0.0);
                const double step = (alpha[i] - old) * y[i];
                for (const auto& [feature, value] : problem.rows[i]) {
                    w[feature] += step * value;
                }
                bias += step;
            }
            ++s;
        }
        if (pg_max - pg_min < options.tolerance) {
            if (active == n) {
                stats.converged = true;
                break;
            }
            active = n; // the active examples have converged: check every example again
            shrink_above = infinity;
            continue;
        }
        // A sweep whose projected gradients are all <= 0 gives no bound to shrink against.
        if (options.shrinking)
            shrink_above = pg_max > 0.0 ? pg_max : infinity;
    }
    return stats;
}

} // namespace

LinearWeights train_one_vs_rest(const LinearProblem& problem, std::size_t labels,
                                const LinearSvmOptions& options) {
    const std::size_t n = problem.rows.size();
    LinearWeights out;
    out.weights.assign(problem.features * labels, 0.0F);
    out.bias.assign(labels, 0.0F);
    out.stats.assign(labels, {});
    // Each label's problem is independent (its own seed), so the labels are shared among threads
    // and the weights are the same whatever the number of threads.
    std::atomic<std::size_t> next_label{0};
    std::mutex progress_mutex;
    auto work = [&]() {
        std::vector<double> w(problem.features);
        std::vector<signed char> y(n);
        std::vector<double> cost(n);
        for (std::size_t label = next_label++; label < labels; label = next_label++) {
            std::size_t positives = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const auto& l = problem.labels[i];
                y[i] = std::find(l.begin(), l.end(), label) != l.end() ? 1 : -1;
                positives += y[i] > 0 ? 1 : 0;
            }
            const std::size_t negatives = n - positives;
            auto side_weight = [&](std::size_t count) {
                if (count == 0 || options.balance_power <= 0.0F)
                    return 1.0;
                return std::pow(static_cast<double>(n) / (2.0 * static_cast<double>(count)),
                                options.balance_power);
            };
            const double positive_cost = options.c * side_weight(positives);
            const double negative_cost = options.c * side_weight(negatives);
            for (std::size_t i = 0; i < n; ++i) {
                cost[i] = y[i] > 0 ? positive_cost : negative_cost;
            }
            double bias = 0.0;
            LinearSvmOptions seeded = options;
            seeded.seed = options.seed + label;
            out.stats[label] = solve_binary(problem, y, cost, seeded, w, bias);
            for (std::size_t f = 0; f < problem.features; ++f) {
                out.weights[f * labels + label] = static_cast<float>(w[f]);
            }
            out.bias[label] = static_cast<float>(bias);
            if (options.label_done) {
                const std::lock_guard<std::mutex> lock(progress_mutex);
                options.label_done();
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(
        labels,
        std::max(1U, options.threads != 0 ? options.threads : std::thread::hardware_concurrency()));
    std::vector<std::thread> helpers;
    for (std::size_t t = 1; t < threads; ++t)
        helpers.emplace_back(work);
    work();
    for (std::thread& helper : helpers)
        helper.join();
    return out;
}

} // namespace airm
