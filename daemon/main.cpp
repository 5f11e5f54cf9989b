// scx-custody: audits the sched_ext BPF custody invariant (one ops.dequeue()
// per custody) on live kernels. See README.md and docs/.
#include "commands/audit_command.h"
#include "commands/probe_command.h"
#include "commands/run_command.h"
#include "commands/sched_command.h"
#include "loader/libbpf_logging.h"
#include "util/result.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace {

void setup_logging(bool verbose) {
    auto logger = spdlog::stderr_color_mt("scx-custody");
    logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
    spdlog::set_default_logger(logger);
    scx_custody::loader::route_libbpf_logs(verbose);
}

} // namespace

int main(int argc, char** argv) {
    using scx_custody::ExitCode;
    CLI::App app{"scx-custody: audit the sched_ext BPF custody invariant (exactly one "
                 "ops.dequeue() per custody) on a live kernel"};
    app.set_version_flag("-V,--version", SCX_CUSTODY_VERSION);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Debug logging, including libbpf and the verifier");
    app.require_subcommand(1);

    scx_custody::commands::AuditOptions audit_opts;
    auto* audit_cmd = scx_custody::commands::add_audit_command(app, audit_opts);
    scx_custody::commands::ReplayCommandOptions replay_opts;
    auto* replay_cmd = scx_custody::commands::add_replay_command(app, replay_opts);
    scx_custody::commands::RunOptions run_opts;
    auto* run_cmd = scx_custody::commands::add_run_command(app, run_opts);
    scx_custody::commands::ProbeOptions probe_opts;
    auto* probe_cmd = scx_custody::commands::add_probe_command(app, probe_opts);
    scx_custody::commands::SchedOptions sched_opts;
    auto* sched_cmd = scx_custody::commands::add_sched_command(app, sched_opts);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "scx-custody: " << e.what() << " (see --help)\n";
        return static_cast<int>(ExitCode::Usage);
    }
    setup_logging(verbose);

    if (audit_cmd->parsed()) {
        audit_opts.live.argv.assign(argv, argv + argc);
        return static_cast<int>(scx_custody::commands::run_audit(std::move(audit_opts)));
    }
    if (run_cmd->parsed()) {
        scx_custody::commands::note_given_options(*run_cmd, run_opts);
        return static_cast<int>(scx_custody::commands::run_daemon(
            run_opts, std::vector<std::string>(argv, argv + argc)));
    }
    if (replay_cmd->parsed())
        return static_cast<int>(scx_custody::commands::run_replay_command(replay_opts));
    if (probe_cmd->parsed())
        return static_cast<int>(scx_custody::commands::run_probe(probe_opts));
    if (sched_cmd->parsed())
        return static_cast<int>(scx_custody::commands::run_sched(sched_opts));
    return static_cast<int>(ExitCode::Usage);
}
