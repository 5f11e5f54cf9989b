#include "loader/ref_scheduler.h"

#include "custody_ref.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace scx_custody::loader {

void RefScheduler::SkelDeleter::operator()(custody_ref* skel) const {
    custody_ref__destroy(skel);
}

RefScheduler::RefScheduler(std::unique_ptr<custody_ref, SkelDeleter> skel)
    : skel_(std::move(skel)) {}

RefScheduler::RefScheduler(RefScheduler&& other) noexcept
    : skel_(std::move(other.skel_)), link_(std::exchange(other.link_, nullptr)) {}

RefScheduler& RefScheduler::operator=(RefScheduler&& other) noexcept {
    if (this != &other) {
        detach();
        skel_ = std::move(other.skel_);
        link_ = std::exchange(other.link_, nullptr);
    }
    return *this;
}

RefScheduler::~RefScheduler() {
    detach();
}

Result<RefScheduler> RefScheduler::load(const RefKnobs& knobs) {
    if (auto valid = knobs.validate(); !valid)
        return valid.error();

    std::unique_ptr<custody_ref, SkelDeleter> skel(custody_ref__open());
    if (!skel)
        return Error::system("open the reference scheduler's BPF object", errno);

    auto* ro = skel->rodata;
    ro->select_user_pct = knobs.select_user_pct;
    ro->select_local_pct = knobs.select_local_pct;
    ro->enqueue_local_pct = knobs.enqueue_local_pct;
    ro->enqueue_local_on_pct = knobs.enqueue_local_on_pct;
    ro->enqueue_immed_pct = knobs.enqueue_immed_pct;
    ro->enqueue_global_pct = knobs.enqueue_global_pct;
    ro->enqueue_vtime_pct = knobs.enqueue_vtime_pct;
    ro->enqueue_held_pct = knobs.enqueue_held_pct;
    ro->held_to_user_pct = knobs.held_to_user_pct;
    ro->dsq_move_every = knobs.dsq_move_every;
    ro->reenq_every = knobs.reenq_every;
    ro->slice_ns = knobs.slice_us * 1000;
    ro->error_after_ns = uint64_t{knobs.error_after_ms} * 1000 * 1000;
    ro->hold_ns = uint64_t{knobs.hold_ms} * 1000 * 1000;
    std::copy_n(knobs.hold_comm.data(), std::min(knobs.hold_comm.size(), sizeof(ro->hold_comm) - 1),
                ro->hold_comm);
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return Error::system("count possible CPUs", -cpus);
    ro->nr_cpus = static_cast<uint32_t>(cpus);

    if (knobs.without_dequeue) {
        skel->struct_ops.custody_ref_ops->dequeue = nullptr;
        bpf_program__set_autoload(skel->progs.custody_ref_dequeue, false);
    }
    if (!knobs.hotplug_ops) {
        skel->struct_ops.custody_ref_ops->cpu_online = nullptr;
        skel->struct_ops.custody_ref_ops->cpu_offline = nullptr;
        bpf_program__set_autoload(skel->progs.custody_ref_cpu_online, false);
        bpf_program__set_autoload(skel->progs.custody_ref_cpu_offline, false);
    }

    if (int err = custody_ref__load(skel.get()); err != 0)
        return Error::system("load the reference scheduler (run with -v for the verifier log)",
                             -err);
    return RefScheduler(std::move(skel));
}

Status RefScheduler::attach() {
    if (link_)
        return ok_status();
    bpf_link* link = bpf_map__attach_struct_ops(skel_->maps.custody_ref_ops);
    if (!link) {
        int err = errno;
        if (err == EBUSY || err == EEXIST)
            return Error::cannot_run("another sched_ext scheduler is already running: stop it "
                                     "first (see /sys/kernel/sched_ext/root/ops)");
        return Error::system("attach the reference scheduler", err);
    }
    link_ = link;
    return ok_status();
}

void RefScheduler::detach() {
    if (link_) {
        bpf_link__destroy(link_);
        link_ = nullptr;
    }
}

Result<RefStats> RefScheduler::read_stats() const {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return Error::system("count possible CPUs", -cpus);
    int fd = bpf_map__fd(skel_->maps.stats);
    std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
    RefStats stats;
    for (uint32_t key = 0; key < CUSTODY_REF_NR_STATS; key++) {
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0)
            return Error::system("read the reference scheduler's counters", errno);
        uint64_t sum = 0;
        for (uint64_t v : per_cpu)
            sum += v; // in_custody deltas may wrap per CPU; the sum is exact mod 2^64
        stats.values[key] = sum;
    }
    return stats;
}

std::optional<RefExitInfo> RefScheduler::exit_info() const {
    const auto& ei = skel_->bss->exit_info;
    if (!__atomic_load_n(&ei.exited, __ATOMIC_ACQUIRE))
        return std::nullopt;
    RefExitInfo info;
    info.exit_code = ei.exit_code;
    info.kind = ei.kind;
    info.reason.assign(ei.reason, strnlen(ei.reason, sizeof(ei.reason)));
    info.msg.assign(ei.msg, strnlen(ei.msg, sizeof(ei.msg)));
    return info;
}

RefCaps RefScheduler::caps() const {
    const auto& c = skel_->bss->caps;
    return RefCaps{c.dsq_iterator != 0, c.dsq_reenq != 0, c.enq_immed != 0};
}

nlohmann::json RefCaps::to_json() const {
    return {{"dsq_iterator", dsq_iterator}, {"dsq_reenq", dsq_reenq}, {"enq_immed", enq_immed}};
}

Result<loader::SchedulerPrograms> RefScheduler::programs() const {
    loader::SchedulerPrograms progs;
    progs.name = "custody_ref";
    progs.map_id = struct_ops_map_id();
    auto describe = [](bpf_program* prog) -> Result<std::optional<loader::SchedProgram>> {
        if (!bpf_program__autoload(prog))
            return std::optional<loader::SchedProgram>();
        int fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return Error::system("duplicate a program fd", errno);
        auto sp = loader::describe_program(fd);
        if (!sp) {
            ::close(fd);
            return sp.error();
        }
        return std::optional<loader::SchedProgram>(std::move(sp.value()));
    };
    auto deq = describe(skel_->progs.custody_ref_dequeue);
    if (!deq)
        return deq.error();
    auto enq = describe(skel_->progs.custody_ref_enqueue);
    if (!enq)
        return enq.error();
    progs.dequeue = std::move(deq.value());
    progs.enqueue = std::move(enq.value());
    return progs;
}

uint32_t RefScheduler::struct_ops_map_id() const {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_map_get_info_by_fd(bpf_map__fd(skel_->maps.custody_ref_ops), &info, &len) != 0)
        return 0;
    return info.id;
}

} // namespace scx_custody::loader
