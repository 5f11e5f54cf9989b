// Every metric scx-custody exports: name, type, labels and help text.
//
// This table is the single source of the metric contract (docs/CONTRACT.md, "Metrics"):
// CustodyCollector and SelfMetrics register their families from it, `--help-stats`
// prints it, and tests/prometheus checks docs/METRICS.md against it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string_view>

namespace scx_custody::prom {

enum class MetricType : uint8_t {
    Counter,
    Gauge,
    Histogram,
};

// "counter", "gauge", "histogram": the names of the exposition format's # TYPE line.
std::string_view to_string(MetricType type);

inline constexpr std::size_t kMaxMetricLabels = 2;

struct MetricInfo {
    std::string_view name;
    MetricType type;
    std::array<std::string_view, kMaxMetricLabels> label_names{};
    std::string_view help;

    // The label names in use (a prefix of label_names).
    std::span<const std::string_view> labels() const {
        std::size_t n = 0;
        while (n < label_names.size() && !label_names[n].empty())
            ++n;
        return {label_names.data(), n};
    }
};

// ---- the audit's figures (CustodyCollector) --------------------------------
inline constexpr MetricInfo kCustodyEnterTotal{
    "scx_custody_custody_enter_total",
    MetricType::Counter,
    {"cpu"},
    "Custody periods begun, by CPU: ops.enqueue() kept the task or put it on a user DSQ, "
    "or the task was inserted into a user DSQ. A re-enqueue within custody is not a new period.",
};
inline constexpr MetricInfo kDequeueTotal{
    "scx_custody_dequeue_total",
    MetricType::Counter,
    {"cpu", "reason"},
    "ops.dequeue() calls that ended a custody period, by CPU and reason (dispatch, "
    "sched_change, core_sched). Duplicate and out-of-custody dequeues are violations instead.",
};
inline constexpr MetricInfo kViolationsTotal{
    "scx_custody_violations_total",
    MetricType::Counter,
    {"cpu", "kind"},
    "Violations of the ops.dequeue custody invariant, by CPU and kind.",
};
inline constexpr MetricInfo kTasksInCustody{
    "scx_custody_tasks_in_custody",
    MetricType::Gauge,
    {},
    "Tasks the auditor's model holds in a scheduler's custody now.",
};
inline constexpr MetricInfo kCustodyDurationSeconds{
    "scx_custody_custody_duration_seconds",
    MetricType::Histogram,
    {},
    "Custody periods closed by ops.dequeue(): time from custody enter to the dequeue.",
};
inline constexpr MetricInfo kIndeterminateTotal{
    "scx_custody_indeterminate_total",
    MetricType::Counter,
    {},
    "Tasks whose custody became unknown (after lost events) until their next clean custody "
    "cycle. Not violations.",
};
inline constexpr MetricInfo kCustodyAbandonedAtUnloadTotal{
    "scx_custody_custody_abandoned_at_unload_total",
    MetricType::Counter,
    {},
    "Tasks in custody when their scheduler was unloaded: the kernel ends their custody "
    "without ops.dequeue() by design. Not violations.",
};
inline constexpr MetricInfo kLostEventsTotal{
    "scx_custody_lost_events_total",
    MetricType::Counter,
    {"cpu"},
    "Events lost before they reached the auditor (ring buffer full), by the CPU that "
    "produced them; cpu=\"none\": runs of the tracer's programs the kernel skipped.",
};
inline constexpr MetricInfo kTasksEvictedTotal{
    "scx_custody_tasks_evicted_total",
    MetricType::Counter,
    {},
    "Task records dropped at the task table's capacity; tasks first seen afterwards are "
    "indeterminate until the next scheduler attach.",
};
inline constexpr MetricInfo kOldestCustodyAgeSeconds{
    "scx_custody_oldest_custody_age_seconds",
    MetricType::Gauge,
    {"scheduler"},
    "Age of the oldest custody the auditor's model holds now, by scheduler: how long a task "
    "has waited in the scheduler's custody (on a user DSQ or in its BPF queues) without a "
    "dequeue. 0 when none is held. The kernel's watchdog ejects a scheduler whose runnable "
    "task waits 30 s (ops.timeout_ms).",
};

// ---- per scheduler instance (CustodyCollector::publish_sections) -----------
// `scheduler`: the instance's place in the tree ("root", "root/sub/sub-28");
// `name`: its ops.name. Sums over every section of that place and name.
inline constexpr MetricInfo kSchedulerCustodyEnterTotal{
    "scx_custody_scheduler_custody_enter_total",
    MetricType::Counter,
    {"scheduler", "name"},
    "Custody periods begun in this scheduler's custody (as scx_custody_custody_enter_total).",
};
inline constexpr MetricInfo kSchedulerDequeueTotal{
    "scx_custody_scheduler_dequeue_total",
    MetricType::Counter,
    {"scheduler", "name"},
    "ops.dequeue() calls of this scheduler that ended a custody period.",
};
inline constexpr MetricInfo kSchedulerViolationsTotal{
    "scx_custody_scheduler_violations_total",
    MetricType::Counter,
    {"scheduler", "name"},
    "Violations of the custody invariant in this scheduler's custody, every kind.",
};
inline constexpr MetricInfo kSchedulerTasksHandedInTotal{
    "scx_custody_scheduler_tasks_handed_in_total",
    MetricType::Counter,
    {"scheduler", "name"},
    "Tasks handed to this scheduler by another one of its sub-scheduler tree (a cgroup "
    "move, a sub-scheduler's attach or detach).",
};
inline constexpr MetricInfo kSchedulerAudited{
    "scx_custody_scheduler_audited",
    MetricType::Gauge,
    {"scheduler", "name"},
    "1 while this scheduler instance runs and is audited, 0 once it stopped.",
};

// ---- the daemon's own health (SelfMetrics) ---------------------------------
inline constexpr MetricInfo kEventsTotal{
    "scx_custody_events_total",
    MetricType::Counter,
    {"cpu"},
    "Events read from the ring buffer and decoded, by the CPU that produced them.",
};
inline constexpr MetricInfo kDecodeErrorsTotal{
    "scx_custody_decode_errors_total",
    MetricType::Counter,
    {},
    "Ring buffer records that could not be decoded (size, type or hook out of range); each "
    "is fed to the audit as one lost event.",
};
inline constexpr MetricInfo kMalformedEventsTotal{
    "scx_custody_malformed_events_total",
    MetricType::Counter,
    {},
    "Decoded events the pairing engine ignored as malformed (an insert with no DSQ, an "
    "unknown kind).",
};
inline constexpr MetricInfo kProgramAttached{
    "scx_custody_program_attached",
    MetricType::Gauge,
    {"program"},
    "1 when the attach plan's hook is attached, 0 when its attach failed or it was detached. "
    "program is the hook's name as the attach plan and the report name it (dsq_insert, "
    "ops_dequeue, sched_dequeue, ...).",
};
inline constexpr MetricInfo kRingbufFillRatio{
    "scx_custody_ringbuf_fill_ratio",
    MetricType::Gauge,
    {},
    "Fraction of the ring buffer holding unread records at the last poll, 0 to 1.",
};
inline constexpr MetricInfo kTracerDropsTotal{
    "scx_custody_tracer_drops_total",
    MetricType::Counter,
    {"cause"},
    "Records the tracer could not deliver, by cause: ringbuf_full (no room in the ring "
    "buffer) or pending_overwritten (a call seen on entry was overwritten before its return). "
    "Each is also counted in scx_custody_lost_events_total.",
};
// ---- the audit's cost (BpfProgramMetrics, `run --bpf-stats`; ProcessCpuMetric) --
inline constexpr MetricInfo kBpfProgramRunsTotal{
    "scx_custody_bpf_program_runs_total",
    MetricType::Counter,
    {"program", "owner"},
    "Runs of a BPF program (kernel bpf_stats), owner tracer (the audit's own programs) or "
    "scheduler (the audited scheduler's struct_ops programs). Only with run --bpf-stats.",
};
inline constexpr MetricInfo kBpfProgramRunSecondsTotal{
    "scx_custody_bpf_program_run_seconds_total",
    MetricType::Counter,
    {"program", "owner"},
    "CPU time a BPF program ran (kernel bpf_stats). A scheduler program's time includes the "
    "tracer programs attached to it. Only with run --bpf-stats.",
};
inline constexpr MetricInfo kProcessCpuSecondsTotal{
    "scx_custody_process_cpu_seconds_total",
    MetricType::Counter,
    {},
    "CPU time (user and system) the daemon process has used.",
};
inline constexpr MetricInfo kBuildInfo{
    "scx_custody_build_info",
    MetricType::Gauge,
    {"version"},
    "Always 1; the version label names the scx-custody build.",
};

// Every metric above, audit figures first.
std::span<const MetricInfo> metric_catalog();

// Upper bounds (seconds) of the custody-duration histogram buckets: 1 µs to 10 s,
// 1-2.5-5 per decade.
std::span<const double> custody_duration_buckets();

// For `--help-stats`: one block per metric (name, type, labels, help).
void write_metric_help(std::ostream& out);
// One line per metric: name TAB type TAB comma-separated labels TAB help.
void write_metric_table(std::ostream& out);

} // namespace scx_custody::prom
