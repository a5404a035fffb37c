/// `airm`: search and classify coded AI risk mitigation records. One binary, one subcommand per job;
/// every job's logic lives in the engine, indexer and query libraries.

#include "commands.hpp"
#include "engine/error.hpp"
#include "tools/allocator.hpp"

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"airm: full-text search and taxonomy coding for AI risk mitigation records"};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         "airm " AIRM_VERSION " (malloc: " + airm::cli::allocator_name() + ")");
    airm::cli::register_index_commands(app);
    airm::cli::register_inspect_commands(app);
    airm::cli::register_suggest_commands(app);
    airm::cli::register_search_commands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const airm::Error& e) {
        std::cerr << "airm: error: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "airm: internal error: " << e.what() << '\n';
        return 3;
    }
    return 0;
}
