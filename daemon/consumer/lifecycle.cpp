#include "consumer/lifecycle.h"

#include <cstring>

#include "custody_abi.h"

namespace scx_custody::consumer {

std::optional<LifecycleRecord> decode_lifecycle(std::span<const std::byte> record) {
    if (record.size() != sizeof(custody_event))
        return std::nullopt;
    custody_event raw;
    std::memcpy(&raw, record.data(), sizeof(raw));
    LifecycleRecord out;
    switch (raw.type) {
    case CUSTODY_EVT_SCHED_LOADING:
        out.kind = LifecycleRecord::Kind::Loading;
        out.map_id = static_cast<uint32_t>(raw.dsq_id);
        out.tgid = static_cast<uint32_t>(raw.flags);
        break;
    case CUSTODY_EVT_SCHED_ENABLE:
        out.kind = LifecycleRecord::Kind::Enable;
        out.map_id = static_cast<uint32_t>(raw.dsq_id);
        out.sub_cgroup_id = raw.flags;
        break;
    case CUSTODY_EVT_SCHED_ENABLED:
        out.kind = LifecycleRecord::Kind::Enabled;
        out.map_id = static_cast<uint32_t>(raw.dsq_id);
        out.result = static_cast<int64_t>(raw.flags);
        break;
    case CUSTODY_EVT_SCHED_DISABLE:
        out.kind = LifecycleRecord::Kind::Disable;
        out.exit_kind = raw.dsq_id;
        out.sub_cgroup_id = raw.flags;
        break;
    default:
        return std::nullopt;
    }
    out.ts_ns = raw.ts_ns;
    out.cpu = raw.cpu;
    out.pid = raw.pid;
    out.name_prefix.assign(raw.comm, ::strnlen(raw.comm, sizeof(raw.comm)));
    return out;
}

} // namespace scx_custody::consumer
