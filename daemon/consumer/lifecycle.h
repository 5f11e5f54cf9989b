// Scheduler lifecycle records (CUSTODY_EVT_SCHED_*): the kernel telling, in
// ring order with the custody records, that a scheduler instance is being
// registered, whether its registration succeeded, and that it was disabled.
// The live audit turns them into section boundaries; they never reach the
// pairing engine as events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace scx_custody::consumer {

struct LifecycleRecord {
    enum class Kind { Loading, Enable, Enabled, Disable };
    Kind kind = Kind::Enable;
    uint64_t ts_ns = 0;
    uint32_t cpu = 0;
    uint32_t pid = 0;           // the registering or disabling task
    uint32_t tgid = 0;          // Loading: the loading process
    uint32_t map_id = 0;        // Enable, Enabled: the struct_ops map: the instance
    uint64_t sub_cgroup_id = 0; // Enable, Disable: 0 or 1 for a root scheduler
    int64_t result = 0;         // Enabled: bpf_scx_reg*()'s return value
    uint64_t exit_kind = 0;     // Disable: enum scx_exit_kind
    std::string name_prefix;    // the first 15 characters of the scheduler's name

    bool is_root() const { return sub_cgroup_id <= 1; }
};

// The record as a lifecycle record, or nullopt when it is any other record
// (wrong size or another type: decode_event() judges those).
std::optional<LifecycleRecord> decode_lifecycle(std::span<const std::byte> record);

} // namespace scx_custody::consumer
