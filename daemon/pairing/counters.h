// The figures the engine keeps, in one shape used for the totals, for each CPU and
// for each scheduler section.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "pairing/kinds.h"

namespace scx_custody::pairing {

// Completed custody periods closed by a counted ops.dequeue(): enter to dequeue.
struct DurationSummary {
    uint64_t count = 0;
    uint64_t sum_ns = 0;
    uint64_t max_ns = 0;

    void add(uint64_t duration_ns) {
        ++count;
        sum_ns += duration_ns;
        max_ns = std::max(max_ns, duration_ns);
    }
    DurationSummary& operator+=(const DurationSummary& other) {
        count += other.count;
        sum_ns += other.sum_ns;
        max_ns = std::max(max_ns, other.max_ns);
        return *this;
    }
    friend bool operator==(const DurationSummary&, const DurationSummary&) = default;
};

struct Counters {
    // Custody periods begun (re-enqueues within custody are not new periods).
    uint64_t custody_enter = 0;
    std::array<uint64_t, kEnterPathCount> custody_enter_by_path{};
    // ops.enqueue() on a task already in custody.
    uint64_t reenqueue_in_custody = 0;
    // ops.enqueue() calls the kernel made with SCX_ENQ_REENQ: it gave a task
    // back to the scheduler (a re-enqueue request, an IMMED insert that could
    // not run at once, a preempted or capacity-lost local DSQ), whatever the
    // task's custody state.
    uint64_t kernel_reenqueues = 0;
    // The same by the kernel's reason (7.3; ReenqReason::None on earlier
    // kernels, which give none).
    std::array<uint64_t, kReenqReasonCount> kernel_reenqueues_by_reason{};
    // Built-in-DSQ inserts that began before the task's current custody: their
    // record was overtaken by the custody's (the global DSQ's lock is dropped
    // before the insert's record is made). Ignored: they cannot end it.
    uint64_t inserts_overtaken = 0;
    // Counted dequeues: those that ended a custody period, late ones included, and
    // those that resynchronised an indeterminate task. Duplicate and out-of-custody
    // dequeues are findings, not counted here.
    std::array<uint64_t, kDequeueReasonCount> dequeue_by_reason{};
    std::array<uint64_t, kViolationKindCount> violations{};
    // Transitions into Indeterminate (after lost events), plus tasks still
    // LeftWithoutDequeue at finish().
    uint64_t indeterminate = 0;
    // Tasks in custody when their scheduler was unloaded (kernel design, no finding).
    uint64_t custody_abandoned_at_unload = 0;
    // Sum of Lost events' counts.
    uint64_t lost_events = 0;
    // Tasks dropped from the table at its capacity.
    uint64_t evicted = 0;
    // Tasks in custody at finish().
    uint64_t in_custody_at_end = 0;
    // Counted dequeues of tasks whose custody began unseen (Indeterminate):
    // they end a custody period no custody_enter counted.
    uint64_t dequeue_after_indeterminate = 0;
    DurationSummary custody_duration;

    uint64_t custody_enter_by(EnterPath path) const {
        return custody_enter_by_path[to_index(path)];
    }
    uint64_t dequeue_by(DequeueReason reason) const { return dequeue_by_reason[to_index(reason)]; }
    uint64_t violation(ViolationKind kind) const { return violations[to_index(kind)]; }

    uint64_t dequeue() const {
        uint64_t sum = 0;
        for (uint64_t n : dequeue_by_reason)
            sum += n;
        return sum;
    }
    uint64_t violations_total() const {
        uint64_t sum = 0;
        for (uint64_t n : violations)
            sum += n;
        return sum;
    }

    Counters& operator+=(const Counters& other) {
        custody_enter += other.custody_enter;
        for (std::size_t i = 0; i < kEnterPathCount; ++i)
            custody_enter_by_path[i] += other.custody_enter_by_path[i];
        reenqueue_in_custody += other.reenqueue_in_custody;
        kernel_reenqueues += other.kernel_reenqueues;
        for (std::size_t i = 0; i < kReenqReasonCount; ++i)
            kernel_reenqueues_by_reason[i] += other.kernel_reenqueues_by_reason[i];
        inserts_overtaken += other.inserts_overtaken;
        for (std::size_t i = 0; i < kDequeueReasonCount; ++i)
            dequeue_by_reason[i] += other.dequeue_by_reason[i];
        for (std::size_t i = 0; i < kViolationKindCount; ++i)
            violations[i] += other.violations[i];
        indeterminate += other.indeterminate;
        custody_abandoned_at_unload += other.custody_abandoned_at_unload;
        lost_events += other.lost_events;
        evicted += other.evicted;
        in_custody_at_end += other.in_custody_at_end;
        dequeue_after_indeterminate += other.dequeue_after_indeterminate;
        custody_duration += other.custody_duration;
        return *this;
    }
    friend bool operator==(const Counters&, const Counters&) = default;
};

} // namespace scx_custody::pairing
