// Unit tests of the pairing engine's sub-scheduler tree: several sections open at
// once, keyed by Event::owner, with hand-overs between them (see "Sections and
// uncertainty" in pairing_engine.h and docs/SUBSCHEDULERS.md).
#include "pairing/pairing_engine.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "pairing/kinds.h"
#include "pairing/scx_constants.h"

namespace scx_custody::pairing {
namespace {

constexpr TaskKey kTaskA{100, 5'000};
constexpr TaskKey kTaskB{200, 6'000};
constexpr TaskKey kTaskC{300, 7'000};
constexpr TaskKey kTaskD{400, 8'000};

// A sub-scheduler attached to the cgroup whose id is 28 (sysfs root/sub/sub-28).
constexpr uint32_t kSubOwner = 28;
constexpr uint32_t kRootInstance = 10;
constexpr uint32_t kSubInstance = 11;
constexpr const char* kRootName = "scx_root";
constexpr const char* kSubName = "scx_qmap";
constexpr const char* kSubPath = "root/sub/sub-28";

// What dequeue_task_scx() passes on a property change (a hand-over is one):
// SCHED_CHANGE plus the core flags DEQUEUE_SAVE | DEQUEUE_MOVE | DEQUEUE_NOCLOCK.
constexpr uint64_t kSchedChangeFlags =
    kDeqSchedChange | kCoreDequeueSave | kCoreDequeueMove | kCoreDequeueNoclock;

// Feeds an engine; timestamps grow by 10 ns per event. Every task event names
// its owner (kOwnerUnknown: no opinion).
class TreeStream {
  public:
    explicit TreeStream(PairingEngine& engine, uint64_t start_ts_ns = 1'000)
        : engine_(engine), ts_ns_(start_ts_ns) {}

    uint64_t now() const { return ts_ns_; }

    TreeStream& root_attach(uint32_t instance_id = kRootInstance, uint32_t owner = kRootOwner,
                            const std::string& name = kRootName) {
        Event event = base(EventKind::SchedulerAttach, TaskKey{}, 0);
        event.sched_name = name;
        event.instance_id = instance_id;
        event.owner = owner;
        event.tree_path = "root";
        return feed(event);
    }
    TreeStream& sub_attach(uint32_t owner = kSubOwner, uint32_t instance_id = kSubInstance,
                           const std::string& name = kSubName,
                           const std::string& tree_path = kSubPath, bool traced = true) {
        Event event = base(EventKind::SchedulerAttach, TaskKey{}, 0);
        event.sched_name = name;
        event.instance_id = instance_id;
        event.owner = owner;
        event.tree_path = tree_path;
        event.traced = traced;
        return feed(event);
    }
    TreeStream& detach(uint32_t instance_id, uint32_t owner = kOwnerUnknown,
                       const std::string& name = "") {
        Event event = base(EventKind::SchedulerDetach, TaskKey{}, 0);
        event.instance_id = instance_id;
        event.owner = owner;
        event.sched_name = name;
        return feed(event);
    }
    TreeStream& enqueue(const TaskKey& task, uint32_t owner, uint64_t dsq_id = kNoDsq,
                        uint32_t cpu = 0) {
        Event event = base(EventKind::Enqueue, task, cpu);
        event.owner = owner;
        event.dsq_id = dsq_id;
        return feed(event);
    }
    TreeStream& insert(const TaskKey& task, uint32_t owner, uint64_t dsq_id, uint32_t cpu = 0) {
        Event event = base(EventKind::DsqInsert, task, cpu);
        event.owner = owner;
        event.dsq_id = dsq_id;
        return feed(event);
    }
    TreeStream& dequeue(const TaskKey& task, uint32_t owner, uint64_t deq_flags = 0,
                        uint32_t cpu = 0) {
        Event event = base(EventKind::Dequeue, task, cpu);
        event.owner = owner;
        event.flags = deq_flags;
        return feed(event);
    }
    TreeStream& running(const TaskKey& task, uint32_t owner, uint32_t cpu = 0) {
        Event event = base(EventKind::Running, task, cpu);
        event.owner = owner;
        return feed(event);
    }
    TreeStream& exit(const TaskKey& task, uint32_t owner, uint32_t cpu = 0) {
        Event event = base(EventKind::TaskExit, task, cpu);
        event.owner = owner;
        return feed(event);
    }
    TreeStream& lost(uint64_t count, uint32_t cpu = 0) {
        Event event = base(EventKind::Lost, TaskKey{}, cpu);
        event.count = count;
        return feed(event);
    }

  private:
    Event base(EventKind kind, const TaskKey& task, uint32_t cpu) {
        Event event;
        event.kind = kind;
        event.ts_ns = ts_ns_;
        event.cpu = cpu;
        event.task = task;
        if (task.pid != 0)
            event.comm = make_comm("task-" + std::to_string(task.pid));
        ts_ns_ += 10;
        return event;
    }
    TreeStream& feed(const Event& event) {
        engine_.process(event);
        return *this;
    }

    PairingEngine& engine_;
    uint64_t ts_ns_;
};

using ViolationCounts = std::map<ViolationKind, uint64_t>;

// Every field of a Counters value, exactly (the durations by count).
struct Want {
    uint64_t enter_held = 0;
    uint64_t enter_user_dsq = 0;
    uint64_t enter_insert = 0;
    uint64_t reenqueue_in_custody = 0;
    uint64_t dispatch = 0;
    uint64_t sched_change = 0;
    uint64_t core_sched = 0;
    ViolationCounts violations{};
    uint64_t indeterminate = 0;
    uint64_t abandoned = 0;
    uint64_t lost_events = 0;
    uint64_t in_custody_at_end = 0;
    uint64_t dequeue_after_indeterminate = 0;
    uint64_t durations = 0;
};

void expect_counts(const Counters& got, const Want& want, const std::string& where) {
    SCOPED_TRACE(where);
    EXPECT_EQ(got.custody_enter, want.enter_held + want.enter_user_dsq + want.enter_insert);
    EXPECT_EQ(got.custody_enter_by(EnterPath::EnqueueHeld), want.enter_held);
    EXPECT_EQ(got.custody_enter_by(EnterPath::EnqueueUserDsq), want.enter_user_dsq);
    EXPECT_EQ(got.custody_enter_by(EnterPath::InsertUserDsq), want.enter_insert);
    EXPECT_EQ(got.reenqueue_in_custody, want.reenqueue_in_custody);
    EXPECT_EQ(got.kernel_reenqueues, 0u);
    EXPECT_EQ(got.inserts_overtaken, 0u);
    EXPECT_EQ(got.dequeue_by(DequeueReason::Dispatch), want.dispatch);
    EXPECT_EQ(got.dequeue_by(DequeueReason::SchedChange), want.sched_change);
    EXPECT_EQ(got.dequeue_by(DequeueReason::CoreSched), want.core_sched);
    for (ViolationKind kind : kAllViolationKinds) {
        const auto found = want.violations.find(kind);
        const uint64_t expected = found == want.violations.end() ? 0 : found->second;
        EXPECT_EQ(got.violation(kind), expected) << to_string(kind);
    }
    EXPECT_EQ(got.indeterminate, want.indeterminate);
    EXPECT_EQ(got.custody_abandoned_at_unload, want.abandoned);
    EXPECT_EQ(got.lost_events, want.lost_events);
    EXPECT_EQ(got.evicted, 0u);
    EXPECT_EQ(got.in_custody_at_end, want.in_custody_at_end);
    EXPECT_EQ(got.dequeue_after_indeterminate, want.dequeue_after_indeterminate);
    EXPECT_EQ(got.custody_duration.count, want.durations);
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

// Every count went to exactly one section and one CPU.
void expect_books_balance(const PairingEngine& engine) {
    EXPECT_EQ(sum_sections(engine), engine.totals());
    EXPECT_EQ(sum_per_cpu(engine), engine.totals());
}

void expect_open_sub(const SchedulerSection& sub) {
    EXPECT_EQ(sub.name, kSubName);
    EXPECT_EQ(sub.owner, kSubOwner);
    EXPECT_EQ(sub.tree_path, kSubPath);
    EXPECT_EQ(sub.instance_id, kSubInstance);
    EXPECT_TRUE(sub.attach_observed);
    EXPECT_TRUE(sub.open);
    EXPECT_FALSE(sub.detach_observed);
}

// ---- 1. several sections open at once ------------------------------------------

TEST(SubschedulerSections, RootAndSubAreOpenAtOnceAndCountTheirOwnTasks) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream
        .root_attach()                          // 1000
        .sub_attach()                           // 1010
        .enqueue(kTaskA, kRootOwner, kNoDsq, 0) // 1020
        .enqueue(kTaskB, kSubOwner, kNoDsq, 1)  // 1030
        .dequeue(kTaskA, kRootOwner, 0, 0)      // 1040
        .dequeue(kTaskB, kSubOwner, 0, 1)       // 1050
        .insert(kTaskA, kRootOwner, dsq_local_on(0), 0)
        .insert(kTaskB, kSubOwner, dsq_local_on(1), 1)
        .running(kTaskA, kRootOwner, 0)
        .running(kTaskB, kSubOwner, 1);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    const SchedulerSection& root = sections[0];
    EXPECT_EQ(root.name, kRootName);
    EXPECT_EQ(root.owner, kRootOwner);
    EXPECT_EQ(root.tree_path, "root");
    EXPECT_EQ(root.instance_id, kRootInstance);
    EXPECT_TRUE(root.attach_observed);
    EXPECT_TRUE(root.open);
    EXPECT_FALSE(root.detach_observed);
    EXPECT_EQ(root.begin_ts_ns, 1'000u);
    EXPECT_EQ(root.first_enter_ts_ns, 1'020u);
    EXPECT_EQ(root.tasks_handed_in, 0u);
    EXPECT_EQ(root.tasks_handed_out, 0u);
    expect_counts(root.counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "root");
    EXPECT_EQ(root.counts.custody_duration.sum_ns, 20u);

    const SchedulerSection& sub = sections[1];
    expect_open_sub(sub);
    EXPECT_EQ(sub.begin_ts_ns, 1'010u);
    EXPECT_EQ(sub.first_enter_ts_ns, 1'030u);
    EXPECT_EQ(sub.tasks_handed_in, 0u);
    EXPECT_EQ(sub.tasks_handed_out, 0u);
    expect_counts(sub.counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "sub");
    EXPECT_EQ(sub.counts.custody_duration.sum_ns, 20u);

    expect_counts(engine.totals(), {.enter_held = 2, .dispatch = 2, .durations = 2}, "totals");
    EXPECT_EQ(engine.cpu_counters(0).custody_enter, 1u);
    EXPECT_EQ(engine.cpu_counters(1).custody_enter, 1u);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
    EXPECT_EQ(engine.state_of(kTaskB), CustodyState::OutOfCustody);
    expect_books_balance(engine);
}

// ---- 2. hand-overs -----------------------------------------------------------------

TEST(SubschedulerSections, ProperHandOverIsCleanAndCountedOnBothSides) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        // The kernel's dequeue from the old instance, still named as owner.
        .dequeue(kTaskA, kRootOwner, kSchedChangeFlags)
        // The new instance's enqueue: its own custody begins.
        .enqueue(kTaskA, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::InCustody);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[0].tasks_handed_in, 0u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    EXPECT_EQ(sections[1].tasks_handed_out, 0u);
    expect_counts(sections[0].counts, {.enter_held = 1, .sched_change = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1}, "sub");
    expect_books_balance(engine);

    // And back to the root the same way.
    stream.dequeue(kTaskA, kSubOwner, kSchedChangeFlags)
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kRootOwner);

    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[0].tasks_handed_in, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    EXPECT_EQ(sections[1].tasks_handed_out, 1u);
    expect_counts(sections[0].counts,
                  {.enter_held = 2, .dispatch = 1, .sched_change = 1, .durations = 2}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1, .sched_change = 1, .durations = 1}, "sub");
    expect_counts(engine.totals(),
                  {.enter_held = 3, .dispatch = 1, .sched_change = 2, .durations = 3}, "totals");
    expect_books_balance(engine);
}

TEST(SubschedulerSections, HandOverWithoutTheOldDequeueIsMissedInTheOldSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner, kNoDsq, 2) // 1020
        .enqueue(kTaskA, kSubOwner, kNoDsq, 3); // 1030: no dequeue from the root

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    expect_counts(sections[0].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1}, "sub");
    EXPECT_EQ(sections[1].first_enter_ts_ns, 1'030u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::InCustody);
    // The finding is proved by the new owner's event, on its CPU.
    EXPECT_EQ(engine.cpu_counters(3).violation(ViolationKind::MissedDequeue), 1u);
    ASSERT_EQ(engine.samples().size(), 1u);
    const Finding& finding = engine.samples()[0];
    EXPECT_EQ(finding.kind, ViolationKind::MissedDequeue);
    EXPECT_EQ(finding.task, kTaskA);
    EXPECT_EQ(finding.trigger, EventKind::Enqueue);
    EXPECT_EQ(finding.state_before, CustodyState::InCustody);
    EXPECT_EQ(finding.custody_enter_ts_ns, 1'020u);
    EXPECT_EQ(finding.section, 0u);
    EXPECT_EQ(finding.scheduler, kRootName);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, HandOverAfterTheOldCustodyRanWithoutDequeueIsMissed) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .insert(kTaskA, kRootOwner, kDsqLocal) // Left
        .running(kTaskA, kRootOwner)           // Ran
        .enqueue(kTaskA, kSubOwner)
        .dequeue(kTaskA, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    expect_counts(sections[0].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "sub");
    ASSERT_EQ(engine.samples().size(), 1u);
    EXPECT_EQ(engine.samples()[0].state_before, CustodyState::RanWithoutDequeue);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, HandOverOfATaskOutOfCustodyNeedsNoDequeue) {
    PairingEngine engine;
    TreeStream stream(engine);
    // Dispatched and running under the root when it moves: no dequeue from either.
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kRootOwner)
        .insert(kTaskA, kRootOwner, kDsqLocal)
        .running(kTaskA, kRootOwner)
        .enqueue(kTaskA, kSubOwner)
        .dequeue(kTaskA, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    expect_counts(sections[0].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "sub");
    expect_books_balance(engine);
}

TEST(SubschedulerSections, RunningUnderTheNewOwnerIsAHandOverToo) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .running(kTaskA, kSubOwner)  // moved without the root's dequeue
        .dequeue(kTaskA, kSubOwner); // nothing of the sub's to end

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    expect_counts(sections[0].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "root");
    expect_counts(sections[1].counts, {.violations = {{ViolationKind::DequeueOutsideCustody, 1}}},
                  "sub");
    ASSERT_EQ(engine.samples().size(), 2u);
    EXPECT_EQ(engine.samples()[0].trigger, EventKind::Running);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, DequeueFromTheNewOwnerForTheOldCustody) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kSubOwner); // the sub-scheduler was never given custody

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    expect_counts(sections[0].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "root");
    expect_counts(sections[1].counts, {.violations = {{ViolationKind::DequeueOutsideCustody, 1}}},
                  "sub");
    expect_counts(engine.totals(),
                  {.enter_held = 1,
                   .violations = {{ViolationKind::MissedDequeue, 1},
                                  {ViolationKind::DequeueOutsideCustody, 1}}},
                  "totals");
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
    ASSERT_EQ(engine.samples().size(), 2u);
    EXPECT_EQ(engine.samples()[0].kind, ViolationKind::MissedDequeue);
    EXPECT_EQ(engine.samples()[0].section, 0u);
    EXPECT_EQ(engine.samples()[1].kind, ViolationKind::DequeueOutsideCustody);
    EXPECT_EQ(engine.samples()[1].section, 1u);
    EXPECT_EQ(engine.samples()[1].scheduler, kSubName);
    expect_books_balance(engine);
}

// ---- 5. owner unknown, TaskExit ------------------------------------------------------

TEST(SubschedulerSections, UnknownOwnerEventsStayInTheTasksSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kRootOwner, kSchedChangeFlags)
        .enqueue(kTaskA, kSubOwner)      // now in the sub's custody
        .dequeue(kTaskA, kOwnerUnknown)  // judged in the sub: a clean dequeue
        .enqueue(kTaskA, kOwnerUnknown)  // a new custody in the sub
        .running(kTaskA, kOwnerUnknown)  // Ran, in the sub
        .dequeue(kTaskA, kOwnerUnknown); // late, in the sub

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[0].tasks_handed_in, 0u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    EXPECT_EQ(sections[1].tasks_handed_out, 0u);
    expect_counts(sections[0].counts, {.enter_held = 1, .sched_change = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts,
                  {.enter_held = 2,
                   .dispatch = 2,
                   .violations = {{ViolationKind::LateDequeue, 1}},
                   .durations = 2},
                  "sub");
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, NewTaskOfUnknownOwnerGoesToTheRoot) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kOwnerUnknown)
        .dequeue(kTaskA, kOwnerUnknown)
        .dequeue(kTaskA, kOwnerUnknown);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    expect_counts(sections[0].counts,
                  {.enter_held = 1,
                   .dispatch = 1,
                   .violations = {{ViolationKind::DuplicateDequeue, 1}},
                   .durations = 1},
                  "root");
    expect_counts(sections[1].counts, {}, "sub");
    expect_books_balance(engine);
}

TEST(SubschedulerSections, TaskExitNamesNoOwnerAndIsJudgedInTheTasksSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kRootOwner, kSchedChangeFlags)
        .enqueue(kTaskA, kSubOwner) // In, in the sub
        .exit(kTaskA, kRootOwner);  // its owner field is no hand-over

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[0].tasks_handed_in, 0u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    EXPECT_EQ(sections[1].tasks_handed_out, 0u);
    expect_counts(sections[0].counts, {.enter_held = 1, .sched_change = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "sub");
    ASSERT_EQ(engine.samples().size(), 1u);
    EXPECT_EQ(engine.samples()[0].trigger, EventKind::TaskExit);
    EXPECT_EQ(engine.samples()[0].section, 1u);
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    EXPECT_FALSE(engine.state_of(kTaskA).has_value());
    expect_books_balance(engine);
}

// ---- 6. sub detach ----------------------------------------------------------------

TEST(SubschedulerSections, SubDetachClosesOnlyItsOwnSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner) // In, root
        .enqueue(kTaskB, kSubOwner)  // In, sub: its disable owed it a dequeue
        .enqueue(kTaskC, kSubOwner)
        .dequeue(kTaskC, kSubOwner) // Out, sub
        .enqueue(kTaskD, kSubOwner)
        .running(kTaskD, kSubOwner); // Ran, sub: missed at the sub's unload
    const uint64_t detach_ts = stream.now();
    stream.detach(kSubInstance); // by instance id alone

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    const SchedulerSection& sub = sections[1];
    EXPECT_FALSE(sub.open);
    EXPECT_TRUE(sub.detach_observed);
    EXPECT_EQ(sub.end_ts_ns, detach_ts);
    expect_counts(sub.counts,
                  {.enter_held = 3,
                   .dispatch = 1,
                   .violations = {{ViolationKind::MissedDequeue, 2}},
                   .durations = 1},
                  "sub");
    ASSERT_EQ(engine.samples().size(), 2u);
    for (const Finding& finding : engine.samples()) {
        EXPECT_TRUE(finding.task == kTaskB || finding.task == kTaskD);
        EXPECT_EQ(finding.trigger, EventKind::SchedulerDetach);
        EXPECT_EQ(finding.section, 1u);
    }

    EXPECT_TRUE(sections[0].open);
    EXPECT_FALSE(sections[0].detach_observed);
    expect_counts(sections[0].counts, {.enter_held = 1}, "root at the sub's detach");
    EXPECT_EQ(engine.tracked_tasks(), 1u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::InCustody);
    EXPECT_FALSE(engine.state_of(kTaskB).has_value());
    EXPECT_FALSE(engine.state_of(kTaskC).has_value());
    EXPECT_FALSE(engine.state_of(kTaskD).has_value());

    // The root's custody is untouched; B, returned to the root, starts afresh there.
    stream.dequeue(kTaskA, kRootOwner).enqueue(kTaskB, kRootOwner).dequeue(kTaskB, kRootOwner);
    EXPECT_EQ(engine.findings_total(), 2u);
    expect_counts(sections[0].counts, {.enter_held = 2, .dispatch = 2, .durations = 2}, "root");
    EXPECT_EQ(sections[0].tasks_handed_in, 0u);
    EXPECT_TRUE(sections[0].open);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, SubDetachIsFoundByOwnerWhenItsInstanceIsUnknown) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach().sub_attach().enqueue(kTaskB, kSubOwner).detach(0, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_TRUE(sections[0].open);
    EXPECT_FALSE(sections[1].open);
    EXPECT_TRUE(sections[1].detach_observed);
    expect_counts(sections[1].counts,
                  {.enter_held = 1, .violations = {{ViolationKind::MissedDequeue, 1}}}, "sub");
    expect_books_balance(engine);
}

TEST(SubschedulerSections, DetachOfAnotherInstanceIsStale) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskB, kSubOwner)
        .detach(99, kSubOwner)  // an earlier instance for the same cgroup
        .detach(98, kRootOwner) // an earlier root
        .dequeue(kTaskB, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_TRUE(sections[0].open);
    expect_open_sub(sections[1]);
    EXPECT_EQ(engine.findings_total(), 0u);
    expect_counts(sections[1].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "sub");
    expect_books_balance(engine);
}

// ---- 7. root detach, re-attach --------------------------------------------------------

TEST(SubschedulerSections, RootDetachClosesEverySection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner, kNoDsq, 1)
        .enqueue(kTaskB, kSubOwner, kNoDsq, 2);
    const uint64_t detach_ts = stream.now();
    stream.detach(kRootInstance);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    for (const SchedulerSection& section : sections) {
        EXPECT_FALSE(section.open) << section.name;
        EXPECT_TRUE(section.detach_observed) << section.name;
        EXPECT_EQ(section.end_ts_ns, detach_ts) << section.name;
    }
    expect_counts(sections[0].counts, {.enter_held = 1, .abandoned = 1}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1, .abandoned = 1}, "sub");
    EXPECT_EQ(engine.cpu_counters(1).custody_abandoned_at_unload, 1u);
    EXPECT_EQ(engine.cpu_counters(2).custody_abandoned_at_unload, 1u);
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    EXPECT_EQ(engine.findings_total(), 0u);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, RootDetachByOwnerClosesEverySection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach().sub_attach().detach(0, kOwnerUnknown);

    ASSERT_EQ(engine.sections().size(), 2u);
    EXPECT_FALSE(engine.sections()[0].open);
    EXPECT_FALSE(engine.sections()[1].open);
    EXPECT_TRUE(engine.sections()[0].detach_observed);
    EXPECT_TRUE(engine.sections()[1].detach_observed);
}

TEST(SubschedulerSections, RootReattachClosesEverySection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .enqueue(kTaskB, kSubOwner)
        .root_attach(12)
        .dequeue(kTaskA, kRootOwner); // its custody ended with the old root

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 3u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_FALSE(sections[i].open) << i;
        EXPECT_FALSE(sections[i].detach_observed) << i;
    }
    expect_counts(sections[0].counts, {.enter_held = 1, .abandoned = 1}, "old root");
    expect_counts(sections[1].counts, {.enter_held = 1, .abandoned = 1}, "sub");
    EXPECT_TRUE(sections[2].open);
    EXPECT_EQ(sections[2].owner, kRootOwner);
    EXPECT_EQ(sections[2].instance_id, 12u);
    expect_counts(sections[2].counts, {.violations = {{ViolationKind::DequeueOutsideCustody, 1}}},
                  "new root");
    expect_books_balance(engine);
}

TEST(SubschedulerSections, SubReattachClosesOnlyItsOwnSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner)
        .enqueue(kTaskB, kSubOwner)
        .sub_attach(kSubOwner, 13)
        .enqueue(kTaskB, kSubOwner) // a fresh task record in the new instance
        .dequeue(kTaskB, kSubOwner)
        .dequeue(kTaskA, kRootOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 3u);
    EXPECT_TRUE(sections[0].open);
    EXPECT_FALSE(sections[1].open);
    EXPECT_FALSE(sections[1].detach_observed);
    EXPECT_TRUE(sections[2].open);
    EXPECT_EQ(sections[2].instance_id, 13u);
    EXPECT_EQ(sections[2].owner, kSubOwner);
    expect_counts(sections[0].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts, {.enter_held = 1, .abandoned = 1}, "old sub");
    expect_counts(sections[2].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "new sub");
    EXPECT_EQ(sections[2].tasks_handed_in, 0u);
    EXPECT_EQ(engine.findings_total(), 0u);
    expect_books_balance(engine);
}

// ---- 8. implicit sections -------------------------------------------------------------

TEST(SubschedulerSections, UnknownOwnerOpensAnImplicitSectionStartingIndeterminate) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .dequeue(kTaskA, kSubOwner) // no section for 28 yet: opened, A Indet
        .enqueue(kTaskB, kSubOwner) // Indet -> In: a clean cycle begins
        .dequeue(kTaskB, kSubOwner)
        .dequeue(kTaskC, kSubOwner); // newly seen: Indet again, no finding

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    const SchedulerSection& implicit = sections[1];
    EXPECT_EQ(implicit.owner, kSubOwner);
    EXPECT_EQ(implicit.name, "");
    EXPECT_EQ(implicit.tree_path, "");
    EXPECT_EQ(implicit.instance_id, 0u);
    EXPECT_FALSE(implicit.attach_observed);
    EXPECT_TRUE(implicit.implements_dequeue);
    EXPECT_TRUE(implicit.open);
    EXPECT_EQ(implicit.begin_ts_ns, 1'010u);
    EXPECT_EQ(implicit.tasks_handed_in, 0u);
    expect_counts(
        implicit.counts,
        {.enter_held = 1, .dispatch = 3, .dequeue_after_indeterminate = 2, .durations = 1},
        "implicit");
    expect_counts(sections[0].counts, {}, "root");
    EXPECT_EQ(engine.findings_total(), 0u);

    // A detach carrying a name names it; the root stays open.
    stream.detach(0, kSubOwner, kSubName);
    EXPECT_EQ(implicit.name, kSubName);
    EXPECT_FALSE(implicit.open);
    EXPECT_TRUE(implicit.detach_observed);
    EXPECT_TRUE(sections[0].open);
    expect_books_balance(engine);
}

TEST(SubschedulerSections, ImplicitSectionTakesTheConfiguredDequeueSupport) {
    EngineConfig config;
    config.assume_implements_dequeue = false;
    PairingEngine engine(config);
    TreeStream stream(engine);
    stream.root_attach().enqueue(kTaskA, kSubOwner).insert(kTaskA, kSubOwner, kDsqLocal);

    ASSERT_EQ(engine.sections().size(), 2u);
    EXPECT_TRUE(engine.sections()[0].implements_dequeue);
    EXPECT_FALSE(engine.sections()[1].implements_dequeue);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::OutOfCustody);
}

TEST(SubschedulerSections, HandOverIntoAnImplicitSectionStartsIndeterminate) {
    PairingEngine engine;
    TreeStream stream(engine);
    // Unlike DequeueFromTheNewOwnerForTheOldCustody, the new owner's history is
    // incomplete (its attach was not seen): its dequeue cannot be judged.
    stream.root_attach()
        .enqueue(kTaskA, kRootOwner)
        .dequeue(kTaskA, kRootOwner, kSchedChangeFlags)
        .dequeue(kTaskA, kSubOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_FALSE(sections[1].attach_observed);
    EXPECT_EQ(sections[0].tasks_handed_out, 1u);
    EXPECT_EQ(sections[1].tasks_handed_in, 1u);
    EXPECT_EQ(engine.findings_total(), 0u);
    expect_counts(sections[0].counts, {.enter_held = 1, .sched_change = 1, .durations = 1}, "root");
    expect_counts(sections[1].counts, {.dispatch = 1, .dequeue_after_indeterminate = 1},
                  "implicit");
    expect_books_balance(engine);
}

// ---- 9. lost events -------------------------------------------------------------------

TEST(SubschedulerSections, LostEventsMakeEveryTaskIndeterminateAndCountInTheRoot) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner) // In, root
        .enqueue(kTaskB, kSubOwner)  // In, sub
        .enqueue(kTaskC, kSubOwner)
        .dequeue(kTaskC, kSubOwner) // Out, sub
        .lost(3, 2);

    EXPECT_EQ(engine.tasks_in_state(CustodyState::Indeterminate), 3u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::Indeterminate);
    EXPECT_EQ(engine.state_of(kTaskB), CustodyState::Indeterminate);
    EXPECT_EQ(engine.state_of(kTaskC), CustodyState::Indeterminate);
    EXPECT_EQ(engine.totals().lost_events, 3u);
    EXPECT_EQ(engine.totals().indeterminate, 3u);
    EXPECT_EQ(engine.cpu_counters(2).lost_events, 3u);

    // After the loss: a new task of the sub starts Indet and its first cycle is
    // clean; B's next cycle is clean; A's dequeue resynchronises it.
    stream.enqueue(kTaskD, kSubOwner)
        .dequeue(kTaskD, kSubOwner)
        .enqueue(kTaskB, kSubOwner)
        .dequeue(kTaskB, kSubOwner)
        .dequeue(kTaskA, kRootOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_TRUE(sections[0].open);
    EXPECT_TRUE(sections[1].open);
    EXPECT_EQ(engine.findings_total(), 0u);
    // The tasks a loss makes indeterminate count where the loss does: in the root.
    Counters root = sections[0].counts;
    Counters sub = sections[1].counts;
    EXPECT_EQ(root.indeterminate, 3u);
    EXPECT_EQ(sub.indeterminate, 0u);
    root.indeterminate = 0;
    sub.indeterminate = 0;
    expect_counts(
        root, {.enter_held = 1, .dispatch = 1, .lost_events = 3, .dequeue_after_indeterminate = 1},
        "root");
    expect_counts(sub, {.enter_held = 4, .dispatch = 3, .durations = 3}, "sub");
    expect_counts(engine.totals(),
                  {.enter_held = 5,
                   .dispatch = 4,
                   .indeterminate = 3,
                   .lost_events = 3,
                   .dequeue_after_indeterminate = 1,
                   .durations = 3},
                  "totals");
    expect_books_balance(engine);
}

// ---- 10. a single scheduler, owners unknown ----------------------------------------------

// A pre-7.3 stream: no event names an owner.
void feed_single_scheduler(PairingEngine& engine, uint32_t owner) {
    TreeStream stream(engine);
    stream.root_attach(kRootInstance, owner)
        .enqueue(kTaskA, owner) // 1010
        .dequeue(kTaskA, owner) // 1020
        .insert(kTaskA, owner, kDsqLocal)
        .running(kTaskA, owner)
        .enqueue(kTaskB, owner)
        .insert(kTaskB, owner, kDsqLocal)
        .running(kTaskB, owner)
        .enqueue(kTaskB, owner) // missed dequeue, a new custody
        .enqueue(kTaskC, owner)
        .dequeue(kTaskC, owner)
        .dequeue(kTaskC, owner)        // duplicate
        .dequeue(kTaskD, owner)        // outside custody
        .detach(kRootInstance, owner); // B abandoned
}

TEST(SubschedulerSections, SingleSchedulerWithUnknownOwnersBehavesAsBefore) {
    PairingEngine unknown;
    feed_single_scheduler(unknown, kOwnerUnknown);
    PairingEngine named;
    feed_single_scheduler(named, kRootOwner);

    for (const PairingEngine* engine : {&unknown, &named}) {
        ASSERT_EQ(engine->sections().size(), 1u);
        const SchedulerSection& section = engine->sections()[0];
        EXPECT_EQ(section.owner, kRootOwner);
        EXPECT_EQ(section.tasks_handed_in, 0u);
        EXPECT_EQ(section.tasks_handed_out, 0u);
        EXPECT_FALSE(section.open);
        EXPECT_TRUE(section.detach_observed);
        const Want want{.enter_held = 4,
                        .dispatch = 2,
                        .violations = {{ViolationKind::MissedDequeue, 1},
                                       {ViolationKind::DuplicateDequeue, 1},
                                       {ViolationKind::DequeueOutsideCustody, 1}},
                        .abandoned = 1,
                        .durations = 2};
        expect_counts(section.counts, want, "section");
        expect_counts(engine->totals(), want, "totals");
        EXPECT_EQ(engine->totals().custody_duration.sum_ns, 20u);
        expect_books_balance(*engine);
    }
    EXPECT_EQ(unknown.totals(), named.totals());
    EXPECT_EQ(unknown.findings_total(), named.findings_total());
}

// ---- finish ---------------------------------------------------------------------------

TEST(SubschedulerSections, FinishClosesEveryOpenSection) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach()
        .enqueue(kTaskA, kRootOwner) // In: in custody at the end
        .enqueue(kTaskB, kSubOwner)
        .running(kTaskB, kSubOwner) // Ran: missed
        .enqueue(kTaskC, kSubOwner)
        .insert(kTaskC, kSubOwner, kDsqLocal); // Left: indeterminate
    engine.finish(5'000);

    EXPECT_TRUE(engine.finished());
    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    for (const SchedulerSection& section : sections) {
        EXPECT_FALSE(section.open) << section.name;
        EXPECT_FALSE(section.detach_observed) << section.name;
        EXPECT_EQ(section.end_ts_ns, 5'000u) << section.name;
    }
    expect_counts(sections[0].counts, {.enter_held = 1, .in_custody_at_end = 1}, "root");
    expect_counts(
        sections[1].counts,
        {.enter_held = 2, .violations = {{ViolationKind::MissedDequeue, 1}}, .indeterminate = 1},
        "sub");
    EXPECT_EQ(engine.tracked_tasks(), 0u);
    expect_books_balance(engine);

    // Later events and a second finish change nothing.
    const Counters totals = engine.totals();
    stream.enqueue(kTaskD, kSubOwner).dequeue(kTaskA, kRootOwner);
    engine.finish(6'000);
    EXPECT_EQ(engine.totals(), totals);
    EXPECT_EQ(engine.sections().size(), 2u);
    EXPECT_EQ(engine.sections()[1].end_ts_ns, 5'000u);
}

// ---- coverage: an untraced sub-scheduler -----------------------------------------------

TEST(SubschedulerSections, UntracedSubRaisesNoFinding) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach()
        .sub_attach(kSubOwner, kSubInstance, kSubName, kSubPath, false)
        .dequeue(kTaskB, kSubOwner) // would be outside custody
        .enqueue(kTaskA, kSubOwner)
        .enqueue(kTaskA, kRootOwner) // a missed dequeue of the untraced sub
        .dequeue(kTaskA, kRootOwner);

    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_FALSE(sections[1].traced);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(sections[1].tasks_handed_out, 1u);
    EXPECT_EQ(sections[0].tasks_handed_in, 1u);
    expect_counts(sections[1].counts, {.enter_held = 1}, "sub");
    expect_counts(sections[0].counts, {.enter_held = 1, .dispatch = 1, .durations = 1}, "root");
    expect_books_balance(engine);
}

// An event stamped before a loss was known may follow the hole: it moves its
// task to the owner it names, unjudged, and proves no hand-over.
TEST(SubschedulerSections, AnEventThatMayFollowAHoleMovesItsTaskWithoutCountingIt) {
    PairingEngine engine;
    TreeStream stream(engine);
    stream.root_attach().sub_attach().enqueue(kTaskA, kRootOwner);
    const uint64_t before_loss = stream.now() - 1; // the loss is stamped now()
    stream.lost(1);
    Event early;
    early.kind = EventKind::Enqueue;
    early.ts_ns = before_loss;
    early.task = kTaskA;
    early.owner = kSubOwner;
    engine.process(early);

    EXPECT_EQ(engine.uncertain_events(), 1u);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(engine.state_of(kTaskA), CustodyState::Indeterminate);
    const auto& sections = engine.sections();
    ASSERT_EQ(sections.size(), 2u);
    EXPECT_EQ(sections[0].tasks_handed_out, 0u);
    EXPECT_EQ(sections[1].tasks_handed_in, 0u);
    // It is the sub's now: its dequeue there resynchronises it, no finding.
    stream.dequeue(kTaskA, kSubOwner);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(sections[1].counts.dequeue_after_indeterminate, 1u);
}

} // namespace
} // namespace scx_custody::pairing
