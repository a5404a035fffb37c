// Replays every input the fuzzers ever crashed on (tests/fuzz/regressions/TARGET/*), plus the
// bundled corpus as a smoke input, through the same entry points the fuzzers call.

#include "fuzz/fuzz_targets.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

namespace fs = std::filesystem;

namespace {

void replay(const airm::fuzz::Target& target, const std::string& input) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(input.data());
    CHECK(target.run(data, input.size()) == 0);
}

} // namespace

TEST_CASE("fuzz targets accept the bundled corpus and taxonomy", "[fuzz]") {
    const fs::path corpus = AIRM_TEST_CORPUS_DIR;
    const std::string records = airm::test::read_file((corpus / "records.jsonl").string());
    const std::string taxonomy = airm::test::read_file((corpus / "taxonomy.json").string());
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
            replay(target, airm::test::read_file(entry.path().string()));
            ++replayed;
        }
    }
    WARN("replayed " << replayed << " kept fuzz inputs");
}
