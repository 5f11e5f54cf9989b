// TaskPrefetch: TaskTable's prefetch steps carried from one record to the
// next. A record's slot step gives the hash its record step needs; it waits
// here, in a ring of the last kRing records, for the step a few records
// later. A table small enough to stay in the CPU's caches gains nothing from
// the hints, only their instructions: below kMinTasks tasks they are not
// issued.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "consumer/event_decode.h"
#include "pairing/task_table.h"

namespace scx_custody::audit {

class TaskPrefetch {
  public:
    // Records further apart than this share a ring entry.
    static constexpr std::size_t kRing = 16;
    // 8,192 tasks: 384 KiB of records and 32 KiB of index, about half of a
    // 1 MiB L2 cache.
    static constexpr std::size_t kMinTasks = 8192;

    // A new run of records: nothing carried over is theirs.
    void restart(const pairing::TaskTable& table) {
        active_ = table.size() >= kMinTasks;
        ring_.fill(Ahead{});
    }
    bool active() const { return active_; }

    void slot(const pairing::TaskTable& table, std::span<const std::byte> raw, std::size_t i) {
        Ahead& ahead = ring_[i % kRing];
        const std::optional<pairing::TaskKey> task = consumer::event_task(raw);
        ahead = task ? Ahead{table.prefetch_slot(*task), true} : Ahead{};
    }
    void record(const pairing::TaskTable& table, std::size_t i) const {
        const Ahead& ahead = ring_[i % kRing];
        if (ahead.has_hash)
            table.prefetch_record(ahead.hash);
    }

  private:
    struct Ahead {
        uint64_t hash = 0;
        bool has_hash = false;
    };
    std::array<Ahead, kRing> ring_{};
    bool active_ = false;
};

} // namespace scx_custody::audit
