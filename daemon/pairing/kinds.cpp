#include "pairing/kinds.h"

namespace scx_custody::pairing {
namespace {

constexpr std::array<std::string_view, kViolationKindCount> kViolationNames = {
    "missed_dequeue", "duplicate_dequeue",   "dequeue_outside_custody",
    "late_dequeue",   "wrong_dequeue_flags", "custody_flag_mismatch",
};
constexpr std::array<std::string_view, kDequeueReasonCount> kReasonNames = {
    "dispatch",
    "sched_change",
    "core_sched",
};
constexpr std::array<std::string_view, kEnterPathCount> kPathNames = {
    "enqueue_held",
    "enqueue_user_dsq",
    "insert_user_dsq",
};
constexpr std::array<std::string_view, kCustodyStateCount> kStateNames = {
    "out_of_custody", "in_custody", "left_without_dequeue", "ran_without_dequeue", "indeterminate",
};
constexpr std::array<std::string_view, kEventKindCount> kEventNames = {
    "scheduler_attach", "scheduler_detach", "enqueue",   "dsq_insert",
    "dequeue",          "running",          "task_exit", "lost",
};
constexpr std::array<std::string_view, kReenqReasonCount> kReenqNames = {
    "none", "kfunc", "immed", "preempted", "cap",
};
constexpr std::array<std::string_view, kKernelCustodyFlagCount> kFlagNames = {
    "unknown",
    "set",
    "clear",
};

// Every enumerator has a name: a table shorter than its enum would leave "" here.
static_assert(!kViolationNames.back().empty() && !kReasonNames.back().empty() &&
              !kPathNames.back().empty() && !kStateNames.back().empty() &&
              !kEventNames.back().empty() && !kFlagNames.back().empty());
static_assert(kEventNames[kEventKindCount - 1] == "lost");
static_assert(kViolationNames[kViolationKindCount - 1] == "custody_flag_mismatch");

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) {
    const auto i = static_cast<std::size_t>(value);
    return i < N ? names[i] : std::string_view("invalid");
}

template <class Enum, std::size_t N>
std::optional<Enum> parse(const std::array<std::string_view, N>& names, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == name)
            return static_cast<Enum>(i);
    }
    return std::nullopt;
}

} // namespace

std::string_view to_string(ViolationKind kind) {
    return name_of(kViolationNames, kind);
}
std::string_view to_string(DequeueReason reason) {
    return name_of(kReasonNames, reason);
}
std::string_view to_string(EnterPath path) {
    return name_of(kPathNames, path);
}
std::string_view to_string(CustodyState state) {
    return name_of(kStateNames, state);
}
std::string_view to_string(EventKind kind) {
    return name_of(kEventNames, kind);
}
std::string_view to_string(KernelCustodyFlag flag) {
    return name_of(kFlagNames, flag);
}
std::string_view to_string(ReenqReason reason) {
    return name_of(kReenqNames, reason);
}

std::optional<ViolationKind> violation_kind_from_string(std::string_view name) {
    return parse<ViolationKind>(kViolationNames, name);
}
std::optional<DequeueReason> dequeue_reason_from_string(std::string_view name) {
    return parse<DequeueReason>(kReasonNames, name);
}
std::optional<EnterPath> enter_path_from_string(std::string_view name) {
    return parse<EnterPath>(kPathNames, name);
}
std::optional<CustodyState> custody_state_from_string(std::string_view name) {
    return parse<CustodyState>(kStateNames, name);
}
std::optional<EventKind> event_kind_from_string(std::string_view name) {
    return parse<EventKind>(kEventNames, name);
}

} // namespace scx_custody::pairing
