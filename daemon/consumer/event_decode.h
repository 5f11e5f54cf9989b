// Ring-buffer record -> pairing::Event.
//
// The one place that reads the bytes of a `struct custody_event` (custody_abi.h).
// Pure: no libbpf, usable by the live consumer, the replay and the fuzzers alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pairing/event.h"
#include "util/result.h"

namespace scx_custody::consumer {

// sizeof(struct custody_event): the only record size decode_event() accepts.
inline constexpr std::size_t kCustodyEventSize = 64;
// CUSTODY_NR_HOOKS.
inline constexpr std::size_t kHookCount = 11;

// Decodes one raw record, exactly as the ring buffer delivered it (host byte order).
// Errors (exit code Usage): a size other than kCustodyEventSize, an unknown event
// type, hook or kernel-flag value. The comm is cut at its first NUL and at
// CUSTODY_COMM_LEN - 1 characters.
//   CUSTODY_EVT_ENQUEUE -> Enqueue      CUSTODY_EVT_DSQ_INSERT -> DsqInsert
//   CUSTODY_EVT_DEQUEUE -> Dequeue      CUSTODY_EVT_RUNNING    -> Running
//   CUSTODY_EVT_TASK_EXIT -> TaskExit
//   kernel_flag CUSTODY_KFLAG_{UNKNOWN,SET,CLEAR} -> KernelCustodyFlag::{Unknown,Set,Clear}
Result<pairing::Event> decode_event(std::span<const std::byte> record);

// Stable name of a custody_hook value ("dsq_insert", "ops_dequeue", ...), or
// "invalid" when out of range.
std::string_view hook_name(uint8_t hook);

} // namespace scx_custody::consumer
