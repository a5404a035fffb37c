#pragma once
/// One-vs-rest linear classifiers trained by dual coordinate descent on the L2-regularised squared
/// hinge loss (the method of LIBLINEAR's default solver, Hsieh et al. 2008), with a regularised
/// bias feature. Small and exact enough for thousands of records and tens of labels.
/// Internal to airm_suggest: included only by query/suggest/*.cpp.

#include "query/suggest/features.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace airm {

/// Training rows and their labels (a row may carry several labels, or none).
struct LinearProblem {
    std::size_t features = 0;
    std::vector<SparseVector> rows;
    std::vector<std::vector<std::uint32_t>> labels;
};

struct LinearSvmOptions {
    double c = 1.0;             ///< inverse regularisation
    float balance_power = 0.5F; ///< each side of a binary problem weighs (n / 2 n_side)^power
    double tolerance = 0.1;     ///< stop when the projected gradient spread falls below this
    unsigned max_iterations = 200;
    /// Skip examples that sit at zero with a gradient pushing them further (LIBLINEAR's shrinking),
    /// re-checking every example before stopping: far fewer row visits, nearly the same optimum.
    bool shrinking = true;
    std::uint64_t seed = 1; ///< order of the coordinate sweeps
    unsigned threads = 0;   ///< labels trained at once (0: one per core); same weights for any
    /// Called once per label trained, one call at a time (for progress); null: none.
    std::function<void()> label_done;
};

/// How one binary problem's coordinate descent ran (for tests and measurements).
struct LinearSolverStats {
    unsigned sweeps = 0;      ///< passes over the active examples, the final full checks included
    std::uint64_t visits = 0; ///< examples whose gradient was computed, over all sweeps
    bool converged = false;   ///< stopped by the tolerance on every example, not by max_iterations
};

/// Weights of one linear model per label.
struct LinearWeights {
    std::vector<float> weights;           ///< features x labels, row-major by feature
    std::vector<float> bias;              ///< one per label
    std::vector<LinearSolverStats> stats; ///< one per label
};

/// Trains one binary classifier per label (its rows against all others).
[[nodiscard]] LinearWeights train_one_vs_rest(const LinearProblem& problem, std::size_t labels,
                                              const LinearSvmOptions& options);

} // namespace airm
