#include "self_metrics.h"

#include <algorithm>
#include <set>
#include <utility>

#include "family_builder.h"
#include "metric_catalog.h"

namespace scx_custody::prom {

using detail::add_family;

SelfMetrics::SelfMetrics(MetricSet& metrics, uint32_t nr_cpus, std::string_view version)
    : events_(metrics.add_table(kEventsTotal, nr_cpus)),
      decode_errors_(
          add_family<prometheus::Counter>(metrics.registry(), kDecodeErrorsTotal).Add({})),
      malformed_events_(
          add_family<prometheus::Counter>(metrics.registry(), kMalformedEventsTotal).Add({})),
      program_attached_(add_family<prometheus::Gauge>(metrics.registry(), kProgramAttached)),
      ringbuf_fill_ratio_(
          add_family<prometheus::Gauge>(metrics.registry(), kRingbufFillRatio).Add({})),
      ringbuf_full_(add_family<prometheus::Counter>(metrics.registry(), kTracerDropsTotal)
                        .Add({{"cause", "ringbuf_full"}})),
      // The second call finds the family the first registered (the registry merges).
      pending_overwritten_(add_family<prometheus::Counter>(metrics.registry(), kTracerDropsTotal)
                               .Add({{"cause", "pending_overwritten"}})) {
    add_family<prometheus::Gauge>(metrics.registry(), kBuildInfo)
        .Add({{"version", std::string(version)}})
        .Set(1);
}

void SelfMetrics::set_programs(std::span<const ProgramState> programs) {
    std::lock_guard lock(programs_mutex_);
    std::set<std::string_view> listed;
    for (const ProgramState& row : programs) {
        set_program_locked(row.program, row.attached);
        listed.insert(row.program);
    }
    for (auto& [program, gauge] : programs_) {
        if (!listed.contains(program))
            gauge->Set(0);
    }
}

void SelfMetrics::set_program_attached(std::string_view program, bool attached) {
    std::lock_guard lock(programs_mutex_);
    set_program_locked(std::string(program), attached);
}

void SelfMetrics::set_program_locked(const std::string& program, bool attached) {
    auto it = programs_.find(program);
    if (it == programs_.end())
        it = programs_.emplace(program, &program_attached_.Add({{"program", program}})).first;
    it->second->Set(attached ? 1 : 0);
}

void SelfMetrics::add_events(uint32_t cpu, uint64_t count) {
    events_.add(cpu, 0, count);
}

void SelfMetrics::add_decode_errors(uint64_t count) {
    decode_errors_.Increment(static_cast<double>(count));
}

void SelfMetrics::add_malformed_events(uint64_t count) {
    malformed_events_.Increment(static_cast<double>(count));
}

void SelfMetrics::add_ringbuf_full(uint64_t count) {
    ringbuf_full_.Increment(static_cast<double>(count));
}

void SelfMetrics::add_pending_overwritten(uint64_t count) {
    pending_overwritten_.Increment(static_cast<double>(count));
}

void SelfMetrics::set_ringbuf_fill_ratio(double ratio) {
    ringbuf_fill_ratio_.Set(std::clamp(ratio, 0.0, 1.0));
}

} // namespace scx_custody::prom
