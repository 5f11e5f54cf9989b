// The pairing engine's input: one observed fact about a task or a scheduler.
//
// The consumer turns ring-buffer records into these values and feeds them to
// PairingEngine::process() in one global order: the ring buffer's, which is the
// order in which the CPUs reserved their records (one ring shared by all CPUs,
// so no merge by timestamp is needed; timestamps may step back a little).
// Which fields are meaningful depends on `kind`; the others keep their defaults.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pairing/scx_constants.h"

namespace scx_custody::pairing {

// Identity of a task for the whole audit. The start time (task->start_time) makes
// a reused pid a different key, so a new task can never inherit an old one's state.
struct TaskKey {
    uint32_t pid = 0;
    uint64_t start_time_ns = 0;

    friend bool operator==(const TaskKey&, const TaskKey&) = default;
};

struct TaskKeyHash {
    std::size_t operator()(const TaskKey& key) const noexcept {
        // splitmix64 finaliser over both fields: pids are small and dense, start
        // times share their high bits, so a plain xor would cluster.
        uint64_t x = key.start_time_ns ^ (static_cast<uint64_t>(key.pid) << 32 | key.pid);
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebull;
        x ^= x >> 31;
        return static_cast<std::size_t>(x);
    }
};

enum class EventKind : uint8_t {
    // A sched_ext scheduler was enabled. Fields: sched_name, implements_dequeue,
    // tasks_start_indeterminate. Must precede the scheduler's first ops.enqueue event.
    // At a genuine attach no task is in custody.
    SchedulerAttach,
    // The scheduler was disabled or unloaded. sched_name may be set.
    SchedulerDetach,
    // The scheduler's ops.enqueue() returned. dsq_id: the DSQ it directly
    // dispatched the task to during the call, or kNoDsq when it kept the task.
    // flags: enq_flags (kEnqReenq marks a re-enqueue).
    Enqueue,
    // The kernel inserted the task into DSQ dsq_id. A built-in-DSQ insert
    // (terminal id) is reported when the insert returned, stamped with the time
    // it began: an ops.dequeue() the kernel runs as part of it is reported before
    // it. A user-DSQ insert is reported on entry, before the task is visible on
    // the DSQ, so that another CPU taking the task cannot report first.
    // Remote local-DSQ arrivals are DsqInsert events with a terminal id.
    DsqInsert,
    // The scheduler's ops.dequeue() ran. flags: deq_flags.
    Dequeue,
    // The task started running on cpu.
    Running,
    // The task is gone (freed); its key is never seen again.
    TaskExit,
    // `count` events were lost on `cpu`: every task's history is incomplete.
    Lost,
};

inline constexpr std::size_t kEventKindCount = 8;

// The kernel's SCX_TASK_IN_CUSTODY bit read at the event (after its effect), when
// the kernel has the bit and the tracer could read it. A second witness only: the
// engine's model never follows it.
enum class KernelCustodyFlag : uint8_t {
    Unknown,
    Set,
    Clear,
};

inline constexpr std::size_t kKernelCustodyFlagCount = 3;

// Why the kernel re-enqueued a task (7.3's SCX_TASK_REENQ_* reasons), on an
// Enqueue; None when it is no re-enqueue or the kernel gives no reason.
enum class ReenqReason : uint8_t {
    None,
    Kfunc,     // scx_bpf_dsq_reenq() and friends
    Immed,     // an SCX_ENQ_IMMED insert that could not run at once
    Preempted, // an IMMED task preempted while running
    Cap,       // a sub-scheduler's capability miss
};

inline constexpr std::size_t kReenqReasonCount = 5;

// Event::hook of an event that did not come from a tracer hook.
inline constexpr uint8_t kNoHook = 0xff;
// Lost: events of no CPU in particular (tracer program runs the kernel skipped).
inline constexpr uint32_t kNoCpu = UINT32_MAX;

// Event::owner: which scheduler instance owned the task (custody_event.owner).
// Unknown on kernels without per-task schedulers (before 7.3); the root
// scheduler is 1 (the root cgroup's id), a 7.3 sub-scheduler its cgroup's id.
inline constexpr uint32_t kOwnerUnknown = 0;
inline constexpr uint32_t kRootOwner = 1;

using Comm = std::array<char, 16>;

// Copies at most 15 characters, always NUL-terminated.
Comm make_comm(std::string_view name);
// What make_comm() makes of the bytes of `raw` up to its first NUL (at most 15
// of them): those bytes, then zeros. Two word masks, no scan.
Comm canonical_comm(const Comm& raw);
// The comm up to its first NUL, at most 15 characters.
std::string_view comm_view(const Comm& comm);

struct Event {
    uint64_t ts_ns = 0;
    uint32_t cpu = 0;
    EventKind kind = EventKind::Running;
    TaskKey task{};
    // The task's comm as the tracer copied it: the name is the bytes before the
    // first NUL (at most 15); the bytes after it may be anything. The engine
    // stores canonical_comm() of it; decoding leaves that to the rare event
    // whose comm differs from the one stored.
    Comm comm{};
    uint64_t dsq_id = kNoDsq;       // Enqueue, DsqInsert
    uint64_t flags = 0;             // Enqueue: enq_flags, Dequeue: deq_flags
    uint64_t count = 0;             // Lost
    std::string sched_name;         // SchedulerAttach, SchedulerDetach
    bool implements_dequeue = true; // SchedulerAttach
    // SchedulerAttach: the scheduler was already running when the audit started
    // (found at start-up, not seen attaching). Its section opens, but task states
    // are unknown until each task's first clean custody cycle.
    bool tasks_start_indeterminate = false;
    // SchedulerAttach: the instance (SchedulerDetach: instance_id only).
    uint32_t instance_id = 0;    // the kernel's struct_ops map id; 0: unknown
    bool traced = true;          // its ops.enqueue/ops.dequeue programs are traced
    uint64_t enable_ts_ns = 0;   // when the kernel began enabling it; 0: unknown
    uint64_t traced_from_ns = 0; // from when its programs were traced
    std::string found_by;        // how the audit learnt of it (report text)
    std::string note;            // why it is not traced, or other coverage facts
    KernelCustodyFlag kernel_flag = KernelCustodyFlag::Unknown; // DsqInsert, Dequeue
    ReenqReason reenq_reason = ReenqReason::None;               // Enqueue
    // Task events: the scheduler instance that owned the task at the event
    // (kOwnerUnknown: no opinion, the task stays with the instance it is
    // with). SchedulerAttach/SchedulerDetach: the owner key of the instance's
    // tasks (kOwnerUnknown or kRootOwner: the root scheduler).
    uint32_t owner = kOwnerUnknown;
    // SchedulerAttach: the instance's place in a sub-scheduler tree ("root",
    // "root/sub/sub-28"); empty when not known.
    std::string tree_path;
    // The tracer hook that produced the event (enum custody_hook in custody_abi.h),
    // or kNoHook. For per-hook statistics only: the engine never reads it.
    uint8_t hook = kNoHook;
};

} // namespace scx_custody::pairing
