#pragma once
/// What every subcommand shares: the --db option, the bundled demo index and the corpus folder.

#include "engine/error.hpp"
#include "engine/index.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace airm::cli {

/// The bundled corpus folder (records.jsonl, taxonomy.json, synonyms.txt).
[[nodiscard]] std::string corpus_dir();
/// The index folder to use: `--db` when given, else `$AIRM_DB`, else the bundled demo index (built
/// on first use, in its own folder only). Unless `creating` (`airm index` makes new indexes), an
/// `$AIRM_DB` that is not an index is an error naming it: a typo must not answer from elsewhere.
[[nodiscard]] std::string resolve_db(const std::string& db_option, bool creating = false);
/// Rethrows `error`, raised by the default index `db` (no `--db`), with the command that rebuilds
/// it from the bundled corpus when it is the demo index.
[[noreturn]] void throw_with_demo_fix(const VersionMismatch& error, const std::string& db);
/// The one index `--db` names; throws InvalidInput when `--db` was given more than once (its
/// values joined by newlines), saying why the command takes one (`why`, e.g. "this command writes
/// one index") and the fix `fix`.
[[nodiscard]] std::string single_db(const std::string& db_option,
                                    std::string_view why = "this command writes one index",
                                    std::string_view fix = "pass --db once");
/// Opens the index named by `--db` (or the demo index) for reading; a `--db` given several times
/// opens every folder and stub file as one collection.
[[nodiscard]] Index open_index(const std::string& db_option);
/// Adds the `--db DIR` option shared by every command.
void add_db_option(CLI::App& command, std::string& db);
/// Accepts a whole number (decimal digits, optionally after '-') from `low` to `high`, checked on
/// the text before CLI11 converts it, so that "-1" never wraps around in an unsigned option. A
/// value outside is a usage error naming the range.
[[nodiscard]] CLI::Validator whole_number_in(long long low, long long high);
/// Accepts a finite number from `low` to `high` (NaN and infinity are refused: they would make
/// every score null); anything else is a usage error naming the range.
[[nodiscard]] CLI::Validator number_in(double low, double high);
/// Accepts a number of seconds, 0 or more (e.g. --wait 2.5); anything else is a usage error.
[[nodiscard]] CLI::Validator seconds();
/// Accepts one of `choices`; anything else is a usage error listing them.
[[nodiscard]] CLI::Validator one_of(std::vector<std::string> choices);

} // namespace airm::cli
