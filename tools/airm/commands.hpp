#pragma once
/// The subcommands of `airm`; each file registers its own on the application.

#include <CLI/CLI.hpp>

namespace airm::cli {

void register_index_commands(CLI::App& app);   ///< index, delete
void register_inspect_commands(CLI::App& app); ///< show, stats, taxonomy

} // namespace airm::cli
