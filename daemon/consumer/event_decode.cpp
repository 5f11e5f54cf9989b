#include "consumer/event_decode.h"

#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <tuple>

#include "custody_abi.h"

namespace scx_custody::consumer {
namespace {

static_assert(sizeof(custody_event) == kCustodyEventSize);
static_assert(CUSTODY_NR_HOOKS == kHookCount);
static_assert(offsetof(custody_event, ts_ns) == 0);
static_assert(offsetof(custody_event, task_start_ns) == 8);
static_assert(offsetof(custody_event, dsq_id) == 16);
static_assert(offsetof(custody_event, flags) == 24);
static_assert(offsetof(custody_event, pid) == 32);
static_assert(offsetof(custody_event, cpu) == 36);
static_assert(offsetof(custody_event, type) == 40);
static_assert(offsetof(custody_event, hook) == 42);
static_assert(offsetof(custody_event, kernel_flag) == 43);
static_assert(offsetof(custody_event, comm) == 48);
static_assert(CUSTODY_COMM_LEN == std::tuple_size_v<pairing::Comm>);

constexpr std::array<std::string_view, kHookCount> kHookNames = {
    "dsq_insert", "local_move",  "ops_dequeue", "sched_dequeue", "sched_enqueue", "sched_switch",
    "task_exit",  "remote_move", "dsq_move",    "sched_reg",     "sched_disable",
};
static_assert(CUSTODY_HOOK_DSQ_INSERT == 0 && CUSTODY_HOOK_LOCAL_MOVE == 1 &&
              CUSTODY_HOOK_OPS_DEQUEUE == 2 && CUSTODY_HOOK_SCHED_DEQUEUE == 3 &&
              CUSTODY_HOOK_SCHED_ENQUEUE == 4 && CUSTODY_HOOK_SCHED_SWITCH == 5 &&
              CUSTODY_HOOK_TASK_EXIT == 6 && CUSTODY_HOOK_REMOTE_MOVE == 7 &&
              CUSTODY_HOOK_DSQ_MOVE == 8 && CUSTODY_HOOK_SCHED_REG == 9 &&
              CUSTODY_HOOK_SCHED_DISABLE == 10);

Error decode_error(std::string what) {
    return Error::usage("custody event: " + std::move(what));
}

} // namespace

std::string_view hook_name(uint8_t hook) {
    return hook < kHookNames.size() ? kHookNames[hook] : std::string_view("invalid");
}

Result<pairing::Event> decode_event(std::span<const std::byte> record) {
    if (record.size() != sizeof(custody_event)) {
        return decode_error(std::to_string(record.size()) + " bytes, expected " +
                            std::to_string(sizeof(custody_event)));
    }
    custody_event raw;
    std::memcpy(&raw, record.data(), sizeof(raw));

    pairing::Event event;
    switch (raw.type) {
    case CUSTODY_EVT_ENQUEUE:
        event.kind = pairing::EventKind::Enqueue;
        break;
    case CUSTODY_EVT_DSQ_INSERT:
        event.kind = pairing::EventKind::DsqInsert;
        break;
    case CUSTODY_EVT_DEQUEUE:
        event.kind = pairing::EventKind::Dequeue;
        break;
    case CUSTODY_EVT_RUNNING:
        event.kind = pairing::EventKind::Running;
        break;
    case CUSTODY_EVT_TASK_EXIT:
        event.kind = pairing::EventKind::TaskExit;
        break;
    default:
        return decode_error("unknown type " + std::to_string(raw.type));
    }
    switch (raw.kernel_flag) {
    case CUSTODY_KFLAG_UNKNOWN:
        event.kernel_flag = pairing::KernelCustodyFlag::Unknown;
        break;
    case CUSTODY_KFLAG_SET:
        event.kernel_flag = pairing::KernelCustodyFlag::Set;
        break;
    case CUSTODY_KFLAG_CLEAR:
        event.kernel_flag = pairing::KernelCustodyFlag::Clear;
        break;
    default:
        return decode_error("unknown kernel_flag " + std::to_string(raw.kernel_flag));
    }
    if (raw.hook >= CUSTODY_NR_HOOKS)
        return decode_error("unknown hook " + std::to_string(raw.hook));

    event.ts_ns = raw.ts_ns;
    event.cpu = raw.cpu;
    event.task = pairing::TaskKey{raw.pid, raw.task_start_ns};
    event.dsq_id = raw.dsq_id;
    event.flags = raw.flags;
    event.hook = raw.hook;
    // The BPF side copies bpf_get_current_comm()-style buffers: NUL-terminated in
    // practice, but never trusted to be.
    event.comm =
        pairing::make_comm(std::string_view(raw.comm, ::strnlen(raw.comm, sizeof(raw.comm))));
    return event;
}

} // namespace scx_custody::consumer
