#pragma once
/// The subcommands of `airm`; each file registers its own on the application.

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace airm {
class Index;
}

namespace airm::cli {

void register_index_commands(CLI::App& app);   ///< index, delete
void register_inspect_commands(CLI::App& app); ///< show, stats, taxonomy
void register_suggest_commands(CLI::App& app); ///< suggest, train, evaluate
void register_search_commands(CLI::App& app);  ///< search, facets, similar
void register_serve_command(CLI::App& app);    ///< serve

/// The end of the message for an id `index` does not hold: the ids that start with what was typed
/// (ignoring case when none match it exactly), or how to find ids.
[[nodiscard]] std::string unknown_id_hint(const Index& index, std::string_view id);

/// Called after index `db` changed: its suggestion models are then retrained on next use (cheap).
void update_suggest_models(const std::string& db);

} // namespace airm::cli
