/// `airm serve`: the HTTP JSON API and the web explorer (tools/serve) over one index.

#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/error.hpp"
#include "tools/serve/server.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace airm::cli {
namespace {

struct ServeArgs {
    std::string db;
    std::string host = "127.0.0.1";
    int port = 8080;
    std::size_t threads = 16;
    bool allow_writes = false;
    std::string token_file;
    std::string cors_origin;
    bool no_synonyms = false;
};

void run_serve(const ServeArgs& args) {
    http::ServeOptions options;
    // The server opens its index (a folder or a stub file) once per reader thread by one path.
    options.db = resolve_db(single_db(
        args.db, "airm serve serves one index folder or one stub file",
        "to serve several shards as one collection, list them in a stub file ('auto FOLDER' or "
        "'remote HOST:PORT' lines, one a shard) and pass --db STUB"));
    options.host = args.host;
    options.port = args.port;
    options.threads = args.threads;
    options.allow_writes = args.allow_writes;
    options.cors_origin = args.cors_origin;
    if (!args.no_synonyms)
        options.synonyms_file = corpus_dir() + "/synonyms.txt";
    if (!args.token_file.empty())
        options.token = http::read_token_file(args.token_file);
    if (args.allow_writes && options.token.empty() && !http::is_loopback(args.host)) {
        std::cerr << "airm: note: writes are accepted from this machine only; give --token-file "
                     "to accept them from other hosts\n";
    }

    // SIGINT and SIGTERM are taken by one thread (blocked everywhere else, including httplib's
    // workers, which inherit the mask), which stops the server: a clean exit 0.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN); // a client that hung up is an error on its socket, not an exit

    if (args.allow_writes && std::filesystem::is_regular_file(options.db)) {
        throw InvalidInput("--allow-writes: '" + options.db +
                           "' is a stub file of shards, which airm serve only reads; write each "
                           "shard on its own with 'airm index --db SHARD --shard K/N FILE...', or "
                           "serve an index folder");
    }
    try {
        (void)Index::open(options.db);
    } catch (const VersionMismatch& e) {
        if (!args.db.empty())
            throw;
        throw_with_demo_fix(e, options.db);
    }
    http::Server server(options);
    server.bind();
    std::atomic<bool> done{false};
    std::thread waiter([&] {
        const timespec tick{0, 100 * 1000 * 1000};
        bool stopping = false;
        while (!done.load()) {
            if (!stopping && sigtimedwait(&signals, nullptr, &tick) > 0)
                stopping = true;
            if (stopping) {
                server.stop(); // again until run() returned: a signal may come before it listens
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
    });
    std::cout << server.url() << std::endl;
    const bool ok = server.run();
    done = true;
    waiter.join();
    if (!ok)
        throw IndexError("the server's socket failed while listening on " + server.url());
}

} // namespace

void register_serve_command(CLI::App& app) {
    auto a = std::make_shared<ServeArgs>();
    CLI::App* cmd =
        app.add_subcommand("serve", "Serve the JSON API (/v1/...) and the web explorer over HTTP");
    add_db_option(*cmd, a->db);
    cmd->add_option("--host", a->host,
                    "Address to listen on (other hosts: read-only unless a token)")
        ->capture_default_str();
    cmd->add_option("--port", a->port, "Port to listen on; 0 picks a free one")
        ->check(whole_number_in(0, 65535))
        ->capture_default_str();
    cmd->add_option("--threads", a->threads, "Worker threads (a keep-alive client holds one)")
        ->check(whole_number_in(2, 1024))
        ->capture_default_str();
    cmd->add_flag("--allow-writes", a->allow_writes,
                  "Accept adding, replacing and deleting records and retraining");
    cmd->add_option("--token-file", a->token_file,
                    "File (mode 600) holding the bearer token that writes must present");
    cmd->add_option("--cors-origin", a->cors_origin,
                    "The one origin (e.g. https://example.org) allowed cross-origin requests");
    cmd->add_flag("--no-synonyms", a->no_synonyms,
                  "Do not apply the bundled synonyms (corpus/synonyms.txt) to searches");
    cmd->callback([a]() { run_serve(*a); });
}

} // namespace airm::cli
