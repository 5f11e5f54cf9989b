// LiveAudit: one audit on this machine. Loads the tracer per the attach
// plan, follows the scheduler(s) (ours with --sched reference, or whatever
// runs / whatever `-- COMMAND` loads), feeds an AuditSession, and returns
// its report. `audit` runs it once; `run` reuses the pieces.
#pragma once

#include "consumer/loss_gate.h"
#include "loader/attach_plan.h"
#include "loader/ref_knobs.h"
#include "util/result.h"
#include "util/signals.h"

#include "custody_abi.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace scx_custody::pairing {
class EngineObserver;
class PairingEngine;
} // namespace scx_custody::pairing

namespace scx_custody::loader {
class AttachPlan;
}

namespace scx_custody::live {

// What the long-running daemon needs to see of the loop (all optional).
struct LiveHooks {
    // The attach plan, at start and whenever a scheduler's hooks change.
    std::function<void(const loader::AttachPlan&)> on_plan;
    // After every poll of the ring buffer (about every 100 ms): what it added.
    std::function<void(const consumer::PollCounts& counts, const pairing::PairingEngine& engine)>
        on_tick;
};

struct LiveAuditOptions {
    double duration_s = 0;            // 0: until COMMAND exits or a signal
    std::string sched = "attached";   // attached | reference
    std::vector<std::string> command; // -- COMMAND [ARGS...]
    bool strict = false;
    std::string record_path;
    loader::RefKnobs knobs;        // for --sched reference
    std::vector<std::string> argv; // our own command line, for the report
    pairing::EngineObserver* observer = nullptr;
    LiveHooks hooks;
    // With --sched attached and no scheduler running: wait for one (the
    // daemon) instead of failing (the one-shot audit).
    bool wait_for_scheduler = false;
    uint32_t ringbuf_bytes = 16u << 20;
    // Stop signals already installed by the caller (run blocks them before
    // its HTTP threads start); the audit installs its own when null.
    StopSignals* signals = nullptr;
    loader::AttachPreference attach = loader::AttachPreference::Auto;
    // Stop each process that registers a sched_ext scheduler until its
    // programs are traced (no start window; see SchedulerFollower).
    bool hold_registrations = false;
    // Test hook (hidden option): see loader::Tracer::Options.
    uint64_t test_insert_return_delay_us = 0;
};

// The report (docs/CONTRACT.md), or why the audit could not run.
Result<nlohmann::json> run_live_audit(const LiveAuditOptions& opts);

} // namespace scx_custody::live
