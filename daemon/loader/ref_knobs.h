// The reference scheduler's knobs: the mix of custody paths it drives.
#pragma once

#include "util/result.h"

#include <cstdint>
#include <string>

namespace scx_custody::loader {

struct RefKnobs {
    uint32_t select_user_pct = 20;  // select_cpu calls inserted into a user DSQ
    uint32_t select_local_pct = 10; // select_cpu calls inserted into SCX_DSQ_LOCAL
    uint32_t enqueue_local_pct = 10;
    uint32_t enqueue_immed_pct = 0; // of the SCX_DSQ_LOCAL enqueues: with SCX_ENQ_IMMED (7.3)
    uint32_t enqueue_local_on_pct = 10;
    uint32_t enqueue_global_pct = 5;
    uint32_t enqueue_vtime_pct = 20;
    uint32_t enqueue_held_pct = 20; // the rest of enqueues go to the user FIFO DSQ
    uint32_t held_to_user_pct = 10; // held tasks moved to the FIFO DSQ instead of local
    uint32_t dsq_move_every = 4;    // every Nth dispatch uses the DSQ iterator (0: never)
    uint32_t reenq_every = 64;      // every Nth dispatch re-enqueues the FIFO DSQ (0: never)
    uint64_t slice_us = 5000;
    bool without_dequeue = false; // register no ops.dequeue: the kernel then owes none
    // Register ops.cpu_online/cpu_offline: a CPU hotplug then keeps it running
    // (the kernel ejects a scheduler without them), and the tasks on a CPU
    // going offline are moved by the kernel while it stays in charge.
    bool hotplug_ops = false;
    // Test knob (0: off): eject itself with scx_bpf_error() this many ms after
    // ops.init, once tasks are in custody (a short-lived scheduler).
    uint32_t error_after_ms = 0;
    // Test knob (hold_ms 0: off): tasks whose comm is hold_comm wait on the hold
    // DSQ (CUSTODY_REF_HOLD_DSQ) for hold_ms before dispatch takes them: a task
    // held in custody for long, below the kernel's 30 s watchdog.
    std::string hold_comm;
    uint32_t hold_ms = 0;
    static constexpr uint32_t kMaxHoldMs = 20000;

    // Percentages that share one decision must not add up to more than 100.
    Status validate() const;
};

} // namespace scx_custody::loader
