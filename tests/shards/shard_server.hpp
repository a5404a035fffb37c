#pragma once
/// Shard servers for the loopback tests: a stock xapian-tcpsrv on 127.0.0.1 and a free port,
/// stopped by its pid whatever happens.

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace airm::test {

inline constexpr const char* kServer = "/usr/bin/xapian-tcpsrv";

/// True when xapian-tcpsrv is installed; otherwise says that the calling test is skipped.
[[nodiscard]] inline bool shard_server_installed() {
    if (::access(kServer, X_OK) == 0)
        return true;
    WARN("SKIPPED: xapian-tcpsrv is not installed (Debian package xapian-tools)");
    return false;
}

/// A port no one listens on now (the kernel's choice for port 0).
inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

inline bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

/// One xapian-tcpsrv serving `folder` on 127.0.0.1; stopped by its pid when the object goes away,
/// whatever happened meanwhile.
class ShardServer {
  public:
    explicit ShardServer(const std::string& folder) {
        // Another process may take the free port first: try again with another one.
        for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
            const int port = free_port();
            const pid_t pid = ::fork();
            if (pid == 0) {
                // A process group of its own: on SIGTERM, xapian-tcpsrv stops its whole group
                // (the children serving connections), which must not include this test.
                ::setpgid(0, 0);
                // Its notes on connections the clients closed are not the test's output.
                const int null = ::open("/dev/null", O_WRONLY);
                ::dup2(null, 1);
                ::dup2(null, 2);
                const std::string p = std::to_string(port);
                ::execl(kServer, kServer, "--quiet", "--interface", "127.0.0.1", "--port",
                        p.c_str(), folder.c_str(), static_cast<char*>(nullptr));
                ::_exit(127);
            }
            for (int wait = 0; wait < 200; ++wait) { // up to 10 s
                int status = 0;
                if (::waitpid(pid, &status, WNOHANG) == pid)
                    break; // exited: the port was taken
                if (accepts_connections(port)) {
                    pid_ = pid;
                    port_ = port;
                    return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            stop(pid);
        }
    }
    ~ShardServer() { stop(pid_); }
    ShardServer(const ShardServer&) = delete;
    ShardServer& operator=(const ShardServer&) = delete;

    [[nodiscard]] bool running() const { return pid_ > 0; }
    [[nodiscard]] int port() const { return port_; }
    void stop_now() {
        stop(pid_);
        pid_ = -1;
    }

  private:
    static void stop(pid_t pid) {
        if (pid <= 0)
            return;
        ::kill(pid, SIGTERM);
        int status = 0;
        for (int i = 0; i < 100; ++i) { // up to 5 s, then for sure
            if (::waitpid(pid, &status, WNOHANG) == pid)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    pid_t pid_ = -1;
    int port_ = 0;
};

} // namespace airm::test
