// One violation found by the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pairing/event.h"
#include "pairing/kinds.h"

namespace scx_custody::pairing {

struct Finding {
    ViolationKind kind = ViolationKind::MissedDequeue;
    TaskKey task{};
    Comm comm{};
    // The CPU the finding is attributed to: the CPU of the event that proves it, or
    // for findings made at a scheduler unload or at finish(), the CPU of the task's
    // last event.
    uint32_t cpu = 0;
    uint64_t ts_ns = 0;
    // The event that revealed the finding; empty when found by finish().
    std::optional<EventKind> trigger;
    // The model's state of the task before the revealing event.
    CustodyState state_before = CustodyState::OutOfCustody;
    // The revealing event's flags (deq_flags for a Dequeue, enq_flags for an Enqueue).
    uint64_t flags = 0;
    // The revealing event's DSQ (Enqueue, DsqInsert); for missed_dequeue and
    // late_dequeue the terminal DSQ the task reached without a dequeue, if any.
    uint64_t dsq_id = kNoDsq;
    // Start of the custody period the finding is about (0 when none is known).
    uint64_t custody_enter_ts_ns = 0;
    // custody_flag_mismatch: the kernel's SCX_TASK_IN_CUSTODY bit at the event.
    KernelCustodyFlag kernel_flag = KernelCustodyFlag::Unknown;
    // The scheduler section the finding belongs to: its name, and its index in
    // PairingEngine::sections() (empty when no section was open).
    std::string scheduler;
    std::optional<std::size_t> section;
};

} // namespace scx_custody::pairing
