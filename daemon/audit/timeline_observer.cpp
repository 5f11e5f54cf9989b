#include "audit/timeline_observer.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <string>

namespace scx_custody::audit {

using nlohmann::json;

void TimelineObserver::locate(uint64_t ts_ns) {
    if (!origin_ns_)
        origin_ns_ = ts_ns;
    // Records merged across CPUs can be a little out of order: earlier than the
    // first event counts in the first interval.
    const uint64_t origin = *origin_ns_;
    const uint64_t index = ts_ns > origin ? (ts_ns - origin) / kIntervalNs : 0;
    index_ = index < kMaxBuckets ? static_cast<std::size_t>(index) : kMaxBuckets;
    interval_start_ns_ = origin + index * kIntervalNs;
}

void TimelineObserver::on_custody_enter(uint32_t cpu, pairing::EnterPath /*path*/) {
    bin(cpu, Kind::Enter);
}

void TimelineObserver::on_dequeue(uint32_t cpu, pairing::DequeueReason /*reason*/) {
    bin(cpu, Kind::Dequeue);
}

void TimelineObserver::on_custody_duration(uint32_t /*cpu*/, uint64_t duration_ns) {
    ++histogram_[static_cast<std::size_t>(std::bit_width(duration_ns))];
}

void TimelineObserver::bin_growing(uint32_t cpu, Kind kind) {
    if (index_ >= kMaxBuckets || cpu >= kMaxCpus) {
        ++not_binned_[static_cast<std::size_t>(kind)];
        capped_ = true;
        return;
    }
    if (cpu >= cpus_.size())
        cpus_.resize(static_cast<std::size_t>(cpu) + 1);
    std::vector<Bin>& series = cpus_[cpu];
    if (index_ >= series.size())
        series.resize(index_ + 1);
    ++series[index_][static_cast<std::size_t>(kind)];
    if (index_ >= buckets_)
        buckets_ = index_ + 1;
}

json TimelineObserver::timeline_json() const {
    json per_cpu = json::array();
    for (std::size_t cpu = 0; cpu < cpus_.size(); ++cpu) {
        const std::vector<Bin>& series = cpus_[cpu];
        if (series.empty())
            continue;
        std::vector<uint64_t> enter(buckets_, 0);
        std::vector<uint64_t> dequeue(buckets_, 0);
        for (std::size_t i = 0; i < series.size(); ++i) {
            enter[i] = series[i][static_cast<std::size_t>(Kind::Enter)];
            dequeue[i] = series[i][static_cast<std::size_t>(Kind::Dequeue)];
        }
        per_cpu.push_back({{"cpu", cpu}, {"custody_enter", enter}, {"dequeue", dequeue}});
    }
    json timeline = {
        {"interval_ns", kIntervalNs},
        {"origin_ts_ns", origin_ns_.value_or(0)},
        {"buckets", buckets_},
        {"max_buckets", kMaxBuckets},
        {"capped", capped_},
        {"not_binned",
         {{"custody_enter", not_binned_[static_cast<std::size_t>(Kind::Enter)]},
          {"dequeue", not_binned_[static_cast<std::size_t>(Kind::Dequeue)]}}},
        {"per_cpu", std::move(per_cpu)},
    };
    if (capped_) {
        timeline["note"] = "capped: the timeline covers the first " + std::to_string(kMaxBuckets) +
                           " s (CPUs below " + std::to_string(kMaxCpus) + "); " +
                           std::to_string(not_binned_[static_cast<std::size_t>(Kind::Enter)]) +
                           " custody enters and " +
                           std::to_string(not_binned_[static_cast<std::size_t>(Kind::Dequeue)]) +
                           " dequeues outside it are counted in the totals only";
    }
    return timeline;
}

json TimelineObserver::histogram_json() const {
    std::size_t first = kHistogramBuckets;
    std::size_t last = 0;
    uint64_t count = 0;
    for (std::size_t b = 0; b < kHistogramBuckets; ++b) {
        if (histogram_[b] == 0)
            continue;
        first = std::min(first, b);
        last = b;
        count += histogram_[b];
    }
    json buckets = json::array();
    for (std::size_t b = first; b <= last && b < kHistogramBuckets; ++b) {
        const uint64_t min_ns = b == 0 ? 0 : uint64_t{1} << (b - 1);
        const uint64_t max_ns =
            b == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << b) - 1;
        buckets.push_back({{"min_ns", min_ns}, {"max_ns", max_ns}, {"count", histogram_[b]}});
    }
    return {{"scale", "log2"}, {"unit", "ns"}, {"count", count}, {"buckets", std::move(buckets)}};
}

} // namespace scx_custody::audit
