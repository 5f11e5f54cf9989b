// ChildProcess: the `-- COMMAND` an audit watches. Started with fork/exec,
// reaped without blocking, terminated (SIGTERM, then SIGKILL) if the audit
// stops first.
#pragma once

#include "util/result.h"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace scx_custody::live {

class ChildProcess {
  public:
    static Result<ChildProcess> spawn(const std::vector<std::string>& argv);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ~ChildProcess();

    // The exit status once the child has exited (128+N for signal N).
    std::optional<int> poll();
    // SIGTERM, wait up to `grace`, then SIGKILL; returns its status.
    int terminate(std::chrono::milliseconds grace);
    pid_t pid() const { return pid_; }

  private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
    std::optional<int> status_;
};

} // namespace scx_custody::live
