#include "commands/probe_command.h"

#include "commands/attach_option.h"
#include "commands/command_error.h"
#include "loader/attach_plan.h"
#include "loader/kernel_btf.h"
#include "loader/sched_programs.h"
#include "loader/tracer.h"
#include "util/kernel_env.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace scx_custody::commands {
namespace {

// What the audit can and cannot see, in words, from the attach plan.
std::vector<std::string> visibility(const loader::AttachPlan& plan, bool scheduler_running,
                                    bool implements_dequeue) {
    std::vector<std::string> out;
    auto attached = [&](const char* hook) {
        const auto* h = plan.find(hook);
        return h && h->attached;
    };
    if (!plan.custody_semantics)
        out.push_back("kernel predates the 7.1 ops.dequeue custody semantics: custody exits "
                      "without ops.dequeue are expected here and are reported as missed_dequeue");
    out.push_back(attached("dsq_insert") ? "sees every DSQ insert (custody enters on user DSQs, "
                                           "terminal arrivals)"
                                         : "cannot see DSQ inserts: custody enters on user DSQs "
                                           "and terminal arrivals are invisible");
    if (const auto* insert = plan.find("dsq_insert");
        insert && insert->attached && insert->mechanism == loader::Mechanism::Kprobe)
        out.push_back("DSQ inserts are seen through kprobes and kretprobes (the fallback)");
    if (const auto* move = plan.find("dsq_move"); move && !move->attached)
        out.push_back("cannot see moves made by scx_bpf_dsq_move*() to a local DSQ (this kernel "
                      "needs an fexit hook on those kfuncs for them)");
    out.push_back(attached("local_move")
                      ? "sees tasks moved to local DSQs from user DSQs"
                      : "cannot see moves to local DSQs: late dequeues are not detectable");
    if (!scheduler_running)
        out.push_back("no scheduler is running: ops.dequeue/ops.enqueue are traced once one "
                      "starts (audit -- COMMAND, or --sched reference)");
    else if (!implements_dequeue)
        out.push_back("the running scheduler has no ops.dequeue: custody auditing does not "
                      "apply to it (nothing is reported as missed)");
    else
        out.push_back(attached("sched_dequeue") ? "sees every ops.dequeue call of the running "
                                                  "scheduler (ground truth)"
                                                : "cannot trace the running scheduler's "
                                                  "ops.dequeue: the audit is not possible");
    return out;
}

} // namespace

CLI::App* add_probe_command(CLI::App& app, ProbeOptions& opts) {
    auto* cmd = app.add_subcommand(
        "probe", "Report what this kernel offers the audit: sched_ext state, the running "
                 "scheduler, custody semantics, and each hook's target and mechanism (proven by "
                 "a trial attach)");
    cmd->add_option("--format", opts.format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    commands::add_attach_option(*cmd, opts.attach);
    cmd->footer("Exit codes: 0 the audit can run here, 3 it cannot (the cause is printed), "
                "4 it can run with reduced coverage.");
    return cmd;
}

namespace {

// The running scheduler as the trial attach found it.
struct SchedulerProbe {
    bool running = false;
    bool implements_dequeue = false;
    std::string error; // why its programs could not be traced
};

SchedulerProbe probe_scheduler(const loader::KernelBtf& btf, loader::Tracer& tracer,
                               const std::string& scheduler) {
    SchedulerProbe probe;
    probe.running = !scheduler.empty();
    if (!probe.running)
        return probe;
    auto progs = loader::find_scheduler_programs(btf, scheduler);
    if (!progs) {
        probe.error = progs.error().message;
        return probe;
    }
    probe.implements_dequeue = progs->implements_dequeue();
    if (auto traced = tracer.trace_scheduler(*progs); !traced)
        probe.error = traced.error().message;
    return probe;
}

void print_probe_text(const SchedExtStatus& status, const loader::AttachPlan& plan,
                      const SchedulerProbe& sched, const std::vector<std::string>& seen) {
    std::cout << fmt::format("kernel            {}\n", kernel_release());
    std::cout << fmt::format("sched_ext         {}{}\n", status.state,
                             sched.running ? " (" + status.scheduler + ")" : "");
    if (sched.running)
        std::cout << fmt::format("ops.dequeue       {}\n",
                                 sched.implements_dequeue ? "implemented" : "not implemented");
    std::cout << fmt::format("custody semantics {}\n",
                             plan.custody_semantics ? "7.1+ (SCX_TASK_IN_CUSTODY)" : "pre-7.1");
    std::cout << "hooks:\n";
    for (const auto& h : plan.hooks())
        std::cout << fmt::format("  {:<14} {:<8} {:<36} {}{}\n", h.hook,
                                 loader::to_string(h.mechanism), h.target.empty() ? "-" : h.target,
                                 h.attached ? "attached" : "NOT attached",
                                 h.note.empty() ? "" : "  (" + h.note + ")");
    for (const auto& line : seen)
        std::cout << "  * " << line << "\n";
    if (!sched.error.empty())
        std::cout << "  ! " << sched.error << "\n";
}

} // namespace

ExitCode run_probe(const ProbeOptions& opts) {
    auto status = sched_ext_status();
    if (!status)
        return fail(status.error());
    if (auto root = require_root("probing BPF hooks"); !root)
        return fail(root.error());
    auto btf = loader::KernelBtf::load();
    if (!btf)
        return fail(btf.error());
    auto syms = loader::KernelSymbols::load();
    auto plan = loader::AttachPlan::for_kernel(*btf, syms, opts.attach);

    // Trial attach: the plan says what should work; the attach proves it.
    auto tracer = loader::Tracer::start(plan, {});
    if (!tracer)
        return fail(tracer.error());
    const SchedulerProbe sched = probe_scheduler(*btf, *tracer, status->scheduler);
    const auto& final_plan = tracer->plan();
    auto seen = visibility(final_plan, sched.running, sched.implements_dequeue);
    const bool complete = final_plan.complete() && (!sched.running || sched.error.empty());

    nlohmann::json j = {
        {"schema", "scx-custody/probe/v1"},
        {"kernel", kernel_release()},
        {"sched_ext", {{"state", status->state}, {"scheduler", status->scheduler}}},
        {"implements_dequeue",
         sched.running ? nlohmann::json(sched.implements_dequeue) : nlohmann::json()},
        {"btf", "/sys/kernel/btf/vmlinux"},
        {"custody_semantics", final_plan.custody_semantics},
        {"attach_plan", final_plan.to_json()},
        {"coverage_complete", complete},
        {"visibility", seen},
    };
    if (!sched.error.empty())
        j["scheduler_error"] = sched.error;
    if (opts.format == "json")
        std::cout << j.dump(2) << "\n";
    else
        print_probe_text(*status, final_plan, sched, seen);
    return complete ? ExitCode::Clean : ExitCode::Inconclusive;
}

} // namespace scx_custody::commands
