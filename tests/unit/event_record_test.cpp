// Unit tests of test_support::encode_event() (tests/support/event_record.h), the
// inverse of consumer::decode_event_into(), on every event a ScenarioStream
// produces, and of the ScenarioStream's warm-up and final drain the benchmarks
// build their raw streams from.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "consumer/event_decode.h"
#include "event_record.h"
#include "pairing/kinds.h"
#include "pairing/pairing_engine.h"
#include "scenario_stream.h"

namespace scx_custody::test_support {
namespace {

using pairing::Event;
using pairing::EventKind;

std::span<const std::byte> bytes_of(const custody_event& record) {
    return std::as_bytes(std::span(&record, 1));
}

// Every field a custody_event carries, decoded again: equal to the original's,
// the hook the one encode_event() chose.
void expect_round_trip(const Event& event) {
    const std::optional<custody_event> record = encode_event(event);
    ASSERT_TRUE(record) << pairing::to_string(event.kind);
    Event decoded;
    ASSERT_EQ(consumer::decode_event_into(bytes_of(*record), decoded), consumer::DecodeFault::None);
    EXPECT_EQ(decoded.ts_ns, event.ts_ns);
    EXPECT_EQ(decoded.cpu, event.cpu);
    EXPECT_EQ(decoded.kind, event.kind);
    EXPECT_EQ(decoded.task, event.task);
    EXPECT_EQ(decoded.comm, event.comm);
    EXPECT_EQ(decoded.dsq_id, event.dsq_id);
    EXPECT_EQ(decoded.flags, event.flags);
    EXPECT_EQ(decoded.kernel_flag, event.kernel_flag);
    EXPECT_EQ(decoded.hook, event.hook == pairing::kNoHook ? plausible_hook(event) : event.hook);
    EXPECT_NE(decoded.hook, pairing::kNoHook);

    Result<Event> checked = consumer::decode_event(bytes_of(*record));
    ASSERT_TRUE(checked);
    EXPECT_EQ(checked->ts_ns, event.ts_ns);
    EXPECT_EQ(checked->task, event.task);
}

struct Collected {
    std::vector<Event> task_events;
    uint64_t others = 0;
};

// A stream with every kind of scenario and event: violations, losses, a restart.
Collected collect(uint64_t seed) {
    Collected collected;
    ScenarioOptions options;
    options.seed = seed;
    options.violation_every = 5;
    options.tasks = 200;
    ScenarioStream stream(
        [&](const Event& event) {
            if (encode_event(event))
                collected.task_events.push_back(event);
            else
                ++collected.others;
        },
        options);
    stream.attach(1'000);
    uint64_t ts = stream.warm_up(2'000);
    for (unsigned tick = 0; tick < 200; ++tick, ts += 10'000'000) {
        stream.tick(ts, 10'000'000, 20);
        if (tick == 50)
            stream.lose(ts + 10'000'000, 1, 3);
        if (tick == 100) {
            stream.detach(ts + 10'000'000);
            stream.attach(ts + 10'000'001);
        }
    }
    stream.drain_all();
    return collected;
}

class EncodeScenarioStream : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EncodeScenarioStream, EveryEventSurvivesEncodeAndDecode) {
    const Collected collected = collect(GetParam());
    EXPECT_GT(collected.others, 0u); // attaches, a detach, a loss: no record
    std::array<uint64_t, pairing::kEventKindCount> kinds{};
    for (const Event& event : collected.task_events) {
        ++kinds[static_cast<std::size_t>(event.kind)];
        expect_round_trip(event);
        if (HasFatalFailure())
            return;
    }
    for (EventKind kind : {EventKind::Enqueue, EventKind::DsqInsert, EventKind::Dequeue,
                           EventKind::Running, EventKind::TaskExit})
        EXPECT_GT(kinds[static_cast<std::size_t>(kind)], 0u) << pairing::to_string(kind);
}

TEST_P(EncodeScenarioStream, AnExplicitHookIsKept) {
    Collected collected = collect(GetParam());
    for (Event& event : collected.task_events) {
        event.hook = CUSTODY_HOOK_DSQ_MOVE;
        expect_round_trip(event);
        if (HasFatalFailure())
            return;
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, EncodeScenarioStream, ::testing::Values(1u, 7u, 20261126u));

TEST(EncodeEvent, PlausibleHooks) {
    Event event;
    event.cpu = 3;
    event.kind = EventKind::Enqueue;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_SCHED_ENQUEUE);
    event.kind = EventKind::Dequeue;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_SCHED_DEQUEUE);
    event.kind = EventKind::Running;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_SCHED_SWITCH);
    event.kind = EventKind::TaskExit;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_TASK_EXIT);
    event.kind = EventKind::DsqInsert;
    event.dsq_id = pairing::kDsqLocal;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_LOCAL_MOVE);
    event.dsq_id = pairing::dsq_local_on(3);
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_LOCAL_MOVE);
    event.dsq_id = pairing::dsq_local_on(4);
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_REMOTE_MOVE);
    event.dsq_id = pairing::kDsqGlobal;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_DSQ_INSERT);
    event.dsq_id = 0x100;
    EXPECT_EQ(plausible_hook(event), CUSTODY_HOOK_DSQ_INSERT);
}

TEST(EncodeEvent, KindsWithoutARecord) {
    for (EventKind kind :
         {EventKind::SchedulerAttach, EventKind::SchedulerDetach, EventKind::Lost}) {
        Event event;
        event.kind = kind;
        EXPECT_FALSE(encode_event(event)) << pairing::to_string(kind);
    }
}

// What the benchmarks rely on: a warm-up that brings the engine to every task of
// the pool, a stream without violations that raises no finding and leaves no task
// in custody once drained, and the same events again for the same seed.
std::vector<Event> warmed_up_stream(pairing::PairingEngine& engine, std::size_t tasks,
                                    std::size_t& warm_up_events) {
    std::vector<Event> events;
    ScenarioOptions options;
    options.seed = 42;
    options.cpus = 8;
    options.tasks = tasks;
    options.violation_every = 0;
    options.kernel_has_core_sched = true;
    ScenarioStream stream(
        [&](const Event& event) {
            engine.process(event);
            events.push_back(event);
        },
        options);
    stream.attach(1'000);
    uint64_t ts = stream.warm_up(1'000'000);
    warm_up_events = events.size();
    EXPECT_EQ(engine.tracked_tasks(), tasks);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    for (unsigned tick = 0; tick < 100; ++tick, ts += 50'000'000)
        stream.tick(ts, 50'000'000, 8);
    stream.drain_all();
    EXPECT_EQ(stream.pending(), 0u);
    return events;
}

TEST(ScenarioStreamWarmUp, CleanStreamAfterWarmUpRaisesNoFinding) {
    pairing::EngineConfig config;
    config.kernel_has_core_sched = true;
    pairing::PairingEngine engine(config);
    std::size_t warm_up_events = 0;
    const std::vector<Event> events = warmed_up_stream(engine, 500, warm_up_events);
    EXPECT_EQ(warm_up_events, 1 + 5 * 500u); // the attach, five per task
    EXPECT_GT(events.size(), warm_up_events + 1'000);
    EXPECT_EQ(engine.findings_total(), 0u);
    EXPECT_EQ(engine.malformed_events(), 0u);
    EXPECT_EQ(engine.tasks_in_custody(), 0u);
    EXPECT_EQ(engine.totals().indeterminate, 0u);

    pairing::PairingEngine again(config);
    std::size_t again_warm_up_events = 0;
    const std::vector<Event> same = warmed_up_stream(again, 500, again_warm_up_events);
    ASSERT_EQ(same.size(), events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        ASSERT_EQ(same[i].ts_ns, events[i].ts_ns) << i;
        ASSERT_EQ(same[i].task, events[i].task) << i;
        ASSERT_EQ(same[i].kind, events[i].kind) << i;
        ASSERT_EQ(same[i].dsq_id, events[i].dsq_id) << i;
    }
}

} // namespace
} // namespace scx_custody::test_support
