// Replays every input the fuzzers ever crashed on (tests/fuzz/regressions/TARGET/*), plus the
// bundled corpus as a smoke input, through the same entry points the fuzzers call.

#include "fuzz/fuzz_targets.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void replay(const airm::fuzz::Target& target, const std::string& input) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(input.data());
    CHECK(target.run(data, input.size()) == 0);
}

} // namespace

TEST_CASE("fuzz targets accept the bundled corpus and taxonomy", "[fuzz]") {
    const fs::path corpus = AIRM_TEST_CORPUS_DIR;
    const std::string records = slurp(corpus / "records.jsonl");
    const std::string taxonomy = slurp(corpus / "taxonomy.json");
    REQUIRE(!records.empty());
    for (const auto& target : airm::fuzz::targets()) {
        INFO(target.name);
        replay(target, records);
        replay(target, taxonomy);
        replay(target, "");
    }
}

TEST_CASE("fuzz regressions: every kept crashing input now passes", "[fuzz]") {
    const fs::path root = fs::path(AIRM_TEST_DATA_DIR).parent_path() / "fuzz" / "regressions";
    std::size_t replayed = 0;
    for (const auto& target : airm::fuzz::targets()) {
        const fs::path folder = root / target.name;
        if (!fs::exists(folder)) {
            continue;
        }
        for (const auto& entry : fs::directory_iterator(folder)) {
            INFO(target.name << ": " << entry.path().filename().string());
            replay(target, slurp(entry.path()));
            ++replayed;
        }
    }
    WARN("replayed " << replayed << " kept fuzz inputs");
}
