// AttachPlan: which hook is observed through which target and mechanism on
// this kernel, decided at start-up from BTF, kallsyms and ftrace, then
// completed by the attach attempts themselves. Kept as data: logged,
// reported in probe and audit, exported as program_attached.
#pragma once

#include "loader/kernel_btf.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace scx_custody::loader {

enum class Mechanism { Fentry, Fexit, Kprobe, TpBtf, None };
const char* to_string(Mechanism m);

// How kernel functions are hooked: fentry/fexit where ftrace allows, or
// kprobes everywhere (the fallback path, forced: for kernels whose BPF
// trampolines misbehave, and to test that path on kernels that have both).
enum class AttachPreference { Auto, Kprobe };

struct HookPlan {
    std::string hook;                    // stable name: dsq_insert, local_move, ...
    std::vector<std::string> candidates; // names tried, in order
    std::string target;                  // what was chosen (empty: nothing)
    Mechanism mechanism = Mechanism::None;
    bool required = true; // the audit's coverage is reduced without it
    bool attached = false;
    std::string note; // fallback used, or why it is not attached
    // Argument positions read from BTF (unused entries stay 0).
    unsigned arg_p = 0;
    unsigned arg_where = 0;
    bool witness = false; // local_move observed through the insert tail
};

class AttachPlan {
  public:
    // Kernel-function and tracepoint hooks. The scheduler hooks
    // (sched_dequeue, sched_enqueue) are added by Tracer::trace_scheduler()
    // when a scheduler is known.
    static AttachPlan for_kernel(const KernelBtf& btf, const KernelSymbols& syms,
                                 AttachPreference preference = AttachPreference::Auto);

    HookPlan* find(const std::string& hook);
    const HookPlan* find(const std::string& hook) const;
    std::vector<HookPlan>& hooks() { return hooks_; }
    const std::vector<HookPlan>& hooks() const { return hooks_; }

    // True when every required hook is attached.
    bool complete() const;
    // Whether the kernel has the 7.1 custody semantics (SCX_TASK_IN_CUSTODY
    // and SCX_DEQ_SCHED_CHANGE exist): decided from BTF, not version numbers.
    bool custody_semantics = false;

    nlohmann::json to_json() const;

  private:
    std::vector<HookPlan> hooks_;
};

} // namespace scx_custody::loader
