#include "consumer/loss_gate.h"

#include "pairing/event.h"

namespace scx_custody::consumer {

PollCounts LossGate::take(const std::vector<custody_cpu_counters>& counters, uint64_t missed_runs) {
    PollCounts counts;
    counts.events_per_cpu.resize(counters.size());
    counts.lost_per_cpu.resize(counters.size());
    for (std::size_t cpu = 0; cpu < counters.size(); cpu++) {
        const uint64_t full = ringbuf_full_.take(cpu, counters[cpu].ringbuf_full);
        const uint64_t overwritten =
            pending_overwritten_.take(cpu, counters[cpu].pending_overwritten);
        counts.events_per_cpu[cpu] = events_.take(cpu, counters[cpu].events);
        counts.lost_per_cpu[cpu] = full + overwritten;
        counts.ringbuf_full += full;
        counts.pending_overwritten += overwritten;
        lost_total_ += full + overwritten;
    }
    counts.missed_runs = missed_.take(missed_runs);
    return counts;
}

void LossGate::take_consumer_totals(PollCounts& counts, uint64_t decode_errors,
                                    uint64_t malformed_events) {
    counts.decode_errors = decode_errors_.take(decode_errors);
    counts.malformed_events = malformed_.take(malformed_events);
}

std::vector<record::LostRecord> LossGate::lost_records(const PollCounts& counts, uint64_t ts_ns) {
    std::vector<record::LostRecord> lost;
    if (counts.missed_runs > 0)
        lost.push_back({ts_ns, pairing::kNoCpu, counts.missed_runs});
    for (std::size_t cpu = 0; cpu < counts.lost_per_cpu.size(); cpu++)
        if (counts.lost_per_cpu[cpu] > 0)
            lost.push_back({ts_ns, static_cast<uint32_t>(cpu), counts.lost_per_cpu[cpu]});
    return lost;
}

} // namespace scx_custody::consumer
