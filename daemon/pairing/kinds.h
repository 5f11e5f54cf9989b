// The engine's vocabularies and their stable names.
//
// The strings returned by to_string() are part of the project's contract (report
// keys, metric labels, violation log): change them only with a reason in docs/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "pairing/event.h"
#include "pairing/scx_constants.h"

namespace scx_custody::pairing {

// Where a task stands in the model. See the state machine in pairing_engine.h.
enum class CustodyState : uint8_t {
    OutOfCustody,
    InCustody,
    // Reached a terminal DSQ while in custody, no ops.dequeue() yet.
    LeftWithoutDequeue,
    // Started running while in custody (directly or after LeftWithoutDequeue),
    // no ops.dequeue() yet.
    RanWithoutDequeue,
    // History incomplete (lost events, eviction, audit started mid-run): no
    // judgement until the task's next clean custody cycle.
    Indeterminate,
};
inline constexpr std::size_t kCustodyStateCount = 5;

enum class ViolationKind : uint8_t {
    MissedDequeue,
    DuplicateDequeue,
    DequeueOutsideCustody,
    LateDequeue,
    WrongDequeueFlags,
    CustodyFlagMismatch,
};
inline constexpr std::size_t kViolationKindCount = 6;
inline constexpr std::array<ViolationKind, kViolationKindCount> kAllViolationKinds = {
    ViolationKind::MissedDequeue,         ViolationKind::DuplicateDequeue,
    ViolationKind::DequeueOutsideCustody, ViolationKind::LateDequeue,
    ViolationKind::WrongDequeueFlags,     ViolationKind::CustodyFlagMismatch,
};

// Why ops.dequeue() ended a custody period, from its deq_flags.
enum class DequeueReason : uint8_t {
    Dispatch,    // neither bit below: dispatch or move to a terminal DSQ
    SchedChange, // SCX_DEQ_SCHED_CHANGE: property change while in custody
    CoreSched,   // SCX_DEQ_CORE_SCHED_EXEC: core-sched pick
};
inline constexpr std::size_t kDequeueReasonCount = 3;
inline constexpr std::array<DequeueReason, kDequeueReasonCount> kAllDequeueReasons = {
    DequeueReason::Dispatch,
    DequeueReason::SchedChange,
    DequeueReason::CoreSched,
};

// How a custody period began.
enum class EnterPath : uint8_t {
    EnqueueHeld,    // ops.enqueue() kept the task in BPF structures
    EnqueueUserDsq, // ops.enqueue() inserted it into a user DSQ
    InsertUserDsq,  // inserted into a user DSQ with no ops.enqueue() (select_cpu)
};
inline constexpr std::size_t kEnterPathCount = 3;
inline constexpr std::array<EnterPath, kEnterPathCount> kAllEnterPaths = {
    EnterPath::EnqueueHeld,
    EnterPath::EnqueueUserDsq,
    EnterPath::InsertUserDsq,
};

// The reason a dequeue with these flags is counted under. SCHED_CHANGE wins over
// CORE_SCHED_EXEC when both are set (that combination is itself a flag finding).
// Inline, as dequeue_flags_wrong(): both run for every dequeue.
inline DequeueReason dequeue_reason(uint64_t deq_flags) {
    if (deq_flags & kDeqSchedChange)
        return DequeueReason::SchedChange;
    if (deq_flags & kDeqCoreSchedExec)
        return DequeueReason::CoreSched;
    return DequeueReason::Dispatch;
}

// The engine's flag rule: deq_flags are wrong when they carry
//   - SCX_DEQ_CORE_SCHED_EXEC on a kernel without core scheduling,
//   - a sched_ext bit (high 32 bits) outside {CORE_SCHED_EXEC, SCHED_CHANGE},
//   - SCX_DEQ_SCHED_CHANGE together with SCX_DEQ_SLEEP or CORE_SCHED_EXEC (the
//     kernel sets SCHED_CHANGE exactly when neither of those is set).
// The low 32 bits are the core scheduler's DEQUEUE_* flags and are not judged.
inline bool dequeue_flags_wrong(uint64_t deq_flags, bool kernel_has_core_sched) {
    if ((deq_flags & kDeqCoreSchedExec) && !kernel_has_core_sched)
        return true;
    if (deq_flags & ~kKnownDeqFlagsMask)
        return true;
    return (deq_flags & kDeqSchedChange) && (deq_flags & (kDeqSleep | kDeqCoreSchedExec));
}

// Stable names: "missed_dequeue", "dispatch", "enqueue_held", "in_custody", ...
std::string_view to_string(ViolationKind kind);
std::string_view to_string(DequeueReason reason);
std::string_view to_string(EnterPath path);
std::string_view to_string(CustodyState state);
std::string_view to_string(EventKind kind);
std::string_view to_string(KernelCustodyFlag flag);

std::optional<ViolationKind> violation_kind_from_string(std::string_view name);
std::optional<DequeueReason> dequeue_reason_from_string(std::string_view name);
std::optional<EnterPath> enter_path_from_string(std::string_view name);
std::optional<CustodyState> custody_state_from_string(std::string_view name);
std::optional<EventKind> event_kind_from_string(std::string_view name);

constexpr std::size_t to_index(ViolationKind kind) {
    return static_cast<std::size_t>(kind);
}
constexpr std::size_t to_index(DequeueReason reason) {
    return static_cast<std::size_t>(reason);
}
constexpr std::size_t to_index(EnterPath path) {
    return static_cast<std::size_t>(path);
}
constexpr std::size_t to_index(CustodyState state) {
    return static_cast<std::size_t>(state);
}
constexpr std::size_t to_index(EventKind kind) {
    return static_cast<std::size_t>(kind);
}
constexpr std::size_t to_index(ReenqReason reason) {
    return static_cast<std::size_t>(reason);
}

inline constexpr std::array<ReenqReason, kReenqReasonCount> kAllReenqReasons = {
    ReenqReason::None,      ReenqReason::Kfunc, ReenqReason::Immed,
    ReenqReason::Preempted, ReenqReason::Cap,
};
// "none", "kfunc", "immed", "preempted", "cap".
std::string_view to_string(ReenqReason reason);

} // namespace scx_custody::pairing
