// Ring-buffer record -> pairing::Event.
//
// The one place that reads the bytes of a `struct custody_event` (custody_abi.h).
// Pure: no libbpf, usable by the live consumer, the replay and the fuzzers alike.
//
// Cost: a handful of loads and three table-free range checks; no string is built
// or scanned per event (the comm stays 16 raw bytes: the engine makes it
// canonical only when it differs from the task's stored one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "pairing/event.h"
#include "util/result.h"

namespace scx_custody::consumer {

// sizeof(struct custody_event): the only record size decode_event() accepts.
inline constexpr std::size_t kCustodyEventSize = 64;
// CUSTODY_NR_HOOKS.
inline constexpr std::size_t kHookCount = 12;

// Decodes one raw record, exactly as the ring buffer delivered it (host byte order).
// Errors (exit code Usage): a size other than kCustodyEventSize, an unknown event
// type, hook or kernel-flag value. The comm's 16 bytes are copied as they are
// (see pairing::Event::comm: the name ends at the first NUL, at most 15 bytes).
//   CUSTODY_EVT_ENQUEUE -> Enqueue      CUSTODY_EVT_DSQ_INSERT -> DsqInsert
//   CUSTODY_EVT_DEQUEUE -> Dequeue      CUSTODY_EVT_RUNNING    -> Running
//   CUSTODY_EVT_TASK_EXIT -> TaskExit
//   kernel_flag CUSTODY_KFLAG_{UNKNOWN,SET,CLEAR} -> KernelCustodyFlag::{Unknown,Set,Clear}
//               (low four bits); CUSTODY_REENQ_* -> ReenqReason (high four bits)
Result<pairing::Event> decode_event(std::span<const std::byte> record);

// Why a record did not decode (DecodeFault::None: it did).
enum class DecodeFault : uint8_t { None, Size, Type, KernelFlag, Hook };

// decode_event() without building a Result: fills the fields decode_event() sets
// (ts_ns, cpu, kind, task, comm, dsq_id, flags, kernel_flag, hook) and leaves the
// others (count, sched_name, ...) as they are, so one Event can be reused for a
// whole batch of records. On a fault `event` is unspecified. decode_error() words the fault.
DecodeFault decode_event_into(std::span<const std::byte> record, pairing::Event& event) noexcept;

// The task a custody event record names, read without decoding the rest (for
// prefetch hints); nullopt when the record is not custody_event-sized.
inline std::optional<pairing::TaskKey> event_task(std::span<const std::byte> record) noexcept {
    if (record.size() != kCustodyEventSize)
        return std::nullopt;
    pairing::TaskKey task;
    // struct custody_event: task_start_ns at offset 8, pid at 32 (static_asserts
    // in event_decode.cpp).
    std::memcpy(&task.start_time_ns, record.data() + 8, sizeof task.start_time_ns);
    std::memcpy(&task.pid, record.data() + 32, sizeof task.pid);
    return task;
}

// The error decode_event() returns for `record`, which decode_event_into() found
// at fault.
Error decode_error(std::span<const std::byte> record, DecodeFault fault);

// Stable name of a custody_hook value ("dsq_insert", "ops_dequeue", ...), or
// "invalid" when out of range.
std::string_view hook_name(uint8_t hook);

} // namespace scx_custody::consumer
