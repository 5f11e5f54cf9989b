// sched_ext scheduler instances and their own BPF programs, found through
// their struct_ops maps, so that any scheduler's ops.dequeue/ops.enqueue can
// be traced (fentry/fexit on a BPF program), not only ours.
//
// Every struct_ops value type the kernel's BTF defines for sched_ext is
// searched (bpf_struct_ops_sched_ext_ops, and from 7.2 ..._sched_ext_ops_cid),
// with the slot offsets read from BTF. An instance is identified by its
// struct_ops map id, never by its name: a scheduler that reloads itself keeps
// its name but gets a new map.
#pragma once

#include "loader/kernel_btf.h"
#include "util/result.h"
#include "util/unique_fd.h"

#include <optional>
#include <string>
#include <vector>

namespace scx_custody::loader {

struct SchedProgram {
    UniqueFd fd;
    std::string func; // the program's BTF function name (attach target name)
    uint32_t id = 0;
};

struct SchedulerPrograms {
    std::string name;
    uint32_t map_id = 0;
    std::string ops_type;       // "sched_ext_ops" or "sched_ext_ops_cid"
    uint64_t sub_cgroup_id = 0; // 0 or 1: a root scheduler
    // Linked (registered with the kernel) when found; a registration still
    // in progress counts too.
    bool linked = false;
    std::optional<SchedProgram> dequeue; // absent: the scheduler has no ops.dequeue
    std::optional<SchedProgram> enqueue;
    bool implements_dequeue() const { return dequeue.has_value(); }
    bool is_root() const { return sub_cgroup_id <= 1; }
};

// The instance whose struct_ops map has this id.
Result<SchedulerPrograms> scheduler_by_map_id(const KernelBtf& btf, uint32_t map_id);

// The root scheduler running now, named `name` (from /sys/kernel/sched_ext/
// root/ops): the newest linked struct_ops map of a sched_ext type with that
// name and no sub-scheduler cgroup.
Result<SchedulerPrograms> find_scheduler_programs(const KernelBtf& btf, const std::string& name);

// Every struct_ops map of a sched_ext type now, newest last.
Result<std::vector<SchedulerPrograms>> sched_ext_struct_ops_maps(const KernelBtf& btf);

// BTF ids of every sched_ext struct_ops value type this kernel defines.
std::vector<uint32_t> sched_ext_value_type_ids(const KernelBtf& btf);

// A program we hold an fd to (our reference scheduler's).
Result<SchedProgram> describe_program(int prog_fd);

} // namespace scx_custody::loader
