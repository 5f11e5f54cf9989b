// encode_event(): a decoded pairing::Event back to the raw 64-byte custody_event
// record the ring buffer delivers (bpf/include/custody_abi.h), the inverse of
// consumer::decode_event_into() (daemon/consumer/event_decode.cpp). Lets the
// suites that consume raw records (the benchmarks) be fed by a ScenarioStream.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "custody_abi.h"
#include "pairing/event.h"
#include "pairing/scx_constants.h"

namespace scx_custody::test_support {

static_assert(sizeof(custody_event) == 64);
static_assert(sizeof(custody_event::comm) == std::tuple_size_v<pairing::Comm>);

// The hook that reports `event` on a real machine, for an event that names none
// (Event::hook == kNoHook; the engine never reads it, the session's per-hook
// statistics do): the scheduler's ops.enqueue / ops.dequeue programs, sched_switch,
// the task's free; a DsqInsert into this CPU's local DSQ is a local move, into
// another CPU's local DSQ a remote move, anything else a dispatch_enqueue.
inline uint8_t plausible_hook(const pairing::Event& event) {
    using pairing::EventKind;
    switch (event.kind) {
    case EventKind::Enqueue:
        return CUSTODY_HOOK_SCHED_ENQUEUE;
    case EventKind::Dequeue:
        return CUSTODY_HOOK_SCHED_DEQUEUE;
    case EventKind::Running:
        return CUSTODY_HOOK_SCHED_SWITCH;
    case EventKind::TaskExit:
        return CUSTODY_HOOK_TASK_EXIT;
    case EventKind::DsqInsert:
        if (event.dsq_id == pairing::kDsqLocal || event.dsq_id == pairing::dsq_local_on(event.cpu))
            return CUSTODY_HOOK_LOCAL_MOVE;
        if ((event.dsq_id & ~pairing::kDsqLocalCpuMask) == pairing::kDsqLocalOn)
            return CUSTODY_HOOK_REMOTE_MOVE;
        return CUSTODY_HOOK_DSQ_INSERT;
    case EventKind::SchedulerAttach:
    case EventKind::SchedulerDetach:
    case EventKind::Lost:
        break;
    }
    return pairing::kNoHook;
}

// The record decode_event_into() turns back into `event`: ts_ns, cpu, kind, task,
// comm, dsq_id, flags, kernel_flag and hook (plausible_hook() when it is kNoHook);
// owner is CUSTODY_OWNER_UNKNOWN (no decoded field). Nullopt for the kinds no
// custody_event carries: SchedulerAttach, SchedulerDetach (control records) and
// Lost (a loss count).
inline std::optional<custody_event> encode_event(const pairing::Event& event) {
    using pairing::EventKind;
    uint16_t type = 0;
    switch (event.kind) {
    case EventKind::Enqueue:
        type = CUSTODY_EVT_ENQUEUE;
        break;
    case EventKind::DsqInsert:
        type = CUSTODY_EVT_DSQ_INSERT;
        break;
    case EventKind::Dequeue:
        type = CUSTODY_EVT_DEQUEUE;
        break;
    case EventKind::Running:
        type = CUSTODY_EVT_RUNNING;
        break;
    case EventKind::TaskExit:
        type = CUSTODY_EVT_TASK_EXIT;
        break;
    case EventKind::SchedulerAttach:
    case EventKind::SchedulerDetach:
    case EventKind::Lost:
        return std::nullopt;
    }
    custody_event record;
    std::memset(&record, 0, sizeof record);
    record.ts_ns = event.ts_ns;
    record.task_start_ns = event.task.start_time_ns;
    record.dsq_id = event.dsq_id;
    record.flags = event.flags;
    record.pid = event.task.pid;
    record.cpu = event.cpu;
    record.type = type;
    record.hook = event.hook == pairing::kNoHook ? plausible_hook(event) : event.hook;
    record.kernel_flag = static_cast<uint8_t>(
        static_cast<unsigned>(event.kernel_flag) |
        static_cast<unsigned>(event.reenq_reason) << CUSTODY_REENQ_REASON_SHIFT);
    record.owner = CUSTODY_OWNER_UNKNOWN;
    std::memcpy(record.comm, event.comm.data(), sizeof record.comm);
    return record;
}

} // namespace scx_custody::test_support
