#pragma once
/// Newton's method for the small convex fits of the suggestion model (the conditional logit of
/// the mixing weights, the re-ranker): a dense linear solver and a minimiser with backtracking.

#include <functional>
#include <vector>

namespace airm {

/// Solves a x = b for a small dense matrix `a` (n x n, row-major) by Gaussian elimination with
/// partial pivoting; `b` receives x. False when `a` is singular.
[[nodiscard]] bool solve_dense(std::vector<double> a, std::vector<double>& b);

/// The value of a function at x; when `gradient` is not null, also its gradient and its Hessian
/// (row-major) there.
using NewtonObjective = std::function<double(
    const std::vector<double>& x, std::vector<double>* gradient, std::vector<double>* hessian)>;

/// Minimises a smooth convex function from `x` by Newton steps, halving a step until the value
/// falls; stops after `iterations`, or when a step gains less than 1e-10.
[[nodiscard]] std::vector<double>
minimise_newton(std::vector<double> x, const NewtonObjective& objective, int iterations = 50);

} // namespace airm
