#pragma once
/// Internal to airm_http: the state the handlers share and how they are installed on httplib.

#include "tools/serve/readers.hpp"
#include "tools/serve/server.hpp"

#include <algorithm>
#include <httplib.h>
#include <mutex>
#include <string>
#include <thread>

namespace airm::http {

struct ApiContext {
    ApiContext(ServeOptions serve_options)
        : options(std::move(serve_options)),
          readers(options.db, options.synonyms_file, reader_count(options.threads)),
          suggesters(options.allow_writes) {}
    /// Readers for `threads` workers: twice the cores (at least 4), never more than the workers.
    [[nodiscard]] static std::size_t reader_count(std::size_t threads) {
        const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
        return std::min(threads, std::max<std::size_t>(4, 2 * cores));
    }
    ServeOptions options;
    ReaderPool readers;
    SuggesterCache suggesters;
    std::mutex write_mutex; ///< one write at a time from this server
};

/// Registers every route of routes() on `server`, each answering through `context`.
void install_routes(httplib::Server& server, ApiContext& context);

/// True when `path` (a request path) matches a route template such as /v1/records/{id}.
[[nodiscard]] bool path_matches(const std::string& pattern, const std::string& path);

/// Writes `body` (JSON) as the answer, never compressed (see api.cpp).
void send_json(httplib::Response& res, const std::string& body, int status = 200);
/// Writes a problem document as the answer.
void send_problem(httplib::Response& res, int status, const std::string& code,
                  const std::string& detail,
                  const nlohmann::json& extra = nlohmann::json::object());

} // namespace airm::http
