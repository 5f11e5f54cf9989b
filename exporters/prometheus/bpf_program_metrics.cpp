#include "bpf_program_metrics.h"

#include "family_builder.h"
#include "metric_catalog.h"

namespace scx_custody::prom {

std::string_view to_string(ProgramOwner owner) {
    return owner == ProgramOwner::Tracer ? "tracer" : "scheduler";
}

BpfProgramMetrics::BpfProgramMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      runs_(detail::add_family<prometheus::Counter>(*registry_, kBpfProgramRunsTotal)),
      seconds_(detail::add_family<prometheus::Counter>(*registry_, kBpfProgramRunSecondsTotal)) {}

BpfProgramMetrics::Series& BpfProgramMetrics::series(const BpfProgramSample& program) {
    auto key = std::make_pair(program.name, program.owner);
    auto it = series_.find(key);
    if (it == series_.end()) {
        const std::map<std::string, std::string> labels = {
            {"program", program.name}, {"owner", std::string(to_string(program.owner))}};
        it = series_.emplace(std::move(key), Series{&runs_.Add(labels), &seconds_.Add(labels)})
                 .first;
    }
    return it->second;
}

void BpfProgramMetrics::update(std::span<const BpfProgramSample> programs) {
    std::unordered_map<uint32_t, Seen> now;
    now.reserve(programs.size());
    for (const BpfProgramSample& program : programs) {
        Seen before{0, 0};
        if (auto it = seen_.find(program.id); it != seen_.end())
            before = it->second;
        // The kernel's counters never go back for one program id; a smaller
        // value would mean a reused id (a new program): count it from 0.
        if (program.run_count < before.run_count || program.run_time_ns < before.run_time_ns)
            before = {0, 0};
        Series& s = series(program);
        s.runs->Increment(static_cast<double>(program.run_count - before.run_count));
        s.seconds->Increment(static_cast<double>(program.run_time_ns - before.run_time_ns) / 1e9);
        now[program.id] = {program.run_count, program.run_time_ns};
    }
    // Programs gone since the last update are forgotten: their ids may be reused.
    seen_ = std::move(now);
}

ProcessCpuMetric::ProcessCpuMetric(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      seconds_(
          detail::add_family<prometheus::Counter>(*registry_, kProcessCpuSecondsTotal).Add({})) {}

void ProcessCpuMetric::set_total(double cpu_seconds) {
    const double delta = cpu_seconds - seconds_.Value();
    if (delta > 0)
        seconds_.Increment(delta);
}

} // namespace scx_custody::prom
