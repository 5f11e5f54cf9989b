#include "commands/audit_command.h"
#include "commands/attach_option.h"

#include "audit/audit_report.h"
#include "audit/replay.h"
#include "audit/report_sink.h"
#include "util/output_file.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace scx_custody::commands {
namespace {

const char* kExitCodes = "Exit codes: 0 clean, 1 violations found, 2 usage error (or a bad "
                         "recording), 3 cannot audit here (no sched_ext, no BTF, not root, no "
                         "scheduler), 4 inconclusive (events lost or coverage incomplete, no "
                         "violation proven).";

std::vector<std::string> report_formats() {
    return {audit::kReportFormats.begin(), audit::kReportFormats.end()};
}

Status write_report(const nlohmann::json& report, const std::string& format,
                    const std::string& output) {
    // The format was validated by the option parser; checked again for safety.
    auto probe = audit::make_report_sink(format, std::cout);
    if (!probe)
        return probe.error();
    return write_output(output, [&](std::ostream& out) {
        auto sink = audit::make_report_sink(format, out);
        (*sink)->write(report);
    });
}

} // namespace

namespace {

// --format and --output, the same for audit and replay.
void add_report_options(CLI::App& cmd, std::string& format, std::string& output) {
    cmd.add_option("--format", format,
                   "Report format: text, json, junit or html (one self-contained page with "
                   "charts)")
        ->check(CLI::IsMember(report_formats()))
        ->capture_default_str();
    cmd.add_option("--output", output, "Write the report to FILE instead of stdout");
}

} // namespace

CLI::App* add_audit_command(CLI::App& app, AuditOptions& opts) {
    auto* cmd = app.add_subcommand(
        "audit", "Audit the custody invariant for --duration seconds or while COMMAND runs, "
                 "then print a report (verdict first) and exit with its verdict");
    auto& l = opts.live;
    cmd->add_option("--duration", l.duration_s,
                    "Seconds to audit (0: until COMMAND exits or SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--sched", l.sched,
                    "attached: audit whatever sched_ext scheduler runs (and every scheduler "
                    "COMMAND loads); reference: load our reference custody scheduler for the run")
        ->check(CLI::IsMember({"attached", "reference"}))
        ->capture_default_str();
    add_report_options(*cmd, opts.format, opts.output);
    cmd->add_option(
        "--record", l.record_path,
        "Also write the raw event stream to FILE (scx-custody replay FILE re-audits it)");
    cmd->add_flag("--strict", l.strict, "Fail (exit 3) if any required hook cannot be attached");
    add_attach_option(*cmd, l.attach);
    cmd->add_option_function<uint32_t>(
           "--ringbuf-mb", [&l](const uint32_t& mb) { l.ringbuf_bytes = mb << 20; },
           "Ring buffer size in MiB, a power of two (default 16): a smaller one loses events "
           "sooner, and a loss makes the verdict inconclusive at best")
        ->check(CLI::Range(1u, 1024u))
        ->check(CLI::Validator(
            [](const std::string& v) {
                const unsigned long mb = std::stoul(v);
                return (mb & (mb - 1)) == 0 ? std::string() : "must be a power of two";
            },
            "POWER OF TWO"));
    cmd->add_flag("--hold-registrations", l.hold_registrations,
                  "Stop (SIGSTOP) each process that is about to register a sched_ext scheduler "
                  "until its programs are traced, then continue it (SIGCONT): its custody is "
                  "audited from its first moment, with no start window. For auditing a "
                  "COMMAND you own");
    // Hidden: for the guest test that forces losses with a tiny ring buffer.
    cmd->add_option_function<uint32_t>("--test-ringbuf-kb",
                                       [&l](const uint32_t& kb) { l.ringbuf_bytes = kb << 10; })
        ->check(CLI::Range(4u, 1024u))
        ->check(CLI::Validator(
            [](const std::string& v) {
                const unsigned long kb = std::stoul(v);
                return (kb & (kb - 1)) == 0 ? std::string() : "must be a power of two";
            },
            "POWER OF TWO"))
        ->group("");
    // Hidden: for the guest test that widens the record-order race window.
    cmd->add_option("--test-insert-return-delay-us", l.test_insert_return_delay_us)
        ->check(CLI::Range(0, 10000))
        ->group("");
    // Hidden: for the guest test of 7.3's SCX_ENQ_IMMED path (`sched
    // --enqueue-immed-pct` for the reference scheduler audit loads itself).
    cmd->add_option("--test-ref-enqueue-immed-pct", l.knobs.enqueue_immed_pct)
        ->check(CLI::Range(0u, 100u))
        ->group("");
    // Hidden: for the guest test of CPU hotplug under the reference scheduler
    // (`sched --hotplug-ops`).
    cmd->add_flag("--test-ref-hotplug-ops", l.knobs.hotplug_ops)->group("");
    cmd->add_option("command", l.command,
                    "-- COMMAND [ARGS...]: audit while it runs, following every scheduler it "
                    "loads and unloads");
    cmd->footer(kExitCodes);
    return cmd;
}

CLI::App* add_replay_command(CLI::App& app, ReplayCommandOptions& opts) {
    auto* cmd = app.add_subcommand(
        "replay", "Re-audit a recording made with audit --record: the same report, offline");
    cmd->add_option("file", opts.file, "The recording")->required();
    add_report_options(*cmd, opts.format, opts.output);
    cmd->footer(kExitCodes);
    return cmd;
}

ExitCode run_audit(AuditOptions opts) {
    auto log = spdlog::default_logger();
    if (opts.live.duration_s == 0 && opts.live.command.empty())
        log->info("auditing until SIGINT/SIGTERM (use --duration or -- COMMAND to bound it)");
    auto report = live::run_live_audit(opts.live);
    if (!report) {
        log->error("{}", report.error().message);
        return report.error().exit_code;
    }
    if (auto written = write_report(*report, opts.format, opts.output); !written) {
        log->error("{}", written.error().message);
        return written.error().exit_code;
    }
    return audit::report_exit_code(*report);
}

ExitCode run_replay_command(const ReplayCommandOptions& opts) {
    audit::ReplayOptions ro;
    ro.file = opts.file;
    ro.format = opts.format;
    ro.output = opts.output;
    auto code = audit::run_replay(ro, std::cout);
    if (!code) {
        spdlog::default_logger()->error("{}", code.error().message);
        return code.error().exit_code;
    }
    return *code;
}

} // namespace scx_custody::commands
