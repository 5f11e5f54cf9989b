// BpfProgramMetrics: what the audit costs, as Tetragon exports it per program:
// BPF run counts and run time of the tracer's programs next to those of the
// traced scheduler's own (`run --bpf-stats`), and the daemon's own CPU time.
//
// Programs come and go with schedulers, and their kernel counters start at 0
// with each load: the exported counters add up what each program (by id) ran
// since it was last seen, so they only ever increase, and a program reloaded
// under the same name continues its series.
//
// Threading: the updates belong to one thread (the consumer's); scrapes read
// concurrently, which prometheus-cpp allows.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

namespace scx_custody::prom {

// Whose program: the audit's own, or the scheduler it audits.
enum class ProgramOwner : uint8_t { Tracer, Scheduler };

std::string_view to_string(ProgramOwner owner);

// One BPF program's kernel statistics (bpf_prog_info run_cnt, run_time_ns).
struct BpfProgramSample {
    uint32_t id = 0;
    std::string name; // the full name (from BTF), e.g. "custody_on_sched_enqueue"
    ProgramOwner owner = ProgramOwner::Tracer;
    uint64_t run_count = 0;
    uint64_t run_time_ns = 0;
};

class BpfProgramMetrics {
  public:
    explicit BpfProgramMetrics(std::shared_ptr<prometheus::Registry> registry);

    BpfProgramMetrics(const BpfProgramMetrics&) = delete;
    BpfProgramMetrics& operator=(const BpfProgramMetrics&) = delete;

    // The programs loaded now. Each advances its (program, owner) series by what
    // it ran since the last update; a program not seen before counts in full.
    void update(std::span<const BpfProgramSample> programs);

  private:
    struct Series {
        prometheus::Counter* runs;
        prometheus::Counter* seconds;
    };
    struct Seen {
        uint64_t run_count;
        uint64_t run_time_ns;
    };

    Series& series(const BpfProgramSample& program);

    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& runs_;
    prometheus::Family<prometheus::Counter>& seconds_;
    std::map<std::pair<std::string, ProgramOwner>, Series> series_;
    std::unordered_map<uint32_t, Seen> seen_;
};

// The daemon's CPU time (user + system), as a counter advanced to each reading.
class ProcessCpuMetric {
  public:
    explicit ProcessCpuMetric(std::shared_ptr<prometheus::Registry> registry);

    // cpu_seconds: the process's total so far (getrusage); a smaller value is ignored.
    void set_total(double cpu_seconds);

  private:
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Counter& seconds_;
};

} // namespace scx_custody::prom
