#pragma once
/// `airm serve`: the versioned JSON API (/v1/...), /healthz, /openapi.json and the web explorer
/// over cpp-httplib. Answers carry the same JSON as the CLI's --json; errors are
/// application/problem+json with a stable `code`. Reads use one Index per worker (ReaderPool);
/// writes go one at a time through the indexer's locked writer.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace airm::http {

/// Bounds on what a client may ask; each refused value answers a problem naming the bound.
struct Limits {
    std::size_t max_body_bytes = 8u << 20; ///< request bodies (records, suggest texts)
    std::size_t max_query_chars = 2000;    ///< the `q` of a search, a suggest text per document
    std::size_t max_text_bytes = 200000;   ///< one text to suggest codes for
    std::size_t max_batch = 32;            ///< texts of one batch suggest
    std::size_t max_filters = 64;          ///< filters of one search
    std::size_t max_limit = 100;           ///< results a page
    std::size_t max_offset = 100000;       ///< results skipped
    std::size_t max_top = 100;             ///< suggestions a text
    std::chrono::seconds read_timeout{5};  ///< waiting for a client's bytes
    std::chrono::seconds write_timeout{5}; ///< waiting for a client to take ours
};

struct ServeOptions {
    std::string db; ///< index folder (must exist)
    std::string host = "127.0.0.1";
    int port = 8080;           ///< 0: a free port
    std::size_t threads = 16;  ///< worker threads (a keep-alive client holds one)
    bool allow_writes = false; ///< add/replace/delete records and retrain
    std::string token;         ///< bearer token for writes (empty: writes from loopback only)
    std::string cors_origin;   ///< the one origin allowed cross-origin requests (empty: none)
    std::string synonyms_file; ///< synonyms applied to searches (empty: none)
    Limits limits;
};

/// An HTTP server over one index. bind() then run(); stop() from any thread ends run().
class Server {
  public:
    /// Checks the options and opens the index once. Throws airm::Error naming the bad value.
    explicit Server(ServeOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds host:port without SO_REUSEPORT (a taken port fails). Returns the port bound; throws
    /// airm::Error naming the address when it cannot be bound.
    int bind();
    /// Serves until stop(); returns false when the listening socket failed.
    bool run();
    /// Stops run() (safe from another thread, not from a signal handler).
    void stop();
    /// "http://HOST:PORT/" once bound.
    [[nodiscard]] std::string url() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Reads a bearer token from `path`: refused (InvalidInput naming the file and the fix) when the
/// file is readable or writable by group or others, is not a regular file, or holds no token.
[[nodiscard]] std::string read_token_file(const std::string& path);

/// True for 127.0.0.0/8, ::1 and localhost.
[[nodiscard]] bool is_loopback(const std::string& address);

} // namespace airm::http
