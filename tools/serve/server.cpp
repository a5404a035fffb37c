/// The HTTP server: socket options, limits, security headers, the write guard (allow-writes,
/// bearer token, origin), CORS for one origin, the embedded files, and problem documents for
/// everything httplib itself refuses.

#include "tools/serve/server.hpp"

#include "engine/error.hpp"
#include "tools/serve/api.hpp"
#include "tools/serve/assets.hpp"
#include "tools/serve/handlers.hpp"
#include "tools/serve/problem.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>

namespace airm::http {

bool is_loopback(const std::string& address) {
    if (address == "localhost" || address == "::1" || address == "[::1]")
        return true;
    in_addr v4{};
    if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    std::string a = address;
    if (a.rfind("::ffff:", 0) == 0)
        return is_loopback(a.substr(7));
    return false;
}

std::string read_token_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw NotFound("token file '" + path +
                       "' does not exist or cannot be read; check the path");
    }
    if (!S_ISREG(st.st_mode))
        throw InvalidInput("token file '" + path +
                           "' is not a regular file; give the file that holds the token");
    if ((st.st_mode & 077) != 0) {
        throw InvalidInput("token file '" + path +
                           "' can be read or written by others; make it private with 'chmod 600 " +
                           path + "'");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
        token.pop_back();
    if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos) {
        throw InvalidInput("token file '" + path +
                           "' must hold one token of 16 characters or more on one line (e.g. "
                           "from 'openssl rand -hex 32')");
    }
    return token;
}

namespace {

/// Compares in time that depends on the lengths only, never on where the bytes differ.
bool same_secret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

const RouteInfo* find_route(const std::string& method, const std::string& path) {
    for (const RouteInfo& r : routes()) {
        if (r.method == method && path_matches(r.path, path))
            return &r;
    }
    return nullptr;
}

std::string allowed_methods(const std::string& path) {
    std::string out;
    for (const RouteInfo& r : routes()) {
        if (path_matches(r.path, path))
            out += (out.empty() ? "" : ", ") + r.method;
    }
    return out;
}

bool has_json_type(const std::string& type) {
    return type.rfind("application/json", 0) == 0 || type.rfind("application/x-ndjson", 0) == 0 ||
           type.rfind("application/jsonl", 0) == 0;
}

} // namespace

struct Server::Impl {
    explicit Impl(ServeOptions o) : context(std::move(o)) {}
    ApiContext context;
    httplib::Server server;
    int port = 0;

    [[nodiscard]] const ServeOptions& options() const { return context.options; }
    [[nodiscard]] std::string authority() const {
        const std::string& h = options().host;
        return (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(port);
    }

    /// A Host header naming this server (against DNS rebinding while bound to loopback).
    [[nodiscard]] bool host_allowed(const std::string& host) const {
        if (!is_loopback(options().host))
            return true;
        const std::string p = ":" + std::to_string(port);
        return host == "127.0.0.1" + p || host == "localhost" + p || host == "[::1]" + p ||
               host == authority();
    }

    [[nodiscard]] bool origin_allowed(const std::string& origin, const std::string& host) const {
        return origin == "http://" + host ||
               (!options().cors_origin.empty() && origin == options().cors_origin);
    }

    httplib::Server::HandlerResponse before_routing(const httplib::Request& req,
                                                    httplib::Response& res) {
        using R = httplib::Server::HandlerResponse;
        const ServeOptions& o = options();
        const std::string host = req.get_header_value("Host");
        if (!host_allowed(host)) {
            send_problem(res, 421, "invalid_host",
                         "this server answers requests for " + authority() + " only");
            return R::Handled;
        }
        const std::string origin = req.get_header_value("Origin");
        if (req.method == "OPTIONS") {
            // A CORS preflight: answered for the one allowed origin only.
            res.status = 204;
            if (!o.cors_origin.empty() && origin == o.cors_origin) {
                res.set_header("Access-Control-Allow-Origin", o.cors_origin);
                res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
                res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization");
                res.set_header("Access-Control-Max-Age", "600");
                res.set_header("Vary", "Origin");
            }
            return R::Handled;
        }
        if (req.method == "GET" || req.method == "HEAD") {
            for (const Asset& asset : assets()) {
                if (req.path == asset.path) {
                    res.status = 200;
                    res.set_content(std::string(asset.body), std::string(asset.content_type));
                    res.set_header("Cache-Control", "no-cache");
                    return R::Handled;
                }
            }
        }
        const RouteInfo* route = find_route(req.method, req.path);
        if (route == nullptr)
            return R::Unhandled; // httplib answers 404; the error handler writes the problem
        if (route->write) {
            if (!o.allow_writes) {
                send_problem(res, 403, "read_only",
                             "this server is read-only; start it with --allow-writes to change "
                             "the index");
                return R::Handled;
            }
            if (!origin.empty() && !origin_allowed(origin, host)) {
                send_problem(res, 403, "forbidden_origin",
                             "writes are not accepted from pages of another origin");
                return R::Handled;
            }
            const std::string auth = req.get_header_value("Authorization");
            if (!o.token.empty()) {
                const std::string prefix = "Bearer ";
                const bool ok =
                    auth.rfind(prefix, 0) == 0 && same_secret(auth.substr(prefix.size()), o.token);
                if (!ok) {
                    res.set_header("WWW-Authenticate", "Bearer");
                    send_problem(res, 401, "unauthorized",
                                 "writes need the header 'Authorization: Bearer TOKEN' with the "
                                 "server's token");
                    return R::Handled;
                }
            } else if (!is_loopback(req.remote_addr)) {
                res.set_header("WWW-Authenticate", "Bearer");
                send_problem(res, 401, "token_required",
                             "writes from another host need a token: start the server with "
                             "--token-file");
                return R::Handled;
            }
        }
        if (req.method == "POST" || req.method == "PUT") {
            const std::string length = req.get_header_value("Content-Length");
            if (!length.empty() &&
                (length.size() > 12 || std::stoull("0" + length) > o.limits.max_body_bytes)) {
                send_problem(res, 413, "payload_too_large",
                             "the body is larger than the " +
                                 std::to_string(o.limits.max_body_bytes) + " bytes accepted",
                             {{"maximum", o.limits.max_body_bytes}});
                res.set_header("Connection", "close");
                return R::Handled;
            }
            const std::string type = req.get_header_value("Content-Type");
            const bool empty_retrain =
                route->path == "/v1/retrain" && (length.empty() || length == "0");
            if (!empty_retrain && !has_json_type(type)) {
                send_problem(res, 415, "unsupported_media_type",
                             "send the body as application/json" +
                                 std::string(route->path == "/v1/records"
                                                 ? " or application/x-ndjson"
                                                 : ""));
                return R::Handled;
            }
        }
        return R::Unhandled;
    }

    /// Problem documents for what httplib refused itself (no route, too large, malformed).
    void on_error(const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
            return;
        switch (res.status) {
        case 404: {
            const std::string allow = allowed_methods(req.path);
            if (!allow.empty()) {
                res.set_header("Allow", allow);
                send_problem(res, 405, "method_not_allowed",
                             req.method + " is not answered here; use " + allow);
            } else {
                send_problem(res, 404, "not_found", "no such page or API route");
            }
            break;
        }
        case 413:
            send_problem(res, 413, "payload_too_large",
                         "the body is larger than the " +
                             std::to_string(options().limits.max_body_bytes) + " bytes accepted",
                         {{"maximum", options().limits.max_body_bytes}});
            break;
        case 414:
            send_problem(res, 414, "uri_too_long", "the request line is too long");
            break;
        default:
            send_problem(res, res.status, "bad_request", "the request could not be read");
        }
    }

    void after_routing(const httplib::Request& req, httplib::Response& res) const {
        const std::string& cors = options().cors_origin;
        if (!cors.empty() && req.get_header_value("Origin") == cors) {
            res.set_header("Access-Control-Allow-Origin", cors);
            res.set_header("Vary", "Origin");
        }
    }

    void configure() {
        const ServeOptions& o = options();
        const std::size_t threads = o.threads;
        server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
        // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port
        // silently; SO_REUSEADDR alone still refuses a port another socket listens on.
        server.set_socket_options([](socket_t sock) {
            int yes = 1;
            setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        });
        server.set_tcp_nodelay(true); // else a keep-alive client waits ~40 ms on every answer
        server.set_payload_max_length(o.limits.max_body_bytes);
        server.set_read_timeout(o.limits.read_timeout);
        server.set_write_timeout(o.limits.write_timeout);
        server.set_keep_alive_timeout(5);
        server.set_keep_alive_max_count(1000);
        server.set_default_headers({
            {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"},
            {"X-Frame-Options", "DENY"},
            {"Cache-Control", "no-store"},
        });
        server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            return before_routing(req, res);
        });
        server.set_error_handler(
            [this](const httplib::Request& req, httplib::Response& res) { on_error(req, res); });
        server.set_post_routing_handler(
            [this](const httplib::Request& req, httplib::Response& res) {
                after_routing(req, res);
            });
        server.set_exception_handler(
            [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
                send_problem(res, 500, "internal_error",
                             "the server failed to answer; its log has the details");
            });
        install_routes(server, context);
    }
};

Server::Server(ServeOptions options) {
    if (options.threads < 2 || options.threads > 1024) {
        throw InvalidInput("--threads " + std::to_string(options.threads) +
                           " is out of range; give 2 to 1024 worker threads");
    }
    if (options.port < 0 || options.port > 65535) {
        throw InvalidInput("--port " + std::to_string(options.port) +
                           " is not a port; give 1 to 65535, or 0 for a free one");
    }
    impl_ = std::make_unique<Impl>(std::move(options));
    impl_->configure();
}

Server::~Server() = default;

int Server::bind() {
    const ServeOptions& o = impl_->options();
    errno = 0;
    int port = o.port;
    bool ok = false;
    if (port == 0) {
        port = impl_->server.bind_to_any_port(o.host);
        ok = port > 0;
    } else {
        ok = impl_->server.bind_to_port(o.host, port);
    }
    if (!ok) {
        const int err = errno;
        const std::string address = o.host + ":" + std::to_string(o.port);
        std::string why = err == EADDRINUSE ? "the address is already in use (another server?)"
                          : err != 0        ? std::string(std::strerror(err))
                                            : "the address cannot be bound";
        throw InvalidInput("cannot listen on " + address + ": " + why +
                           "; choose another --port (0 picks a free one) or --host");
    }
    impl_->port = port;
    return port;
}

bool Server::run() {
    return impl_->server.listen_after_bind();
}

void Server::stop() {
    impl_->server.stop();
}

std::string Server::url() const {
    return "http://" + impl_->authority() + "/";
}

} // namespace airm::http
