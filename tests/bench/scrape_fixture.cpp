#include "scrape_fixture.h"

#include <string_view>
#include <vector>

#include "pairing/event.h"
#include "pairing/finding.h"
#include "pairing/kinds.h"

namespace scx_custody::bench {
namespace {

constexpr std::size_t kPrograms = 24;

// Every series of the collector moves: per CPU, per reason and per kind.
void fill_collector(prom::CustodyCollector& collector, uint32_t cpus) {
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
        collector.on_custody_enter(cpu, pairing::EnterPath::EnqueueHeld);
        for (pairing::DequeueReason reason : pairing::kAllDequeueReasons)
            collector.on_dequeue(cpu, reason);
        for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
            pairing::Finding finding;
            finding.kind = kind;
            finding.cpu = cpu;
            collector.on_finding(finding);
        }
        collector.on_lost_events(cpu, cpu + 1);
        collector.on_custody_duration(cpu, 1'000ull * (cpu + 1));
    }
    collector.on_lost_events(pairing::kNoCpu, 3);
    collector.on_indeterminate(0, 5);
    collector.on_custody_abandoned_at_unload(0, 2);
    collector.on_evicted(0);
    collector.on_tasks_in_custody(1234);
}

void fill_self(prom::SelfMetrics& self, uint32_t cpus) {
    std::vector<prom::ProgramState> programs;
    for (std::size_t i = 0; i < kPrograms; ++i)
        programs.push_back({"hook_" + std::to_string(i), i % 5 != 0});
    self.set_programs(programs);
    for (uint32_t cpu = 0; cpu < cpus; ++cpu)
        self.add_events(cpu, 1'000'000ull + cpu);
    self.add_decode_errors(2);
    self.add_malformed_events(7);
    self.add_ringbuf_full(3);
    self.set_ringbuf_fill_ratio(0.25);
}

} // namespace

ScrapeFixture::ScrapeFixture(uint32_t cpus)
    : metrics_(std::make_shared<prom::MetricSet>()),
      collector_(std::make_unique<prom::CustodyCollector>(*metrics_, cpus)),
      self_(std::make_unique<prom::SelfMetrics>(*metrics_, cpus, "0.1.0-bench")) {
    fill_collector(*collector_, cpus);
    fill_self(*self_, cpus);
}

std::string ScrapeFixture::scrape() const {
    return metrics_->render_text();
}

std::size_t ScrapeFixture::series() const {
    std::size_t n = 0;
    for (const auto& family : metrics_->Collect())
        n += family.metric.size();
    return n;
}

} // namespace scx_custody::bench
