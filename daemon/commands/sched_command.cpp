#include "commands/sched_command.h"

#include "commands/command_error.h"
#include "live/monotonic.h"
#include "loader/ref_scheduler.h"
#include "util/kernel_env.h"
#include "util/output_file.h"
#include "util/signals.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

namespace scx_custody::commands {
namespace {

using Clock = std::chrono::steady_clock;

std::string text_report(const loader::RefStats& stats, const loader::RefCaps& caps,
                        const std::optional<loader::RefExitInfo>& exit, double elapsed_s) {
    std::string out = fmt::format("custody_ref ran {:.1f} s on {}\n", elapsed_s, kernel_release());
    out += fmt::format("  custody enters   {:>10}\n", stats.custody_enter());
    out += fmt::format("  ops.dequeue      {:>10}\n", stats.dequeue());
    out += fmt::format("  in custody now   {:>10}   (abandoned at unload when read after it)\n",
                       stats.in_custody());
    out += fmt::format("  ended w/o dequeue{:>10}\n", stats.ended_without_dequeue());
    out += fmt::format("  balance          {:>10}   (0 = own bookkeeping consistent)\n",
                       stats.balance());
    const auto& table = loader::ref_stat_table();
    for (size_t i = 0; i < table.size(); i++) {
        int64_t v = i == CUSTODY_REF_STAT_in_custody ? stats.in_custody()
                                                     : static_cast<int64_t>(stats.values[i]);
        out += fmt::format("  {:<26} {:>10}  {}\n", table[i].name, v, table[i].help);
    }
    if (!caps.dsq_iterator)
        out += "  note: this kernel cannot bind the DSQ iterator kfuncs: the scx_bpf_dsq_move "
               "paths were not driven\n";
    if (exit)
        out += fmt::format("exit: kind={} code={} reason=\"{}\"{}\n", exit->kind, exit->exit_code,
                           exit->reason, exit->msg.empty() ? "" : " msg=\"" + exit->msg + "\"");
    return out;
}

// When the scheduler's life began and ended as its loader saw it, in
// CLOCK_MONOTONIC ns (the clock of the audit's records): the attach call began
// before the kernel registered it, and the detach returned after the kernel
// had disabled it (bpf_scx_unreg() waits for the disable work). An audit's
// section of this scheduler lies between the two.
struct LoaderSpan {
    uint64_t attach_begin_ns = 0;
    uint64_t detach_end_ns = 0;
};

nlohmann::json json_report(const loader::RefStats& stats, const loader::RefCaps& caps,
                           const std::optional<loader::RefExitInfo>& exit, double elapsed_s,
                           bool ejected, const LoaderSpan& span) {
    nlohmann::json j = {
        {"schema", "scx-custody/ref-stats/v1"},
        {"kernel", kernel_release()},
        {"duration_s", elapsed_s},
        {"attach_begin_ts_ns", span.attach_begin_ns},
        {"detach_end_ts_ns", span.detach_end_ns},
        {"ejected", ejected},
        {"stats", stats.to_json()},
        {"caps", caps.to_json()},
    };
    if (exit)
        j["exit"] = {{"kind", exit->kind},
                     {"code", exit->exit_code},
                     {"reason", exit->reason},
                     {"msg", exit->msg}};
    return j;
}

} // namespace

namespace {

// The reference scheduler's knobs: which custody paths it drives, how often.
void add_knob_options(CLI::App& cmd, loader::RefKnobs& k) {
    auto pct = CLI::Range(0u, 100u);
    cmd.add_option("--select-user-pct", k.select_user_pct,
                   "select_cpu calls inserted into a user DSQ (enter custody)")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--select-local-pct", k.select_local_pct,
                   "select_cpu calls inserted into SCX_DSQ_LOCAL (no custody)")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-local-pct", k.enqueue_local_pct, "Enqueues to SCX_DSQ_LOCAL")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-immed-pct", k.enqueue_immed_pct,
                   "Of the enqueues to SCX_DSQ_LOCAL, those inserted with SCX_ENQ_IMMED (7.3+: "
                   "run at once or come back through ops.enqueue with SCX_ENQ_REENQ)")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-local-on-pct", k.enqueue_local_on_pct,
                   "Enqueues to SCX_DSQ_LOCAL_ON another CPU")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-global-pct", k.enqueue_global_pct, "Enqueues to SCX_DSQ_GLOBAL")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-vtime-pct", k.enqueue_vtime_pct,
                   "Enqueues to the user vtime DSQ (enter custody)")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--enqueue-held-pct", k.enqueue_held_pct,
                   "Enqueues kept in a BPF queue (enter custody); the rest of the enqueues go "
                   "to the user FIFO DSQ")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--held-to-user-pct", k.held_to_user_pct,
                   "BPF-held tasks that dispatch moves to the FIFO DSQ instead of local")
        ->check(pct)
        ->capture_default_str();
    cmd.add_option("--dsq-move-every", k.dsq_move_every,
                   "Every Nth dispatch moves a task with the DSQ iterator (0: never)")
        ->capture_default_str();
    cmd.add_option("--reenq-every", k.reenq_every,
                   "Every Nth dispatch re-enqueues the FIFO DSQ (0: never)")
        ->capture_default_str();
    cmd.add_option("--slice-us", k.slice_us, "Time slice in microseconds")->capture_default_str();
    cmd.add_flag("--hotplug-ops", k.hotplug_ops,
                 "Register ops.cpu_online/ops.cpu_offline, so that a CPU going offline or "
                 "online keeps the scheduler running (without them the kernel ejects it)");
    cmd.add_flag("--without-dequeue", k.without_dequeue,
                 "Register no ops.dequeue (a scheduler to which custody auditing does not "
                 "apply)");
    cmd.add_option("--error-after-ms", k.error_after_ms,
                   "Eject itself with scx_bpf_error() this many ms after it was enabled, once "
                   "tasks are in its custody (0: never; for testing auditors on short-lived "
                   "schedulers)")
        ->check(CLI::Range(0u, 3600u * 1000u))
        ->capture_default_str();
    cmd.add_option("--hold-comm", k.hold_comm,
                   "Hold every task of this comm (up to 15 characters) on the hold DSQ "
                   "0x5c0003, in custody, for --hold-ms before dispatching it (for testing "
                   "stuck-task reports)");
    cmd.add_option("--hold-ms", k.hold_ms,
                   "How long --hold-comm tasks wait in custody (0: off; at most 20000, below "
                   "the kernel's 30 s watchdog)")
        ->check(CLI::Range(0u, loader::RefKnobs::kMaxHoldMs))
        ->capture_default_str();
}

// Runs the loaded scheduler until a signal, the deadline or its ejection,
// printing its counters every stats interval. True when the kernel ejected it.
bool run_until_stopped(loader::RefScheduler& sched, StopSignals& signals,
                       const SchedOptions& opts) {
    const auto start = Clock::now();
    auto next_stats = start + std::chrono::duration<double>(opts.stats_interval_s);
    const auto deadline = start + std::chrono::duration<double>(opts.duration_s);
    for (;;) {
        if (auto sig = signals.wait(std::chrono::milliseconds(100))) {
            spdlog::info("signal {}: stopping", *sig);
            return false;
        }
        if (auto exit = sched.exit_info()) {
            spdlog::error("the kernel ejected custody_ref: {}{}", exit->reason,
                          exit->msg.empty() ? "" : " (" + exit->msg + ")");
            return true;
        }
        const auto now = Clock::now();
        if (opts.duration_s > 0 && now >= deadline)
            return false;
        if (opts.stats_interval_s > 0 && now >= next_stats) {
            if (auto stats = sched.read_stats())
                spdlog::info("{}", stats->one_line());
            next_stats += std::chrono::duration<double>(opts.stats_interval_s);
        }
    }
}

} // namespace

CLI::App* add_sched_command(CLI::App& app, SchedOptions& opts) {
    auto* cmd = app.add_subcommand(
        "sched", "Run the reference custody scheduler: a sched_ext scheduler that drives every "
                 "custody path on purpose and counts its own view (see bpf/ref/custody_ref.bpf.c)");
    add_knob_options(*cmd, opts.knobs);
    cmd->add_option("--stats", opts.stats_interval_s,
                    "Print the counters every N seconds (0: only at exit)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--duration", opts.duration_s,
                    "Stop after N seconds (0: run until SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--format", opts.format, "Report at exit: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->add_option("--output", opts.output, "Write the report to FILE instead of stdout");
    cmd->footer("Exit codes: 0 stopped normally, 1 ejected by the kernel (the reason is printed), "
                "2 bad usage, 3 cannot run here (no sched_ext, not root, another scheduler).");
    return cmd;
}

ExitCode run_sched(const SchedOptions& opts) {
    if (auto valid = opts.knobs.validate(); !valid)
        return fail(valid.error());
    if (auto root = require_root("loading the reference scheduler"); !root)
        return fail(root.error());
    auto status = sched_ext_status();
    if (!status)
        return fail(status.error());
    if (status->state != "disabled")
        return fail(Error::cannot_run("sched_ext is " + status->state + " with scheduler \"" +
                                      status->scheduler +
                                      "\": stop it before loading custody_ref"));

    auto signals = StopSignals::install();
    if (!signals)
        return fail(signals.error());
    auto sched = loader::RefScheduler::load(opts.knobs);
    if (!sched)
        return fail(sched.error());
    LoaderSpan span;
    span.attach_begin_ns = live::monotonic_ns();
    if (auto attached = sched->attach(); !attached)
        return fail(attached.error());
    spdlog::info("custody_ref attached on {}", kernel_release());
    if (opts.knobs.enqueue_immed_pct > 0 && !sched->caps().enq_immed)
        spdlog::warn("this kernel has no SCX_ENQ_IMMED (7.3 added it): --enqueue-immed-pct "
                     "drives nothing here");

    const auto start = Clock::now();
    bool ejected = run_until_stopped(*sched, *signals, opts);
    sched->detach();
    span.detach_end_ns = live::monotonic_ns();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

    auto stats = sched->read_stats();
    if (!stats)
        return fail(stats.error());
    auto exit = sched->exit_info();
    ejected = ejected || (exit && exit->is_error());
    std::string body =
        opts.format == "json"
            ? json_report(*stats, sched->caps(), exit, elapsed, ejected, span).dump(2) + "\n"
            : text_report(*stats, sched->caps(), exit, elapsed);
    if (auto written = write_output(opts.output, [&](std::ostream& out) { out << body; }); !written)
        return fail(written.error());
    return ejected ? ExitCode::Violations : ExitCode::Clean;
}

} // namespace scx_custody::commands
