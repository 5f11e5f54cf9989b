// Termination signals as a file descriptor: SIGINT and SIGTERM are blocked
// and read from a signalfd, so no handler and no global flag are needed.
#pragma once

#include "util/result.h"
#include "util/unique_fd.h"

#include <chrono>
#include <optional>

namespace scx_custody {

class StopSignals {
  public:
    // Blocks SIGINT and SIGTERM for the calling thread (call before starting
    // other threads so they inherit the mask).
    static Result<StopSignals> install();

    // Waits up to `timeout`; returns the signal number if one arrived.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    int fd() const { return fd_.get(); }

  private:
    explicit StopSignals(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

} // namespace scx_custody
