// The linear SVM's dual coordinate descent with shrinking: it stops, reaches the optimum the
// unshrunk descent reaches, visits fewer examples, and trains the same weights on any thread count.

#include "query/suggest/scorers/linear.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t kLabels = 4;
constexpr std::size_t kFeatures = 60;

/// Rows of 8 features: 4 drawn from the row's label's 15 features, 4 from all, so the labels
/// overlap and no binary problem is separable by one feature. mt19937's raw outputs are the same
/// everywhere.
airm::LinearProblem make_problem(std::size_t rows) {
    std::mt19937 random(7);
    airm::LinearProblem problem;
    problem.features = kFeatures;
    for (std::size_t r = 0; r < rows; ++r) {
        const auto label = static_cast<std::uint32_t>(random() % kLabels);
        airm::SparseVector row;
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t feature = k < 4 ? label * 15 + random() % 15
                                                : static_cast<std::uint32_t>(random() % kFeatures);
            const float value = 0.2F + static_cast<float>(random() % 100) / 125.0F;
            auto it = std::find_if(row.begin(), row.end(),
                                   [&](const auto& entry) { return entry.first == feature; });
            if (it == row.end())
                row.emplace_back(feature, value);
        }
        std::sort(row.begin(), row.end());
        problem.rows.push_back(std::move(row));
        // A tenth of the rows carry a second label: the binary problems are not separable.
        std::vector<std::uint32_t> labels{label};
        if (random() % 10 == 0)
            labels.push_back(static_cast<std::uint32_t>((label + 1) % kLabels));
        problem.labels.push_back(std::move(labels));
    }
    return problem;
}

/// The primal objective 1/2 (|w|^2 + b^2) + C sum_i max(0, 1 - y_i (w.x_i + b))^2 of one label.
double objective(const airm::LinearProblem& problem, const airm::LinearWeights& model,
                 std::size_t label, double c) {
    double value = static_cast<double>(model.bias[label]) * model.bias[label];
    for (std::size_t f = 0; f < problem.features; ++f) {
        const double w = model.weights[f * kLabels + label];
        value += w * w;
    }
    value *= 0.5;
    for (std::size_t i = 0; i < problem.rows.size(); ++i) {
        double score = model.bias[label];
        for (const auto& [feature, x] : problem.rows[i])
            score += static_cast<double>(model.weights[feature * kLabels + label]) * x;
        const auto& l = problem.labels[i];
        const double y = std::find(l.begin(), l.end(), label) != l.end() ? 1.0 : -1.0;
        const double margin = std::max(0.0, 1.0 - y * score);
        value += c * margin * margin;
    }
    return value;
}

/// The label scoring highest on each row.
std::vector<std::size_t> predictions(const airm::LinearProblem& problem,
                                     const airm::LinearWeights& model) {
    std::vector<std::size_t> out;
    for (const auto& row : problem.rows) {
        std::vector<double> score(model.bias.begin(), model.bias.end());
        for (const auto& [feature, x] : row)
            for (std::size_t l = 0; l < kLabels; ++l)
                score[l] += static_cast<double>(model.weights[feature * kLabels + l]) * x;
        out.push_back(
            static_cast<std::size_t>(std::max_element(score.begin(), score.end()) - score.begin()));
    }
    return out;
}

} // namespace

TEST_CASE("the shrunk coordinate descent stops at the optimum the unshrunk one reaches, visiting "
          "fewer examples",
          "[suggest][solver]") {
    // Many rows at the default C, and few rows at a large C: there an example set aside early moves
    // again later, so stopping without checking every example again misses the optimum by far.
    const auto [rows, c] = GENERATE(std::pair<std::size_t, double>{3000, 1.0},
                                    std::pair<std::size_t, double>{200, 100.0});
    INFO(rows << " rows, C " << c);
    const airm::LinearProblem problem = make_problem(rows);
    airm::LinearSvmOptions options;
    options.c = c;
    options.balance_power = 0.0F; // every example costs C, as objective() counts it
    options.tolerance = 0.01;
    options.max_iterations = 1000;
    options.threads = 1;
    options.shrinking = false;
    const airm::LinearWeights full = airm::train_one_vs_rest(problem, kLabels, options);
    options.shrinking = true;
    const airm::LinearWeights shrunk = airm::train_one_vs_rest(problem, kLabels, options);

    std::uint64_t full_visits = 0;
    std::uint64_t shrunk_visits = 0;
    for (std::size_t label = 0; label < kLabels; ++label) {
        INFO("label " << label << ": " << full.stats[label].sweeps << " sweeps unshrunk, "
                      << shrunk.stats[label].sweeps << " shrunk");
        CHECK(full.stats[label].converged);
        CHECK(shrunk.stats[label].converged);
        CHECK(shrunk.stats[label].sweeps < options.max_iterations);
        const double reference = objective(problem, full, label, options.c);
        const double reached = objective(problem, shrunk, label, options.c);
        INFO("objective " << reference << " unshrunk, " << reached << " shrunk");
        CHECK(reached == Approx(reference).epsilon(1e-3));
        full_visits += full.stats[label].visits;
        shrunk_visits += shrunk.stats[label].visits;
    }
    INFO(full_visits << " examples visited unshrunk, " << shrunk_visits << " shrunk");
    CHECK(static_cast<double>(shrunk_visits) < 0.8 * static_cast<double>(full_visits));

    const std::vector<std::size_t> expected = predictions(problem, full);
    const std::vector<std::size_t> got = predictions(problem, shrunk);
    std::size_t same = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        same += expected[i] == got[i] ? 1 : 0;
    CHECK(static_cast<double>(same) >= 0.99 * static_cast<double>(expected.size()));
}

TEST_CASE("the shrunk coordinate descent trains the same weights on one thread as on three",
          "[suggest][solver]") {
    const airm::LinearProblem problem = make_problem(1500);
    airm::LinearSvmOptions options;
    options.threads = 1;
    const airm::LinearWeights one = airm::train_one_vs_rest(problem, kLabels, options);
    options.threads = 3;
    const airm::LinearWeights three = airm::train_one_vs_rest(problem, kLabels, options);
    CHECK(one.weights == three.weights);
    CHECK(one.bias == three.bias);
    for (std::size_t label = 0; label < kLabels; ++label)
        CHECK(one.stats[label].visits == three.stats[label].visits);
}
