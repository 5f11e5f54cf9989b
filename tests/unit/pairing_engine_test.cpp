// Unit tests of the pairing engine: synthetic event streams with known verdicts.
#include "pairing/pairing_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pairing/kinds.h"
#include "pairing/scx_constants.h"
#include "pairing/task_table.h"
#include "scenario_stream.h"

namespace scx_custody::pairing {
namespace {

constexpr uint64_t kUserDsqA = 0x100;
constexpr uint64_t kUserDsqB = 0x200;
constexpr uint64_t kUserDsqC = 0x300;

constexpr TaskKey kTaskA{100, 5'000};
constexpr TaskKey kTaskB{200, 6'000};
constexpr TaskKey kTaskC{300, 7'000};
constexpr TaskKey kTaskD{400, 8'000};

// What dequeue_task_scx() passes on a property change: SCHED_CHANGE plus the core
// flags DEQUEUE_SAVE | DEQUEUE_MOVE | DEQUEUE_NOCLOCK.
constexpr uint64_t kSchedChangeFlags =
    kDeqSchedChange | kCoreDequeueSave | kCoreDequeueMove | kCoreDequeueNoclock;

constexpr auto kUnknown = KernelCustodyFlag::Unknown;
constexpr auto kSet = KernelCustodyFlag::Set;
constexpr auto kClear = KernelCustodyFlag::Clear;

std::string comm_of(const TaskKey& task) {
    return "task-" + std::to_string(task.pid);
}

// Feeds an engine; timestamps grow by 10 ns per event.
class Stream {
  public:
    explicit Stream(PairingEngine& engine, uint64_t start_ts_ns = 1'000)
        : engine_(engine), ts_ns_(start_ts_ns) {}

    uint64_t now() const { return ts_ns_; }

    Stream& attach(const std::string& name = "custody_ref", bool implements_dequeue = true,
                   uint32_t cpu = 0) {
        Event event = base(EventKind::SchedulerAttach, TaskKey{}, cpu);
        event.sched_name = name;
        event.implements_dequeue = implements_dequeue;
        return feed(event);
    }
    Stream& attach_before_audit(const std::string& name, uint32_t cpu = 0) {
        Event event = base(EventKind::SchedulerAttach, TaskKey{}, cpu);
        event.sched_name = name;
        event.tasks_start_indeterminate = true;
        return feed(event);
    }
    Stream& detach(uint32_t cpu = 0, const std::string& name = "") {
        Event event = base(EventKind::SchedulerDetach, TaskKey{}, cpu);
        event.sched_name = name;
        return feed(event);
    }
    Stream& enqueue(const TaskKey& task, uint64_t dsq_id = kNoDsq, uint32_t cpu = 0,
                    uint64_t enq_flags = 0) {
        Event event = base(EventKind::Enqueue, task, cpu);
        event.dsq_id = dsq_id;
        event.flags = enq_flags;
        return feed(event);
    }
    Stream& insert(const TaskKey& task, uint64_t dsq_id, uint32_t cpu = 0,
                   KernelCustodyFlag kernel_flag = kUnknown) {
        Event event = base(EventKind::DsqInsert, task, cpu);
        event.dsq_id = dsq_id;
        event.kernel_flag = kernel_flag;
        return feed(event);
    }
    // A built-in-DSQ insert stamped with the time it began (an earlier one).
    Stream& insert_begun_at(uint64_t begin_ts_ns, const TaskKey& task, uint64_t dsq_id,
                            uint32_t cpu = 0, KernelCustodyFlag kernel_flag = kUnknown) {
        Event event = base(EventKind::DsqInsert, task, cpu);
        event.ts_ns = begin_ts_ns;
        event.dsq_id = dsq_id;
        event.kernel_flag = kernel_flag;
        return feed(event);
    }
    Stream& dequeue(const TaskKey& task, uint64_t deq_flags = 0, uint32_t cpu = 0,
                    KernelCustodyFlag kernel_flag = kUnknown) {
        Event event = base(EventKind::Dequeue, task, cpu);
        event.flags = deq_flags;
        event.kernel_flag = kernel_flag;
        return feed(event);
    }
    Stream& running(const TaskKey& task, uint32_t cpu = 0) {
        return feed(base(EventKind::Running, task, cpu));
    }
    Stream& exit(const TaskKey& task, uint32_t cpu = 0) {
        return feed(base(EventKind::TaskExit, task, cpu));
    }
    Stream& lost(uint64_t count, uint32_t cpu = 0) {
        Event event = base(EventKind::Lost, TaskKey{}, cpu);
        event.count = count;
        return feed(event);
    }
    Stream& advance(uint64_t ns) {
        ts_ns_ += ns;
        return *this;
    }
    // A full clean custody cycle: held by ops.enqueue, dispatched to cpu's local DSQ
    // (dequeue first, then the insert), then running.
    Stream& clean_cycle(const TaskKey& task, uint32_t cpu = 0) {
        return enqueue(task, kNoDsq, cpu)
            .dequeue(task, 0, cpu)
            .insert(task, dsq_local_on(cpu), cpu)
            .running(task, cpu);
    }

  private:
    Event base(EventKind kind, const TaskKey& task, uint32_t cpu) {
        Event event;
        event.kind = kind;
        event.ts_ns = ts_ns_;
        event.cpu = cpu;
        event.task = task;
        if (task.pid != 0)
            event.comm = make_comm(comm_of(task));
        ts_ns_ += 10;
        return event;
    }
    Stream& feed(const Event& event) {
        engine_.process(event);
        return *this;
    }

    PairingEngine& engine_;
    uint64_t ts_ns_;
};

using ViolationCounts = std::map<ViolationKind, uint64_t>;

void expect_violations(const Counters& counts, const ViolationCounts& expected) {
    for (ViolationKind kind : kAllViolationKinds) {
        const auto found = expected.find(kind);
        const uint64_t want = found == expected.end() ? 0 : found->second;
        EXPECT_EQ(counts.violation(kind), want) << to_string(kind);
    }
}

Counters sum_per_cpu(const PairingEngine& engine) {
    Counters sum;
    for (const Counters& cpu : engine.per_cpu())
        sum += cpu;
    return sum;
}

Counters sum_sections(const PairingEngine& engine) {
    Counters sum;
    for (const SchedulerSection& section : engine.sections())
        sum += section.counts;
    return sum;
}

// ---- names and constants -------------------------------------------------------

TEST(PairingNames, ViolationKindsHaveTheStableNames) {
    EXPECT_EQ(to_string(ViolationKind::MissedDequeue), "missed_dequeue");
    EXPECT_EQ(to_string(ViolationKind::DuplicateDequeue), "duplicate_dequeue");
    EXPECT_EQ(to_string(ViolationKind::DequeueOutsideCustody), "dequeue_outside_custody");
    EXPECT_EQ(to_string(ViolationKind::LateDequeue), "late_dequeue");
    EXPECT_EQ(to_string(ViolationKind::WrongDequeueFlags), "wrong_dequeue_flags");
    EXPECT_EQ(to_string(ViolationKind::CustodyFlagMismatch), "custody_flag_mismatch");
    EXPECT_EQ(to_string(DequeueReason::Dispatch), "dispatch");
    EXPECT_EQ(to_string(DequeueReason::SchedChange), "sched_change");
    EXPECT_EQ(to_string(DequeueReason::CoreSched), "core_sched");
    EXPECT_EQ(to_string(EnterPath::EnqueueHeld), "enqueue_held");
    EXPECT_EQ(to_string(EnterPath::EnqueueUserDsq), "enqueue_user_dsq");
    EXPECT_EQ(to_string(EnterPath::InsertUserDsq), "insert_user_dsq");
    EXPECT_EQ(to_string(CustodyState::LeftWithoutDequeue), "left_without_dequeue");
    EXPECT_EQ(to_string(EventKind::DsqInsert), "dsq_insert");
    EXPECT_EQ(to_string(KernelCustodyFlag::Set), "set");
}

TEST(PairingNames, EveryNameParsesBackAndUnknownNamesDoNot) {
    for (ViolationKind kind : kAllViolationKinds)
        EXPECT_EQ(violation_kind_from_string(to_string(kind)), kind);
    for (DequeueReason reason : kAllDequeueReasons)
        EXPECT_EQ(dequeue_reason_from_string(to_string(reason)), reason);
    for (EnterPath path : kAllEnterPaths)
        EXPECT_EQ(enter_path_from_string(to_string(path)), path);
    for (std::size_t i = 0; i < kCustodyStateCount; ++i) {
        const auto state = static_cast<CustodyState>(i);
        EXPECT_EQ(custody_state_from_string(to_string(state)), state);
    }
    for (std::size_t i = 0; i < kEventKindCount; ++i) {
        const auto kind = static_cast<EventKind>(i);
        EXPECT_EQ(event_kind_from_string(to_string(kind)), kind);
    }
    EXPECT_FALSE(violation_kind_from_string("missed").has_value());
    EXPECT_FALSE(dequeue_reason_from_string("").has_value());
    EXPECT_EQ(to_string(static_cast<ViolationKind>(42)), "invalid");
}

TEST(ScxConstants, ClassifiesDsqIds) {
    EXPECT_EQ(kDsqGlobal, (1ull << 63) | 1);
    EXPECT_EQ(kDsqLocal, (1ull << 63) | 2);
    EXPECT_EQ(kDsqBypass, (1ull << 63) | 3);
    EXPECT_EQ(kNoDsq, 1ull << 63);
    EXPECT_EQ(dsq_local_on(5), (1ull << 63) | (1ull << 62) | 5);

    EXPECT_TRUE(is_user_dsq(0));
    EXPECT_TRUE(is_user_dsq(kUserDsqA));
    EXPECT_TRUE(is_user_dsq((1ull << 63) - 1));
    EXPECT_FALSE(is_terminal_dsq(kUserDsqA));
    for (uint64_t terminal :
         {kDsqGlobal, kDsqLocal, kDsqBypass, dsq_local_on(0), dsq_local_on(7)}) {
        EXPECT_TRUE(is_terminal_dsq(terminal)) << std::hex << terminal;
        EXPECT_FALSE(is_user_dsq(terminal)) << std::hex << terminal;
    }
    EXPECT_FALSE(is_terminal_dsq(kNoDsq));
    EXPECT_FALSE(is_user_dsq(kNoDsq));
}

TEST(DequeueFlags, ReasonFollowsTheScxBits) {
    EXPECT_EQ(dequeue_reason(0), DequeueReason::Dispatch);
    EXPECT_EQ(dequeue_reason(kDeqSleep), DequeueReason::Dispatch);
    EXPECT_EQ(dequeue_reason(kSchedChangeFlags), DequeueReason::SchedChange);
    EXPECT_EQ(dequeue_reason(kDeqCoreSchedExec), DequeueReason::CoreSched);
}

TEST(DequeueFlags, WrongFlagRule) {
    // Core DEQUEUE_* bits in the low half are passed through by the kernel: fine.
    EXPECT_FALSE(dequeue_flags_wrong(0, false));
    EXPECT_FALSE(dequeue_flags_wrong(kDeqSleep | kCoreDequeueNoclock, false));
    EXPECT_FALSE(dequeue_flags_wrong(kSchedChangeFlags, false));
    EXPECT_FALSE(dequeue_flags_wrong(0x8000'0000ull, false));
    // CORE_SCHED_EXEC needs core scheduling.
    EXPECT_TRUE(dequeue_flags_wrong(kDeqCoreSchedExec, false));
    EXPECT_FALSE(dequeue_flags_wrong(kDeqCoreSchedExec, true));
    // Unknown sched_ext bits.
    EXPECT_TRUE(dequeue_flags_wrong(1ull << 34, true));
    EXPECT_TRUE(dequeue_flags_wrong(1ull << 63, true));
    // SCHED_CHANGE means "neither sleep nor core-sched pick".
    EXPECT_TRUE(dequeue_flags_wrong(kDeqSchedChange | kDeqSleep, true));
    EXPECT_TRUE(dequeue_flags_wrong(kDeqSchedChange | kDeqCoreSchedExec, true));
}

TEST(Comm, IsTruncatedAndNulTerminated) {
    const Comm comm = make_comm("a-very-long-command-name");
    EXPECT_EQ(comm_view(comm), "a-very-long-com");
    EXPECT_EQ(comm[15], '\0');
    EXPECT_EQ(comm_view(make_comm("")), "");
    EXPECT_EQ(comm_view(make_comm("stress-ng")), "stress-ng");
}

// canonical_comm() works with word masks, not a scan: it must equal what
// make_comm() makes of the bytes up to the first NUL, for NULs at every
// position (or none) and any bytes after them; comm_view() reads the same name.
TEST(Comm, CanonicalCommEqualsMakeCommOfItsFirstNulTerminatedRun) {
    std::mt19937_64 random(7);
    for (int round = 0; round < 4000; ++round) {
        Comm raw;
        for (char& c : raw)
            c = static_cast<char>(1 + random() % 255);
        if (round % 17 != 0)
            raw[random() % 16] = '\0';
        if (round % 3 == 0)
            raw[random() % 16] = '\0';
        const Comm expected = make_comm(std::string_view(raw.data(), ::strnlen(raw.data(), 16)));
        ASSERT_EQ(canonical_comm(raw), expected) << "round " << round;
        ASSERT_EQ(comm_view(raw), comm_view(expected)) << "round " << round;
    }
}

// ---- task table ------------------------------------------------------------------

TEST(TaskTable, EvictsTheFirstRecordTheClockFindsUntouched) {
    const TaskKey kTaskE{500, 9'000};
    TaskTable table(3);
    EXPECT_FALSE(table.insert(kTaskA).evicted.has_value());
    EXPECT_FALSE(table.insert(kTaskB).evicted.has_value());
    EXPECT_FALSE(table.insert(kTaskC).evicted.has_value());
    // Every record touched since the hand last passed: one full turn clears
    // their bits, and the first one goes.
    TaskTable::Inserted inserted = table.insert(kTaskD);
    ASSERT_TRUE(inserted.evicted.has_value());
    EXPECT_EQ(inserted.evicted->key(), kTaskA);
    // B is touched again, C is not: B gets a second chance, C goes.
    ASSERT_NE(table.touch(kTaskB), nullptr);
    inserted = table.insert(kTaskE);
    ASSERT_TRUE(inserted.evicted.has_value());
    EXPECT_EQ(inserted.evicted->key(), kTaskC);
    EXPECT_EQ(table.size(), 3u);
    EXPECT_NE(table.find(kTaskB), nullptr);
    EXPECT_EQ(table.find(kTaskC), nullptr);

    // Records in id order: D and E took the ids A and C left.
    std::vector<TaskKey> order;
    table.for_each([&](const TaskState& task) { order.push_back(task.key()); });
    EXPECT_EQ(order, (std::vector<TaskKey>{kTaskD, kTaskB, kTaskE}));

    table.erase(kTaskB);
    table.erase(kTaskB);
    EXPECT_EQ(table.size(), 2u);
    table.clear();
    EXPECT_EQ(table.size(), 0u);
}

TEST(TaskTable, CapacityZeroHoldsOneTask) {
    TaskTable table(0);
    EXPECT_EQ(table.capacity(), 1u);
    table.insert(kTaskA);
    EXPECT_TRUE(table.insert(kTaskB).evicted.has_value());
    EXPECT_EQ(table.size(), 1u);
}

// A TaskRef resolves while its record holds the task, and never after the
// task was erased or evicted (its record reused by another) or the table
// cleared (its records freed), even when the task is back in the table.
TEST(TaskTable, RefsResolveOnlyWhileTheirRecordHoldsTheTask) {
    TaskTable table(2);
    const TaskRef a = table.ref(*table.insert(kTaskA).task);
    EXPECT_EQ(table.resolve(a, kTaskA), table.find(kTaskA));
    EXPECT_EQ(table.resolve(a, kTaskB), nullptr) << "another key";
    EXPECT_EQ(table.resolve(TaskRef{}, kTaskA), nullptr) << "an empty ref";

    table.erase(kTaskA);
    EXPECT_EQ(table.resolve(a, kTaskA), nullptr) << "erased: the record is free";
    // The freed record is reused first: it holds kTaskB now.
    const TaskRef b = table.ref(*table.insert(kTaskB).task);
    EXPECT_EQ(b.record, a.record);
    EXPECT_EQ(table.resolve(a, kTaskA), nullptr) << "reused by another task";

    // Back in the table in another record: the old ref still names the old one.
    table.insert(kTaskA);
    EXPECT_EQ(table.resolve(a, kTaskA), nullptr);
    table.insert(kTaskC); // evicts one of them (capacity 2)
    const TaskRef c = table.ref(*table.find(kTaskC));
    EXPECT_EQ(table.resolve(c, kTaskC), table.find(kTaskC));

    table.clear();
    const TaskRef c_again = table.ref(*table.insert(kTaskC).task);
    EXPECT_EQ(table.resolve(c, kTaskC), nullptr) << "taken before clear()";
    EXPECT_NE(table.resolve(c_again, kTaskC), nullptr);
}

// A plain clock: one slot per record id, freed ids reused last-freed first,
// and a hand that clears `referenced` bits until it finds a slot in use
// without one. It knows nothing of the table's index, chunks or comm pool.
struct ClockModel {
    struct Slot {
        TaskKey key;
        Comm comm{};
        bool in_use = false;
        bool referenced = false;
    };
    std::vector<Slot> slots;
    std::vector<std::size_t> free_ids;
    std::size_t hand = 0;
    std::size_t size = 0;

    Slot* find(const TaskKey& key) {
        for (Slot& slot : slots)
            if (slot.in_use && slot.key == key)
                return &slot;
        return nullptr;
    }
    TaskKey victim() {
        for (;;) {
            Slot& slot = slots[hand];
            hand = (hand + 1) % slots.size();
            if (slot.in_use && !slot.referenced)
                return slot.key;
            slot.referenced = false;
        }
    }
    void erase(Slot& slot) {
        slot.in_use = false;
        free_ids.push_back(static_cast<std::size_t>(&slot - slots.data()));
        --size;
    }
    Slot& insert(const TaskKey& key) {
        std::size_t id = slots.size();
        if (free_ids.empty()) {
            slots.emplace_back();
        } else {
            id = free_ids.back();
            free_ids.pop_back();
        }
        slots[id] = Slot{key, Comm{}, true, true};
        ++size;
        return slots[id];
    }
    std::vector<TaskKey> in_id_order() const {
        std::vector<TaskKey> keys;
        for (const Slot& slot : slots)
            if (slot.in_use)
                keys.push_back(slot.key);
        return keys;
    }
};

// `comm` as a tracer may copy it: half the time, the bytes after its NUL are
// not zero. The table must store it as if they were.
Comm with_junk_after_nul(Comm comm, std::mt19937& random) {
    if (random() % 2 == 0)
        return comm;
    const std::size_t nul = comm_view(comm).size();
    for (std::size_t i = nul + 1; i < comm.size(); ++i)
        comm[i] = static_cast<char>(1 + random() % 255);
    return comm;
}

// The compact table against the plain clock above: random inserts, touches,
// finds and erases over few pids with reused pids (same pid, new start time),
// a small capacity so that evictions are frequent, and comms set and cleared
// (raw: half of them with bytes after the NUL). After every step both agree on
// size, membership, eviction victims, comms and the order for_each() gives.
TEST(TaskTable, AgreesWithAClockModelOnRandomOperations) {
    for (const std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
        TaskTable table(capacity);
        ClockModel model;
        std::mt19937 random(static_cast<uint32_t>(capacity));
        const std::array<const char*, 4> names = {"", "worker", "kworker/0:1", "stress-ng"};
        for (int step = 0; step < 20'000; ++step) {
            // 400 pids, each with two possible start times: pid reuse.
            const TaskKey key{static_cast<uint32_t>(random() % 400),
                              1'000 + static_cast<uint64_t>(random() % 2)};
            ClockModel::Slot* in_model = model.find(key);
            switch (random() % 4) {
            case 0: { // insert (or touch when present, as the engine's acquire does)
                if (in_model) {
                    ASSERT_NE(table.touch(key), nullptr);
                    in_model->referenced = true;
                    break;
                }
                std::optional<TaskKey> victim;
                if (model.size >= capacity) {
                    victim = model.victim();
                    model.erase(*model.find(*victim));
                }
                TaskTable::Inserted inserted = table.insert(key);
                ASSERT_EQ(inserted.evicted.has_value(), victim.has_value()) << step;
                if (victim) {
                    ASSERT_EQ(inserted.evicted->key(), *victim) << step;
                }
                const Comm comm = make_comm(names[random() % names.size()]);
                table.set_comm(*inserted.task, with_junk_after_nul(comm, random));
                model.insert(key).comm = comm;
                break;
            }
            case 1: { // touch, and sometimes a new comm
                TaskState* task = table.touch(key);
                ASSERT_EQ(task != nullptr, in_model != nullptr) << step;
                if (!task)
                    break;
                in_model->referenced = true;
                if (random() % 3 == 0) {
                    in_model->comm = make_comm(names[random() % names.size()]);
                    table.set_comm(*task, with_junk_after_nul(in_model->comm, random));
                }
                break;
            }
            case 2: { // find: no mark
                const TaskState* task = table.find(key);
                ASSERT_EQ(task != nullptr, in_model != nullptr) << step;
                if (task) {
                    ASSERT_EQ(task->key(), key);
                    ASSERT_EQ(table.comm(*task), in_model->comm);
                }
                break;
            }
            case 3: // erase
                table.erase(key);
                if (in_model)
                    model.erase(*in_model);
                break;
            }
            ASSERT_EQ(table.size(), model.size) << step;
            if (step % 97 == 0 || capacity == 1) {
                std::vector<TaskKey> order;
                table.for_each([&](const TaskState& task) {
                    order.push_back(task.key());
                    EXPECT_EQ(table.comm(task), model.find(task.key())->comm);
                });
                ASSERT_EQ(order, model.in_id_order()) << step;
            }
        }
        table.clear();
        EXPECT_EQ(table.size(), 0u);
        EXPECT_EQ(table.find(TaskKey{1, 1'000}), nullptr);
    }
}

TEST(TaskTable, HoldsALargeTableThroughIndexGrowthAndErasure) {
    TaskTable table(100'000);
    for (uint32_t pid = 0; pid < 100'000; ++pid)
        table.insert(TaskKey{pid, pid * 3ull});
    ASSERT_EQ(table.size(), 100'000u);
    for (uint32_t pid = 0; pid < 100'000; pid += 2)
        table.erase(TaskKey{pid, pid * 3ull});
    for (uint32_t pid = 0; pid < 100'000; ++pid) {
        const TaskState* task = table.find(TaskKey{pid, pid * 3ull});
        ASSERT_EQ(task != nullptr, pid % 2 == 1) << pid;
        // The same pid with another start time is another task.
        ASSERT_EQ(table.find(TaskKey{pid, pid * 3ull + 1}), nullptr) << pid;
    }
    EXPECT_EQ(table.size(), 50'000u);
}

// ---- clean flows: no violation ---------------------------------------------------

TEST(PairingEngine, HeldTaskDispatchedToLocalDsqIsClean) {
    // The normal 7.1+ flow: ops.enqueue keeps the task, ops.dispatch inserts it into
    // a local DSQ, and the kernel runs ops.dequeue as part of that insert.
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kNoDsq, 0)
        .dequeue(kTaskA, 0, 1)
        .insert(kTaskA, kDsqLocal, 1)
        .running(kTaskA, 1);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 1u);
    EXPECT_EQ(totals.custody_enter_by(EnterPath::EnqueueHeld), 1u);
    EXPECT_EQ(totals.dequeue(), 1u);
    EXPECT_EQ(totals.dequeue_by(DequeueReason::Dispatch), 1u);
    EXPECT_EQ(totals.custody_duration.count, 1u);
    EXPECT_EQ(totals.custody_duration.sum_ns, 10u);
    EXPECT_EQ(totals.custody_duration.max_ns, 10u);
    expect_violations(totals, {});
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
}

TEST(PairingEngine, ReenqueueWithinCustodyIsNotANewPeriod) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA)
        .enqueue(kTaskA, kNoDsq, 0, kEnqReenq)
        .enqueue(kTaskA, kUserDsqA, 0, kEnqReenq)
        .insert(kTaskA, kUserDsqA)
        .dequeue(kTaskA)
        .insert(kTaskA, kDsqLocal)
        .running(kTaskA);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 1u);
    EXPECT_EQ(totals.reenqueue_in_custody, 2u);
    EXPECT_EQ(totals.kernel_reenqueues, 2u);
    EXPECT_EQ(totals.dequeue(), 1u);
    expect_violations(totals, {});
}

TEST(PairingEngine, KernelReenqueuesAreCountedInEveryState) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        // Out of custody (an IMMED insert handed back): a new period.
        .enqueue(kTaskA, kNoDsq, 0, kEnqReenq)
        .dequeue(kTaskA)
        // Straight to a terminal DSQ: no custody, still a re-enqueue.
        .enqueue(kTaskA, kDsqLocal, 0, kEnqReenq)
        .insert(kTaskA, kDsqLocal)
        // Not flagged: not counted.
        .enqueue(kTaskB)
        .dequeue(kTaskB);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.kernel_reenqueues, 2u);
    // No reason given (a kernel before 7.3).
    EXPECT_EQ(totals.kernel_reenqueues_by_reason[to_index(ReenqReason::None)], 2u);
    EXPECT_EQ(totals.custody_enter, 2u);
    EXPECT_EQ(totals.reenqueue_in_custody, 0u);
    expect_violations(totals, {});
}

TEST(PairingEngine, MovesBetweenUserDsqsKeepCustody) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kUserDsqA)
        .insert(kTaskA, kUserDsqA)
        .insert(kTaskA, kUserDsqB)
        .insert(kTaskA, kUserDsqC)
        .dequeue(kTaskA, 0, 1)
        .insert(kTaskA, dsq_local_on(1), 1)
        .running(kTaskA, 1);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 1u);
    EXPECT_EQ(totals.custody_enter_by(EnterPath::EnqueueUserDsq), 1u);
    EXPECT_EQ(totals.custody_enter_by(EnterPath::InsertUserDsq), 0u);
    EXPECT_EQ(totals.dequeue(), 1u);
    EXPECT_EQ(totals.custody_duration.sum_ns, 40u);
    expect_violations(totals, {});
}

TEST(PairingEngine, DirectDispatchToTerminalDsqNeverEntersCustody) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        // from ops.select_cpu: no ops.enqueue at all
        .insert(kTaskA, kDsqLocal, 0)
        .running(kTaskA, 0)
        // from ops.enqueue, to the global DSQ, to another CPU, to the bypass DSQ
        .enqueue(kTaskB, kDsqGlobal, 1)
        .insert(kTaskB, kDsqGlobal, 1)
        .running(kTaskB, 1)
        .enqueue(kTaskC, dsq_local_on(2), 1)
        .insert(kTaskC, dsq_local_on(2), 1)
        .running(kTaskC, 2)
        .enqueue(kTaskD, kDsqBypass, 3)
        .insert(kTaskD, kDsqBypass, 3);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 0u);
    EXPECT_EQ(totals.dequeue(), 0u);
    expect_violations(totals, {});
    for (const TaskKey& task : {kTaskA, kTaskB, kTaskC, kTaskD})
        EXPECT_EQ(engine.state_of(task), CustodyState::OutOfCustody);
}

TEST(PairingEngine, SelectCpuInsertIntoUserDsqEntersCustody) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .insert(kTaskA, kUserDsqA, 2)
        .dequeue(kTaskA, 0, 2)
        .insert(kTaskA, kDsqLocal, 2)
        .running(kTaskA, 2);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 1u);
    EXPECT_EQ(totals.custody_enter_by(EnterPath::InsertUserDsq), 1u);
    EXPECT_EQ(totals.dequeue(), 1u);
    expect_violations(totals, {});
}

TEST(PairingEngine, InternalMigrationOutOfCustodyIsNotAFinding) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kNoDsq, 0)
        .dequeue(kTaskA, 0, 0)
        .insert(kTaskA, dsq_local_on(0), 0)
        // the kernel moves the task to another CPU's local DSQ
        .insert(kTaskA, dsq_local_on(1), 1)
        .insert(kTaskA, dsq_local_on(3), 3)
        .running(kTaskA, 3);

    expect_violations(engine.totals(), {});
    EXPECT_EQ(engine.totals().custody_enter, 1u);
    EXPECT_EQ(engine.totals().dequeue(), 1u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
}

TEST(PairingEngine, TaskExitOutOfCustodyFreesItsRecord) {
    PairingEngine engine;
    Stream(engine).attach().clean_cycle(kTaskA).exit(kTaskA).exit(kTaskB);

    expect_violations(engine.totals(), {});
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    EXPECT_FALSE(engine.state_of(kTaskA).has_value());
}

TEST(PairingEngine, PidReuseDoesNotAlias) {
    const TaskKey first{42, 1'000};
    const TaskKey second{42, 2'000};
    const TaskKey third{42, 3'000};
    PairingEngine engine;
    Stream stream(engine);
    stream.attach().enqueue(first).enqueue(second);
    // Two custody periods, not one period and a re-enqueue.
    EXPECT_EQ(engine.totals().custody_enter, 2u);
    EXPECT_EQ(engine.totals().reenqueue_in_custody, 0u);
    EXPECT_EQ(engine.tasks_in_custody(), 2u);

    stream.dequeue(first).exit(first);
    EXPECT_EQ(engine.state_of(second), CustodyState::InCustody);
    stream.dequeue(second); // not a duplicate of first's dequeue
    expect_violations(engine.totals(), {});

    stream.dequeue(second);
    // A new task with the same pid inherits nothing: its dequeue is outside custody,
    // not a duplicate of second's.
    stream.dequeue(third);
    expect_violations(engine.totals(), {{ViolationKind::DuplicateDequeue, 1},
                                        {ViolationKind::DequeueOutsideCustody, 1}});
    EXPECT_EQ(engine.totals().dequeue(), 2u);
}

TEST(PairingEngine, SchedChangeDequeueOfATaskInCustodyIsFine) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kUserDsqA)
        .insert(kTaskA, kUserDsqA)
        .dequeue(kTaskA, kSchedChangeFlags) // sched_setaffinity() while queued
        .enqueue(kTaskA)                    // the kernel re-enqueues it
        .dequeue(kTaskA)
        .insert(kTaskA, kDsqLocal)
        .running(kTaskA);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 2u);
    EXPECT_EQ(totals.dequeue_by(DequeueReason::SchedChange), 1u);
    EXPECT_EQ(totals.dequeue_by(DequeueReason::Dispatch), 1u);
    expect_violations(totals, {});
}

// ---- violations ------------------------------------------------------------------

TEST(PairingEngine, SchedChangeDequeueOfATaskOutOfCustodyIsDequeueOutsideCustody) {
    // Once a task has left custody the kernel must not call ops.dequeue for a
    // property change.
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kDsqLocal, 1)
        .insert(kTaskA, kDsqLocal, 1)
        .running(kTaskA, 1)
        .dequeue(kTaskA, kSchedChangeFlags, 1);

    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::DequeueOutsideCustody, 1}});
    EXPECT_EQ(totals.dequeue(), 0u);
    ASSERT_EQ(engine.samples().size(), 1u);
    const Finding& finding = engine.samples()[0];
    EXPECT_EQ(finding.kind, ViolationKind::DequeueOutsideCustody);
    EXPECT_EQ(finding.task, kTaskA);
    EXPECT_EQ(comm_view(finding.comm), "task-100");
    EXPECT_EQ(finding.cpu, 1u);
    EXPECT_EQ(finding.ts_ns, 1'040u);
    EXPECT_EQ(finding.flags, kSchedChangeFlags);
    EXPECT_EQ(finding.trigger, EventKind::Dequeue);
    EXPECT_EQ(finding.state_before, CustodyState::OutOfCustody);
    EXPECT_EQ(finding.scheduler, "custody_ref");
}

TEST(PairingEngine, SecondDequeueInOnePeriodIsDuplicate) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach().enqueue(kTaskA).dequeue(kTaskA).dequeue(kTaskA);
    expect_violations(engine.totals(), {{ViolationKind::DuplicateDequeue, 1}});

    // Still no custody since the counted dequeue: another one is a duplicate too.
    stream.insert(kTaskA, kDsqLocal).running(kTaskA).dequeue(kTaskA, kDeqSleep);
    expect_violations(engine.totals(), {{ViolationKind::DuplicateDequeue, 2}});

    // A new period resets it.
    stream.clean_cycle(kTaskA);
    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::DuplicateDequeue, 2}});
    EXPECT_EQ(totals.custody_enter, 2u);
    EXPECT_EQ(totals.dequeue(), 2u);
}

TEST(PairingEngine, Pattern_7_0_13_CustodyEndsWithoutDequeue) {
    // Before 7.1 a dispatch from custody to a local DSQ never calls ops.dequeue.
    PairingEngine engine;
    Stream stream(engine);
    stream.attach();
    for (int i = 0; i < 3; ++i)
        stream.enqueue(kTaskA).insert(kTaskA, kDsqLocal).running(kTaskA);

    // The second and third enqueue each close a period that got no dequeue.
    expect_violations(engine.totals(), {{ViolationKind::MissedDequeue, 2}});
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::RanWithoutDequeue);
    ASSERT_GE(engine.samples().size(), 1u);
    const Finding& first = engine.samples()[0];
    EXPECT_EQ(first.kind, ViolationKind::MissedDequeue);
    EXPECT_EQ(first.trigger, EventKind::Enqueue);
    EXPECT_EQ(first.state_before, CustodyState::RanWithoutDequeue);
    EXPECT_EQ(first.dsq_id, kDsqLocal);
    EXPECT_EQ(first.custody_enter_ts_ns, 1'010u);

    stream.advance(1'000);
    engine.finish(stream.now());
    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::MissedDequeue, 3}});
    EXPECT_EQ(totals.custody_enter, 3u);
    EXPECT_EQ(totals.dequeue(), 0u);
    ASSERT_EQ(engine.samples().size(), 3u);
    EXPECT_FALSE(engine.samples()[2].trigger.has_value());
}

TEST(PairingEngine, Pattern_7_1_13_RemoteArrivalGetsALateCoreSchedDequeue) {
    // A task on a user DSQ moved by CPU 0's dispatch to CPU 1's local DSQ: no
    // dequeue at the insert, then one at pick time flagged CORE_SCHED_EXEC on a
    // kernel without core scheduling.
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, dsq_local_on(1), 0)
        .dequeue(kTaskA, kDeqCoreSchedExec, 1)
        .running(kTaskA, 1);

    const Counters& totals = engine.totals();
    expect_violations(totals,
                      {{ViolationKind::LateDequeue, 1}, {ViolationKind::WrongDequeueFlags, 1}});
    EXPECT_EQ(totals.dequeue_by(DequeueReason::CoreSched), 1u);
    EXPECT_EQ(totals.custody_enter, 1u);
    expect_violations(engine.cpu_counters(1),
                      {{ViolationKind::LateDequeue, 1}, {ViolationKind::WrongDequeueFlags, 1}});
    expect_violations(engine.cpu_counters(0), {});

    ASSERT_EQ(engine.samples().size(), 2u);
    const Finding& late = engine.samples()[0];
    EXPECT_EQ(late.kind, ViolationKind::LateDequeue);
    EXPECT_EQ(late.state_before, CustodyState::LeftWithoutDequeue);
    EXPECT_EQ(late.dsq_id, dsq_local_on(1));
    EXPECT_EQ(late.flags, kDeqCoreSchedExec);
    EXPECT_EQ(engine.samples()[1].kind, ViolationKind::WrongDequeueFlags);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
}

TEST(PairingEngine, Pattern_7_1_13_WithCoreSchedulingOnlyTheLatenessIsWrong) {
    EngineConfig config;
    config.kernel_has_core_sched = true;
    PairingEngine engine(config);
    Stream(engine)
        .attach()
        .insert(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, dsq_local_on(1), 0)
        .dequeue(kTaskA, kDeqCoreSchedExec, 1);
    expect_violations(engine.totals(), {{ViolationKind::LateDequeue, 1}});
}

TEST(PairingEngine, DequeueAfterTheTaskRanIsLate) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, dsq_local_on(1), 0)
        .running(kTaskA, 1)
        .dequeue(kTaskA, kDeqSleep, 1);

    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::LateDequeue, 1}});
    EXPECT_EQ(totals.dequeue_by(DequeueReason::Dispatch), 1u);
    EXPECT_EQ(totals.custody_duration.count, 1u);
    ASSERT_EQ(engine.samples().size(), 1u);
    EXPECT_EQ(engine.samples()[0].state_before, CustodyState::RanWithoutDequeue);
}

TEST(PairingEngine, RemoteArrivalThatNeverGetsItsDequeueIsMissed) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .insert(kTaskA, kUserDsqA, 0)
        .insert(kTaskA, dsq_local_on(1), 0)
        .running(kTaskA, 1)
        .insert(kTaskA, kUserDsqB, 1); // next custody, from select_cpu

    expect_violations(engine.totals(), {{ViolationKind::MissedDequeue, 1}});
    EXPECT_EQ(engine.totals().custody_enter, 2u);
    EXPECT_EQ(engine.totals().custody_enter_by(EnterPath::InsertUserDsq), 2u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::InCustody);
}

TEST(PairingEngine, TaskExitInCustodyIsMissedDequeue) {
    PairingEngine engine;
    Stream(engine).attach().enqueue(kTaskA).exit(kTaskA, 2);

    expect_violations(engine.totals(), {{ViolationKind::MissedDequeue, 1}});
    ASSERT_EQ(engine.samples().size(), 1u);
    EXPECT_EQ(engine.samples()[0].trigger, EventKind::TaskExit);
    EXPECT_EQ(engine.samples()[0].state_before, CustodyState::InCustody);
    EXPECT_EQ(engine.samples()[0].cpu, 2u);
    EXPECT_EQ(engine.tracked_tasks(), 0u);
}

TEST(PairingEngine, WrongDequeueFlags) {
    PairingEngine engine;
    Stream(engine)
        .attach()
        .enqueue(kTaskA)
        .dequeue(kTaskA, 1ull << 40) // unknown sched_ext bit
        .enqueue(kTaskB)
        .dequeue(kTaskB, kDeqSchedChange | kDeqSleep) // contradictory
        .enqueue(kTaskC)
        .dequeue(kTaskC, kSchedChangeFlags); // fine

    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::WrongDequeueFlags, 2}});
    EXPECT_EQ(totals.dequeue_by(DequeueReason::Dispatch), 1u);
    EXPECT_EQ(totals.dequeue_by(DequeueReason::SchedChange), 2u);
    ASSERT_EQ(engine.samples().size(), 2u);
    EXPECT_EQ(engine.samples()[0].flags, 1ull << 40);
}

TEST(PairingEngine, KernelCustodyFlagDisagreementIsReportedOncePerPeriod) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach()
        .enqueue(kTaskA)
        .insert(kTaskA, kUserDsqA, 0, kClear) // model: in custody
        .insert(kTaskA, kUserDsqB, 0, kClear) // same period: not again
        .dequeue(kTaskA, 0, 0, kClear)        // agrees
        .insert(kTaskA, kDsqLocal, 0, kClear);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 1}});

    // At ops.dequeue the kernel is flipping the bit (7.1 clears it after the
    // callback): not judged there.
    stream.enqueue(kTaskA).insert(kTaskA, kUserDsqA, 0, kSet).dequeue(kTaskA, 0, 0, kSet);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 1}});
    // Still set once the task sits on a local DSQ after its dequeue: judged.
    stream.insert(kTaskA, kDsqLocal, 0, kSet);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 2}});
    ASSERT_EQ(engine.samples().size(), 2u);
    EXPECT_EQ(engine.samples()[1].kernel_flag, kSet);
    EXPECT_EQ(engine.samples()[1].trigger, EventKind::DsqInsert);

    // 7.1.13's remote arrival: the kernel still holds the bit on a local DSQ.
    stream.insert(kTaskB, kUserDsqA, 0, kSet).insert(kTaskB, dsq_local_on(1), 0, kSet);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 3}});

    // Unknown is never judged.
    stream.enqueue(kTaskC).insert(kTaskC, kDsqLocal, 0, kUnknown);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 3}});
}

// ---- uncertainty, unload, sections -----------------------------------------------

TEST(PairingEngine, LostEventsMakeTasksIndeterminateNotViolations) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach()
        .enqueue(kTaskA)     // in custody
        .clean_cycle(kTaskB) // out of custody
        .enqueue(kTaskC)
        .insert(kTaskC, kDsqLocal)
        .running(kTaskC) // ran without dequeue: would be missed_dequeue
        .lost(5, 2);

    EXPECT_EQ(engine.totals().lost_events, 5u);
    EXPECT_EQ(engine.totals().indeterminate, 3u);
    EXPECT_EQ(engine.cpu_counters(2).indeterminate, 3u);
    EXPECT_EQ(engine.cpu_counters(2).lost_events, 5u);
    EXPECT_EQ(engine.tasks_in_state(CustodyState::Indeterminate), 3u);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::Indeterminate);

    stream
        .dequeue(kTaskA)  // resynchronised: counted, no finding
        .enqueue(kTaskC)  // a clean period begins, no missed_dequeue
        .dequeue(kTaskB)  // its history is incomplete: no finding
        .dequeue(kTaskD); // first seen after the loss: indeterminate too
    expect_violations(engine.totals(), {});
    EXPECT_EQ(engine.totals().dequeue(), 1u + 3u);
    EXPECT_EQ(engine.state_of(kTaskC), CustodyState::InCustody);

    // Resynchronised tasks are judged again.
    stream.dequeue(kTaskD).insert(kTaskC, kDsqLocal).running(kTaskC).enqueue(kTaskC);
    expect_violations(engine.totals(),
                      {{ViolationKind::DuplicateDequeue, 1}, {ViolationKind::MissedDequeue, 1}});
    // A second loss only counts the tasks that were judged again.
    stream.lost(0, 1);
    EXPECT_EQ(engine.totals().lost_events, 6u);
    EXPECT_EQ(engine.totals().indeterminate, 3u + 4u);
}

// The global DSQ's lock is dropped before the insert's record is made: the
// task can run, sleep and enter a new custody first. That late record began
// before the new custody and must neither end it nor judge its custody bit.
TEST(PairingEngine, InsertThatBeganBeforeTheCustodyDoesNotEndIt) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach();
    const uint64_t insert_began = stream.now();
    stream
        .enqueue(kTaskA, kDsqGlobal, 1) // direct dispatch: no custody
        .running(kTaskA, 0)
        .enqueue(kTaskA, kNoDsq, 0) // a new custody, held
        .insert_begun_at(insert_began, kTaskA, kDsqGlobal, 1, kSet);

    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::InCustody);
    EXPECT_EQ(engine.totals().inserts_overtaken, 1u);
    EXPECT_EQ(engine.cpu_counters(1).inserts_overtaken, 1u);

    stream.dequeue(kTaskA, 0, 0).insert(kTaskA, dsq_local_on(0), 0, kClear).running(kTaskA, 0);
    expect_violations(engine.totals(), {});
    EXPECT_EQ(engine.totals().custody_enter, 1u);
    EXPECT_EQ(engine.totals().dequeue(), 1u);
    EXPECT_EQ(engine.totals().inserts_overtaken, 1u);

    // An insert that began after the custody did still ends it.
    stream.enqueue(kTaskA, kNoDsq, 0).insert(kTaskA, dsq_local_on(0), 0).dequeue(kTaskA, 0, 0);
    expect_violations(engine.totals(), {{ViolationKind::LateDequeue, 1}});
}

// Runs the kernel skipped belong to no CPU: the loss counts in the totals
// and still makes every task indeterminate.
TEST(PairingEngine, LossOnNoCpuCountsInTotalsOnly) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach().enqueue(kTaskA, kNoDsq, 1).lost(2, UINT32_MAX);

    EXPECT_EQ(engine.totals().lost_events, 2u);
    EXPECT_EQ(engine.totals().indeterminate, 1u);
    EXPECT_EQ(engine.cpu_counters(0).lost_events, 0u);
    EXPECT_EQ(engine.cpu_counters(1).lost_events, 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::Indeterminate);
    stream.insert(kTaskA, kDsqLocal).running(kTaskA).enqueue(kTaskA);
    expect_violations(engine.totals(), {});
}

TEST(PairingEngine, NewAttachEndsTheUncertaintyOfALoss) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach("a").lost(1).detach().attach("b").dequeue(kTaskA);
    expect_violations(engine.totals(), {{ViolationKind::DequeueOutsideCustody, 1}});
}

TEST(PairingEngine, DetachCountsAbandonedCustodyNotViolations) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach("custody_ref")
        .enqueue(kTaskA, kNoDsq, 1)
        .enqueue(kTaskB, kUserDsqA, 2)
        .insert(kTaskB, kUserDsqA, 2)
        .enqueue(kTaskC)
        .insert(kTaskC, kDsqLocal)
        .running(kTaskC) // ran without dequeue: missed
        .clean_cycle(kTaskD)
        .detach(3);

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_abandoned_at_unload, 2u);
    EXPECT_EQ(engine.cpu_counters(1).custody_abandoned_at_unload, 1u);
    EXPECT_EQ(engine.cpu_counters(2).custody_abandoned_at_unload, 1u);
    expect_violations(totals, {{ViolationKind::MissedDequeue, 1}});
    EXPECT_EQ(engine.samples().at(0).trigger, EventKind::SchedulerDetach);
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    ASSERT_EQ(engine.sections().size(), 1u);
    EXPECT_FALSE(engine.sections()[0].open);
    EXPECT_TRUE(engine.sections()[0].detach_observed);

    engine.finish(stream.now());
    EXPECT_EQ(engine.totals().in_custody_at_end, 0u);
}

TEST(PairingEngine, SchedulerWithoutDequeueRaisesNoDequeueViolations) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach("scx_simple", false)
        .enqueue(kTaskA, kUserDsqA)
        .insert(kTaskA, kUserDsqA)
        .insert(kTaskA, kDsqLocal)
        .running(kTaskA)
        .enqueue(kTaskA)
        .running(kTaskA) // leaves custody at running
        .enqueue(kTaskA)
        .insert(kTaskA, kDsqLocal)
        .running(kTaskA)
        .enqueue(kTaskB)
        .exit(kTaskB)
        .dequeue(kTaskC);
    engine.finish(stream.now());

    const Counters& totals = engine.totals();
    expect_violations(totals, {});
    EXPECT_EQ(totals.custody_enter, 4u);
    EXPECT_EQ(totals.indeterminate, 0u);
    EXPECT_EQ(totals.in_custody_at_end, 0u);
    ASSERT_EQ(engine.sections().size(), 1u);
    EXPECT_FALSE(engine.sections()[0].implements_dequeue);
    EXPECT_EQ(engine.sections()[0].name, "scx_simple");
}

TEST(PairingEngine, SchedulerWithoutDequeueStillGetsKernelFlagChecks) {
    PairingEngine engine;
    Stream(engine).attach("scx_simple", false).enqueue(kTaskA).insert(kTaskA, kUserDsqA, 0, kClear);
    expect_violations(engine.totals(), {{ViolationKind::CustodyFlagMismatch, 1}});
}

TEST(PairingEngine, AuditStartedMidRunStartsTasksIndeterminate) {
    PairingEngine engine;
    Stream stream(engine);
    // No attach seen: the first task event opens an unnamed section.
    stream.dequeue(kTaskA).enqueue(kTaskB).insert(kTaskB, kDsqLocal).running(kTaskB);
    expect_violations(engine.totals(), {});
    ASSERT_EQ(engine.sections().size(), 1u);
    EXPECT_FALSE(engine.sections()[0].attach_observed);
    EXPECT_EQ(engine.sections()[0].name, "");

    // B's custody began under observation: its missed dequeue is found.
    stream.enqueue(kTaskB).detach(0, "scx_lavd");
    expect_violations(engine.totals(), {{ViolationKind::MissedDequeue, 1}});
    EXPECT_EQ(engine.sections()[0].name, "scx_lavd");
    EXPECT_EQ(engine.totals().custody_abandoned_at_unload, 1u);
}

TEST(PairingEngine, RunningAndExitOfUnknownTasksCreateNothing) {
    PairingEngine engine;
    Stream(engine).running(kTaskA).exit(kTaskB).detach();
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    EXPECT_TRUE(engine.sections().empty());
    EXPECT_EQ(engine.events(EventKind::Running), 1u);
    EXPECT_EQ(engine.events(EventKind::TaskExit), 1u);
}

TEST(PairingEngine, SchedulerAttachedBeforeAuditHasANamedUncertainSection) {
    PairingEngine engine;
    Stream(engine).attach_before_audit("scx_rusty").dequeue(kTaskA).dequeue(kTaskA);
    // The first dequeue resynchronises, the second is a duplicate.
    expect_violations(engine.totals(), {{ViolationKind::DuplicateDequeue, 1}});
    ASSERT_EQ(engine.sections().size(), 1u);
    EXPECT_EQ(engine.sections()[0].name, "scx_rusty");
    EXPECT_FALSE(engine.sections()[0].attach_observed);
}

TEST(PairingEngine, EachSchedulerGetsItsOwnSection) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach("first").clean_cycle(kTaskA).enqueue(kTaskB).detach();
    stream.attach("second")
        .dequeue(kTaskA) // A's history belongs to "first": outside custody here
        .enqueue(kTaskC)
        .insert(kTaskC, kDsqLocal)
        .running(kTaskC)
        .enqueue(kTaskC)
        .detach();
    stream.attach("third", false)
        .enqueue(kTaskD)
        .insert(kTaskD, kDsqLocal)
        .running(kTaskD)
        .enqueue(kTaskD);
    engine.finish(stream.now());

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 3u);
    EXPECT_EQ(sections[0].name, "first");
    EXPECT_EQ(sections[0].counts.custody_enter, 2u);
    EXPECT_EQ(sections[0].counts.dequeue(), 1u);
    EXPECT_EQ(sections[0].counts.custody_abandoned_at_unload, 1u);
    expect_violations(sections[0].counts, {});

    EXPECT_EQ(sections[1].name, "second");
    EXPECT_EQ(sections[1].counts.custody_enter, 2u);
    EXPECT_EQ(sections[1].counts.custody_abandoned_at_unload, 1u);
    expect_violations(sections[1].counts, {{ViolationKind::MissedDequeue, 1},
                                           {ViolationKind::DequeueOutsideCustody, 1}});

    EXPECT_EQ(sections[2].name, "third");
    EXPECT_FALSE(sections[2].implements_dequeue);
    EXPECT_TRUE(sections[2].attach_observed);
    EXPECT_FALSE(sections[2].detach_observed);
    EXPECT_FALSE(sections[2].open);
    EXPECT_EQ(sections[2].counts.custody_enter, 2u);
    EXPECT_EQ(sections[2].counts.in_custody_at_end, 1u);
    expect_violations(sections[2].counts, {});

    EXPECT_EQ(sum_sections(engine), engine.totals());
    EXPECT_EQ(sum_per_cpu(engine), engine.totals());
}

TEST(PairingEngine, AttachWhileASectionIsOpenClosesIt) {
    PairingEngine engine;
    Stream(engine).attach("a").enqueue(kTaskA).attach("b").dequeue(kTaskA);

    ASSERT_EQ(engine.sections().size(), 2u);
    EXPECT_FALSE(engine.sections()[0].open);
    EXPECT_FALSE(engine.sections()[0].detach_observed);
    EXPECT_EQ(engine.sections()[0].counts.custody_abandoned_at_unload, 1u);
    EXPECT_TRUE(engine.sections()[1].open);
    expect_violations(engine.sections()[1].counts, {{ViolationKind::DequeueOutsideCustody, 1}});
}

// ---- finish, memory, attribution, samples ------------------------------------------

TEST(PairingEngine, FinishJudgesWhatCertainlyEnded) {
    PairingEngine engine;
    Stream stream(engine);
    stream.attach()
        .enqueue(kTaskA, kNoDsq, 1) // in custody: counted at the end
        .enqueue(kTaskB)
        .insert(kTaskB, kDsqLocal, 2) // left without dequeue: may still get one
        .enqueue(kTaskC)
        .insert(kTaskC, kDsqLocal, 3)
        .running(kTaskC, 3) // ran without dequeue: certainly missed
        .clean_cycle(kTaskD);
    const uint64_t end_ts = stream.now() + 500;
    engine.finish(end_ts);

    const Counters totals = engine.totals();
    expect_violations(totals, {{ViolationKind::MissedDequeue, 1}});
    EXPECT_EQ(totals.indeterminate, 1u);
    EXPECT_EQ(totals.in_custody_at_end, 1u);
    EXPECT_EQ(engine.cpu_counters(1).in_custody_at_end, 1u);
    EXPECT_EQ(engine.cpu_counters(2).indeterminate, 1u);
    EXPECT_EQ(engine.cpu_counters(3).violation(ViolationKind::MissedDequeue), 1u);
    ASSERT_EQ(engine.samples().size(), 1u);
    EXPECT_EQ(engine.samples()[0].task, kTaskC);
    EXPECT_EQ(engine.samples()[0].ts_ns, end_ts);
    EXPECT_FALSE(engine.samples()[0].trigger.has_value());
    EXPECT_TRUE(engine.finished());
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    ASSERT_EQ(engine.sections().size(), 1u);
    EXPECT_FALSE(engine.sections()[0].open);
    EXPECT_EQ(engine.sections()[0].end_ts_ns, end_ts);

    // Idempotent, and the engine is closed to later events.
    engine.finish(end_ts + 100);
    stream.dequeue(kTaskA).enqueue(kTaskB);
    EXPECT_EQ(engine.totals(), totals);
    EXPECT_EQ(engine.events(EventKind::Dequeue), 1u);
}

TEST(PairingEngine, EvictsAtTheCapAndTreatsEvictedTasksAsIndeterminate) {
    EngineConfig config;
    config.max_tracked_tasks = 2;
    PairingEngine engine(config);
    Stream stream(engine);
    stream.attach().enqueue(kTaskA).enqueue(kTaskB).enqueue(kTaskC);
    EXPECT_EQ(engine.totals().evicted, 1u);
    EXPECT_EQ(engine.tracked_tasks(), 2u);
    EXPECT_FALSE(engine.state_of(kTaskA).has_value());
    EXPECT_EQ(engine.tasks_in_custody(), 2u);

    // A comes back: its history is gone, so no dequeue_outside_custody.
    stream.dequeue(kTaskA);
    EXPECT_EQ(engine.totals().evicted, 2u); // B made room
    expect_violations(engine.totals(), {});

    // Clean cycles are still judged.
    stream.enqueue(kTaskD).insert(kTaskD, kDsqLocal).running(kTaskD);
    EXPECT_EQ(engine.totals().evicted, 3u); // C made room
    engine.finish(stream.now());

    const Counters& totals = engine.totals();
    expect_violations(totals, {{ViolationKind::MissedDequeue, 1}});
    EXPECT_EQ(totals.custody_enter, 4u);
    EXPECT_EQ(totals.dequeue(), 1u);
    EXPECT_EQ(totals.in_custody_at_end, 0u);
}

TEST(PairingEngine, AttributesCountsToTheCpuOfTheProvingEvent) {
    EngineConfig config;
    config.max_cpus = 4;
    PairingEngine engine(config);
    Stream(engine)
        .attach()
        .enqueue(kTaskA, kNoDsq, 0)
        .dequeue(kTaskA, 0, 1)
        .insert(kTaskA, dsq_local_on(1), 1)
        .enqueue(kTaskB, kNoDsq, 2)
        .insert(kTaskB, kDsqLocal, 2)
        .running(kTaskB, 2)
        .enqueue(kTaskB, kNoDsq, 3)
        .enqueue(kTaskC, kNoDsq, 7); // beyond max_cpus: totals only

    ASSERT_EQ(engine.per_cpu().size(), 4u);
    EXPECT_EQ(engine.cpu_counters(0).custody_enter, 1u);
    EXPECT_EQ(engine.cpu_counters(1).dequeue(), 1u);
    EXPECT_EQ(engine.cpu_counters(1).custody_duration.count, 1u);
    EXPECT_EQ(engine.cpu_counters(2).custody_enter, 1u);
    EXPECT_EQ(engine.cpu_counters(3).custody_enter, 1u);
    expect_violations(engine.cpu_counters(3), {{ViolationKind::MissedDequeue, 1}});
    expect_violations(engine.cpu_counters(2), {});
    EXPECT_EQ(engine.cpu_counters(7).custody_enter, 0u);
    EXPECT_EQ(engine.unattributed_events(), 1u);
    EXPECT_EQ(engine.totals().custody_enter, 4u);
    EXPECT_EQ(sum_per_cpu(engine).custody_enter, 3u);
}

TEST(PairingEngine, KeepsTheFirstSamplesAndCountsAll) {
    EngineConfig config;
    config.max_samples = 5;
    PairingEngine engine(config);
    Stream stream(engine);
    stream.attach();
    for (uint32_t i = 0; i < 30; ++i)
        stream.dequeue(TaskKey{1'000 + i, 77}, 0, i % 4);

    expect_violations(engine.totals(), {{ViolationKind::DequeueOutsideCustody, 30}});
    EXPECT_EQ(engine.findings_total(), 30u);
    ASSERT_EQ(engine.samples().size(), 5u);
    for (uint32_t i = 0; i < 5; ++i) {
        const Finding& finding = engine.samples()[i];
        EXPECT_EQ(finding.task.pid, 1'000 + i);
        EXPECT_EQ(comm_view(finding.comm), "task-" + std::to_string(1'000 + i));
        EXPECT_EQ(finding.cpu, i % 4);
        EXPECT_EQ(finding.ts_ns, 1'010 + 10 * i);
    }
}

TEST(PairingEngine, IgnoresMalformedEvents) {
    PairingEngine engine;
    Event bogus;
    bogus.kind = static_cast<EventKind>(200);
    engine.process(bogus);
    Stream(engine).attach().insert(kTaskA, kNoDsq);
    EXPECT_EQ(engine.malformed_events(), 2u);
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    expect_violations(engine.totals(), {});
}

// ---- observer ----------------------------------------------------------------------

class RecordingObserver : public EngineObserver {
  public:
    void on_scheduler_attach(const SchedulerSection& section) override {
        attached.push_back(section.name);
    }
    void on_scheduler_detach(const SchedulerSection& section) override {
        detached.push_back(section.name);
    }
    void on_custody_enter(uint32_t, EnterPath path) override { ++enters[to_index(path)]; }
    void on_reenqueue_in_custody(uint32_t) override { ++reenqueues; }
    void on_dequeue(uint32_t, DequeueReason reason) override { ++dequeues[to_index(reason)]; }
    void on_custody_duration(uint32_t, uint64_t duration_ns) override {
        durations.push_back(duration_ns);
    }
    void on_finding(const Finding& finding) override { findings.push_back(finding.kind); }
    void on_indeterminate(uint32_t, uint64_t tasks) override { indeterminate += tasks; }
    void on_custody_abandoned_at_unload(uint32_t, uint64_t tasks) override { abandoned += tasks; }
    void on_lost_events(uint32_t, uint64_t count) override { lost += count; }
    void on_evicted(uint32_t) override { ++evicted; }
    void on_in_custody_at_end(uint32_t, uint64_t tasks) override { in_custody_at_end += tasks; }
    void on_tasks_in_custody(uint64_t tasks) override { in_custody.push_back(tasks); }

    std::vector<std::string> attached, detached;
    std::array<uint64_t, kEnterPathCount> enters{};
    std::array<uint64_t, kDequeueReasonCount> dequeues{};
    uint64_t reenqueues = 0, indeterminate = 0, abandoned = 0, lost = 0, evicted = 0;
    uint64_t in_custody_at_end = 0;
    std::vector<uint64_t> durations, in_custody;
    std::vector<ViolationKind> findings;
};

TEST(PairingEngine, ObserverSeesEverythingLive) {
    RecordingObserver observer;
    EngineConfig config;
    config.max_tracked_tasks = 3;
    PairingEngine engine(config, &observer);
    Stream stream(engine);
    stream.attach("one")
        .enqueue(kTaskA)
        .enqueue(kTaskA, kNoDsq, 0, kEnqReenq)
        .advance(90)
        .dequeue(kTaskA, kSchedChangeFlags)
        .insert(kTaskB, kUserDsqA)
        .dequeue(kTaskC)
        .enqueue(kTaskD) // evicts A
        .detach()
        .attach("two")
        .enqueue(kTaskA, kUserDsqA)
        .insert(kTaskA, kUserDsqA)
        .lost(4)
        .enqueue(kTaskB);
    engine.finish(stream.now());

    EXPECT_EQ(observer.attached, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(observer.detached, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(observer.enters[to_index(EnterPath::EnqueueHeld)], 3u);
    EXPECT_EQ(observer.enters[to_index(EnterPath::EnqueueUserDsq)], 1u);
    EXPECT_EQ(observer.enters[to_index(EnterPath::InsertUserDsq)], 1u);
    EXPECT_EQ(observer.reenqueues, 1u);
    EXPECT_EQ(observer.dequeues[to_index(DequeueReason::SchedChange)], 1u);
    EXPECT_EQ(observer.durations, (std::vector<uint64_t>{110u}));
    EXPECT_EQ(observer.findings,
              (std::vector<ViolationKind>{ViolationKind::DequeueOutsideCustody}));
    EXPECT_EQ(observer.evicted, 1u);
    EXPECT_EQ(observer.abandoned, 2u); // B and D at the first detach
    EXPECT_EQ(observer.lost, 4u);
    EXPECT_EQ(observer.indeterminate, 1u);
    EXPECT_EQ(observer.in_custody_at_end, 1u);
    EXPECT_EQ(observer.in_custody, (std::vector<uint64_t>{1, 0, 1, 2, 0, 1, 0, 1, 0}));

    const Counters& totals = engine.totals();
    EXPECT_EQ(totals.custody_enter, 5u);
    EXPECT_EQ(totals.evicted, 1u);
    EXPECT_EQ(totals.custody_abandoned_at_unload, 2u);
}

// ---- generated streams ----------------------------------------------------------------
// test_support::ScenarioStream (shared with the Prometheus feed tool): scripted
// custody cycles of many tasks on several CPUs, interleaved in time, with the
// counts the engine must arrive at.

struct GeneratedRun {
    test_support::ScenarioCounts expected;
    uint64_t events = 0;
};

// Attaches, then runs `ticks` windows of `per_tick` scenarios each and drains.
GeneratedRun run_generated(PairingEngine& engine, const test_support::ScenarioOptions& options,
                           unsigned ticks = 500, unsigned per_tick = 40) {
    GeneratedRun run;
    test_support::ScenarioStream stream(
        [&](const Event& event) {
            ++run.events;
            engine.process(event);
        },
        options);
    constexpr uint64_t kTick = 100'000'000;
    stream.attach(1);
    for (unsigned tick = 0; tick < ticks; ++tick)
        stream.tick(2 + tick * kTick, kTick - 2, per_tick);
    stream.drain(~0ull);
    run.expected = stream.expected();
    return run;
}

class GeneratedStream : public ::testing::TestWithParam<uint64_t> {};

TEST_P(GeneratedStream, ValidStreamHasNoViolationsAndBalancedCounts) {
    EngineConfig config;
    config.kernel_has_core_sched = true;
    PairingEngine engine(config);
    test_support::ScenarioOptions options;
    options.seed = GetParam();
    options.violation_every = 0;
    options.kernel_has_core_sched = true;
    const GeneratedRun run = run_generated(engine, options);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    engine.finish(~0ull);

    const Counters& totals = engine.totals();
    expect_violations(totals, {});
    EXPECT_EQ(totals.indeterminate, 0u);
    EXPECT_EQ(totals.custody_enter_by_path, run.expected.enters);
    EXPECT_EQ(totals.dequeue_by_reason, run.expected.dequeues);
    EXPECT_EQ(totals.reenqueue_in_custody, run.expected.reenqueues);
    EXPECT_EQ(totals.in_custody_at_end, 0u);
    EXPECT_EQ(totals.custody_enter, totals.dequeue());
    EXPECT_EQ(totals.custody_duration.count, totals.dequeue());
    EXPECT_GT(totals.custody_enter, run.events / 10);
    EXPECT_GT(totals.dequeue_by(DequeueReason::SchedChange), 0u);
    EXPECT_GT(totals.dequeue_by(DequeueReason::CoreSched), 0u);
    EXPECT_GT(totals.reenqueue_in_custody, 0u);
    EXPECT_EQ(engine.malformed_events(), 0u);
    EXPECT_EQ(sum_per_cpu(engine), totals);
    EXPECT_EQ(sum_sections(engine), totals);
    EXPECT_EQ(engine.per_cpu().size(), options.cpus);
}

TEST_P(GeneratedStream, EveryInjectedViolationIsFoundExactly) {
    PairingEngine engine;
    test_support::ScenarioOptions options;
    options.seed = GetParam();
    options.violation_every = 7;
    const GeneratedRun run = run_generated(engine, options);
    engine.finish(~0ull);

    const Counters& totals = engine.totals();
    for (ViolationKind kind : kAllViolationKinds) {
        EXPECT_GT(run.expected.violations[to_index(kind)], 0u) << to_string(kind);
        EXPECT_EQ(totals.violation(kind), run.expected.violations[to_index(kind)])
            << to_string(kind);
    }
    EXPECT_EQ(totals.indeterminate, 0u);
    EXPECT_EQ(totals.dequeue_by_reason, run.expected.dequeues);
    EXPECT_EQ(totals.custody_enter_by_path, run.expected.enters);
    EXPECT_EQ(sum_per_cpu(engine), totals);
}

TEST(GeneratedStreamCap, SmallTableStaysBoundedAndRaisesNoFalseFinding) {
    EngineConfig config;
    config.max_tracked_tasks = 64;
    config.kernel_has_core_sched = true;
    PairingEngine engine(config);
    test_support::ScenarioOptions options;
    options.seed = 99;
    options.tasks = 256;
    options.violation_every = 0;
    options.kernel_has_core_sched = true;
    const GeneratedRun run = run_generated(engine, options, 200, 100);
    EXPECT_LE(engine.tracked_tasks(), 64u);
    engine.finish(~0ull);

    const Counters& totals = engine.totals();
    EXPECT_GT(totals.evicted, 0u);
    expect_violations(totals, {});
    // Dequeues are counted whether or not the task's record survived.
    EXPECT_EQ(totals.dequeue_by_reason, run.expected.dequeues);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GeneratedStream, ::testing::Values(1u, 7u, 20261126u));

} // namespace
} // namespace scx_custody::pairing
