// SystemdNotifier: what `run` tells systemd when started by a Type=notify
// unit: READY=1 once it audits, STATUS= lines saying what it audits,
// WATCHDOG=1 from its main loop when the unit sets WatchdogSec=, and
// STOPPING=1. Outside systemd (no NOTIFY_SOCKET) every call does nothing.
// It holds no resource: libsystemd's sd_notify() opens and closes its
// socket per message.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace scx_custody {

class SystemdNotifier {
  public:
    using Clock = std::chrono::steady_clock;

    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once, now.
    static SystemdNotifier from_environment();

    bool enabled() const { return enabled_; }
    // The unit's WatchdogSec=, when it is set for this process.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

    // READY=1 with the first STATUS= line, in one message.
    void ready(const std::string& status) const;
    void status(const std::string& status) const;
    // Called on every loop tick; pings WATCHDOG=1 at half the interval
    // systemd asked for (the first tick always pings).
    void watchdog_tick(Clock::time_point now);
    void stopping(const std::string& status) const;

  private:
    SystemdNotifier(bool enabled, std::optional<std::chrono::microseconds> watchdog)
        : enabled_(enabled), watchdog_(watchdog) {}
    void send(const std::string& message) const;

    bool enabled_;
    std::optional<std::chrono::microseconds> watchdog_;
    std::optional<Clock::time_point> last_ping_;
};

} // namespace scx_custody
