// LossGate: makes every loss known to the engine before any record that
// could depend on what was lost.
//
// The tracer counts its losses in BPF (a full ring buffer, per CPU) and the
// kernel counts the runs it skipped (per program); neither is in the stream.
// The consumer therefore holds back the records of one poll, reads the
// counters after the poll, and feeds the growth as Lost records *before* the
// held-back records. That order is safe: a loss that precedes a record's
// event (in time, on any CPU) is counted before that record is consumed,
// hence at the latest in the counters read right after the poll that
// consumed it. A loss counted early only makes more tasks indeterminate; a
// loss counted late could let a record be judged against a history with a
// hole in it (a false finding), which this order rules out.
#pragma once

#include <cstdint>
#include <vector>

#include "custody_abi.h"
#include "record/recording_format.h"

namespace scx_custody::consumer {

class LossGate {
  public:
    // The Lost records for what the counters gained since the last call:
    // one per CPU whose ring-buffer drops grew, one of no CPU for skipped
    // program runs. ts_ns stamps them.
    std::vector<record::LostRecord> take(const std::vector<custody_cpu_counters>& counters,
                                         uint64_t missed_runs, uint64_t ts_ns);

    uint64_t dropped_total() const { return dropped_total_; }
    uint64_t missed_runs_total() const { return last_missed_; }

  private:
    std::vector<uint64_t> last_dropped_;
    uint64_t last_missed_ = 0;
    uint64_t dropped_total_ = 0;
};

} // namespace scx_custody::consumer
