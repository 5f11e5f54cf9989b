#include "live/child_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace scx_custody::live {
namespace {

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

} // namespace

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv) {
    if (argv.empty())
        return Error::usage("no command given after --");
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    // An exec failure is reported through this pipe (closed on exec success).
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return Error::system("pipe", errno);
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        return Error::system("fork", err);
    }
    if (pid == 0) {
        // The audit blocks SIGINT/SIGTERM for its signalfd: unblock for the child.
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, nullptr);
        close(fds[0]);
        execvp(args[0], args.data());
        int err = errno;
        (void)!write(fds[1], &err, sizeof(err));
        _exit(127);
    }
    close(fds[1]);
    int child_errno = 0;
    ssize_t n = read(fds[0], &child_errno, sizeof(child_errno));
    close(fds[0]);
    if (n == sizeof(child_errno)) {
        waitpid(pid, nullptr, 0);
        return Error{"cannot run " + argv[0] + ": " + std::strerror(child_errno), ExitCode::Usage,
                     child_errno};
    }
    return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !status_)
        terminate(std::chrono::milliseconds(2000));
}

std::optional<int> ChildProcess::poll() {
    if (status_ || pid_ <= 0)
        return status_;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_)
        status_ = decode_status(status);
    return status_;
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (auto s = poll())
        return *s;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto s = poll())
            return *s;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    status_ = decode_status(status);
    return *status_;
}

} // namespace scx_custody::live
