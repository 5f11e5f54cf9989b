// What the engine remembers about one task.
#pragma once

#include <cstdint>

#include "pairing/event.h"
#include "pairing/kinds.h"

namespace scx_custody::pairing {

struct TaskState {
    TaskKey key{};
    CustodyState state = CustodyState::OutOfCustody;
    // The loss epoch the state is valid for: a Lost event bumps the engine's epoch,
    // which turns every older record into Indeterminate without visiting it.
    uint64_t epoch = 0;
    // Start of the current (or last) custody period.
    uint64_t enter_ts_ns = 0;
    // The terminal DSQ reached in custody with no dequeue (LeftWithoutDequeue).
    uint64_t left_dsq_id = kNoDsq;
    uint32_t last_cpu = 0;
    EnterPath enter_path = EnterPath::EnqueueHeld;
    // A counted dequeue happened and no custody began since: one more dequeue is a
    // duplicate, not a dequeue of a task that was never in custody.
    bool dequeued_since_enter = false;
    // custody_flag_mismatch already reported for the current custody period.
    bool mismatch_reported = false;
    Comm comm{};
};

} // namespace scx_custody::pairing
