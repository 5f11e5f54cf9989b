// Unit tests of the loss gate: growth of the tracer's counters becomes Lost
// records, once, attributed to the CPU that lost them, whatever the cause.
#include "consumer/loss_gate.h"

#include <gtest/gtest.h>

#include "pairing/event.h"

namespace scx_custody::consumer {
namespace {

std::vector<custody_cpu_counters> ringbuf_full(std::initializer_list<uint64_t> per_cpu) {
    std::vector<custody_cpu_counters> out;
    for (uint64_t d : per_cpu) {
        custody_cpu_counters c{};
        c.ringbuf_full = d;
        out.push_back(c);
    }
    return out;
}

std::vector<record::LostRecord> take_lost(LossGate& gate,
                                          const std::vector<custody_cpu_counters>& counters,
                                          uint64_t missed_runs, uint64_t ts_ns) {
    return LossGate::lost_records(gate.take(counters, missed_runs), ts_ns);
}

TEST(LossGate, GrowthBecomesOneLostRecordPerCpu) {
    LossGate gate;
    EXPECT_TRUE(take_lost(gate, ringbuf_full({0, 0}), 0, 1).empty());
    auto lost = take_lost(gate, ringbuf_full({3, 0, 5}), 0, 2);
    ASSERT_EQ(lost.size(), 2u);
    EXPECT_EQ(lost[0].cpu, 0u);
    EXPECT_EQ(lost[0].count, 3u);
    EXPECT_EQ(lost[1].cpu, 2u);
    EXPECT_EQ(lost[1].count, 5u);
    EXPECT_EQ(lost[1].ts_ns, 2u);
    // Only what is new is taken again.
    lost = take_lost(gate, ringbuf_full({4, 0, 5}), 0, 3);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].count, 1u);
    EXPECT_EQ(gate.lost_total(), 9u);
}

TEST(LossGate, OverwrittenPendingCallsAreLossesToo) {
    LossGate gate;
    auto counters = ringbuf_full({2, 0});
    counters[1].pending_overwritten = 3;
    const PollCounts counts = gate.take(counters, 0);
    EXPECT_EQ(counts.ringbuf_full, 2u);
    EXPECT_EQ(counts.pending_overwritten, 3u);
    auto lost = LossGate::lost_records(counts, 7);
    ASSERT_EQ(lost.size(), 2u);
    EXPECT_EQ(lost[1].cpu, 1u);
    EXPECT_EQ(lost[1].count, 3u);
}

TEST(LossGate, SkippedRunsAreLossesOfNoCpu) {
    LossGate gate;
    auto lost = take_lost(gate, ringbuf_full({0}), 2, 5);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].cpu, pairing::kNoCpu);
    EXPECT_EQ(lost[0].count, 2u);
    EXPECT_TRUE(take_lost(gate, ringbuf_full({0}), 2, 6).empty());
    EXPECT_EQ(gate.missed_runs_total(), 2u);
}

TEST(LossGate, SessionTotalsBecomeIncrements) {
    LossGate gate;
    auto counters = ringbuf_full({0});
    counters[0].events = 10;
    PollCounts counts = gate.take(counters, 0);
    gate.take_consumer_totals(counts, 4, 1);
    EXPECT_EQ(counts.events_per_cpu.at(0), 10u);
    EXPECT_EQ(counts.decode_errors, 4u);
    EXPECT_EQ(counts.malformed_events, 1u);
    counters[0].events = 15;
    counts = gate.take(counters, 0);
    gate.take_consumer_totals(counts, 6, 1);
    EXPECT_EQ(counts.events_per_cpu.at(0), 5u);
    EXPECT_EQ(counts.decode_errors, 2u);
    EXPECT_EQ(counts.malformed_events, 0u);
    // A new engine starts its total over: all of it is new.
    gate.take_consumer_totals(counts, 6, 0);
    EXPECT_EQ(counts.malformed_events, 0u);
    gate.take_consumer_totals(counts, 6, 2);
    EXPECT_EQ(counts.malformed_events, 2u);
}

} // namespace
} // namespace scx_custody::consumer
