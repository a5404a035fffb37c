#pragma once
/// Entry points of the fuzz targets, shared by the libFuzzer binaries (AIRM_FUZZ) and the
/// regression test that replays every input kept in tests/fuzz/regressions/. Each returns 0; a
/// crash, a sanitizer report or a broken invariant (std::abort) is a finding. airm::Error is the
/// expected way to refuse input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace airm::fuzz {

int csv_reader(const std::uint8_t* data, std::size_t size);
int jsonl_reader(const std::uint8_t* data, std::size_t size);
int taxonomy_loader(const std::uint8_t* data, std::size_t size);
int analyzer(const std::uint8_t* data, std::size_t size);
int query_parser(const std::uint8_t* data, std::size_t size);
int record_codec(const std::uint8_t* data, std::size_t size);

/// A named target, for drivers that loop over all of them.
struct Target {
    const char* name;
    int (*run)(const std::uint8_t*, std::size_t);
};
[[nodiscard]] const std::vector<Target>& targets();

} // namespace airm::fuzz
