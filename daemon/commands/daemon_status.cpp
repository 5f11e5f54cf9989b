#include "commands/daemon_status.h"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace scx_custody::commands {

DaemonStatus::DaemonStatus(prom::SelfMetrics& self, prom::HealthState& health,
                           double summary_interval_s)
    : self_(self), health_(health), summary_every_(std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(summary_interval_s))),
      next_summary_(Clock::now() + summary_every_) {}

void DaemonStatus::on_plan(const loader::AttachPlan& plan) {
    std::vector<prom::ProgramState> programs;
    std::string missing;
    for (const auto& h : plan.hooks()) {
        // A hook this kernel has no target for (e.g. sched_reg_cid before
        // 7.2) is not a program that could be detached: not exported.
        if (h.mechanism == loader::Mechanism::None && !h.required)
            continue;
        programs.push_back({h.hook, h.attached});
        if (h.required && !h.attached)
            missing += (missing.empty() ? "" : ", ") + h.hook;
    }
    self_.set_programs(programs);
    // The kernel hooks are what the daemon owns; a scheduler's own hooks
    // come and go with the scheduler.
    health_.set_attached(plan.find("dsq_insert") && plan.find("dsq_insert")->attached,
                         missing.empty() ? "" : "not attached: " + missing);
}

void DaemonStatus::on_tick(const consumer::PollCounts& counts,
                           const pairing::PairingEngine& engine) {
    health_.heartbeat();
    for (std::size_t cpu = 0; cpu < counts.events_per_cpu.size(); cpu++)
        if (counts.events_per_cpu[cpu] > 0)
            self_.add_events(static_cast<uint32_t>(cpu), counts.events_per_cpu[cpu]);
    self_.add_decode_errors(counts.decode_errors);
    self_.add_malformed_events(counts.malformed_events);
    self_.add_ringbuf_full(counts.ringbuf_full);
    self_.add_pending_overwritten(counts.pending_overwritten);
    self_.set_ringbuf_fill_ratio(counts.ringbuf_fill);
    if (summary_every_.count() > 0 && Clock::now() >= next_summary_) {
        next_summary_ += summary_every_;
        log_summary(engine);
    }
}

void DaemonStatus::log_summary(const pairing::PairingEngine& engine) {
    const auto& t = engine.totals();
    spdlog::info("summary: custody enters {}, dequeues {}, violations {}, indeterminate {}, "
                 "lost events {}, tasks in custody {}, tasks tracked {}",
                 t.custody_enter, t.dequeue(), t.violations_total(), t.indeterminate, t.lost_events,
                 engine.tasks_in_custody(), engine.tracked_tasks());
}

} // namespace scx_custody::commands
