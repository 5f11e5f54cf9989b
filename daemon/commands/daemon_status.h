// DaemonStatus: `run`'s self-metrics, health check and periodic summary, kept
// in step with the audit loop. The live audit calls on_plan() whenever the
// attach plan changes and on_tick() after every poll with what the poll added
// (consumer::PollCounts): the one place where the consumer's accounting
// reaches /metrics.
#pragma once

#include "consumer/loss_gate.h"
#include "exporters/prometheus/health.h"
#include "exporters/prometheus/self_metrics.h"
#include "loader/attach_plan.h"
#include "pairing/pairing_engine.h"

#include <chrono>

namespace scx_custody::commands {

class DaemonStatus {
  public:
    using Clock = std::chrono::steady_clock;

    // summary_interval_s: log a summary that often (0: never).
    DaemonStatus(prom::SelfMetrics& self, prom::HealthState& health, double summary_interval_s);

    // Publishes the plan's hooks as program_attached{program=<hook>} and the
    // kernel hooks' state as the health check.
    void on_plan(const loader::AttachPlan& plan);
    // Publishes one poll's counts; beats the health check.
    void on_tick(const consumer::PollCounts& counts, const pairing::PairingEngine& engine);

  private:
    void log_summary(const pairing::PairingEngine& engine);

    prom::SelfMetrics& self_;
    prom::HealthState& health_;
    Clock::duration summary_every_;
    Clock::time_point next_summary_;
};

} // namespace scx_custody::commands
