// ScenarioStream: the synthetic custody event stream of the tests, the same
// for every suite that needs one (the Prometheus feed tool, the pairing
// engine's stream tests, the benchmarks through event_record.h's encoder):
// scripted custody cycles on several CPUs with injected violations, lost events
// and scheduler restarts on demand. Deterministic for a seed.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "pairing/event.h"
#include "pairing/kinds.h"
#include "pairing/scx_constants.h"

namespace scx_custody::test_support {

using namespace pairing;
using EventSink = std::function<void(const Event&)>;

struct ScenarioOptions {
    uint32_t cpus = 4;
    // One scenario in violation_every injects a violation (0: none), the kinds
    // in turn. With none, the engine raises no finding (given the same
    // kernel_has_core_sched as here).
    unsigned violation_every = 100;
    uint64_t seed = 1;
    // The engine's EngineConfig::kernel_has_core_sched, for the expected
    // verdict on core-sched picks (SCX_DEQ_CORE_SCHED_EXEC).
    bool kernel_has_core_sched = false;
    // Tasks in the pool (0: max(64, 32 * cpus)).
    std::size_t tasks = 0;
};

// What the engine must count for the scenarios scripted so far, once their
// events have all been processed (drain()).
struct ScenarioCounts {
    std::array<uint64_t, kEnterPathCount> enters{};
    std::array<uint64_t, kDequeueReasonCount> dequeues{};
    std::array<uint64_t, kViolationKindCount> violations{};
    uint64_t reenqueues = 0;
};

// The synthetic machine: a pool of tasks, scenarios that script their custody
// cycles (dispatch, property change, core-sched pick, select_cpu inserts, long
// holds, direct local dispatches), every violation kind at a steady trickle,
// and a queue of events due in timestamp order, so that custody periods of
// different tasks overlap as they do on a real machine.
class ScenarioStream {
  public:
    // sink gets every event, in timestamp order.
    ScenarioStream(EventSink sink, const ScenarioOptions& options)
        : sink_(std::move(sink)), cpus_(options.cpus), violation_every_(options.violation_every),
          core_sched_(options.kernel_has_core_sched), random_(options.seed),
          pool_(options.tasks ? options.tasks : std::max<std::size_t>(64, 32 * options.cpus)) {
        for (PoolTask& task : pool_)
            task.key = fresh_key(0);
    }

    void attach(uint64_t ts_ns) {
        Event event = base(EventKind::SchedulerAttach, ts_ns, 0);
        event.sched_name = "custody_ref";
        event.implements_dequeue = true;
        process(event);
    }

    // A scheduler unload: the kernel drops what was queued, so pending scripts end.
    void detach(uint64_t ts_ns) {
        drain(ts_ns);
        Event event = base(EventKind::SchedulerDetach, ts_ns, 0);
        event.sched_name = "custody_ref";
        process(event);
        pending_ = {};
        for (PoolTask& task : pool_)
            task.busy = false;
    }

    void lose(uint64_t ts_ns, uint32_t cpu, uint64_t count) {
        drain(ts_ns);
        Event event = base(EventKind::Lost, ts_ns, cpu % cpus_);
        event.count = count;
        process(event);
    }

    // Starts `scenarios` scripts in [start, start + length) and processes every event
    // due before the window's end.
    void tick(uint64_t start_ns, uint64_t length_ns, unsigned scenarios) {
        std::uniform_int_distribution<uint64_t> when(start_ns, start_ns + length_ns - 1);
        std::vector<uint64_t> starts(scenarios);
        for (uint64_t& ts : starts)
            ts = when(random_);
        std::sort(starts.begin(), starts.end());
        for (uint64_t ts : starts)
            start_scenario(ts);
        drain(start_ns + length_ns);
    }

    // One plain custody cycle for every task of the pool, in a random order, one
    // after another from ts_ns on: ops.enqueue() keeps the task, it is inserted
    // into a user DSQ, ops.dequeue(), local DSQ insert, running (five events per
    // task). Every pending script ends first (drain_all()). Brings an engine's
    // table to the pool's tasks, all out of custody. Returns the time just after
    // the last event.
    uint64_t warm_up(uint64_t ts_ns) {
        drain_all();
        std::vector<std::size_t> order(pool_.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::shuffle(order.begin(), order.end(), random_);
        std::uniform_int_distribution<uint32_t> pick_cpu(0, cpus_ - 1);
        for (const std::size_t slot : order) {
            Script s{slot, pick_cpu(random_), ts_ns, {}};
            s.events.reserve(5);
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            add(s, EventKind::DsqInsert, gap_ns(), user_dsq(s.cpu), 0, KernelCustodyFlag::Set);
            add(s, EventKind::Dequeue, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Clear);
            counted_dequeue(0);
            run_locally(s);
            for (const Pending& pending : s.events)
                process(pending.event);
            ts_ns = s.ts_ns + gap_ns();
        }
        return ts_ns;
    }

    void drain(uint64_t until_ns) {
        while (!pending_.empty() && pending_.top().event.ts_ns < until_ns) {
            Pending next = pending_.top();
            pending_.pop();
            process(next.event);
            if (next.release)
                pool_[next.slot].busy = false;
        }
    }

    // Processes every pending event: each script started so far ends.
    void drain_all() { drain(std::numeric_limits<uint64_t>::max()); }

    std::size_t pending() const { return pending_.size(); }
    const ScenarioCounts& expected() const { return expected_; }

  private:
    struct PoolTask {
        TaskKey key;
        bool busy = false;
    };
    struct Pending {
        Event event;
        uint64_t seq = 0;
        std::size_t slot = 0;
        bool release = false;
        bool operator>(const Pending& other) const {
            return event.ts_ns != other.event.ts_ns ? event.ts_ns > other.event.ts_ns
                                                    : seq > other.seq;
        }
    };

    // One scenario being written: its task, CPU, a cursor in time and its events.
    struct Script {
        std::size_t slot;
        uint32_t cpu;
        uint64_t ts_ns;
        std::vector<Pending> events;
    };

    void process(const Event& event) { sink_(event); }

    Event base(EventKind kind, uint64_t ts_ns, uint32_t cpu) const {
        Event event;
        event.kind = kind;
        event.ts_ns = ts_ns;
        event.cpu = cpu;
        return event;
    }

    TaskKey fresh_key(uint64_t ts_ns) { return TaskKey{next_pid_++, ts_ns + next_pid_}; }

    uint64_t user_dsq(uint32_t cpu) const { return 0x100 + cpu % 4; }

    // Custody durations: mostly microseconds to milliseconds, a tail to seconds.
    uint64_t custody_ns() {
        std::uniform_real_distribution<double> exponent(std::log(2e3), std::log(2e7));
        return static_cast<uint64_t>(std::exp(exponent(random_)));
    }
    uint64_t long_hold_ns() {
        std::uniform_real_distribution<double> seconds(0.2, 3.0);
        return static_cast<uint64_t>(seconds(random_) * 1e9);
    }
    uint64_t gap_ns() { return std::uniform_int_distribution<uint64_t>(500, 20'000)(random_); }

    void add(Script& script, EventKind kind, uint64_t after_ns, uint64_t dsq_id = kNoDsq,
             uint64_t flags = 0, KernelCustodyFlag kernel_flag = KernelCustodyFlag::Unknown,
             std::optional<uint32_t> cpu = std::nullopt) {
        script.ts_ns += after_ns;
        Event event = base(kind, script.ts_ns, cpu.value_or(script.cpu));
        event.task = pool_[script.slot].key;
        event.comm = make_comm("feed-" + std::to_string(event.task.pid % 1000));
        event.dsq_id = dsq_id;
        event.flags = flags;
        event.kernel_flag = kernel_flag;
        script.events.push_back(Pending{std::move(event), next_seq_++, script.slot, false});
    }

    // The task is dispatched to its CPU's local DSQ and runs there.
    void run_locally(Script& script) {
        add(script, EventKind::DsqInsert, gap_ns(), kDsqLocal);
        add(script, EventKind::Running, gap_ns());
    }

    // Queues the script's events; the last one frees its task.
    void commit(Script& script) {
        if (script.events.empty()) {
            pool_[script.slot].busy = false;
            return;
        }
        script.events.back().release = true;
        for (Pending& pending : script.events)
            pending_.push(std::move(pending));
    }

    std::optional<std::size_t> take_task() {
        std::uniform_int_distribution<std::size_t> pick(0, pool_.size() - 1);
        for (int attempt = 0; attempt < 8; ++attempt) {
            const std::size_t slot = pick(random_);
            if (!pool_[slot].busy) {
                pool_[slot].busy = true;
                return slot;
            }
        }
        return std::nullopt;
    }

    void start_scenario(uint64_t ts_ns) {
        const std::optional<std::size_t> slot = take_task();
        if (!slot)
            return;
        const uint32_t cpu = std::uniform_int_distribution<uint32_t>(0, cpus_ - 1)(random_);
        Script script{*slot, cpu, ts_ns, {}};
        if (violation_every_ > 0 && ++scenarios_ % violation_every_ == 0) {
            const ViolationKind kind = kAllViolationKinds[next_violation_++ % kViolationKindCount];
            violation(script, kind);
        } else {
            clean(script);
        }
        commit(script);
    }

    void enter(EnterPath path) { ++expected_.enters[to_index(path)]; }
    void counted_dequeue(uint64_t flags) {
        ++expected_.dequeues[to_index(dequeue_reason(flags))];
        if (dequeue_flags_wrong(flags, core_sched_))
            ++expected_.violations[to_index(ViolationKind::WrongDequeueFlags)];
    }
    void found(ViolationKind kind) { ++expected_.violations[to_index(kind)]; }

    void clean(Script& s) {
        const uint32_t other_cpu = (s.cpu + 1) % cpus_;
        const unsigned roll = std::uniform_int_distribution<unsigned>(0, 99)(random_);
        if (roll < 45) { // ops.enqueue() keeps the task or queues it; dispatched later
            const bool held = roll < 25;
            add(s, EventKind::Enqueue, 0, held ? kNoDsq : user_dsq(s.cpu), kEnqWakeup);
            enter(held ? EnterPath::EnqueueHeld : EnterPath::EnqueueUserDsq);
            if (roll % 10 == 0) {
                add(s, EventKind::Enqueue, custody_ns() / 2, kNoDsq, kEnqReenq);
                ++expected_.reenqueues;
            }
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            const uint64_t target = roll % 7 == 0 ? dsq_local_on(other_cpu) : kDsqLocal;
            add(s, EventKind::DsqInsert, gap_ns(), target);
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown,
                target == kDsqLocal ? s.cpu : other_cpu);
        } else if (roll < 50) { // moved between user DSQs, dispatched to the global DSQ
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            enter(EnterPath::EnqueueUserDsq);
            add(s, EventKind::DsqInsert, custody_ns(), user_dsq(other_cpu), 0,
                KernelCustodyFlag::Set);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            add(s, EventKind::DsqInsert, gap_ns(), kDsqGlobal);
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown, other_cpu);
        } else if (roll < 55) { // re-enqueued onto a user DSQ, stays in custody
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            enter(EnterPath::EnqueueUserDsq);
            add(s, EventKind::Enqueue, custody_ns(), user_dsq(s.cpu), kEnqReenq);
            ++expected_.reenqueues;
            add(s, EventKind::DsqInsert, gap_ns(), user_dsq(s.cpu), 0, KernelCustodyFlag::Set);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            add(s, EventKind::DsqInsert, gap_ns(), dsq_local_on(s.cpu));
            add(s, EventKind::Running, gap_ns());
        } else if (roll < 67) { // a property change while queued, then dispatched
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            enter(EnterPath::EnqueueUserDsq);
            const uint64_t change =
                kDeqSchedChange | kCoreDequeueSave | kCoreDequeueMove | kCoreDequeueNoclock;
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, change);
            counted_dequeue(change);
            add(s, EventKind::Enqueue, gap_ns(), user_dsq(s.cpu));
            enter(EnterPath::EnqueueUserDsq);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            run_locally(s);
        } else if (roll < 72) { // core-sched pick
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, kDeqCoreSchedExec);
            counted_dequeue(kDeqCoreSchedExec);
            add(s, EventKind::Running, gap_ns());
        } else if (roll < 86) { // select_cpu() inserts into a user DSQ
            add(s, EventKind::DsqInsert, 0, user_dsq(s.cpu), 0, KernelCustodyFlag::Set);
            enter(EnterPath::InsertUserDsq);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, 0, KernelCustodyFlag::Clear);
            counted_dequeue(0);
            run_locally(s);
        } else if (roll < 93) { // direct dispatch to the local DSQ: no custody
            add(s, EventKind::Enqueue, 0, kDsqLocal, kEnqWakeup);
            run_locally(s);
        } else if (roll < 97) { // moved to another CPU's local DSQ, runs, exits
            add(s, EventKind::Enqueue, 0, kDsqLocal, kEnqWakeup);
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::DsqInsert, gap_ns(), dsq_local_on(other_cpu));
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown, other_cpu);
            add(s, EventKind::TaskExit, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown, other_cpu);
            pool_[s.slot].key = fresh_key(s.ts_ns); // the pid comes back as a new task
        } else {                                    // held for a long time
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            enter(EnterPath::EnqueueUserDsq);
            add(s, EventKind::Dequeue, long_hold_ns());
            counted_dequeue(0);
            run_locally(s);
        }
    }

    void violation(Script& s, ViolationKind kind) {
        switch (kind) {
        case ViolationKind::MissedDequeue: // ran and came back with no ops.dequeue()
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::DsqInsert, custody_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
            add(s, EventKind::Enqueue, custody_ns(), kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            enter(EnterPath::EnqueueHeld);
            found(kind);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            run_locally(s);
            break;
        case ViolationKind::DuplicateDequeue:
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            add(s, EventKind::Dequeue, gap_ns());
            found(kind);
            run_locally(s);
            break;
        case ViolationKind::DequeueOutsideCustody: // a task never seen in custody
            add(s, EventKind::TaskExit, 0);
            pool_[s.slot].key = fresh_key(s.ts_ns);
            add(s, EventKind::Dequeue, gap_ns());
            found(kind);
            add(s, EventKind::Running, gap_ns());
            break;
        case ViolationKind::LateDequeue: // remote local-DSQ arrival, dequeue at pick
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            add(s, EventKind::DsqInsert, custody_ns(), dsq_local_on((s.cpu + 1) % cpus_));
            add(s, EventKind::Dequeue, gap_ns());
            counted_dequeue(0);
            found(kind);
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown,
                (s.cpu + 1) % cpus_);
            break;
        case ViolationKind::WrongDequeueFlags: // SCHED_CHANGE on a sleep
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            enter(EnterPath::EnqueueUserDsq);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, kDeqSchedChange | kDeqSleep);
            counted_dequeue(kDeqSchedChange | kDeqSleep); // the flags are the finding
            break;
        case ViolationKind::CustodyFlagMismatch: // the kernel's bit is clear in custody
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            enter(EnterPath::EnqueueHeld);
            add(s, EventKind::DsqInsert, custody_ns(), user_dsq(s.cpu), 0,
                KernelCustodyFlag::Clear);
            found(kind);
            add(s, EventKind::Dequeue, custody_ns());
            counted_dequeue(0);
            run_locally(s);
            break;
        }
    }

    EventSink sink_;
    uint32_t cpus_;
    unsigned violation_every_;
    bool core_sched_;
    std::mt19937_64 random_;
    std::vector<PoolTask> pool_;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
    uint64_t next_seq_ = 0;
    uint32_t next_pid_ = 1000;
    uint64_t scenarios_ = 0;
    std::size_t next_violation_ = 0;
    ScenarioCounts expected_;
};

} // namespace scx_custody::test_support
