// Unit tests of the long-held custodies: which tasks the engine names as held
// longest, with which transitions, and the oldest custody it reports live.
#include "pairing/held_custodies.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pairing/pairing_engine.h"
#include "pairing/scx_constants.h"

namespace scx_custody::pairing {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kUserDsq = 0x5c0003;
constexpr uint64_t kOtherUserDsq = 0x5c0001;

constexpr TaskKey kHeld{4242, 1'000};
constexpr TaskKey kBusy{77, 2'000};

// Feeds an engine events at explicit times (ns).
class Feed {
  public:
    explicit Feed(PairingEngine& engine) : engine_(engine) {}

    Feed& attach(uint64_t ts, const std::string& name = "custody_ref",
                 bool tasks_start_indeterminate = false) {
        Event e = base(EventKind::SchedulerAttach, ts, {});
        e.sched_name = name;
        e.tasks_start_indeterminate = tasks_start_indeterminate;
        return feed(e);
    }
    Feed& enqueue(uint64_t ts, const TaskKey& task, uint64_t dsq = kNoDsq, uint64_t flags = 0) {
        Event e = base(EventKind::Enqueue, ts, task);
        e.dsq_id = dsq;
        e.flags = flags;
        return feed(e);
    }
    Feed& insert(uint64_t ts, const TaskKey& task, uint64_t dsq) {
        Event e = base(EventKind::DsqInsert, ts, task);
        e.dsq_id = dsq;
        return feed(e);
    }
    Feed& dequeue(uint64_t ts, const TaskKey& task) {
        return feed(base(EventKind::Dequeue, ts, task));
    }
    Feed& running(uint64_t ts, const TaskKey& task) {
        return feed(base(EventKind::Running, ts, task));
    }
    Feed& exit(uint64_t ts, const TaskKey& task) {
        return feed(base(EventKind::TaskExit, ts, task));
    }
    Feed& lost(uint64_t ts) {
        Event e = base(EventKind::Lost, ts, {});
        e.count = 1;
        return feed(e);
    }
    // A short custody: enqueued on the user DSQ, dispatched 1 ms later.
    Feed& short_cycle(uint64_t ts, const TaskKey& task) {
        return enqueue(ts, task, kUserDsq)
            .insert(ts + kMs, task, kDsqLocal)
            .dequeue(ts + kMs + 1, task)
            .running(ts + kMs + 2, task);
    }

  private:
    static Event base(EventKind kind, uint64_t ts, const TaskKey& task) {
        Event e;
        e.kind = kind;
        e.ts_ns = ts;
        e.cpu = 1;
        e.task = task;
        if (task.pid != 0)
            e.comm = make_comm("comm-" + std::to_string(task.pid));
        return e;
    }
    Feed& feed(const Event& e) {
        engine_.process(e);
        return *this;
    }
    PairingEngine& engine_;
};

std::vector<EventKind> kinds(const HeldCustody& held) {
    std::vector<EventKind> out;
    for (const CustodyTransition& t : held.transitions)
        out.push_back(t.kind);
    return out;
}

TEST(HeldCustodies, ATaskHeldLongIsNamedWithItsDsqAndTransitions) {
    PairingEngine engine;
    Feed feed(engine);
    feed.attach(0).enqueue(10 * kMs, kHeld, kUserDsq);
    // The other task's events carry the clock past the threshold.
    for (uint64_t t = 20 * kMs; t < 1500 * kMs; t += 50 * kMs)
        feed.short_cycle(t, kBusy);
    feed.insert(1510 * kMs, kHeld, kDsqLocal).dequeue(1511 * kMs, kHeld).running(1512 * kMs, kHeld);
    engine.finish(2000 * kMs);

    const auto& longest = engine.held().longest();
    ASSERT_EQ(longest.size(), 1u) << "the busy task's 1 ms custodies are not long-held";
    const HeldCustody& held = longest.front();
    EXPECT_EQ(held.task, kHeld);
    EXPECT_EQ(comm_view(held.comm), "comm-4242");
    EXPECT_EQ(held.scheduler, "custody_ref");
    EXPECT_EQ(held.dsq_id, kUserDsq);
    EXPECT_EQ(held.enter_ts_ns, 10 * kMs);
    EXPECT_EQ(held.end_ts_ns, 1510 * kMs) << "the insert into a local DSQ left custody";
    EXPECT_EQ(held.duration_ns(), 1500 * kMs);
    EXPECT_FALSE(held.still_held);
    EXPECT_EQ(held.ended_by, "dsq_insert");
    EXPECT_EQ(kinds(held), (std::vector<EventKind>{EventKind::Enqueue, EventKind::DsqInsert}));
    EXPECT_EQ(held.transitions.back().state_after, CustodyState::LeftWithoutDequeue);
    EXPECT_EQ(engine.held().promoted(), 1u);
}

TEST(HeldCustodies, OldestCustodyFollowsTheLiveOnes) {
    PairingEngine engine;
    Feed feed(engine);
    EXPECT_FALSE(engine.oldest_custody()) << "no section open";
    feed.attach(0);
    EXPECT_FALSE(engine.oldest_custody()) << "nothing in custody";

    feed.enqueue(10 * kMs, kHeld, kUserDsq).enqueue(20 * kMs, kBusy, kUserDsq);
    ASSERT_TRUE(engine.oldest_custody());
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, 10 * kMs);
    EXPECT_EQ(engine.oldest_custody()->scheduler, "custody_ref");

    feed.insert(30 * kMs, kHeld, kDsqLocal).dequeue(31 * kMs, kHeld);
    ASSERT_TRUE(engine.oldest_custody());
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, 20 * kMs) << "kHeld left custody";

    // Past the threshold kBusy is watched; it still counts as the oldest.
    feed.enqueue(400 * kMs, kHeld, kUserDsq);
    EXPECT_EQ(engine.held().watched_size(), 1u);
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, 20 * kMs);

    feed.dequeue(500 * kMs, kBusy);
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, 400 * kMs);
    feed.dequeue(501 * kMs, kHeld);
    EXPECT_FALSE(engine.oldest_custody());
}

TEST(HeldCustodies, MovesAndReenqueuesAreRecordedAndTheLatestKept) {
    HeldConfig config;
    config.max_transitions = 4;
    PairingEngine engine(EngineConfig{.held = config});
    Feed feed(engine);
    feed.attach(0).enqueue(10 * kMs, kHeld); // held by BPF, on no DSQ
    feed.short_cycle(200 * kMs, kBusy);      // the clock passes the threshold
    feed.insert(300 * kMs, kHeld, kOtherUserDsq);
    feed.enqueue(310 * kMs, kHeld, kUserDsq, kEnqReenq);
    feed.insert(320 * kMs, kHeld, kUserDsq);
    feed.running(330 * kMs, kHeld); // ran without a dequeue: the custody ended
    engine.finish(400 * kMs);

    ASSERT_EQ(engine.held().longest().size(), 1u);
    const HeldCustody& held = engine.held().longest().front();
    EXPECT_EQ(held.dsq_id, kUserDsq) << "the last user DSQ it was put on";
    EXPECT_EQ(kinds(held), (std::vector<EventKind>{EventKind::Enqueue, EventKind::Enqueue,
                                                   EventKind::DsqInsert, EventKind::Running}));
    EXPECT_EQ(held.transitions.front().dsq_id, kNoDsq) << "the entering transition stays";
    EXPECT_EQ(held.transitions_omitted, 1u);
    EXPECT_EQ(held.ended_by, "running");
    EXPECT_EQ(held.transitions.back().state_after, CustodyState::RanWithoutDequeue);
}

TEST(HeldCustodies, OneEntryPerTaskLongestFirstBounded) {
    HeldConfig config;
    config.max_listed = 3;
    PairingEngine engine(EngineConfig{.held = config});
    Feed feed(engine);
    feed.attach(0);
    // Five tasks held 200, 400, ... 1000 ms, one after the other; kHeld twice.
    uint64_t t = 10 * kMs;
    for (uint32_t i = 1; i <= 5; ++i) {
        const TaskKey task{1000 + i, i};
        feed.enqueue(t, task, kUserDsq).dequeue(t + i * 200 * kMs, task);
        t += i * 200 * kMs + kMs;
    }
    feed.enqueue(t, kHeld, kUserDsq).dequeue(t + 700 * kMs, kHeld);
    t += 701 * kMs;
    feed.enqueue(t, kHeld, kUserDsq).dequeue(t + 900 * kMs, kHeld);
    t += 901 * kMs;
    feed.enqueue(t, kHeld, kUserDsq).dequeue(t + 300 * kMs, kHeld);
    engine.finish(t + 1000 * kMs);

    const auto& longest = engine.held().longest();
    ASSERT_EQ(longest.size(), 3u);
    EXPECT_EQ(longest[0].task.pid, 1005u);
    EXPECT_EQ(longest[0].duration_ns(), 1000 * kMs);
    EXPECT_EQ(longest[1].task, kHeld) << "kHeld's longest custody, once";
    EXPECT_EQ(longest[1].duration_ns(), 900 * kMs);
    EXPECT_EQ(longest[2].task.pid, 1004u);
    EXPECT_EQ(longest[2].ended_by, "dequeue");
}

TEST(HeldCustodies, StillHeldAtTheEndIsListedAsSuch) {
    PairingEngine engine;
    Feed feed(engine);
    feed.attach(0).enqueue(10 * kMs, kHeld, kUserDsq).short_cycle(500 * kMs, kBusy);
    engine.finish(3000 * kMs);
    ASSERT_EQ(engine.held().longest().size(), 1u);
    const HeldCustody& held = engine.held().longest().front();
    EXPECT_TRUE(held.still_held);
    EXPECT_EQ(held.ended_by, "audit_end");
    EXPECT_EQ(held.duration_ns(), 2990 * kMs);
}

TEST(HeldCustodies, LostEventsAndExitsEndWatchedCustodies) {
    PairingEngine engine;
    Feed feed(engine);
    feed.attach(0).enqueue(10 * kMs, kHeld, kUserDsq).enqueue(20 * kMs, kBusy, kUserDsq);
    feed.running(500 * kMs, TaskKey{9, 9}); // only the clock moves
    EXPECT_EQ(engine.held().watched_size(), 2u);
    feed.exit(600 * kMs, kBusy);
    feed.lost(700 * kMs);
    EXPECT_FALSE(engine.oldest_custody()) << "after a loss no custody is known";
    // kHeld's record still carries its mark: the next event clears it.
    feed.dequeue(800 * kMs, kHeld);
    engine.finish(900 * kMs);

    const auto& longest = engine.held().longest();
    ASSERT_EQ(longest.size(), 2u);
    EXPECT_EQ(longest[0].task, kHeld);
    EXPECT_EQ(longest[0].ended_by, "events_lost");
    EXPECT_EQ(longest[0].end_ts_ns, 700 * kMs);
    EXPECT_EQ(longest[1].task, kBusy);
    EXPECT_EQ(longest[1].ended_by, "task_exit");
}

TEST(HeldCustodies, SideStructureStaysBounded) {
    HeldConfig config;
    config.max_young = 100;
    config.max_watched = 2;
    PairingEngine engine(EngineConfig{.held = config});
    Feed feed(engine);
    feed.attach(0);
    // 10,000 short custodies of one task: ended entries are compacted away.
    for (uint64_t i = 0; i < 10'000; ++i)
        feed.short_cycle(kMs + i * 2 * kMs, kBusy);
    EXPECT_LE(engine.held().young_size(), 2u * engine.tasks_in_custody() + 64);
    EXPECT_EQ(engine.held().untracked(), 0u);

    // 150 tasks enter custody at once: 100 are followed, 50 are not.
    const uint64_t t = 30'000 * kMs;
    for (uint32_t i = 0; i < 150; ++i)
        feed.enqueue(t + i, TaskKey{5000 + i, 1}, kUserDsq);
    EXPECT_EQ(engine.held().young_size(), 100u);
    EXPECT_EQ(engine.held().untracked(), 50u);
    // Past the threshold only two of them become watched.
    feed.running(t + 200 * kMs, kBusy);
    EXPECT_EQ(engine.held().watched_size(), 2u);
    EXPECT_EQ(engine.held().untracked(), 50u + 98u);
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, t);
}

// A young entry remembers where its task's record was. A task evicted from
// the table is not followed any more, even when its record now holds another
// task that entered custody at the very same time.
TEST(HeldCustodies, AnEvictedTaskIsNotPromotedThroughItsReusedRecord) {
    EngineConfig config;
    config.max_tracked_tasks = 1;
    PairingEngine engine(config);
    Feed feed(engine);
    feed.attach(0);
    feed.enqueue(10 * kMs, kHeld, kUserDsq);
    feed.enqueue(10 * kMs, kBusy, kUserDsq); // evicts kHeld, takes its record
    // Both young entries fall due before the dequeue is judged: kBusy's
    // custody is live, kHeld's entry names a record that holds kBusy now.
    feed.dequeue(200 * kMs, kBusy);
    EXPECT_EQ(engine.held().promoted(), 1u);
    ASSERT_EQ(engine.held().longest().size(), 1u);
    EXPECT_EQ(engine.held().longest()[0].task, kBusy);
    EXPECT_EQ(engine.held().young_size(), 0u);
}

// A young entry whose custody would fall due past the clock's last value
// never does, and the entries after it wait behind it.
TEST(HeldCustodies, ACustodyDueBeyondTheClockNeverFallsDue) {
    PairingEngine engine;
    Feed feed(engine);
    feed.attach(0);
    const uint64_t late = UINT64_MAX - 50 * kMs;
    feed.enqueue(late, kHeld, kUserDsq);
    feed.running(UINT64_MAX, kBusy);
    EXPECT_EQ(engine.held().promoted(), 0u);
    EXPECT_EQ(engine.held().young_size(), 1u);
}

TEST(HeldCustodies, TaskRecordsStayCompact) {
    // The history lives in HeldCustodies; a record carries one bit for it.
    EXPECT_EQ(sizeof(TaskState), 48u);
}

// A section whose registration was seen late (a start window: `run`
// following a scheduler it did not load) still has an oldest custody once
// tasks enter custody again.
TEST(HeldCustodies, OldestCustodyAfterAnUnwitnessedStart) {
    PairingEngine engine;
    Feed feed(engine);
    feed.attach(0, "custody_ref", true);
    feed.enqueue(10 * kMs, kHeld, kUserDsq).insert(11 * kMs, kHeld, kDsqLocal);
    feed.dequeue(12 * kMs, kHeld).enqueue(20 * kMs, kHeld, kUserDsq);
    ASSERT_TRUE(engine.oldest_custody());
    EXPECT_EQ(engine.oldest_custody()->enter_ts_ns, 20 * kMs);
}

} // namespace
} // namespace scx_custody::pairing
