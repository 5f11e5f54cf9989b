// SchedWatcher: notices sched_ext schedulers coming and going by polling
// /sys/kernel/sched_ext (state and root/ops), so an audit can follow every
// scheduler a command loads and unloads.
#pragma once

#include <optional>
#include <string>

namespace scx_custody::live {

struct SchedChange {
    enum class Kind { Started, Stopped } kind;
    std::string name; // the scheduler that started or stopped
};

class SchedWatcher {
  public:
    // Starts from the current state: a scheduler already running is reported
    // by the first poll() as Started.
    SchedWatcher() = default;

    // One change at most per call; call until it returns nullopt.
    std::optional<SchedChange> poll();
    const std::string& current() const { return current_; }
    // A scheduler already known to run: not reported as Started again.
    void assume_running(const std::string& name) { current_ = name; }

  private:
    std::string current_; // empty: none
};

} // namespace scx_custody::live
