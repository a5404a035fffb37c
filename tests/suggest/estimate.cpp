// The training estimate against the peaks its coefficients were fitted to (query/suggest/README.md,
// "Training at scale").

#include "query/suggest/train.hpp"

#include <catch2/catch.hpp>

TEST_CASE("evaluation's memory estimate is within 5% of the peaks of training with every record "
          "kept",
          "[suggest][model]") {
    // `/usr/bin/time -v airm train` peaks on the benchmark corpus at 7ba9409, when training kept
    // every record's features as evaluation does: 213 MiB at 10,000 records, 635 MiB at 100,000.
    constexpr double kMiB = 1024.0 * 1024.0;
    const double at_10k = static_cast<double>(airm::estimate_training(10000, 23, true).bytes);
    const double at_100k = static_cast<double>(airm::estimate_training(100000, 23, true).bytes);
    CHECK(at_10k == Approx(213 * kMiB).epsilon(0.05));
    CHECK(at_100k == Approx(635 * kMiB).epsilon(0.05));
}
