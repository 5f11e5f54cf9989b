// LossGate: makes every loss known to the engine before any record that
// could depend on what was lost, and accounts for what each poll delivered.
//
// The tracer counts its losses in BPF (per CPU: a full ring buffer, or a
// pending call overwritten before its return) and the kernel counts the runs
// it skipped (per program); neither is in the stream. The consumer therefore
// holds back the records of one poll, reads the counters after the poll, and
// feeds the growth as Lost records *before* the held-back records. That order
// is safe: a loss that precedes a record's event (in time, on any CPU) is
// counted before that record is consumed, hence at the latest in the counters
// read right after the poll that consumed it. A loss counted early only makes
// more tasks indeterminate; a loss counted late could let a record be judged
// against a history with a hole in it (a false finding), which this order
// rules out.
#pragma once

#include <cstdint>
#include <vector>

#include "consumer/counter_growth.h"
#include "custody_abi.h"
#include "record/recording_format.h"

namespace scx_custody::consumer {

// What one poll added to the counters: the daemon's self-metrics are fed from
// this, the engine from lost_records().
struct PollCounts {
    std::vector<uint64_t> events_per_cpu; // records the tracer submitted
    std::vector<uint64_t> lost_per_cpu;   // records lost, whatever the cause
    uint64_t ringbuf_full = 0;            // of those: no room in the ring buffer
    uint64_t pending_overwritten = 0;     // of those: a pending call overwritten
    uint64_t missed_runs = 0;             // program runs the kernel skipped
    uint64_t decode_errors = 0;           // records that did not decode
    uint64_t malformed_events = 0;        // events the engine could not place
    double ringbuf_fill = 0;              // how full the ring buffer is now, 0..1
};

class LossGate {
  public:
    // What the tracer's counters gained since the last call (read right after
    // a poll, before its records are fed).
    PollCounts take(const std::vector<custody_cpu_counters>& counters, uint64_t missed_runs);
    // What the session's and the engine's running totals gained (read after
    // the poll's records were fed).
    void take_consumer_totals(PollCounts& counts, uint64_t decode_errors,
                              uint64_t malformed_events);

    // The Lost records for a poll's losses: one per CPU that lost records,
    // one of no CPU for skipped program runs. ts_ns stamps them.
    static std::vector<record::LostRecord> lost_records(const PollCounts& counts, uint64_t ts_ns);

    uint64_t lost_total() const { return lost_total_; }
    uint64_t missed_runs_total() const { return missed_.last(); }

  private:
    PerCpuGrowth events_;
    PerCpuGrowth ringbuf_full_;
    PerCpuGrowth pending_overwritten_;
    CounterGrowth missed_;
    CounterGrowth decode_errors_;
    CounterGrowth malformed_;
    uint64_t lost_total_ = 0;
};

} // namespace scx_custody::consumer
