// Tracer: the custody tracing BPF programs, loaded per the attach plan. It
// owns the ring buffer map; the consumer reads it (consumer::RingReader).
//
// Instances of the custody_trace object share one ring buffer: the kernel
// instance (kernel functions and tracepoints, for the whole run) and one
// scheduler instance per traced scheduler (fentry/fexit on its own
// programs): the root, and in a 7.3 tree every sub-scheduler beside it.
#pragma once

#include "custody_abi.h"
#include "loader/attach_plan.h"
#include "loader/sched_programs.h"
#include "util/result.h"

#include <cstdint>
#include <memory>
#include <vector>

struct custody_trace;
struct bpf_link;

namespace scx_custody::loader {

// The ring buffer's fill at which a record wakes the reader: an eighth of it
// (custody_wakeup_flags() in bpf/include/custody_wakeup.bpf.h). Inline: the
// benchmarks' ring producer uses it without the loader.
constexpr uint64_t wakeup_fill_bytes(uint32_t ringbuf_bytes) {
    return ringbuf_bytes / 8;
}

class Tracer {
  public:
    struct Options {
        uint32_t ringbuf_bytes = 16u << 20; // power of two
        // Test hook (0: off): spin this long on return from a user- or
        // global-DSQ insert, to widen the record-order race window.
        uint64_t test_insert_return_delay_ns = 0;
        // BTF ids of the sched_ext struct_ops value types (at most two).
        std::vector<uint32_t> sched_ext_value_type_ids;
        // Stop a process that sets a sched_ext struct_ops map's value until
        // the daemon has traced its programs (SchedulerFollower continues it).
        bool hold_registrations = false;
    };

    static Result<Tracer> start(AttachPlan plan, const Options& opts);

    Tracer(Tracer&&) noexcept;
    Tracer& operator=(Tracer&&) noexcept;
    ~Tracer();

    // Traces `progs` (the scheduler's ops.dequeue/ops.enqueue) beside any
    // other traced instance (replacing one with the same map id). Records the
    // outcome in the plan's sched_* rows, which show the latest instance.
    Status trace_scheduler(const SchedulerPrograms& progs);
    void untrace_scheduler(uint32_t map_id);
    // Whether the instance with this struct_ops map id is traced.
    bool traces(uint32_t map_id) const;

    // The ring buffer map every instance writes to, and its size.
    int ringbuf_fd() const;
    uint32_t ringbuf_bytes() const;

    // Per-CPU counters (index = CPU).
    Result<std::vector<custody_cpu_counters>> read_counters() const;
    // Runs the kernel skipped for the event-emitting programs, of the kernel
    // instance and of every scheduler instance traced so far: a kprobe is not
    // run while another kprobe program or a map syscall is active on the same
    // CPU, a trampoline program not while it already runs there. Each is an
    // event never emitted (programs that only count are left out). One
    // bpf_prog_get_info_by_fd per program: no map syscall.
    uint64_t missed_runs() const;

    const AttachPlan& plan() const { return plan_; }

  private:
    struct Impl;
    explicit Tracer(std::unique_ptr<Impl> impl, AttachPlan plan);
    std::unique_ptr<Impl> impl_;
    AttachPlan plan_;
};

} // namespace scx_custody::loader
