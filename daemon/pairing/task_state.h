// What the engine remembers about one task: 48 bytes, packed for a table of a
// million tasks (TaskTable adds about 8 bytes of index per task).
//
// The engine reads and writes the public fields. The key is stored as its two
// parts (no padding between them), the four 64-bit values at 4-byte alignment,
// and the small fields share two words with the table's comm id and clock
// bits. The comm is not here: TaskTable keeps one copy per distinct comm
// (TaskTable::comm()).
#pragma once

#include <cstdint>

#include "pairing/event.h"
#include "pairing/kinds.h"

namespace scx_custody::pairing {

// A 64-bit value aligned to 4 bytes, so that a record needs no padding.
typedef uint64_t TaskU64 __attribute__((aligned(4)));

// Bits of a record id: the table's index entries keep the rest of their 32
// bits for a tag of the key's hash (at least 4 bits).
inline constexpr unsigned kTaskIdBits = 28;
// Bits of a comm id (TaskTable's pool hands out no more ids than fit) and of
// the engine's section slot (PairingEngine: at most 255 scheduler instances
// judged at once).
inline constexpr unsigned kCommIdBits = 24;
inline constexpr unsigned kSectionSlotBits = 8;

struct TaskState {
    TaskU64 start_time_ns = 0; // TaskKey::start_time_ns
    // The loss epoch the state is valid for: a Lost event bumps the engine's epoch,
    // which turns every older record into Indeterminate without visiting it.
    TaskU64 epoch = 0;
    // Start of the current (or last) custody period.
    TaskU64 enter_ts_ns = 0;
    // The terminal DSQ reached in custody with no dequeue (LeftWithoutDequeue).
    TaskU64 left_dsq_id = kNoDsq;
    // TaskKey::pid. In a free record (in_use false) TaskTable links its free
    // list through this field instead.
    uint32_t pid = 0;
    uint32_t last_cpu = 0;

    // ---- TaskTable's bookkeeping; the engine never touches these -------------
    uint32_t comm_id : kCommIdBits = 0; // TaskTable's comm pool; 0: empty comm
    // ---- (the engine's) ----------------------------------------------------------
    // The scheduler instance whose custody the task is in, or was last in (a
    // slot of PairingEngine's open sections).
    uint32_t section_slot : kSectionSlotBits = 0;
    CustodyState state : 3 = CustodyState::OutOfCustody;
    // A counted dequeue happened and no custody began since: one more dequeue is a
    // duplicate, not a dequeue of a task that was never in custody.
    bool dequeued_since_enter : 1 = false;
    EnterPath enter_path : 2 = EnterPath::EnqueueHeld;
    // custody_flag_mismatch already reported for the current custody period.
    bool mismatch_reported : 1 = false;
    // The current custody is watched by HeldCustodies (it lasted long): the
    // engine records the task's transitions there. May be stale after lost
    // events (no watched custody then): cleared at the task's next event.
    bool held_watched : 1 = false;
    // ---- (TaskTable's) -----------------------------------------------------------
    // Touched since the eviction clock's hand last passed it.
    bool referenced : 1 = false;
    // The record holds a task (false: on the free list, or never handed out).
    bool in_use : 1 = false;

    TaskKey key() const { return TaskKey{pid, start_time_ns}; }
};

static_assert(sizeof(TaskState) == 48 && alignof(TaskState) == 4,
              "TaskState is meant to stay 48 bytes: the table's memory budget");
static_assert(kCustodyStateCount <= 8 && kEnterPathCount <= 4, "widen TaskState's bit-fields");

// Where a task's record was, for a later check that it still holds the task
// (TaskTable::resolve()): one read of the record instead of a look-up by key.
// `generation` is the table's when the reference was taken: a cleared table
// has freed its records, and resolves none of the references taken before.
struct TaskRef {
    const TaskState* record = nullptr;
    uint64_t generation = 0;
};

} // namespace scx_custody::pairing
