#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char* argv[]) {
    // The airm binary the tests run uses jemalloc; junk filling makes it write a non-zero byte into
    // new and freed memory, as MALLOC_PERTURB_ (set by CTest) does for glibc, so that a read of
    // memory nobody initialised changes results and fails a test. A value set by the caller wins.
    setenv("MALLOC_CONF", "junk:true", 0);
    return Catch::Session().run(argc, argv);
}
