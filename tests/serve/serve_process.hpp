#pragma once
/// `airm serve --port 0` as a child process on loopback, stopped by pid whatever happens.

#include <httplib.h>
#include <string>
#include <vector>

namespace airm::test {

class ServeProcess {
  public:
    /// Starts `airm serve --db DB --port 0 ARGS...` and waits (up to 20 s) for its URL line.
    ServeProcess(const std::string& db, const std::vector<std::string>& args = {});
    ~ServeProcess(); ///< SIGTERM, then SIGKILL after 5 s; always waited for
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] const std::string& url() const { return url_; }
    [[nodiscard]] httplib::Client client() const;
    /// Sends SIGTERM and returns the exit code (-1 when it had to be killed).
    int stop();

  private:
    int pid_ = -1;
    int out_fd_ = -1;
    int port_ = 0;
    std::string url_;
};

/// Runs `airm serve ARGS` expecting it to fail; returns exit code and stderr (at most 20 s).
struct FailedServe {
    int exit_code = 0;
    std::string err;
};
[[nodiscard]] FailedServe serve_expecting_failure(const std::vector<std::string>& args);

} // namespace airm::test
