// Live notifications from the engine, for sinks that update as events arrive
// (Prometheus counters, a violation log). Every method defaults to a no-op.
//
// Callbacks run synchronously inside PairingEngine::process() and finish(), on the
// caller's thread: keep them cheap and never call back into the engine.
#pragma once

#include <cstdint>

#include "pairing/finding.h"
#include "pairing/kinds.h"

namespace scx_custody::pairing {

struct SchedulerSection;

class EngineObserver {
  public:
    virtual ~EngineObserver() = default;

    virtual void on_scheduler_attach(const SchedulerSection& /*section*/) {}
    // The section is complete (detach, a new attach, or finish()).
    virtual void on_scheduler_detach(const SchedulerSection& /*section*/) {}

    virtual void on_custody_enter(uint32_t /*cpu*/, EnterPath /*path*/) {}
    virtual void on_reenqueue_in_custody(uint32_t /*cpu*/) {}
    // A counted dequeue (see Counters::dequeue_by_reason).
    virtual void on_dequeue(uint32_t /*cpu*/, DequeueReason /*reason*/) {}
    // A custody period closed by a counted dequeue, enter to dequeue.
    virtual void on_custody_duration(uint32_t /*cpu*/, uint64_t /*duration_ns*/) {}
    // Every finding, sampled or not.
    virtual void on_finding(const Finding& /*finding*/) {}

    virtual void on_indeterminate(uint32_t /*cpu*/, uint64_t /*tasks*/) {}
    virtual void on_custody_abandoned_at_unload(uint32_t /*cpu*/, uint64_t /*tasks*/) {}
    virtual void on_lost_events(uint32_t /*cpu*/, uint64_t /*count*/) {}
    virtual void on_evicted(uint32_t /*cpu*/) {}
    virtual void on_in_custody_at_end(uint32_t /*cpu*/, uint64_t /*tasks*/) {}

    // The number of tasks the model holds in custody changed.
    virtual void on_tasks_in_custody(uint64_t /*tasks*/) {}
};

} // namespace scx_custody::pairing
