#include "loader/tracer.h"

#include "custody_trace.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <span>
#include <unistd.h>

namespace scx_custody::loader {
namespace {

struct SkelDeleter {
    void operator()(custody_trace* s) const { custody_trace__destroy(s); }
};
struct LinkDeleter {
    void operator()(bpf_link* l) const { bpf_link__destroy(l); }
};
using SkelPtr = std::unique_ptr<custody_trace, SkelDeleter>;
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

std::string errno_text(int err) {
    return std::string(strerror(err));
}

// The programs that implement a kernel hook: its fentry/fexit program, an
// optional second trampoline program on the same function (dsq_insert reports
// user-DSQ inserts on entry, built-in ones on return), its kprobe twin and,
// where the return matters, a kretprobe.
// The argument positions (from the plan's BTF lookup) go to the rodata
// fields named here; the kfunc hooks read fixed positions.
struct KernelHookPrograms {
    const char* hook;
    bpf_program* fentry;
    bpf_program* kprobe;
    bpf_program* entry = nullptr;
    bpf_program* kretprobe = nullptr;
    __u32* arg_p = nullptr;
    __u32* arg_where = nullptr;
};

std::vector<KernelHookPrograms> kernel_hook_programs(custody_trace* skel) {
    auto& progs = skel->progs;
    auto* ro = skel->rodata;
    return {
        {"dsq_insert", progs.custody_on_dsq_insert, progs.custody_kp_dsq_insert,
         progs.custody_on_dsq_insert_entry, progs.custody_kretp_dsq_insert, &ro->dsq_insert_arg_p,
         &ro->dsq_insert_arg_dsq},
        {"local_move", progs.custody_on_local_move, progs.custody_kp_local_move, nullptr,
         progs.custody_kretp_local_move, &ro->local_move_arg_p, &ro->local_move_arg_where},
        {"ops_dequeue", progs.custody_on_ops_dequeue, progs.custody_kp_ops_dequeue, nullptr,
         nullptr, &ro->ops_dequeue_arg_p},
        {"remote_move", progs.custody_on_remote_move, progs.custody_kp_remote_move, nullptr,
         nullptr, &ro->remote_move_arg_p},
        {"sched_reg", progs.custody_on_sched_reg_exit, nullptr, progs.custody_on_sched_reg},
        {"sched_reg_cid", progs.custody_on_sched_reg_cid_exit, nullptr,
         progs.custody_on_sched_reg_cid},
        {"sched_disable", progs.custody_on_sched_disable, nullptr},
        {"sched_load", progs.custody_on_sched_load, nullptr},
        {"dsq_move", progs.custody_on_dsq_move, nullptr},
        {"dsq_move_vtime", progs.custody_on_dsq_move_vtime, nullptr},
    };
}

// The trampoline programs of a hook: the main one, then the entry twin if any.
std::vector<bpf_program*> trampoline_programs(const KernelHookPrograms& hp) {
    std::vector<bpf_program*> progs{hp.fentry};
    if (hp.entry)
        progs.push_back(hp.entry);
    return progs;
}

// The kprobe programs of a hook, each with whether it is a return probe.
std::vector<std::pair<bpf_program*, bool>> kprobe_programs(const KernelHookPrograms& hp) {
    std::vector<std::pair<bpf_program*, bool>> progs{{hp.kprobe, false}};
    if (hp.kretprobe)
        progs.emplace_back(hp.kretprobe, true);
    return progs;
}

// Skipped runs of the loaded programs of one tracer object, except `skip`.
uint64_t object_missed_runs(const custody_trace* skel, std::span<const bpf_program* const> skip) {
    uint64_t missed = 0;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) {
        const int fd = bpf_program__fd(prog);
        if (fd < 0 || std::ranges::find(skip, prog) != skip.end())
            continue;
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_prog_get_info_by_fd(fd, &info, &len) == 0)
            missed += info.recursion_misses;
    }
    return missed;
}

// Opens a custody_trace object and checks that it was built against this
// daemon's custody_abi.h: a stale skeleton would decode as garbage.
Result<SkelPtr> open_tracer_object() {
    SkelPtr skel(custody_trace__open());
    if (!skel)
        return Error::system("open the custody tracer's BPF object", errno);
    if (const uint32_t theirs = skel->rodata->abi_version; theirs != CUSTODY_ABI_VERSION)
        return Error::cannot_run(
            "the embedded custody tracer speaks event ABI version " + std::to_string(theirs) +
            ", this daemon version " + std::to_string(CUSTODY_ABI_VERSION) +
            " (bpf/include/custody_abi.h): the BPF skeleton is stale; rebuild scx-custody "
            "from a clean build directory");
    return skel;
}

void disable_all(custody_trace* skel) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);
}

} // namespace

// The tracer's programs on one scheduler instance's own ops.
struct SchedulerInstance {
    SkelPtr skel;
    std::vector<LinkPtr> links;
};

struct Tracer::Impl {
    SkelPtr kernel;
    std::vector<LinkPtr> kernel_links;
    // By struct_ops map id: every instance of a sub-scheduler tree at once.
    std::map<uint32_t, SchedulerInstance> scheds;
    uint32_t ringbuf_bytes = 0;
    // Skipped runs of scheduler instances no longer traced.
    uint64_t untraced_missed_runs = 0;

    ~Impl() {
        scheds.clear(); // they share the kernel instance's maps
        kernel_links.clear();
        kernel.reset();
    }
};

Tracer::Tracer(std::unique_ptr<Impl> impl, AttachPlan plan)
    : impl_(std::move(impl)), plan_(std::move(plan)) {}
Tracer::Tracer(Tracer&&) noexcept = default;
Tracer& Tracer::operator=(Tracer&&) noexcept = default;
Tracer::~Tracer() = default;

namespace {

// Selects the kernel instance's programs per the plan and sets their
// read-only configuration, before the object is loaded.
Status configure_kernel_programs(custody_trace* skel, AttachPlan& plan,
                                 const Tracer::Options& opts) {
    auto* ro = skel->rodata;
    for (auto& hp : kernel_hook_programs(skel)) {
        HookPlan* h = plan.find(hp.hook);
        if (!h || h->mechanism == Mechanism::None)
            continue;
        if (hp.arg_p)
            *hp.arg_p = h->arg_p;
        if (hp.arg_where)
            *hp.arg_where = h->arg_where;
        if (h->witness) // only local_move has a witness form
            ro->local_move_is_witness = 1;
        if (h->mechanism == Mechanism::Kprobe) {
            for (const auto& kprobe : kprobe_programs(hp))
                bpf_program__set_autoload(kprobe.first, true);
        } else {
            for (bpf_program* prog : trampoline_programs(hp)) {
                bpf_program__set_autoload(prog, true);
                if (int err = bpf_program__set_attach_target(prog, 0, h->target.c_str()); err)
                    return Error::system("set attach target " + h->target, -err);
            }
        }
    }
    ro->test_insert_return_delay_ns = opts.test_insert_return_delay_ns;
    for (size_t i = 0; i < opts.sched_ext_value_type_ids.size() && i < 2; i++)
        ro->sched_ext_value_type_ids[i] = opts.sched_ext_value_type_ids[i];
    ro->hold_registrations = opts.hold_registrations ? 1 : 0;
    ro->self_tgid = static_cast<__u32>(::getpid());
    bpf_program__set_autoload(skel->progs.custody_on_sched_switch, true);
    bpf_program__set_autoload(skel->progs.custody_on_task_exit, true);
    if (int err = bpf_map__set_max_entries(skel->maps.events, opts.ringbuf_bytes); err)
        return Error::system("size the ring buffer", -err, ExitCode::Usage);
    ro->wakeup_fill_bytes = wakeup_fill_bytes(opts.ringbuf_bytes);
    return ok_status();
}

// Attaches the loaded kernel instance one hook at a time: a failure is
// recorded in the plan, not fatal here.
void attach_kernel_hooks(custody_trace* skel, AttachPlan& plan, std::vector<LinkPtr>& links_out) {
    for (auto& hp : kernel_hook_programs(skel)) {
        HookPlan* h = plan.find(hp.hook);
        if (!h || h->mechanism == Mechanism::None)
            continue;
        // All of a hook's programs or none: half a hook would report some
        // inserts and silently miss the others.
        std::vector<LinkPtr> links;
        auto add = [&](bpf_link* link) {
            if (!link)
                h->note += "attach failed: " + errno_text(errno);
            else
                links.emplace_back(link);
            return link != nullptr;
        };
        bool all = true;
        if (h->mechanism == Mechanism::Kprobe) {
            for (auto [prog, retprobe] : kprobe_programs(hp))
                all = all && add(bpf_program__attach_kprobe(prog, retprobe, h->target.c_str()));
        } else {
            for (bpf_program* prog : trampoline_programs(hp))
                all = all && add(bpf_program__attach(prog));
        }
        if (!all)
            continue;
        for (auto& link : links)
            links_out.push_back(std::move(link));
        h->attached = true;
    }
    for (auto [hook, prog] : {std::pair{"sched_switch", skel->progs.custody_on_sched_switch},
                              std::pair{"task_exit", skel->progs.custody_on_task_exit}}) {
        HookPlan* h = plan.find(hook);
        bpf_link* link = bpf_program__attach(prog);
        if (!link) {
            if (h)
                h->note += "attach failed: " + errno_text(errno);
            continue;
        }
        links_out.emplace_back(link);
        if (h)
            h->attached = true;
    }
}

} // namespace

Result<Tracer> Tracer::start(AttachPlan plan, const Options& opts) {
    if (int cpus = libbpf_num_possible_cpus(); cpus > CUSTODY_MAX_CPUS)
        return Error::cannot_run("this machine has " + std::to_string(cpus) +
                                 " possible CPUs; the tracer keeps counters for at most " +
                                 std::to_string(CUSTODY_MAX_CPUS) +
                                 " (CUSTODY_MAX_CPUS in bpf/include/custody_abi.h)");
    auto impl = std::make_unique<Impl>();
    impl->ringbuf_bytes = opts.ringbuf_bytes;
    auto opened = open_tracer_object();
    if (!opened)
        return opened.error();
    impl->kernel = std::move(opened.value());
    custody_trace* skel = impl->kernel.get();
    disable_all(skel);
    if (auto configured = configure_kernel_programs(skel, plan, opts); !configured)
        return configured.error();
    if (int err = custody_trace__load(skel); err)
        return Error::system("load the custody tracer (run with -v for the verifier log)", -err);
    attach_kernel_hooks(skel, plan, impl->kernel_links);
    return Tracer(std::move(impl), std::move(plan));
}

namespace {

// The plan's rows for a scheduler's own hooks, reset for `progs`.
void reset_scheduler_hooks(AttachPlan& plan, const SchedulerPrograms& progs) {
    for (const char* hook : {"sched_dequeue", "sched_enqueue"}) {
        const bool dequeue = std::string(hook) == "sched_dequeue";
        if (!plan.find(hook)) {
            HookPlan h;
            h.hook = hook;
            h.mechanism = dequeue ? Mechanism::Fentry : Mechanism::Fexit;
            plan.hooks().push_back(h);
        }
        HookPlan* h = plan.find(hook);
        h->attached = false;
        h->target.clear();
        h->note.clear();
        h->candidates = {progs.name + "." + (dequeue ? "dequeue" : "enqueue")};
    }
}

// A scheduler instance of the tracer writes to the kernel instance's maps.
Result<SkelPtr> open_scheduler_instance(const custody_trace* kernel) {
    auto opened = open_tracer_object();
    if (!opened)
        return opened.error();
    SkelPtr skel = std::move(opened.value());
    disable_all(skel.get());
    // The same wakeup fill as the kernel instance's records: the ring is shared.
    skel->rodata->wakeup_fill_bytes = wakeup_fill_bytes(bpf_map__max_entries(kernel->maps.events));
    for (auto [mine, theirs] : {std::pair{skel->maps.events, kernel->maps.events},
                                std::pair{skel->maps.bss, kernel->maps.bss},
                                std::pair{skel->maps.watched, kernel->maps.watched}}) {
        if (int err = bpf_map__reuse_fd(mine, bpf_map__fd(theirs)); err)
            return Error::system("share the tracer's maps", -err);
    }
    return skel;
}

} // namespace

Status Tracer::trace_scheduler(const SchedulerPrograms& progs) {
    untrace_scheduler(progs.map_id);
    reset_scheduler_hooks(plan_, progs);
    auto opened = open_scheduler_instance(impl_->kernel.get());
    if (!opened)
        return opened.error();
    SkelPtr skel = std::move(opened.value());
    struct Target {
        const char* hook;
        bpf_program* prog;
        const std::optional<SchedProgram>* sched_prog;
    };
    const Target targets[] = {
        {"sched_dequeue", skel->progs.custody_on_sched_dequeue, &progs.dequeue},
        {"sched_enqueue", skel->progs.custody_on_sched_enqueue, &progs.enqueue}};
    bool any = false;
    for (const auto& t : targets) {
        HookPlan* h = plan_.find(t.hook);
        if (!t.sched_prog->has_value()) {
            h->note = progs.name + " does not implement this op";
            h->required = false;
            continue;
        }
        const SchedProgram& sp = **t.sched_prog;
        bpf_program__set_autoload(t.prog, true);
        if (int err = bpf_program__set_attach_target(t.prog, sp.fd.get(), sp.func.c_str()); err)
            return Error::system("set attach target " + sp.func, -err);
        h->target = sp.func;
        h->required = true;
        any = true;
    }
    if (!any)
        return ok_status();
    if (int err = custody_trace__load(skel.get()); err)
        return Error::system("load the tracer for " + progs.name + "'s programs", -err);
    SchedulerInstance instance;
    for (const auto& t : targets) {
        if (!t.sched_prog->has_value())
            continue;
        HookPlan* h = plan_.find(t.hook);
        bpf_link* link = bpf_program__attach(t.prog);
        if (!link) {
            h->note = "attach failed: " + errno_text(errno);
            continue;
        }
        instance.links.emplace_back(link);
        h->attached = true;
    }
    instance.skel = std::move(skel);
    impl_->scheds[progs.map_id] = std::move(instance);
    return ok_status();
}

bool Tracer::traces(uint32_t map_id) const {
    return impl_->scheds.contains(map_id);
}

void Tracer::untrace_scheduler(uint32_t map_id) {
    auto it = impl_->scheds.find(map_id);
    if (it == impl_->scheds.end())
        return;
    it->second.links.clear();
    impl_->untraced_missed_runs += object_missed_runs(it->second.skel.get(), {});
    impl_->scheds.erase(it);
    // The rows stand for the scheduler hooks as a whole: attached while any
    // instance is traced (a sub-scheduler stopping leaves the root's).
    if (!impl_->scheds.empty())
        return;
    for (const char* hook : {"sched_dequeue", "sched_enqueue"})
        if (HookPlan* h = plan_.find(hook))
            h->attached = false;
}

int Tracer::ringbuf_fd() const {
    return bpf_map__fd(impl_->kernel->maps.events);
}

uint32_t Tracer::ringbuf_bytes() const {
    return impl_->ringbuf_bytes;
}

Result<std::vector<custody_cpu_counters>> Tracer::read_counters() const {
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return Error::system("count possible CPUs", -cpus);
    // Through the mapped .bss, not a syscall (see cpu_counters_by_cpu). Each
    // field is a naturally aligned 64-bit word: a copy never tears one.
    const auto* live = impl_->kernel->bss->cpu_counters_by_cpu;
    return std::vector<custody_cpu_counters>(
        live, live + std::min(cpus, static_cast<int>(CUSTODY_MAX_CPUS)));
}

uint64_t Tracer::missed_runs() const {
    const custody_trace* skel = impl_->kernel.get();
    // These only count: a skipped run of theirs loses no event.
    const bpf_program* counting_only[] = {
        skel->progs.custody_on_ops_dequeue, skel->progs.custody_kp_ops_dequeue,
        skel->progs.custody_on_remote_move, skel->progs.custody_kp_remote_move};
    uint64_t missed = impl_->untraced_missed_runs + object_missed_runs(skel, counting_only);
    for (const auto& [map_id, instance] : impl_->scheds)
        missed += object_missed_runs(instance.skel.get(), {});
    return missed;
}

} // namespace scx_custody::loader
