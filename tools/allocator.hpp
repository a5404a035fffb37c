#pragma once
/// Which malloc an executable runs on, for `airm --version` and the benchmark's report: the
/// build links jemalloc into the executables unless configured with -DAIRM_JEMALLOC=OFF.

#include <cstdint>
#include <cstdlib>
#include <string>

#ifdef AIRM_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace airm::cli {

/// "jemalloc 5.3.0" when jemalloc serves this process's malloc (checked by allocating, not assumed
/// from the build), "AddressSanitizer" in a sanitizer build, otherwise "glibc".
[[nodiscard]] inline std::string allocator_name() {
#ifdef AIRM_WITH_JEMALLOC
    std::uint64_t before = 0;
    std::uint64_t after = 0;
    std::size_t size = sizeof(before);
    const bool counted = mallctl("thread.allocated", &before, &size, nullptr, 0) == 0;
    void* volatile probe = std::malloc(4096);
    size = sizeof(after);
    const bool recounted = mallctl("thread.allocated", &after, &size, nullptr, 0) == 0;
    std::free(probe);
    if (counted && recounted && after >= before + 4096) {
        const char* version = nullptr;
        size = sizeof(version);
        std::string name = "jemalloc";
        if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
            const std::string full = version;
            name += " " + full.substr(0, full.find('-'));
        }
        return name;
    }
#endif
#if defined(__SANITIZE_ADDRESS__)
    return "AddressSanitizer";
#else
    return "glibc";
#endif
}

} // namespace airm::cli
