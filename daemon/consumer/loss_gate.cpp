#include "consumer/loss_gate.h"

#include "pairing/event.h"

namespace scx_custody::consumer {

std::vector<record::LostRecord> LossGate::take(const std::vector<custody_cpu_counters>& counters,
                                               uint64_t missed_runs, uint64_t ts_ns) {
    std::vector<record::LostRecord> lost;
    if (missed_runs > last_missed_) {
        lost.push_back({ts_ns, pairing::kNoCpu, missed_runs - last_missed_});
        last_missed_ = missed_runs;
    }
    if (last_dropped_.size() < counters.size())
        last_dropped_.resize(counters.size(), 0);
    for (size_t cpu = 0; cpu < counters.size(); cpu++) {
        const uint64_t dropped = counters[cpu].dropped;
        if (dropped <= last_dropped_[cpu])
            continue;
        lost.push_back({ts_ns, static_cast<uint32_t>(cpu), dropped - last_dropped_[cpu]});
        dropped_total_ += dropped - last_dropped_[cpu];
        last_dropped_[cpu] = dropped;
    }
    return lost;
}

} // namespace scx_custody::consumer
