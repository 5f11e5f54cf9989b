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

    // The time of the event the engine is about to process.
    void at(uint64_t ts_ns);

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
    struct CpuSeries {
        std::vector<uint64_t> enter;
        std::vector<uint64_t> dequeue;
    };
    enum class Kind : uint8_t { Enter, Dequeue };

    void bin(uint32_t cpu, Kind kind);

    std::optional<uint64_t> origin_ns_;
    uint64_t now_ns_ = 0;
    // One past the highest interval binned.
    std::size_t buckets_ = 0;
    std::vector<CpuSeries> cpus_;
    std::array<uint64_t, 2> not_binned_{};
    bool capped_ = false;
    std::array<uint64_t, kHistogramBuckets> histogram_{};
};

} // namespace scx_custody::audit
