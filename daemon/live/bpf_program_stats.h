// `run --bpf-stats`: the kernel-side cost of the audit, per BPF program.
//
// The kernel counts run time per program only while some process holds a
// BPF_ENABLE_STATS fd (or kernel.bpf_stats_enabled is set); the switch is
// host-wide and costs two clock reads per program run, so it is opt-in and the
// fd is held for the daemon's life. BpfProgramStats reads bpf_prog_info of the
// tracer's programs and of the sched_ext scheduler's struct_ops programs and
// feeds prom::BpfProgramMetrics; it also keeps the daemon's CPU time current.
#pragma once

#include "exporters/prometheus/bpf_program_metrics.h"
#include "util/result.h"
#include "util/unique_fd.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace scx_custody::live {

// Which loaded programs are the tracer's or a sched_ext scheduler's, and their
// full names (bpf_prog_info keeps 15 characters; BTF has the whole name).
class BpfProgramScanner {
  public:
    // sched_ext_ops_type_ids: the kernel BTF ids of struct sched_ext_ops (and
    // its cid form), a scheduler program's attach type.
    explicit BpfProgramScanner(std::set<uint32_t> sched_ext_ops_type_ids);

    std::vector<prom::BpfProgramSample> scan();

  private:
    struct Identity {
        std::string name;
        prom::ProgramOwner owner;
    };
    // Looked up once per program id; nullopt: neither the tracer's nor a scheduler's.
    const std::optional<Identity>& identify(uint32_t id, int fd);

    std::set<uint32_t> sched_ext_ops_type_ids_;
    std::unordered_map<uint32_t, std::optional<Identity>> known_;
};

class BpfProgramStats {
  public:
    // Turns run-time statistics on (BPF_ENABLE_STATS) and registers the series.
    // Fails (CannotRun) when the kernel refuses: not root, or no BTF.
    static Result<std::unique_ptr<BpfProgramStats>>
    enable(std::shared_ptr<prometheus::Registry> registry);

    // Reads the programs' statistics, at most once a second (called per poll).
    void refresh(std::chrono::steady_clock::time_point now);

  private:
    BpfProgramStats(UniqueFd stats_fd, std::set<uint32_t> ops_type_ids,
                    std::shared_ptr<prometheus::Registry> registry);

    UniqueFd stats_fd_;
    BpfProgramScanner scanner_;
    prom::BpfProgramMetrics metrics_;
    std::optional<std::chrono::steady_clock::time_point> last_;
};

// The daemon's CPU time for scx_custody_process_cpu_seconds_total, at most once
// a second.
class ProcessCpuTime {
  public:
    explicit ProcessCpuTime(std::shared_ptr<prometheus::Registry> registry);
    void refresh(std::chrono::steady_clock::time_point now);

  private:
    prom::ProcessCpuMetric metric_;
    std::optional<std::chrono::steady_clock::time_point> last_;
};

} // namespace scx_custody::live
