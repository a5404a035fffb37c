/// libFuzzer entry point; AIRM_FUZZ_TARGET names the function of fuzz_targets.hpp to call.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return airm::fuzz::AIRM_FUZZ_TARGET(data, size);
}
