#include "query/suggest/calibration/newton.hpp"

#include <cmath>
#include <utility>

namespace airm {

bool solve_dense(std::vector<double> a, std::vector<double>& b) {
    const std::size_t n = b.size();
    for (std::size_t c = 0; c < n; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < n; ++r) {
            if (std::fabs(a[r * n + c]) > std::fabs(a[pivot * n + c]))
                pivot = r;
        }
        if (std::fabs(a[pivot * n + c]) < 1e-12)
            return false;
        if (pivot != c) {
            for (std::size_t k = 0; k < n; ++k)
                std::swap(a[c * n + k], a[pivot * n + k]);
            std::swap(b[c], b[pivot]);
        }
        for (std::size_t r = c + 1; r < n; ++r) {
            const double f = a[r * n + c] / a[c * n + c];
            for (std::size_t k = c; k < n; ++k)
                a[r * n + k] -= f * a[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (std::size_t c = n; c-- > 0;) {
        for (std::size_t k = c + 1; k < n; ++k)
            b[c] -= a[c * n + k] * b[k];
        b[c] /= a[c * n + c];
    }
    return true;
}

std::vector<double> minimise_newton(std::vector<double> x, const NewtonObjective& objective,
                                    int iterations) {
    double current = objective(x, nullptr, nullptr);
    std::vector<double> gradient, hessian, next(x.size());
    for (int iteration = 0; iteration < iterations; ++iteration) {
        (void)objective(x, &gradient, &hessian);
        std::vector<double> step = gradient;
        if (!solve_dense(hessian, step))
            break;
        double t = 1.0;
        double next_value = current;
        while (t > 1e-6) {
            for (std::size_t j = 0; j < x.size(); ++j)
                next[j] = x[j] - t * step[j];
            next_value = objective(next, nullptr, nullptr);
            if (next_value < current)
                break;
            t /= 2;
        }
        if (t <= 1e-6)
            break;
        const bool converged = current - next_value < 1e-10;
        x = next;
        current = next_value;
        if (converged)
            break;
    }
    return x;
}

} // namespace airm
