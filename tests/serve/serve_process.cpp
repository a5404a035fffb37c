#include "serve/serve_process.hpp"

#include "support.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace airm::test {
namespace {

int spawn(const std::vector<std::string>& args, int& out_fd, int& err_fd, bool pipe_err = true) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0)
        throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); // a test process that dies takes its server along
        dup2(out[1], 1);
        if (pipe_err)
            dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        close(out[1]);
        close(err[1]);
        std::vector<char*> argv;
        static std::string binary = airm_binary();
        argv.push_back(binary.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(binary.c_str(), argv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd = out[0];
    err_fd = err[0];
    return pid;
}

/// Waits for `pid` up to `timeout`; its exit code, or -1 when it did not exit in time.
int wait_exit(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
}

/// Reads from `fd` until a newline (or `limit` elapsed / EOF).
std::string read_line(int fd, std::chrono::milliseconds limit) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        char c = 0;
        const ssize_t n = read(fd, &c, 1);
        if (n <= 0)
            break;
        if (c == '\n')
            return line;
        line += c;
    }
    return line;
}

std::string read_all(int fd, std::chrono::milliseconds limit) {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

} // namespace

ServeProcess::ServeProcess(const std::string& db, const std::vector<std::string>& args) {
    std::signal(SIGPIPE, SIG_IGN); // a server that hung up fails a request, not the test process
    std::vector<std::string> all = {"serve", "--db", db, "--port", "0", "--threads", "4"};
    all.insert(all.end(), args.begin(), args.end());
    int err_fd = -1;
    pid_ = spawn(all, out_fd_, err_fd, false); // the server's log goes to the test's stderr
    close(err_fd);
    url_ = read_line(out_fd_, std::chrono::seconds(20));
    const auto colon = url_.rfind(':');
    if (url_.rfind("http://127.0.0.1:", 0) != 0 || colon == std::string::npos) {
        kill(pid_, SIGKILL);
        wait_exit(pid_, std::chrono::seconds(5));
        pid_ = -1;
        throw std::runtime_error("airm serve printed no URL (got '" + url_ + "')");
    }
    port_ = std::stoi(url_.substr(colon + 1));
}

ServeProcess::~ServeProcess() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        if (wait_exit(pid_, std::chrono::seconds(5)) < 0) {
            kill(pid_, SIGKILL);
            wait_exit(pid_, std::chrono::seconds(5));
        }
    }
    if (out_fd_ >= 0)
        close(out_fd_);
}

httplib::Client ServeProcess::client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    return c;
}

int ServeProcess::stop() {
    if (pid_ <= 0)
        return -1;
    kill(pid_, SIGTERM);
    int code = wait_exit(pid_, std::chrono::seconds(10));
    if (code < 0) {
        kill(pid_, SIGKILL);
        wait_exit(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
    return code;
}

FailedServe serve_expecting_failure(const std::vector<std::string>& args) {
    int out_fd = -1, err_fd = -1;
    std::vector<std::string> all = {"serve"};
    all.insert(all.end(), args.begin(), args.end());
    const int pid = spawn(all, out_fd, err_fd);
    FailedServe result;
    result.err = read_all(err_fd, std::chrono::seconds(20));
    result.exit_code = wait_exit(pid, std::chrono::seconds(5));
    if (result.exit_code < 0) {
        kill(pid, SIGKILL);
        wait_exit(pid, std::chrono::seconds(5));
    }
    close(out_fd);
    close(err_fd);
    return result;
}

} // namespace airm::test
