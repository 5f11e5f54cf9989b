// sched_ext constants the pairing engine relies on, as defined by the kernel
// (include/linux/sched/ext.h, kernel/sched/ext*.c). They are part of the kernel's
// BPF ABI and have been stable since sched_ext was merged; the two dequeue flags
// exist from Linux 7.1.
//
// Only the standard library here: the engine and its tests build without any
// kernel or libbpf header.
#pragma once

#include <cstdint>

namespace scx_custody::pairing {

// ---- DSQ ids -------------------------------------------------------------
//
//   Bits: [63] [62 ..  0]
//         [ B] [   ID   ]      B = 1: built-in DSQ, B = 0: DSQ created by the scheduler.
//
// Built-in ids: [63]=1 [62]=LOCAL_ON [61..32] reserved [31..0] value (cpu for LOCAL_ON).
inline constexpr uint64_t kDsqFlagBuiltin = 1ull << 63;
inline constexpr uint64_t kDsqFlagLocalOn = 1ull << 62;
inline constexpr uint64_t kDsqInvalid = kDsqFlagBuiltin | 0;
inline constexpr uint64_t kDsqGlobal = kDsqFlagBuiltin | 1;
inline constexpr uint64_t kDsqLocal = kDsqFlagBuiltin | 2;
inline constexpr uint64_t kDsqBypass = kDsqFlagBuiltin | 3;
inline constexpr uint64_t kDsqLocalOn = kDsqFlagBuiltin | kDsqFlagLocalOn;
inline constexpr uint64_t kDsqLocalCpuMask = 0xffffffffull;

// "No direct dispatch": the value of an Enqueue's dsq_id when ops.enqueue() kept
// the task (in a BPF structure) instead of inserting it into a DSQ.
inline constexpr uint64_t kNoDsq = kDsqInvalid;

constexpr uint64_t dsq_local_on(uint32_t cpu) {
    return kDsqLocalOn | cpu;
}

// A DSQ created by the scheduler (scx_bpf_create_dsq): tasks on it are in custody.
constexpr bool is_user_dsq(uint64_t dsq_id) {
    return (dsq_id & kDsqFlagBuiltin) == 0;
}

// A built-in DSQ (local, LOCAL_ON | cpu, global, bypass, or any other built-in id):
// a task inserted there is out of the scheduler's custody. kDsqInvalid is not a DSQ.
constexpr bool is_terminal_dsq(uint64_t dsq_id) {
    return (dsq_id & kDsqFlagBuiltin) != 0 && dsq_id != kDsqInvalid;
}

// ---- ops.enqueue() flags (enq_flags) ---------------------------------------
inline constexpr uint64_t kEnqWakeup = 1ull << 0;
inline constexpr uint64_t kEnqHead = 1ull << 4;
inline constexpr uint64_t kEnqPreempt = 1ull << 32;
inline constexpr uint64_t kEnqReenq = 1ull << 40;
inline constexpr uint64_t kEnqLast = 1ull << 41;

// ---- ops.dequeue() flags (deq_flags) ---------------------------------------
//
// The low 32 bits are the core scheduler's DEQUEUE_* flags, passed through by
// dequeue_task_scx() (SLEEP, SAVE, MOVE, NOCLOCK, ...); the high 32 bits are
// sched_ext's own.
inline constexpr uint64_t kDeqSleep = 1ull << 0;
inline constexpr uint64_t kDeqCoreSchedExec = 1ull << 32;
inline constexpr uint64_t kDeqSchedChange = 1ull << 33;

// Core DEQUEUE_* flags seen next to SCX_DEQ_SCHED_CHANGE on a property change.
inline constexpr uint64_t kCoreDequeueSave = 1ull << 1;
inline constexpr uint64_t kCoreDequeueMove = 1ull << 2;
inline constexpr uint64_t kCoreDequeueNoclock = 1ull << 3;

inline constexpr uint64_t kCoreDequeueFlagsMask = 0xffffffffull;
inline constexpr uint64_t kKnownDeqFlagsMask =
    kCoreDequeueFlagsMask | kDeqCoreSchedExec | kDeqSchedChange;

// ---- the kernel's own custody bit ------------------------------------------
// SCX_TASK_IN_CUSTODY in p->scx.flags (Linux 7.1+).
inline constexpr uint32_t kTaskInCustody = 1u << 1;

} // namespace scx_custody::pairing
