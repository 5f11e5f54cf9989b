// The running sched_ext scheduler's own BPF programs, found through its
// struct_ops map, so that any scheduler's ops.dequeue/ops.enqueue can be
// traced (fentry/fexit on a BPF program), not only ours.
#pragma once

#include "loader/kernel_btf.h"
#include "util/result.h"
#include "util/unique_fd.h"

#include <optional>
#include <string>

namespace scx_custody::loader {

struct SchedProgram {
    UniqueFd fd;
    std::string func; // the program's BTF function name (attach target name)
    uint32_t id = 0;
};

struct SchedulerPrograms {
    std::string name;
    uint32_t map_id = 0;
    std::optional<SchedProgram> dequeue; // absent: the scheduler has no ops.dequeue
    std::optional<SchedProgram> enqueue;
    bool implements_dequeue() const { return dequeue.has_value(); }
};

// The scheduler named `name` (from /sys/kernel/sched_ext/root/ops): the
// newest struct_ops map of type sched_ext_ops carrying that name.
Result<SchedulerPrograms> find_scheduler_programs(const KernelBtf& btf, const std::string& name);

// A program we hold an fd to (our reference scheduler's).
Result<SchedProgram> describe_program(int prog_fd);

} // namespace scx_custody::loader
