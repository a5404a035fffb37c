#include "cli_context.hpp"

#include "engine/error.hpp"
#include "indexer/build/ingest.hpp"
#include "indexer/load/taxonomy_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace airm::cli {

std::string corpus_dir() {
    if (const char* env = std::getenv("AIRM_CORPUS_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return AIRM_DEFAULT_CORPUS_DIR;
}

namespace {

void build_demo_index(const std::string& db) {
    const std::string corpus = corpus_dir();
    IndexOptions options;
    options.taxonomies.push_back(load_taxonomy_file(corpus + "/taxonomy.json", "category"));
    index_files(db, {corpus + "/records.jsonl"}, options);
}

} // namespace

std::string resolve_db(const std::string& db_option, bool creating) {
    if (!db_option.empty()) {
        return single_db(db_option);
    }
    const std::string demo = AIRM_DEFAULT_DB;
    const char* env = std::getenv("AIRM_DB");
    if (env == nullptr || *env == '\0') {
        // Only the demo index's own folder is built on first use: any other folder is the
        // user's, and building the demo records there would answer from the wrong index.
        if (!looks_like_index(demo)) {
            build_demo_index(demo);
        }
        return demo;
    }
    const std::string db = env;
    if (!creating && db != demo && !looks_like_index(db)) {
        const bool exists = std::filesystem::exists(db);
        throw NotFound("AIRM_DB='" + db + "' " +
                       (exists ? "is not an airm index" : "does not exist") +
                       "; correct the variable, build an index there with 'airm index --db " + db +
                       " FILE...', or unset AIRM_DB to use the demo index");
    }
    if (db == demo && !looks_like_index(db)) {
        build_demo_index(db);
    }
    return db;
}

void throw_with_demo_fix(const VersionMismatch& error, const std::string& db) {
    // The default index is usually the demo index built from the bundled corpus: name the files it
    // is built from, so the fix can be pasted as it is.
    const std::string corpus = corpus_dir();
    throw VersionMismatch(std::string(error.what()) +
                          "; if it is the bundled demo index, rebuild it with 'airm index "
                          "--rebuild --db " +
                          db + " --taxonomy " + corpus + "/taxonomy.json " + corpus +
                          "/records.jsonl'");
}

std::vector<std::string> db_list(const std::string& db_option) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= db_option.size()) {
        auto end = db_option.find('\n', start);
        if (end == std::string::npos)
            end = db_option.size();
        out.push_back(db_option.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string single_db(const std::string& db_option, std::string_view why, std::string_view fix) {
    if (db_option.find('\n') != std::string::npos) {
        throw InvalidInput("--db is given " + std::to_string(db_list(db_option).size()) +
                           " times, but " + std::string(why) + "; " + std::string(fix));
    }
    return db_option;
}

Index open_index(const std::string& db_option) {
    if (db_option.find('\n') != std::string::npos) {
        return Index::open(db_list(db_option)); // --db given more than once: one collection
    }
    const std::string db = resolve_db(db_option);
    if (!db_option.empty()) {
        return Index::open(db);
    }
    try {
        return Index::open(db);
    } catch (const VersionMismatch& e) {
        throw_with_demo_fix(e, db);
    }
}

void add_db_option(CLI::App& command, std::string& db) {
    // Given more than once, the values are joined by newlines: open_index() opens them all as one
    // collection; writing commands refuse that (single_db()).
    command
        .add_option("--db", db,
                    "Index folder, or a Xapian stub file of shards ('remote HOST:PORT' and "
                    "'auto FOLDER' lines); reading commands accept it several times (default: "
                    "$AIRM_DB, else the bundled demo index)")
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                if (!value.empty())
                    return {};
                return "the folder is empty (an unset variable?); give the index folder, e.g. "
                       "--db ./my-index, or leave --db out to use $AIRM_DB or the demo index";
            },
            "DIR"))
        ->multi_option_policy(CLI::MultiOptionPolicy::Join);
}

CLI::Validator whole_number_in(long long low, long long high) {
    const std::string range = std::to_string(low) + " to " + std::to_string(high);
    return CLI::Validator(
        [low, high, range](std::string& value) -> std::string {
            const std::size_t digits = !value.empty() && value.front() == '-' ? 1 : 0;
            const bool whole =
                value.size() > digits && value.size() - digits <= 18 &&
                std::all_of(value.begin() + static_cast<std::ptrdiff_t>(digits), value.end(),
                            [](char c) { return c >= '0' && c <= '9'; });
            if (!whole)
                return "'" + value + "' is not a whole number; give one from " + range;
            const long long n = std::stoll(value);
            if (n < low || n > high)
                return value + " is out of range; give a whole number from " + range;
            return {};
        },
        std::to_string(low) + ".." + std::to_string(high));
}

CLI::Validator number_in(double low, double high) {
    auto text = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return std::string(buf);
    };
    const std::string range = text(low) + " to " + text(high);
    return CLI::Validator(
        [low, high, range](const std::string& value) -> std::string {
            double n = 0;
            if (!CLI::detail::lexical_cast(value, n) || !std::isfinite(n) || n < low || n > high)
                return "must be a number from " + range + ", not " + value;
            return {};
        },
        "[" + range + "]");
}

CLI::Validator seconds() {
    return CLI::Validator(
        [](std::string& value) -> std::string {
            double n = 0;
            if (!CLI::detail::lexical_cast(value, n) || !(n >= 0) || n > 1e9)
                return "'" + value + "' is not a number of seconds; give 0 or more, e.g. 30";
            return {};
        },
        ">= 0");
}

CLI::Validator one_of(std::vector<std::string> choices) {
    std::string list; // "a, b or c", for the message
    std::string set;  // "{a,b,c}", for --help
    for (std::size_t i = 0; i < choices.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
        set += (i == 0 ? "{" : ",") + choices[i];
    }
    return CLI::Validator(
        [choices, list](std::string& value) -> std::string {
            if (std::find(choices.begin(), choices.end(), value) != choices.end())
                return {};
            return "'" + value + "' is not one of the choices; use " + list;
        },
        set + "}");
}

} // namespace airm::cli
