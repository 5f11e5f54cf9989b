// The answer of /healthz, and HealthState: a thread-safe source for it that the
// daemon updates (attach outcome, consumer heartbeat) and the HTTP threads read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace scx_custody::prom {

struct Health {
    bool ok = false;
    // Why not ok: one line, served as the body of the 503.
    std::string reason;
};

// Called on the HTTP server's threads, concurrently: must be thread-safe and quick.
using HealthCheck = std::function<Health()>;

// Healthy when the tracer is attached and the consumer thread has polled the ring
// buffer within `stall_after`.
class HealthState {
  public:
    using Clock = std::chrono::steady_clock;

    explicit HealthState(Clock::duration stall_after = std::chrono::seconds(5));

    // attached = false needs a reason ("attach custody_on_ops_dequeue: ENOENT").
    void set_attached(bool attached, std::string reason = {});
    // The consumer thread, after every ring-buffer poll (timeouts included).
    void heartbeat() { heartbeat_at(Clock::now()); }
    void heartbeat_at(Clock::time_point now);

    Health check() const { return check_at(Clock::now()); }
    Health check_at(Clock::time_point now) const;

    // A HealthCheck reading this state; the state must outlive its use.
    HealthCheck as_check() const {
        return [this] { return check(); };
    }

  private:
    Clock::duration stall_after_;
    std::atomic<Clock::rep> last_beat_{0}; // time_since_epoch().count(), 0 = never
    mutable std::mutex mutex_;
    bool attached_ = false;
    std::string reason_ = "not attached yet";
};

} // namespace scx_custody::prom
