#include "synthetic_stream.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <string_view>

#include "custody_abi.h"
#include "pairing/scx_constants.h"

namespace scx_custody::bench {
namespace {

static_assert(sizeof(custody_event) == kRecordSize);

constexpr uint32_t kFirstPid = 1000;
constexpr uint64_t kFirstStartNs = 50'000'000;
// Warm-up records are stamped from here, stream records from kStreamStartNs on.
constexpr uint64_t kWarmupStartNs = 1'000'000'000;
constexpr uint64_t kStreamStartNs = 1'000'000'000'000;
constexpr uint64_t kUserDsqBase = 0x100;
constexpr uint32_t kUserDsqs = 8;
constexpr uint32_t kExitOneIn = 64;

constexpr std::array<std::string_view, 8> kComms = {
    "postgres", "java", "nginx", "kworker/u64:2", "chrome", "rustc", "python3", "redis-server",
};

// splitmix64: fast, and the same sequence on every platform.
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
    bool one_in(uint32_t n) { return below(n) == 0; }

  private:
    uint64_t state_;
};

struct TaskId {
    uint32_t slot = 0;
    uint32_t pid = 0;
    uint64_t start_ns = 0;
};

TaskId initial_task(uint32_t slot) {
    return {slot, kFirstPid + slot, kFirstStartNs + uint64_t{slot} * 1'000};
}

// The records of one task's cycle, stamped when emitted.
class Cycle {
  public:
    Cycle() = default;
    Cycle(const TaskId& task, bool exits) : task_(task), exits_(exits) {}

    void add(uint16_t type, uint8_t hook, uint32_t cpu, uint64_t dsq_id, uint64_t flags,
             uint8_t kernel_flag) {
        custody_event& event = steps_[size_++];
        std::memset(&event, 0, sizeof(event));
        event.task_start_ns = task_.start_ns;
        event.dsq_id = dsq_id;
        event.flags = flags;
        event.pid = task_.pid;
        event.cpu = cpu;
        event.type = type;
        event.hook = hook;
        event.kernel_flag = kernel_flag;
        const std::string_view comm = kComms[task_.slot % kComms.size()];
        std::memcpy(event.comm, comm.data(), std::min(comm.size(), sizeof(event.comm) - 1));
    }

    bool done() const { return next_ == size_; }
    const TaskId& task() const { return task_; }
    bool exits() const { return exits_; }

    // Writes the next record, stamped ts_ns, to out (kRecordSize bytes).
    void emit(uint64_t ts_ns, std::byte* out) {
        custody_event& event = steps_[next_++];
        event.ts_ns = ts_ns;
        std::memcpy(out, &event, sizeof(event));
    }

  private:
    std::array<custody_event, 12> steps_{};
    uint8_t size_ = 0;
    uint8_t next_ = 0;
    TaskId task_{};
    bool exits_ = false;
};

uint64_t user_dsq(Rng& rng) {
    return kUserDsqBase + rng.below(kUserDsqs);
}

// Enqueue (held or direct to a user DSQ), user DSQ insert, ops.dequeue, local
// insert on cpu: one custody period, ending with the task on cpu's local DSQ.
void custody_period(Cycle& cycle, Rng& rng, uint32_t wake_cpu, uint32_t cpu, uint64_t enq_flags,
                    uint64_t deq_flags = 0) {
    const uint64_t dsq = user_dsq(rng);
    const bool direct = rng.one_in(2);
    cycle.add(CUSTODY_EVT_ENQUEUE, CUSTODY_HOOK_SCHED_ENQUEUE, wake_cpu,
              direct ? dsq : pairing::kNoDsq, enq_flags, CUSTODY_KFLAG_UNKNOWN);
    // A held task is inserted later, from ops.dispatch on the CPU that picks it.
    cycle.add(CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_INSERT, direct ? wake_cpu : cpu, dsq, 0,
              CUSTODY_KFLAG_SET);
    cycle.add(CUSTODY_EVT_DEQUEUE, CUSTODY_HOOK_SCHED_DEQUEUE, cpu, pairing::kNoDsq, deq_flags,
              CUSTODY_KFLAG_CLEAR);
}

void local_insert(Cycle& cycle, Rng& rng, uint32_t cpu, uint32_t cpus) {
    // One move in eight lands on another CPU's local DSQ.
    const uint32_t target = cpus > 1 && rng.one_in(8) ? rng.below(cpus) : cpu;
    cycle.add(CUSTODY_EVT_DSQ_INSERT,
              target == cpu ? CUSTODY_HOOK_LOCAL_MOVE : CUSTODY_HOOK_REMOTE_MOVE, cpu,
              pairing::dsq_local_on(target), 0, CUSTODY_KFLAG_CLEAR);
}

void running(Cycle& cycle, uint32_t cpu) {
    cycle.add(CUSTODY_EVT_RUNNING, CUSTODY_HOOK_SCHED_SWITCH, cpu, pairing::kNoDsq, 0,
              CUSTODY_KFLAG_UNKNOWN);
}

Cycle plain_cycle(const TaskId& task, Rng& rng, uint32_t cpu, uint32_t cpus) {
    Cycle cycle(task, false);
    custody_period(cycle, rng, rng.below(cpus), cpu, pairing::kEnqWakeup);
    local_insert(cycle, rng, cpu, cpus);
    running(cycle, cpu);
    return cycle;
}

Cycle random_cycle(const TaskId& task, Rng& rng, uint32_t cpu, uint32_t cpus) {
    const uint32_t variant = rng.below(100);
    const uint32_t wake_cpu = rng.below(cpus);
    if (variant < 8) {
        // Direct dispatch to the local DSQ: never in custody.
        Cycle cycle(task, false);
        cycle.add(CUSTODY_EVT_ENQUEUE, CUSTODY_HOOK_SCHED_ENQUEUE, wake_cpu, pairing::kDsqLocal,
                  pairing::kEnqWakeup, CUSTODY_KFLAG_UNKNOWN);
        cycle.add(CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_INSERT, wake_cpu, pairing::kDsqLocal, 0,
                  CUSTODY_KFLAG_CLEAR);
        running(cycle, wake_cpu);
        return cycle;
    }
    if (variant < 18) {
        // Moved between user DSQs (scx_bpf_dsq_move) while in custody.
        Cycle cycle(task, false);
        const uint64_t first = user_dsq(rng);
        cycle.add(CUSTODY_EVT_ENQUEUE, CUSTODY_HOOK_SCHED_ENQUEUE, wake_cpu, first,
                  pairing::kEnqWakeup, CUSTODY_KFLAG_UNKNOWN);
        cycle.add(CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_INSERT, wake_cpu, first, 0,
                  CUSTODY_KFLAG_SET);
        cycle.add(CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_MOVE, cpu,
                  kUserDsqBase + kUserDsqs + rng.below(kUserDsqs), 0, CUSTODY_KFLAG_SET);
        cycle.add(CUSTODY_EVT_DEQUEUE, CUSTODY_HOOK_SCHED_DEQUEUE, cpu, pairing::kNoDsq, 0,
                  CUSTODY_KFLAG_CLEAR);
        local_insert(cycle, rng, cpu, cpus);
        running(cycle, cpu);
        return cycle;
    }
    if (variant < 26) {
        // Re-enqueued from the local DSQ (SCX_ENQ_REENQ) before it ran.
        Cycle cycle(task, false);
        custody_period(cycle, rng, wake_cpu, cpu, pairing::kEnqWakeup);
        local_insert(cycle, rng, cpu, cpus);
        custody_period(cycle, rng, cpu, cpu, pairing::kEnqReenq);
        local_insert(cycle, rng, cpu, cpus);
        running(cycle, cpu);
        return cycle;
    }
    if (variant < 31) {
        // A property change while queued: SCX_DEQ_SCHED_CHANGE, then enqueued again.
        Cycle cycle(task, false);
        custody_period(cycle, rng, wake_cpu, cpu, pairing::kEnqWakeup,
                       pairing::kDeqSchedChange | pairing::kCoreDequeueSave |
                           pairing::kCoreDequeueMove);
        custody_period(cycle, rng, cpu, cpu, 0);
        local_insert(cycle, rng, cpu, cpus);
        running(cycle, cpu);
        return cycle;
    }
    Cycle cycle(task, rng.one_in(kExitOneIn));
    custody_period(cycle, rng, wake_cpu, cpu, pairing::kEnqWakeup);
    local_insert(cycle, rng, cpu, cpus);
    running(cycle, cpu);
    if (cycle.exits()) {
        cycle.add(CUSTODY_EVT_TASK_EXIT, CUSTODY_HOOK_TASK_EXIT, cpu, pairing::kNoDsq, 0,
                  CUSTODY_KFLAG_UNKNOWN);
    }
    return cycle;
}

// Time between two records on the whole machine.
uint64_t gap_ns(Rng& rng) {
    return 20 + rng.below(380);
}

} // namespace

Stream make_stream(StreamShape shape, std::size_t min_records) {
    shape.tasks = std::max<uint32_t>(shape.tasks, 2);
    shape.cpus = std::max<uint32_t>(shape.cpus, 1);
    Rng rng(0x5c0de5eed0000000ull ^ (uint64_t{shape.tasks} << 16) ^ shape.cpus);

    Stream stream;
    stream.shape = shape;
    stream.bytes.reserve((min_records + 16 * shape.cpus) * kRecordSize);

    std::vector<TaskId> tasks(shape.tasks);
    for (uint32_t slot = 0; slot < shape.tasks; ++slot)
        tasks[slot] = initial_task(slot);
    std::vector<bool> busy(shape.tasks, false);
    uint32_t next_pid = kFirstPid + shape.tasks;
    uint64_t ts_ns = kStreamStartNs;

    // At most half the tasks in flight: a free one is always quick to find.
    const uint32_t flights = std::min(shape.cpus, shape.tasks / 2);
    std::vector<Cycle> cycles(flights);
    const auto start_cycle = [&](uint32_t cpu) {
        uint32_t slot = 0;
        do {
            slot = rng.below(shape.tasks);
        } while (busy[slot]);
        busy[slot] = true;
        cycles[cpu] = random_cycle(tasks[slot], rng, cpu, shape.cpus);
    };
    std::vector<uint32_t> active(flights);
    std::iota(active.begin(), active.end(), 0u);
    for (uint32_t cpu : active)
        start_cycle(cpu);

    while (!active.empty()) {
        const uint32_t pick = rng.below(static_cast<uint32_t>(active.size()));
        const uint32_t cpu = active[pick];
        Cycle& cycle = cycles[cpu];
        stream.bytes.resize(stream.bytes.size() + kRecordSize);
        cycle.emit(ts_ns, stream.bytes.data() + stream.bytes.size() - kRecordSize);
        ts_ns += gap_ns(rng);
        if (!cycle.done())
            continue;
        const uint32_t slot = cycle.task().slot;
        busy[slot] = false;
        if (cycle.exits())
            tasks[slot] = TaskId{slot, next_pid++, ts_ns};
        if (stream.records() < min_records) {
            start_cycle(cpu);
        } else {
            active[pick] = active.back();
            active.pop_back();
        }
    }
    return stream;
}

void for_each_warmup_record(StreamShape shape, const RecordSink& sink) {
    shape.tasks = std::max<uint32_t>(shape.tasks, 2);
    shape.cpus = std::max<uint32_t>(shape.cpus, 1);
    Rng rng(0x3a7e5eedull ^ (uint64_t{shape.tasks} << 16) ^ shape.cpus);

    std::vector<uint32_t> order(shape.tasks);
    std::iota(order.begin(), order.end(), 0u);
    for (uint32_t i = shape.tasks - 1; i > 0; --i)
        std::swap(order[i], order[rng.below(i + 1)]);

    uint64_t ts_ns = kWarmupStartNs;
    std::array<std::byte, kRecordSize> record{};
    for (uint32_t slot : order) {
        Cycle cycle = plain_cycle(initial_task(slot), rng, slot % shape.cpus, shape.cpus);
        while (!cycle.done()) {
            cycle.emit(ts_ns, record.data());
            ts_ns += gap_ns(rng);
            sink(record);
        }
    }
}

} // namespace scx_custody::bench
