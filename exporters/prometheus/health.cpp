#include "health.h"

#include <cstdio>
#include <utility>

namespace scx_custody::prom {

HealthState::HealthState(Clock::duration stall_after) : stall_after_(stall_after) {}

void HealthState::set_attached(bool attached, std::string reason) {
    std::lock_guard lock(mutex_);
    attached_ = attached;
    reason_ = attached ? std::string() : (reason.empty() ? "not attached" : std::move(reason));
}

void HealthState::heartbeat_at(Clock::time_point now) {
    // Never store 0, which means "no heartbeat yet".
    const Clock::rep count = now.time_since_epoch().count();
    last_beat_.store(count == 0 ? 1 : count, std::memory_order_relaxed);
}

Health HealthState::check_at(Clock::time_point now) const {
    {
        std::lock_guard lock(mutex_);
        if (!attached_)
            return {false, reason_};
    }
    const Clock::rep beat = last_beat_.load(std::memory_order_relaxed);
    if (beat == 0)
        return {false, "consumer not started"};
    const auto silent = now - Clock::time_point(Clock::duration(beat));
    if (silent > stall_after_) {
        const double seconds = std::chrono::duration<double>(silent).count();
        char text[96];
        std::snprintf(text, sizeof text, "consumer stalled: no ring buffer poll for %.1f s",
                      seconds);
        return {false, text};
    }
    return {true, {}};
}

} // namespace scx_custody::prom
