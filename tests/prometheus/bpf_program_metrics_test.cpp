// BpfProgramMetrics (`run --bpf-stats`): the kernel's per-program run counts and
// run time become counters per (program, owner) that only ever increase, across
// programs that are reloaded, replaced or gone.
#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporters/prometheus/bpf_program_metrics.h"

namespace scx_custody::prom {
namespace {

constexpr std::string_view kRuns = "scx_custody_bpf_program_runs_total";
constexpr std::string_view kSeconds = "scx_custody_bpf_program_run_seconds_total";

std::optional<double> counter(prometheus::Registry& registry, std::string_view name,
                              const std::string& program, const std::string& owner) {
    for (const auto& family : registry.Collect()) {
        if (family.name != name)
            continue;
        for (const auto& m : family.metric) {
            std::map<std::string, std::string> labels;
            for (const auto& l : m.label)
                labels[l.name] = l.value;
            if (labels ==
                std::map<std::string, std::string>{{"owner", owner}, {"program", program}})
                return m.counter.value;
        }
    }
    return std::nullopt;
}

BpfProgramSample sample(uint32_t id, std::string name, ProgramOwner owner, uint64_t runs,
                        uint64_t ns) {
    return {id, std::move(name), owner, runs, ns};
}

TEST(BpfProgramMetrics, ExportsTracerAndSchedulerProgramsSeparately) {
    auto registry = std::make_shared<prometheus::Registry>();
    BpfProgramMetrics metrics(registry);
    const std::vector<BpfProgramSample> programs = {
        sample(10, "custody_on_sched_enqueue", ProgramOwner::Tracer, 100, 2'000'000),
        sample(11, "custody_ref_enqueue", ProgramOwner::Scheduler, 100, 5'000'000),
    };
    metrics.update(programs);
    EXPECT_EQ(counter(*registry, kRuns, "custody_on_sched_enqueue", "tracer"), 100);
    EXPECT_DOUBLE_EQ(*counter(*registry, kSeconds, "custody_on_sched_enqueue", "tracer"), 0.002);
    EXPECT_EQ(counter(*registry, kRuns, "custody_ref_enqueue", "scheduler"), 100);
    EXPECT_DOUBLE_EQ(*counter(*registry, kSeconds, "custody_ref_enqueue", "scheduler"), 0.005);
    EXPECT_EQ(counter(*registry, kRuns, "custody_ref_enqueue", "tracer"), std::nullopt);
}

TEST(BpfProgramMetrics, AdvancesByWhatEachProgramRanSinceTheLastUpdate) {
    auto registry = std::make_shared<prometheus::Registry>();
    BpfProgramMetrics metrics(registry);
    const std::vector<BpfProgramSample> first = {
        sample(10, "custody_on_sched_switch", ProgramOwner::Tracer, 50, 1'000)};
    const std::vector<BpfProgramSample> second = {
        sample(10, "custody_on_sched_switch", ProgramOwner::Tracer, 80, 1'600)};
    metrics.update(first);
    metrics.update(second);
    EXPECT_EQ(counter(*registry, kRuns, "custody_on_sched_switch", "tracer"), 80);
    EXPECT_DOUBLE_EQ(*counter(*registry, kSeconds, "custody_on_sched_switch", "tracer"), 1.6e-6);
}

TEST(BpfProgramMetrics, AReloadedSchedulerContinuesItsSeries) {
    auto registry = std::make_shared<prometheus::Registry>();
    BpfProgramMetrics metrics(registry);
    const std::vector<BpfProgramSample> before = {
        sample(20, "qmap_enqueue", ProgramOwner::Scheduler, 300, 9'000)};
    // Unloaded and loaded again: a new id whose kernel counters start at 0.
    const std::vector<BpfProgramSample> gone = {};
    const std::vector<BpfProgramSample> after = {
        sample(31, "qmap_enqueue", ProgramOwner::Scheduler, 7, 70)};
    metrics.update(before);
    metrics.update(gone);
    metrics.update(after);
    EXPECT_EQ(counter(*registry, kRuns, "qmap_enqueue", "scheduler"), 307);
    EXPECT_DOUBLE_EQ(*counter(*registry, kSeconds, "qmap_enqueue", "scheduler"), 9.07e-6);
}

TEST(BpfProgramMetrics, TwoProgramsOfOneNameAddUp) {
    auto registry = std::make_shared<prometheus::Registry>();
    BpfProgramMetrics metrics(registry);
    const std::vector<BpfProgramSample> programs = {
        sample(40, "simple_enqueue", ProgramOwner::Scheduler, 5, 500),
        sample(41, "simple_enqueue", ProgramOwner::Scheduler, 6, 600)};
    metrics.update(programs);
    EXPECT_EQ(counter(*registry, kRuns, "simple_enqueue", "scheduler"), 11);
}

TEST(BpfProgramMetrics, AReusedIdWithSmallerCountersCountsFromZero) {
    auto registry = std::make_shared<prometheus::Registry>();
    BpfProgramMetrics metrics(registry);
    const std::vector<BpfProgramSample> first = {
        sample(50, "custody_on_task_exit", ProgramOwner::Tracer, 1'000, 50'000)};
    const std::vector<BpfProgramSample> reused = {
        sample(50, "custody_on_task_exit", ProgramOwner::Tracer, 10, 400)};
    metrics.update(first);
    metrics.update(reused);
    EXPECT_EQ(counter(*registry, kRuns, "custody_on_task_exit", "tracer"), 1'010);
}

TEST(ProcessCpuMetric, FollowsTheProcessTotalAndNeverGoesBack) {
    auto registry = std::make_shared<prometheus::Registry>();
    ProcessCpuMetric cpu(registry);
    auto value = [&] {
        for (const auto& family : registry->Collect())
            if (family.name == "scx_custody_process_cpu_seconds_total")
                return family.metric.at(0).counter.value;
        return -1.0;
    };
    cpu.set_total(1.5);
    EXPECT_DOUBLE_EQ(value(), 1.5);
    cpu.set_total(1.25);
    EXPECT_DOUBLE_EQ(value(), 1.5);
    cpu.set_total(2.0);
    EXPECT_DOUBLE_EQ(value(), 2.0);
}

} // namespace
} // namespace scx_custody::prom
