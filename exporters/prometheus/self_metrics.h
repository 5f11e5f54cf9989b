// SelfMetrics: the daemon's own health, in the spirit of ebpf_exporter's self-metrics:
// which BPF programs are attached, what the consumer decoded or had to skip, how
// full the ring buffer is, and the build. Lost events are not here: the consumer
// turns them into Lost events for the pairing engine, and CustodyCollector exports
// them (scx_custody_lost_events_total), so the metric and the audit report agree.
//
// Threading: set_programs() and set_program_attached() take a lock and may be called
// from any thread; the other updates belong to the consumer thread. Scrapes read
// concurrently, which prometheus-cpp and CounterTable allow.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "counter_table.h"
#include "metric_set.h"

namespace scx_custody::prom {

// One row of the attach plan.
struct ProgramState {
    std::string program; // the attach plan's hook name, e.g. "ops_dequeue"
    bool attached = false;
};

class SelfMetrics {
  public:
    // nr_cpus: the number of possible CPUs; version: the build's version string.
    // The metrics are added to `metrics`, which must outlive these.
    SelfMetrics(MetricSet& metrics, uint32_t nr_cpus, std::string_view version);

    SelfMetrics(const SelfMetrics&) = delete;
    SelfMetrics& operator=(const SelfMetrics&) = delete;

    // Publishes the attach plan: one program_attached series per program, 1 when
    // attached. A program listed before but missing from `programs` is set to 0.
    void set_programs(std::span<const ProgramState> programs);
    // One program's state changed (e.g. its link was detached).
    void set_program_attached(std::string_view program, bool attached);

    void add_events(uint32_t cpu, uint64_t count = 1);
    void add_decode_errors(uint64_t count = 1);
    void add_malformed_events(uint64_t count = 1);
    // Records the tracer could not deliver, by cause.
    void add_ringbuf_full(uint64_t count);
    void add_pending_overwritten(uint64_t count);
    void set_ringbuf_fill_ratio(double ratio);

  private:
    void set_program_locked(const std::string& program, bool attached);

    CounterTable& events_;
    prometheus::Counter& decode_errors_;
    prometheus::Counter& malformed_events_;
    prometheus::Family<prometheus::Gauge>& program_attached_;
    prometheus::Gauge& ringbuf_fill_ratio_;
    prometheus::Counter& ringbuf_full_;
    prometheus::Counter& pending_overwritten_;

    std::mutex programs_mutex_;
    std::map<std::string, prometheus::Gauge*, std::less<>> programs_;
};

} // namespace scx_custody::prom
