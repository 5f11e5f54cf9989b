// Facts about the running kernel that decide whether we can run at all.
#pragma once

#include "util/result.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace scx_custody {

std::string kernel_release();

struct SchedExtStatus {
    std::string state;     // "disabled", "enabled", "enabling", "disabling"
    std::string scheduler; // the running scheduler's name, empty if none
};

// Reads /sys/kernel/sched_ext. Fails with exit code 3 and the cause when the
// kernel was built without CONFIG_SCHED_CLASS_EXT.
Result<SchedExtStatus> sched_ext_status();

// /sys/kernel/sched_ext/enable_seq: how many root schedulers the kernel has
// enabled since boot; nullopt where the kernel does not export it.
std::optional<uint64_t> sched_ext_enable_seq();

// The cgroup ids of the sub-schedulers attached now (7.3+), from the sysfs
// tree /sys/kernel/sched_ext/root/sub/sub-<cgroup id>/sub/...: empty where the
// kernel has none or no sub-scheduler support.
std::vector<uint64_t> sched_ext_sub_scheduler_cgroups();
// The same, under another directory laid out like /sys/kernel/sched_ext.
std::vector<uint64_t> sub_scheduler_cgroups_in(const std::string& sched_ext_dir);

// A sub-scheduler's sysfs directory: its cgroup id and its place in the tree,
// relative to /sys/kernel/sched_ext ("root/sub/sub-28/sub/sub-31").
struct SubSchedulerDir {
    uint64_t cgroup_id = 0;
    std::string tree_path;
};
std::vector<SubSchedulerDir> sub_schedulers_in(const std::string& sched_ext_dir);
// The tree path of the sub-scheduler attached to this cgroup: from sysfs, or
// while sysfs does not show it yet, from the cgroup hierarchy (cgroup v2 at
// /sys/fs/cgroup) with `sub_cgroups` the cgroups that have a sub-scheduler;
// empty when neither knows the cgroup.
std::string sched_ext_tree_path(uint64_t cgroup_id, const std::set<uint64_t>& sub_cgroups);

// Fails with exit code 3 unless we run as root (loading BPF needs it).
Status require_root(const char* what);

} // namespace scx_custody
