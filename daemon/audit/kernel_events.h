// The kernel's own sched_ext event counters: parsing and reading a scheduler
// instance's sysfs "events" file (/sys/kernel/sched_ext/root/events, and
// root/sub/sub-<cgroup id>/events for sub-schedulers), lines "SCX_EV_<NAME> <u64>".
//
// The set of names differs from kernel to kernel (and grows): nothing here
// knows any of them. Whatever the file holds is kept, in its order. These are
// the kernel's figures, shown beside the audit's for comparison; the verdict
// never uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace scx_custody::audit {

struct KernelEventCount {
    std::string name;
    uint64_t value = 0;
};

struct KernelEventsParse {
    // In the file's order, each name once (the first line that names it).
    std::vector<KernelEventCount> counts;
    // Lines that were not "NAME VALUE", each as "line N: why" (empty lines
    // are not counted). Never more than kMaxRejectedNotes notes, but every
    // such line is counted.
    std::vector<std::string> rejected_notes;
    uint64_t rejected = 0;

    const KernelEventCount* find(std::string_view name) const;
};

inline constexpr std::size_t kMaxRejectedNotes = 8;

// Never throws, whatever the text.
KernelEventsParse parse_kernel_events(std::string_view text);

// One reading of an instance's sysfs directory.
struct KernelEventsReading {
    std::string ops; // <dir>/ops: the scheduler's name
    KernelEventsParse events;
};

// Reads <instance_dir>/ops and <instance_dir>/events. Errors name the
// missing file: a kernel without event counters has the directory and its
// ops file but no events file (lacks_events_file() tells which).
Result<KernelEventsReading> read_kernel_events(const std::string& instance_dir);

// The directory exists but has no events file: the kernel does not export them.
bool lacks_events_file(const std::string& instance_dir);

} // namespace scx_custody::audit
