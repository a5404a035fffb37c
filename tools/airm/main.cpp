/// `airm`: search and classify coded AI risk mitigation records. One binary, one subcommand per
/// job; every job's logic lives in the engine, indexer and query libraries.

#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/error.hpp"
#include "query/search/spelling.hpp"
#include "terminal.hpp"
#include "tools/allocator.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// The message of a usage error. CLI11 reports an unknown command as unexpected arguments or a
/// missing subcommand; name it instead, with the nearest command when one is close.
std::string usage_message(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        commands.push_back(sub->get_name());
    }
    std::string list;
    for (const auto& name : commands)
        list += (list.empty() ? "" : ", ") + name;
    const std::string first = argc > 1 ? argv[1] : "";
    if (first.empty() || first.front() == '-') {
        if (app.get_subcommands().empty()) {
            return std::string(e.what()) + "; commands are: " + list;
        }
        return e.what();
    }
    if (std::find(commands.begin(), commands.end(), first) != commands.end()) {
        return e.what();
    }
    std::string message = "unknown command '" + first + "'";
    // Close means at most 2 edits away ("serch", "indx") or a start of 3 letters or more ("sugg").
    std::string nearest;
    std::size_t best = 3;
    for (const auto& name : commands) {
        const bool start = first.size() >= 3 && name.rfind(first, 0) == 0;
        const std::size_t d = start ? 0 : airm::edit_distance(first, name, 2);
        if (d < best) {
            best = d;
            nearest = name;
        }
    }
    if (!nearest.empty()) {
        message += "; did you mean '" + nearest + "'?";
    }
    return message + " (commands are: " + list + ")";
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"airm: full-text search and taxonomy coding for AI risk mitigation records"};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         "airm " AIRM_VERSION " (malloc: " + airm::cli::allocator_name() + ")");
    airm::cli::register_index_commands(app);
    airm::cli::register_inspect_commands(app);
    airm::cli::register_suggest_commands(app);
    airm::cli::register_search_commands(app);
    airm::cli::register_serve_command(app);
    // --color before or after any command, applied as soon as it is read (before the command
    // runs). Listed once, in `airm --help`: each command's copy is hidden, so that a command's help
    // lists its own options.
    const auto set_color = [](const std::string& value) {
        airm::cli::set_color_mode(value == "always"  ? airm::cli::ColorMode::always
                                  : value == "never" ? airm::cli::ColorMode::never
                                                     : airm::cli::ColorMode::automatic);
    };
    const std::string color_help = "Bold and dim text: auto (on a terminal, unless $NO_COLOR is "
                                   "set), always or never; accepted after any command too";
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        sub->add_option_function<std::string>("--color", set_color, color_help)
            ->check(airm::cli::one_of({"auto", "always", "never"}))
            ->group("");
    }
    app.add_option_function<std::string>("--color", set_color, color_help)
        ->check(airm::cli::one_of({"auto", "always", "never"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return app.exit(e); // --help or --version
        }
        // Every usage error exits 2, as the README says, whatever CLI11's own code for it.
        std::cerr << "airm: error: " << usage_message(app, e, argc, argv) << '\n'
                  << "Run with --help for more information.\n";
        return 2;
    } catch (const airm::Error& e) {
        std::cerr << "airm: error: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "airm: internal error: " << e.what() << '\n';
        return 3;
    }
    return 0;
}
