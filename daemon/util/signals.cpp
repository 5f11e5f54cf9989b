#include "util/signals.h"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace scx_custody {

Result<StopSignals> StopSignals::install() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0)
        return Error::system("block SIGINT/SIGTERM", rc);
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return Error::system("signalfd", errno);
    return StopSignals(UniqueFd(fd));
}

std::optional<int> StopSignals::wait(std::chrono::milliseconds timeout) {
    pollfd pfd{fd_.get(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (rc <= 0)
        return std::nullopt;
    signalfd_siginfo info{};
    if (::read(fd_.get(), &info, sizeof(info)) != sizeof(info))
        return std::nullopt;
    return static_cast<int>(info.ssi_signo);
}

} // namespace scx_custody
