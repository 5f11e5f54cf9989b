#include "util/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

namespace scx_custody {

SystemdNotifier SystemdNotifier::from_environment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    const bool enabled = socket != nullptr && *socket != '\0';
    std::optional<std::chrono::microseconds> watchdog;
    uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is us.
    if (enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        watchdog = std::chrono::microseconds(usec);
    return SystemdNotifier(enabled, watchdog);
}

void SystemdNotifier::ready(const std::string& status) const {
    send("READY=1\nSTATUS=" + status);
}

void SystemdNotifier::status(const std::string& status) const {
    send("STATUS=" + status);
}

void SystemdNotifier::watchdog_tick(Clock::time_point now) {
    if (!enabled_ || !watchdog_)
        return;
    if (last_ping_ && now - *last_ping_ < *watchdog_ / 2)
        return;
    last_ping_ = now;
    send("WATCHDOG=1");
}

void SystemdNotifier::stopping(const std::string& status) const {
    send("STOPPING=1\nSTATUS=" + status);
}

void SystemdNotifier::send(const std::string& message) const {
    if (!enabled_)
        return;
    // A lost notification is not fatal to the audit: systemd's start or
    // watchdog timeout will say so in its own log.
    if (int rc = sd_notify(0, message.c_str()); rc < 0)
        spdlog::warn("sd_notify to $NOTIFY_SOCKET failed: {}", std::strerror(-rc));
}

} // namespace scx_custody
