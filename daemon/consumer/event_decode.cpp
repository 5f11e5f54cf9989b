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
static_assert(offsetof(custody_event, task_start_ns) == 8); // event_task()
static_assert(offsetof(custody_event, dsq_id) == 16);
static_assert(offsetof(custody_event, flags) == 24);
static_assert(offsetof(custody_event, pid) == 32); // event_task()
static_assert(offsetof(custody_event, cpu) == 36);
static_assert(offsetof(custody_event, type) == 40);
static_assert(offsetof(custody_event, hook) == 42);
static_assert(offsetof(custody_event, kernel_flag) == 43);
static_assert(offsetof(custody_event, owner) == 44);
static_assert(offsetof(custody_event, comm) == 48);
static_assert(CUSTODY_COMM_LEN == std::tuple_size_v<pairing::Comm>);

constexpr std::array<std::string_view, kHookCount> kHookNames = {
    "dsq_insert", "local_move",  "ops_dequeue", "sched_dequeue", "sched_enqueue", "sched_switch",
    "task_exit",  "remote_move", "dsq_move",    "sched_reg",     "sched_disable", "sched_load",
};
static_assert(CUSTODY_HOOK_DSQ_INSERT == 0 && CUSTODY_HOOK_LOCAL_MOVE == 1 &&
              CUSTODY_HOOK_OPS_DEQUEUE == 2 && CUSTODY_HOOK_SCHED_DEQUEUE == 3 &&
              CUSTODY_HOOK_SCHED_ENQUEUE == 4 && CUSTODY_HOOK_SCHED_SWITCH == 5 &&
              CUSTODY_HOOK_TASK_EXIT == 6 && CUSTODY_HOOK_REMOTE_MOVE == 7 &&
              CUSTODY_HOOK_DSQ_MOVE == 8 && CUSTODY_HOOK_SCHED_REG == 9 &&
              CUSTODY_HOOK_SCHED_DISABLE == 10 && CUSTODY_HOOK_SCHED_LOAD == 11);

// custody_evt_type - kFirstType -> EventKind: the types are dense from 1.
constexpr uint32_t kFirstType = CUSTODY_EVT_ENQUEUE;
constexpr std::array<pairing::EventKind, 5> kKindByType = {
    pairing::EventKind::Enqueue, pairing::EventKind::DsqInsert, pairing::EventKind::Dequeue,
    pairing::EventKind::Running, pairing::EventKind::TaskExit,
};
static_assert(CUSTODY_EVT_DSQ_INSERT == kFirstType + 1 && CUSTODY_EVT_DEQUEUE == kFirstType + 2 &&
              CUSTODY_EVT_RUNNING == kFirstType + 3 && CUSTODY_EVT_TASK_EXIT == kFirstType + 4);

// custody_kernel_flag values are KernelCustodyFlag's, so the value converts as is.
static_assert(CUSTODY_KFLAG_UNKNOWN == static_cast<int>(pairing::KernelCustodyFlag::Unknown) &&
              CUSTODY_KFLAG_SET == static_cast<int>(pairing::KernelCustodyFlag::Set) &&
              CUSTODY_KFLAG_CLEAR == static_cast<int>(pairing::KernelCustodyFlag::Clear));
static_assert(pairing::kKernelCustodyFlagCount == 3);

template <class T> T load(const std::byte* record, std::size_t offset) {
    T value;
    std::memcpy(&value, record + offset, sizeof value);
    return value;
}

} // namespace

DecodeFault decode_event_into(std::span<const std::byte> record, pairing::Event& event) noexcept {
    if (record.size() != sizeof(custody_event))
        return DecodeFault::Size;
    const std::byte* raw = record.data();
    const uint32_t type_index =
        uint32_t{load<uint16_t>(raw, offsetof(custody_event, type))} - kFirstType;
    const auto hook = load<uint8_t>(raw, offsetof(custody_event, hook));
    const auto flag_byte = load<uint8_t>(raw, offsetof(custody_event, kernel_flag));
    const unsigned kernel_flag = flag_byte & CUSTODY_KFLAG_MASK;
    const unsigned reenq_reason = flag_byte >> CUSTODY_REENQ_REASON_SHIFT;
    if (type_index >= kKindByType.size())
        return DecodeFault::Type;
    if (kernel_flag >= pairing::kKernelCustodyFlagCount || reenq_reason >= CUSTODY_NR_REENQ_REASONS)
        return DecodeFault::KernelFlag;
    if (hook >= CUSTODY_NR_HOOKS)
        return DecodeFault::Hook;

    event.kind = kKindByType[type_index];
    event.kernel_flag = static_cast<pairing::KernelCustodyFlag>(kernel_flag);
    event.reenq_reason = static_cast<pairing::ReenqReason>(reenq_reason);
    event.hook = hook;
    // Kernel-range values only: CUSTODY_OWNER_UNFIT (a cgroup id that does not
    // fit) is kept as is, and the engine treats it as one more owner.
    event.owner = load<uint32_t>(raw, offsetof(custody_event, owner));
    event.ts_ns = load<uint64_t>(raw, offsetof(custody_event, ts_ns));
    event.cpu = load<uint32_t>(raw, offsetof(custody_event, cpu));
    event.task = pairing::TaskKey{load<uint32_t>(raw, offsetof(custody_event, pid)),
                                  load<uint64_t>(raw, offsetof(custody_event, task_start_ns))};
    event.dsq_id = load<uint64_t>(raw, offsetof(custody_event, dsq_id));
    event.flags = load<uint64_t>(raw, offsetof(custody_event, flags));
    // As copied: the engine makes it canonical when it differs from the stored one.
    std::memcpy(event.comm.data(), raw + offsetof(custody_event, comm), event.comm.size());
    return DecodeFault::None;
}

Error decode_error(std::span<const std::byte> record, DecodeFault fault) {
    const auto what = [](std::string text) { return Error::usage("custody event: " + text); };
    if (fault == DecodeFault::Size || record.size() != sizeof(custody_event)) {
        return what(std::to_string(record.size()) + " bytes, expected " +
                    std::to_string(sizeof(custody_event)));
    }
    custody_event raw;
    std::memcpy(&raw, record.data(), sizeof raw);
    switch (fault) {
    case DecodeFault::Type:
        return what("unknown type " + std::to_string(raw.type));
    case DecodeFault::KernelFlag:
        return what("unknown kernel_flag " + std::to_string(raw.kernel_flag));
    case DecodeFault::Hook:
        return what("unknown hook " + std::to_string(raw.hook));
    case DecodeFault::Size:
    case DecodeFault::None:
        break;
    }
    return what("no fault");
}

Result<pairing::Event> decode_event(std::span<const std::byte> record) {
    pairing::Event event;
    const DecodeFault fault = decode_event_into(record, event);
    if (fault != DecodeFault::None)
        return decode_error(record, fault);
    return event;
}

std::string_view hook_name(uint8_t hook) {
    return hook < kHookNames.size() ? kHookNames[hook] : std::string_view("invalid");
}

} // namespace scx_custody::consumer
