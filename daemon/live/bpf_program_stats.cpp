#include "live/bpf_program_stats.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <sys/resource.h>

#include <cerrno>
#include <string_view>

namespace scx_custody::live {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRefreshEvery = std::chrono::seconds(1);

// The tracer's programs (bpf/trace/custody_trace.bpf.c): fentry/fexit,
// tracepoints, kprobes and kretprobes.
bool is_tracer_name(std::string_view name) {
    return name.starts_with("custody_on_") || name.starts_with("custody_kp_") ||
           name.starts_with("custody_kretp_");
}

struct BtfFree {
    void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfFree>;

// The program's name from its BTF function info: bpf_prog_info.name is cut at
// 15 characters, and custody_on_sched_{enqueue,dequeue,switch} share them.
std::string full_name(int fd, const bpf_prog_info& info) {
    std::string truncated = info.name;
    if (info.btf_id == 0 || info.nr_func_info == 0)
        return truncated;
    bpf_func_info func{};
    bpf_prog_info more{};
    more.nr_func_info = 1;
    more.func_info_rec_size = sizeof(func);
    more.func_info = reinterpret_cast<uintptr_t>(&func);
    uint32_t len = sizeof(more);
    if (bpf_prog_get_info_by_fd(fd, &more, &len) != 0)
        return truncated;
    BtfPtr b(btf__load_from_kernel_by_id(info.btf_id));
    if (!b)
        return truncated;
    const btf_type* t = btf__type_by_id(b.get(), func.type_id);
    const char* name = t ? btf__name_by_offset(b.get(), t->name_off) : nullptr;
    return name && *name ? std::string(name) : truncated;
}

// BTF ids of the kernel's struct sched_ext_ops types (sched_ext_ops, and
// sched_ext_ops_cid where it exists): what a scheduler's programs attach to.
Result<std::set<uint32_t>> sched_ext_ops_type_ids() {
    BtfPtr vmlinux(btf__load_vmlinux_btf());
    if (!vmlinux)
        return Error::system("read the kernel's BTF (/sys/kernel/btf/vmlinux)", errno);
    std::set<uint32_t> ids;
    const uint32_t n = btf__type_cnt(vmlinux.get());
    for (uint32_t id = 1; id < n; ++id) {
        const btf_type* t = btf__type_by_id(vmlinux.get(), id);
        if (!btf_is_struct(t))
            continue;
        const std::string_view name = btf__name_by_offset(vmlinux.get(), t->name_off);
        if (name == "sched_ext_ops" || name == "sched_ext_ops_cid")
            ids.insert(id);
    }
    return ids;
}

bool due(std::optional<Clock::time_point>& last, Clock::time_point now) {
    if (last && now - *last < kRefreshEvery)
        return false;
    last = now;
    return true;
}

} // namespace

BpfProgramScanner::BpfProgramScanner(std::set<uint32_t> sched_ext_ops_type_ids)
    : sched_ext_ops_type_ids_(std::move(sched_ext_ops_type_ids)) {}

const std::optional<BpfProgramScanner::Identity>& BpfProgramScanner::identify(uint32_t id, int fd) {
    if (auto it = known_.find(id); it != known_.end())
        return it->second;
    std::optional<Identity> who;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(fd, &info, &len) == 0) {
        if (info.type == BPF_PROG_TYPE_STRUCT_OPS &&
            sched_ext_ops_type_ids_.contains(info.attach_btf_id)) {
            who = Identity{full_name(fd, info), prom::ProgramOwner::Scheduler};
        } else if (info.type == BPF_PROG_TYPE_TRACING || info.type == BPF_PROG_TYPE_KPROBE) {
            std::string name = full_name(fd, info);
            if (is_tracer_name(name))
                who = Identity{std::move(name), prom::ProgramOwner::Tracer};
        }
    }
    return known_.emplace(id, std::move(who)).first->second;
}

std::vector<prom::BpfProgramSample> BpfProgramScanner::scan() {
    std::vector<prom::BpfProgramSample> samples;
    std::unordered_map<uint32_t, std::optional<Identity>> still_loaded;
    uint32_t id = 0;
    while (bpf_prog_get_next_id(id, &id) == 0) {
        if (auto it = known_.find(id); it != known_.end() && !it->second) {
            still_loaded.emplace(id, std::nullopt); // not ours: no fd needed
            continue;
        }
        UniqueFd fd(bpf_prog_get_fd_by_id(id));
        if (!fd.valid())
            continue; // unloaded meanwhile
        const std::optional<Identity>& who = identify(id, fd.get());
        still_loaded.emplace(id, who);
        if (!who)
            continue;
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_prog_get_info_by_fd(fd.get(), &info, &len) != 0)
            continue;
        samples.push_back({id, who->name, who->owner, info.run_cnt, info.run_time_ns});
    }
    known_ = std::move(still_loaded);
    return samples;
}

BpfProgramStats::BpfProgramStats(UniqueFd stats_fd, std::set<uint32_t> ops_type_ids,
                                 std::shared_ptr<prometheus::Registry> registry)
    : stats_fd_(std::move(stats_fd)), scanner_(std::move(ops_type_ids)),
      metrics_(std::move(registry)) {}

Result<std::unique_ptr<BpfProgramStats>>
BpfProgramStats::enable(std::shared_ptr<prometheus::Registry> registry) {
    auto ops = sched_ext_ops_type_ids();
    if (!ops)
        return ops.error();
    const int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0) {
        return Error::system("--bpf-stats: turn on BPF run-time statistics (BPF_ENABLE_STATS; "
                             "needs root or CAP_SYS_ADMIN; or run without --bpf-stats)",
                             errno);
    }
    return std::unique_ptr<BpfProgramStats>(
        new BpfProgramStats(UniqueFd(fd), std::move(*ops), std::move(registry)));
}

void BpfProgramStats::refresh(Clock::time_point now) {
    if (!due(last_, now))
        return;
    const std::vector<prom::BpfProgramSample> samples = scanner_.scan();
    metrics_.update(samples);
}

ProcessCpuTime::ProcessCpuTime(std::shared_ptr<prometheus::Registry> registry)
    : metric_(std::move(registry)) {}

void ProcessCpuTime::refresh(Clock::time_point now) {
    if (!due(last_, now))
        return;
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return;
    auto seconds = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    metric_.set_total(seconds(usage.ru_utime) + seconds(usage.ru_stime));
}

} // namespace scx_custody::live
