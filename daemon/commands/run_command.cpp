#include "commands/run_command.h"

#include "commands/command_error.h"
#include "commands/daemon_status.h"
#include "commands/run_privileges.h"

#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/health.h"
#include "exporters/prometheus/listen_address.h"
#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/metric_set.h"
#include "exporters/prometheus/metrics_server.h"
#include "exporters/prometheus/self_metrics.h"
#include "live/bpf_program_stats.h"
#include "live/finding_log.h"
#include "live/live_audit.h"
#include "live/monotonic.h"
#include "loader/attach_plan.h"
#include "pairing/observer_fanout.h"
#include "pairing/pairing_engine.h"
#include "util/kv_config.h"
#include "util/signals.h"
#include "util/systemd_notify.h"

#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

namespace scx_custody::commands {
namespace {

using Clock = std::chrono::steady_clock;

// systemd's STATUS= line: which scheduler is audited, through how many hooks.
std::string audit_status(const loader::AttachPlan& plan) {
    size_t attached = 0;
    std::string scheduler;
    for (const auto& h : plan.hooks()) {
        attached += h.attached ? 1 : 0;
        // A scheduler's hooks are named after it: "<scheduler>.dequeue".
        if (h.attached && (h.hook == "sched_dequeue" || h.hook == "sched_enqueue") &&
            !h.candidates.empty())
            scheduler = h.candidates.front().substr(0, h.candidates.front().find('.'));
    }
    return (scheduler.empty() ? "waiting for a sched_ext scheduler"
                              : "auditing scheduler " + scheduler) +
           "; " + std::to_string(attached) + " of " + std::to_string(plan.hooks().size()) +
           " hooks attached";
}

} // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& opts) {
    auto* cmd = app.add_subcommand(
        "run", "Run as a daemon: audit continuously, follow schedulers as they come and go, "
               "serve per-CPU Prometheus metrics on /metrics and a health check on /healthz");
    cmd->add_option("--config", opts.config_path,
                    "Read options from FILE (key = value lines: listen, sched, strict, "
                    "summary-interval, ringbuf-mb); the command line wins");
    cmd->add_option("--listen", opts.listen, "Address for /metrics and /healthz")
        ->capture_default_str();
    cmd->add_option("--sched", opts.sched,
                    "attached: audit whatever scheduler runs; reference: run ours")
        ->check(CLI::IsMember({"attached", "reference"}))
        ->capture_default_str();
    cmd->add_flag("--strict", opts.strict, "Exit 3 if any required hook cannot be attached");
    cmd->add_option("--summary-interval", opts.summary_interval_s,
                    "Log a summary every N seconds (0: never)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--ringbuf-mb", opts.ringbuf_mb, "Ring buffer size in MiB (power of two)")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    cmd->add_flag("--help-stats", opts.help_stats, "List every exported metric and exit");
    cmd->add_flag("--bpf-stats", opts.bpf_stats,
                  "Export BPF run counts and run time per program, the tracer's next to the "
                  "scheduler's (turns on the kernel's run-time statistics, host-wide, for the "
                  "daemon's life: two clock reads per BPF program run)");
    cmd->footer("Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad usage or configuration "
                "(e.g. a malformed --listen), 3 cannot run here (no sched_ext, not root, the "
                "port is in use).");
    return cmd;
}

void note_given_options(const CLI::App& cmd, RunOptions& opts) {
    for (const CLI::Option* opt : cmd.get_options())
        if (opt->count() > 0)
            opts.given.insert(opt->get_name());
}

// Applies the config file's settings that the command line did not set.
Status apply_config(RunOptions& opts) {
    auto config = load_kv_config(opts.config_path);
    if (!config)
        return config.error();
    auto bad = [&](const std::string& key, const std::string& why) {
        return Error::usage(opts.config_path + ": " + key + ": " + why);
    };
    for (const auto& [key, value] : *config) {
        const bool on_cli = opts.given.count("--" + key) > 0;
        try {
            if (key == "listen") {
                if (!on_cli)
                    opts.listen = value;
            } else if (key == "sched") {
                if (value != "attached" && value != "reference")
                    return bad(key, "must be attached or reference, not " + value);
                if (!on_cli)
                    opts.sched = value;
            } else if (key == "strict") {
                if (value != "true" && value != "false")
                    return bad(key, "must be true or false");
                if (!on_cli)
                    opts.strict = value == "true";
            } else if (key == "summary-interval") {
                double v = std::stod(value);
                if (v < 0)
                    return bad(key, "must not be negative");
                if (!on_cli)
                    opts.summary_interval_s = v;
            } else if (key == "ringbuf-mb") {
                unsigned long v = std::stoul(value);
                if (v < 1 || v > 1024)
                    return bad(key, "must be between 1 and 1024");
                if (!on_cli)
                    opts.ringbuf_mb = static_cast<uint32_t>(v);
            } else {
                return bad(key, "unknown setting (known: listen, sched, strict, "
                                "summary-interval, ringbuf-mb)");
            }
        } catch (const std::exception&) {
            return bad(key, "not a number: " + value);
        }
    }
    return ok_status();
}

namespace {

// What `run` serves while it audits: the metric set, its sources and the
// health check behind one HTTP server.
struct Exporter {
    explicit Exporter(uint32_t cpus)
        : collector(*metrics, cpus), self(*metrics, cpus, SCX_CUSTODY_VERSION) {}

    Status start(const std::string& listen) {
        auto started = start_server_without_capabilities(
            listen, metrics, health.as_check(),
            [](std::string_view msg) { spdlog::debug("{}", msg); });
        if (!started)
            return started.error();
        server.emplace(std::move(started.value()));
        return ok_status();
    }

    // run --bpf-stats: BPF run time per program, from now on (host-wide).
    Status enable_bpf_stats() {
        auto enabled = live::BpfProgramStats::enable(metrics->shared_registry());
        if (!enabled)
            return enabled.error();
        bpf_stats = std::move(enabled.value());
        return ok_status();
    }

    // Called per poll; each source reads at most once a second.
    void refresh(Clock::time_point now) {
        process_cpu.refresh(now);
        if (bpf_stats)
            bpf_stats->refresh(now);
    }

    std::shared_ptr<prom::MetricSet> metrics = std::make_shared<prom::MetricSet>();
    prom::CustodyCollector collector;
    prom::SelfMetrics self;
    live::ProcessCpuTime process_cpu{metrics->shared_registry()};
    std::unique_ptr<live::BpfProgramStats> bpf_stats;
    prom::HealthState health;
    std::optional<prom::MetricsServer> server;
};

// The audit loop's plan and tick reach the metrics, the log and systemd.
live::LiveHooks daemon_hooks(DaemonStatus& status, SystemdNotifier& notifier, Exporter& exporter) {
    const prom::MetricsServer& server = *exporter.server;
    live::LiveHooks hooks;
    hooks.on_plan = [&status, &notifier, &server, notified_ready = std::make_shared<bool>(false)](
                        const loader::AttachPlan& plan) {
        // Shared: the hooks are copied, and the first plan must be announced once.
        if (!*notified_ready) {
            spdlog::info("serving {} and {}", server.url("/metrics"), server.url("/healthz"));
            shed_capabilities_after_attach();
        }
        status.on_plan(plan);
        // The first plan comes once the kernel hooks are attached, and
        // /metrics has answered since the server started: ready.
        if (std::exchange(*notified_ready, true))
            notifier.status(audit_status(plan));
        else
            notifier.ready(audit_status(plan));
    };
    hooks.on_tick = [&status, &notifier, &exporter](const consumer::PollCounts& counts,
                                                    const pairing::PairingEngine& engine) {
        status.on_tick(counts, engine);
        exporter.collector.publish_oldest_custody(engine.oldest_custody(), live::monotonic_ns());
        exporter.collector.publish_sections(engine.sections());
        const Clock::time_point now = Clock::now();
        notifier.watchdog_tick(now);
        exporter.refresh(now);
    };
    return hooks;
}

live::LiveAuditOptions live_options(const RunOptions& opts, const std::vector<std::string>& argv) {
    live::LiveAuditOptions live;
    live.sched = opts.sched;
    live.strict = opts.strict;
    live.knobs = opts.knobs;
    live.argv = argv;
    live.wait_for_scheduler = true;
    live.ringbuf_bytes = opts.ringbuf_mb << 20;
    return live;
}

} // namespace

ExitCode run_daemon(RunOptions opts, const std::vector<std::string>& argv) {
    if (!opts.config_path.empty()) {
        if (auto applied = apply_config(opts); !applied)
            return fail(applied.error());
    }
    if (opts.help_stats) {
        prom::write_metric_help(std::cout);
        return ExitCode::Clean;
    }
    if ((opts.ringbuf_mb & (opts.ringbuf_mb - 1)) != 0)
        return fail(Error::usage("--ringbuf-mb must be a power of two, got " +
                                 std::to_string(opts.ringbuf_mb)));
    // The listen address is checked and bound first: a bad address or a busy
    // port is reported before anything is loaded into the kernel.
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return fail(Error::cannot_run("cannot count possible CPUs"));
    // Block SIGINT/SIGTERM before the HTTP server starts its threads: they
    // inherit the mask, so a stop signal reaches the audit loop's signalfd
    // instead of killing the process through a server thread.
    auto signals = StopSignals::install();
    if (!signals)
        return fail(signals.error());
    Exporter exporter(static_cast<uint32_t>(cpus));
    if (opts.bpf_stats) {
        if (auto enabled = exporter.enable_bpf_stats(); !enabled)
            return fail(enabled.error());
    }
    if (auto started = exporter.start(opts.listen); !started)
        return fail(started.error());
    DaemonStatus status(exporter.self, exporter.health, opts.summary_interval_s);
    auto notifier = SystemdNotifier::from_environment();
    live::FindingLog finding_log;
    pairing::ObserverFanout observers{&exporter.collector, &finding_log};
    live::LiveAuditOptions live = live_options(opts, argv);
    live.observer = &observers;
    live.signals = &*signals;
    live.hooks = daemon_hooks(status, notifier, exporter);
    auto report = live::run_live_audit(live);
    exporter.health.set_attached(false, "stopping");
    notifier.stopping("stopping");
    if (!report)
        return fail(report.error());
    spdlog::info("stopped: verdict {} over {:.0f} s ({} custody enters, {} dequeues)",
                 (*report)["verdict"].get<std::string>(), (*report)["duration_s"].get<double>(),
                 (*report)["counts"]["custody_enter"].get<uint64_t>(),
                 (*report)["counts"]["dequeue"].get<uint64_t>());
    return ExitCode::Clean;
}

} // namespace scx_custody::commands
