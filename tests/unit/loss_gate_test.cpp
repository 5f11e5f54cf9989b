// Unit tests of the loss gate: growth of the tracer's counters becomes Lost
// records, once, attributed to the CPU that lost them.
#include "consumer/loss_gate.h"

#include <gtest/gtest.h>

#include "pairing/event.h"

namespace scx_custody::consumer {
namespace {

std::vector<custody_cpu_counters> dropped(std::initializer_list<uint64_t> per_cpu) {
    std::vector<custody_cpu_counters> out;
    for (uint64_t d : per_cpu) {
        custody_cpu_counters c{};
        c.dropped = d;
        out.push_back(c);
    }
    return out;
}

TEST(LossGate, GrowthBecomesOneLostRecordPerCpu) {
    LossGate gate;
    EXPECT_TRUE(gate.take(dropped({0, 0}), 0, 1).empty());
    auto lost = gate.take(dropped({3, 0, 5}), 0, 2);
    ASSERT_EQ(lost.size(), 2u);
    EXPECT_EQ(lost[0].cpu, 0u);
    EXPECT_EQ(lost[0].count, 3u);
    EXPECT_EQ(lost[1].cpu, 2u);
    EXPECT_EQ(lost[1].count, 5u);
    EXPECT_EQ(lost[1].ts_ns, 2u);
    // Only what is new is taken again.
    lost = gate.take(dropped({4, 0, 5}), 0, 3);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].count, 1u);
    EXPECT_EQ(gate.dropped_total(), 9u);
}

TEST(LossGate, SkippedRunsAreLossesOfNoCpu) {
    LossGate gate;
    auto lost = gate.take(dropped({0}), 2, 5);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].cpu, pairing::kNoCpu);
    EXPECT_EQ(lost[0].count, 2u);
    EXPECT_TRUE(gate.take(dropped({0}), 2, 6).empty());
    EXPECT_EQ(gate.missed_runs_total(), 2u);
}

} // namespace
} // namespace scx_custody::consumer
