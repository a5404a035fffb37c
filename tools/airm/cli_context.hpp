#pragma once
/// What every subcommand shares: the --db option, the bundled demo index and the corpus folder.

#include "engine/error.hpp"
#include "engine/index.hpp"

#include <CLI/CLI.hpp>
#include <string>

namespace airm::cli {

/// The bundled corpus folder (records.jsonl, taxonomy.json, synonyms.txt).
[[nodiscard]] std::string corpus_dir();
/// The index folder to use: `--db` when given, else the bundled demo index (built on first use).
[[nodiscard]] std::string resolve_db(const std::string& db_option);
/// Rethrows `error`, raised by the default index `db` (no `--db`), with the command that rebuilds
/// it from the bundled corpus when it is the demo index.
[[noreturn]] void throw_with_demo_fix(const VersionMismatch& error, const std::string& db);
/// Opens the index named by `--db` (or the demo index) for reading.
[[nodiscard]] Index open_index(const std::string& db_option);
/// Adds the `--db DIR` option shared by every command.
void add_db_option(CLI::App& command, std::string& db);

} // namespace airm::cli
