// Synthetic custody event streams for the benchmarks.
//
// Raw 64-byte custody_event records, exactly as the ring buffer delivers them,
// shaped like a busy machine under a sched_ext scheduler that implements
// ops.dequeue (Linux 7.1 custody semantics). Cycles are interleaved across CPUs:
//   plain        enqueue (held or direct to a user DSQ) -> user DSQ insert ->
//                ops.dequeue -> local DSQ insert (local or remote move) -> running
//   direct       enqueue with a local DSQ -> local insert -> running (no custody)
//   move         plain, with a dsq_move between two user DSQs before the dequeue
//   re-enqueue   plain up to the local insert, then SCX_ENQ_REENQ and a second
//                custody period before running
//   sched change a SCX_DEQ_SCHED_CHANGE dequeue and a second custody period
// About one cycle in 64 ends with the task exiting; a new task (new pid, new
// start time) takes its place, so the number of live tasks stays the same.
//
// Every cycle that starts in a stream ends in it: replayed from the start again
// and again, a stream leaves every task out of custody between passes and the
// engine raises no finding. Streams are deterministic (fixed seeds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace scx_custody::bench {

// sizeof(struct custody_event).
inline constexpr std::size_t kRecordSize = 64;

struct StreamShape {
    // Live tasks (tasks first seen in the warm-up).
    uint32_t tasks = 1000;
    // CPUs the events come from, and cycles in flight at once (one per CPU).
    uint32_t cpus = 64;

    friend bool operator==(const StreamShape&, const StreamShape&) = default;
};

struct Stream {
    StreamShape shape;
    // kRecordSize bytes per record.
    std::vector<std::byte> bytes;

    std::size_t records() const { return bytes.size() / kRecordSize; }
    std::span<const std::byte> record(std::size_t index) const {
        return std::span<const std::byte>(bytes).subspan(index * kRecordSize, kRecordSize);
    }
};

// At least min_records records (the cycles in flight then run to their end).
Stream make_stream(StreamShape shape, std::size_t min_records);

using RecordSink = std::function<void(std::span<const std::byte>)>;

// One plain custody cycle for each of the shape's initial tasks, in a random
// order, with timestamps before any of make_stream()'s: brings an engine's table
// to shape.tasks live records before a measured loop. Five records per task.
void for_each_warmup_record(StreamShape shape, const RecordSink& sink);

} // namespace scx_custody::bench
