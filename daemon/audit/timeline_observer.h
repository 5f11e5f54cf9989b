// TimelineObserver: the audit's time series, built from the engine's callbacks.
//
// Custody enters and counted dequeues are binned per CPU in 1 s intervals of
// event time (ts_ns relative to the first event the session processed), and every
// custody period closed by a counted dequeue goes into a log2-bucketed duration
// histogram. The live audit and the replay feed the same events in the same
// order, so both build the same series.
//
// Bounded: at most kMaxBuckets intervals (10 minutes) and CPUs below kMaxCpus are
// binned; what falls outside is counted in "not_binned" and the timeline says it
// is "capped". The histogram is fixed-size (65 buckets).
//
// The engine's callbacks carry no timestamp: the session calls at() with each
// event's ts_ns before handing the event to the engine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "pairing/observer.h"

namespace scx_custody::audit {

class TimelineObserver final : public pairing::EngineObserver {
  public:
    static constexpr uint64_t kIntervalNs = 1'000'000'000;
    static constexpr std::size_t kMaxBuckets = 600;
    // The engine's own CPU limit (EngineConfig::max_cpus).
    static constexpr uint32_t kMaxCpus = 4096;
    // Bucket b holds durations of bit width b: 0 for 0 ns, b for [2^(b-1), 2^b - 1].
    static constexpr std::size_t kHistogramBuckets = 65;

    // The time of the event the engine is about to process. Inline: it runs
    // for every event, and most fall in the last event's interval.
    void at(uint64_t ts_ns) {
        // Unsigned: an event before the interval's start wraps and is located.
        if (ts_ns - interval_start_ns_ >= kIntervalNs || !origin_ns_)
            locate(ts_ns);
    }

    void on_custody_enter(uint32_t cpu, pairing::EnterPath path) override;
    void on_dequeue(uint32_t cpu, pairing::DequeueReason reason) override;
    void on_custody_duration(uint32_t cpu, uint64_t duration_ns) override;

    // details.timeline: interval_ns, origin_ts_ns, buckets, max_buckets, capped,
    // not_binned {custody_enter, dequeue}, per_cpu [{cpu, custody_enter[], dequeue[]}]
    // (each array `buckets` long; only CPUs with binned events), and a note when capped.
    nlohmann::json timeline_json() const;
    // details.custody_duration_histogram: scale "log2", unit "ns", count, and
    // buckets [{min_ns, max_ns, count}] from the first to the last non-empty one.
    nlohmann::json histogram_json() const;

  private:
    enum class Kind : uint8_t { Enter, Dequeue };
    // One interval of one CPU: custody enters and dequeues, by Kind.
    using Bin = std::array<uint64_t, 2>;

    // Finds the interval of ts_ns when it is not the last event's.
    void locate(uint64_t ts_ns);
    // The common case inline: the CPU's series already reaches the interval
    // (a series is never longer than buckets_, so that needs no update).
    void bin(uint32_t cpu, Kind kind) {
        if (cpu < cpus_.size() && index_ < cpus_[cpu].size()) [[likely]] {
            ++cpus_[cpu][index_][static_cast<std::size_t>(kind)];
            return;
        }
        bin_growing(cpu, kind);
    }
    // The rest, out of line: a new CPU or interval, or one outside the cap.
    void bin_growing(uint32_t cpu, Kind kind);

    std::optional<uint64_t> origin_ns_;
    // The interval of the last event given to at(), and where it begins: the
    // next event, most often in the same one, needs no division.
    std::size_t index_ = 0;
    uint64_t interval_start_ns_ = 0;
    // One past the highest interval binned.
    std::size_t buckets_ = 0;
    // Per CPU, its bins by interval.
    std::vector<std::vector<Bin>> cpus_;
    std::array<uint64_t, 2> not_binned_{};
    bool capped_ = false;
    std::array<uint64_t, kHistogramBuckets> histogram_{};
};

} // namespace scx_custody::audit
