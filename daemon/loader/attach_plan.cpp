#include "loader/attach_plan.h"

#include <nlohmann/json.hpp>

#include <functional>

namespace scx_custody::loader {
namespace {

struct KernelHookSpec {
    const char* hook;
    std::vector<std::string> candidates;
    const char* param_p;
    const char* param_where; // nullptr: none
    Mechanism fentry_kind;
    bool required;
};

// Resolves one kernel-function hook: the first candidate that BTF knows and
// ftrace can hook gets fentry/fexit; one that only kallsyms knows gets a
// kprobe; otherwise nothing (inlined everywhere).
HookPlan resolve_hook(const KernelHookSpec& spec, const KernelBtf& btf, const KernelSymbols& syms,
                      AttachPreference preference) {
    HookPlan plan;
    plan.hook = spec.hook;
    plan.candidates = spec.candidates;
    plan.required = spec.required;
    const bool trampolines = preference == AttachPreference::Auto;
    for (const auto& name : spec.candidates) {
        auto sym = syms.resolve(name);
        if (trampolines && btf.has_func(name) && syms.traceable(name).value_or(true)) {
            auto p = btf.param_index(name, spec.param_p);
            auto where = spec.param_where ? btf.param_index(name, spec.param_where)
                                          : std::optional<unsigned>(0);
            if (!p || !where) {
                plan.note += name + ": unexpected parameters in BTF; ";
                continue;
            }
            plan.target = name;
            plan.mechanism = spec.fentry_kind;
            plan.arg_p = *p;
            plan.arg_where = *where;
            return plan;
        }
        if (sym && btf.has_func(name)) {
            // In BTF and kallsyms but not hookable by ftrace: kprobe it.
            plan.target = *sym;
            plan.mechanism = Mechanism::Kprobe;
            plan.arg_p = btf.param_index(name, spec.param_p).value_or(0);
            plan.arg_where =
                spec.param_where ? btf.param_index(name, spec.param_where).value_or(0) : 0;
            plan.note +=
                trampolines ? "not hookable by ftrace: kprobe; " : "kprobe (--attach kprobe); ";
            return plan;
        }
    }
    plan.note += "not in this kernel (inlined or renamed)";
    return plan;
}

// The scheduler lifecycle hooks: how a scheduler instance's registration and
// its disabling are seen in ring order with the custody records. Trampolines
// only: the return value and the arguments are both needed on return, and a
// registration sleeps (it can end on another CPU than it began).
void add_lifecycle_hooks(std::vector<HookPlan>& hooks,
                         const std::function<HookPlan(const KernelHookSpec&)>& resolve) {
    const KernelHookSpec specs[] = {
        {"sched_reg", {"bpf_scx_reg"}, "kdata", nullptr, Mechanism::Fexit, false},
        {"sched_reg_cid", {"bpf_scx_reg_cid"}, "kdata", nullptr, Mechanism::Fexit, false},
        {"sched_disable", {"scx_disable_workfn"}, "work", nullptr, Mechanism::Fexit, false},
        {"sched_load", {"bpf_struct_ops_map_update_elem"}, "map", nullptr, Mechanism::Fexit, false},
    };
    for (const auto& spec : specs) {
        HookPlan h = resolve(spec);
        if (h.mechanism == Mechanism::Kprobe) {
            h.mechanism = Mechanism::None;
            h.note = "needs fentry/fexit: schedulers are found by polling sysfs instead, and "
                     "their sections start unwitnessed";
        } else if (h.mechanism == Mechanism::None && spec.hook == std::string("sched_reg_cid")) {
            h.note = "no cid-form struct_ops (sched_ext_ops_cid) on this kernel";
        }
        hooks.push_back(h);
    }
}

// Local-DSQ moves: the move function, or where it is inlined (7.0, 7.1) the
// local-DSQ insert tail as its witness, plus the dsq_move kfuncs that tail
// does not see.
void add_local_move_hooks(std::vector<HookPlan>& hooks,
                          const std::function<HookPlan(const KernelHookSpec&)>& resolve) {
    HookPlan local = resolve({"local_move",
                              {"scx_move_local_task_to_local_dsq", "move_local_task_to_local_dsq"},
                              "p",
                              "dst_rq",
                              Mechanism::Fexit,
                              true});
    if (local.mechanism == Mechanism::None) {
        // Inlined (7.0, 7.1): every local-DSQ insert ends in this tail, so it
        // witnesses the same arrivals (plus those dsq_insert also reports).
        HookPlan witness = resolve({"local_move",
                                    {"rq_owned_post_enq", "local_dsq_post_enq"},
                                    "p",
                                    "dsq",
                                    Mechanism::Fexit,
                                    true});
        if (witness.mechanism != Mechanism::None) {
            witness.witness = true;
            witness.candidates.insert(witness.candidates.begin(), local.candidates.begin(),
                                      local.candidates.end());
            witness.note = "move_local_task_to_local_dsq is inlined here: witnessed through "
                           "the local-DSQ insert tail " +
                           witness.target;
            local = witness;
        }
    }
    hooks.push_back(local);
    if (local.witness) {
        // The insert tail misses moves made by scx_bpf_dsq_move*() on these
        // kernels: watch the kfuncs themselves (their result says whether the
        // task moved).
        for (const char* kfunc : {"scx_bpf_dsq_move", "scx_bpf_dsq_move_vtime"}) {
            HookPlan h =
                resolve({std::string(kfunc) == "scx_bpf_dsq_move" ? "dsq_move" : "dsq_move_vtime",
                         {kfunc},
                         "p",
                         "dsq_id",
                         Mechanism::Fexit,
                         false});
            if (h.mechanism == Mechanism::Kprobe) { // the result is needed: fexit only
                h.mechanism = Mechanism::None;
                h.note = "needs fexit (whether the task moved is its result): moves to a local "
                         "DSQ made by this kfunc are not seen";
            }
            hooks.push_back(h);
        }
    }
}

} // namespace

const char* to_string(Mechanism m) {
    switch (m) {
    case Mechanism::Fentry:
        return "fentry";
    case Mechanism::Fexit:
        return "fexit";
    case Mechanism::Kprobe:
        return "kprobe";
    case Mechanism::TpBtf:
        return "tp_btf";
    case Mechanism::None:
        break;
    }
    return "none";
}

AttachPlan AttachPlan::for_kernel(const KernelBtf& btf, const KernelSymbols& syms,
                                  AttachPreference preference) {
    // Every kernel-function hook resolves against this kernel, this way.
    const auto resolve = [&](const KernelHookSpec& spec) {
        return resolve_hook(spec, btf, syms, preference);
    };
    AttachPlan plan;
    plan.custody_semantics =
        btf.has_enumerator("SCX_TASK_IN_CUSTODY") && btf.has_enumerator("SCX_DEQ_SCHED_CHANGE");

    HookPlan insert = resolve({"dsq_insert",
                               {"scx_dispatch_enqueue", "dispatch_enqueue"},
                               "p",
                               "dsq",
                               Mechanism::Fexit,
                               true});
    if (insert.mechanism == Mechanism::Fexit)
        insert.note += "user-DSQ inserts reported on entry (fentry), built-in ones on return";
    plan.hooks_.push_back(insert);

    add_local_move_hooks(plan.hooks_, resolve);

    plan.hooks_.push_back(
        resolve({"ops_dequeue", {"ops_dequeue"}, "p", nullptr, Mechanism::Fentry, false}));
    plan.hooks_.push_back(resolve(
        {"remote_move", {"move_remote_task_to_local_dsq"}, "p", nullptr, Mechanism::Fexit, false}));

    add_lifecycle_hooks(plan.hooks_, resolve);
    for (const char* tp : {"sched_switch", "sched_process_free"}) {
        HookPlan h;
        h.hook = std::string(tp) == "sched_switch" ? "sched_switch" : "task_exit";
        h.candidates = {tp};
        h.target = tp;
        h.mechanism = Mechanism::TpBtf;
        plan.hooks_.push_back(h);
    }
    return plan;
}

HookPlan* AttachPlan::find(const std::string& hook) {
    for (auto& h : hooks_)
        if (h.hook == hook)
            return &h;
    return nullptr;
}

const HookPlan* AttachPlan::find(const std::string& hook) const {
    return const_cast<AttachPlan*>(this)->find(hook);
}

bool AttachPlan::complete() const {
    for (const auto& h : hooks_)
        if (h.required && !h.attached)
            return false;
    return true;
}

nlohmann::json AttachPlan::to_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hooks_) {
        out.push_back({{"hook", h.hook},
                       {"candidates", h.candidates},
                       {"target", h.target},
                       {"mechanism", to_string(h.mechanism)},
                       {"required", h.required},
                       {"attached", h.attached},
                       {"note", h.note}});
    }
    return out;
}

} // namespace scx_custody::loader
