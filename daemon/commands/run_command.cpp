#include "commands/run_command.h"

#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/health.h"
#include "exporters/prometheus/listen_address.h"
#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/metrics_server.h"
#include "exporters/prometheus/self_metrics.h"
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
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <utility>

namespace scx_custody::commands {
namespace {

using Clock = std::chrono::steady_clock;

// Keeps the self-metrics and the health check in step with the audit loop,
// and logs a summary every interval.
class DaemonStatus {
  public:
    DaemonStatus(prom::SelfMetrics& self, prom::HealthState& health, double summary_interval_s)
        : self_(self), health_(health), summary_every_(std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(summary_interval_s))),
          next_summary_(Clock::now() + summary_every_) {}

    void on_plan(const loader::AttachPlan& plan) {
        std::vector<prom::ProgramState> programs;
        std::string missing;
        for (const auto& h : plan.hooks()) {
            // A hook this kernel has no target for (e.g. sched_reg_cid before
            // 7.2) is not a program that could be detached: not exported.
            if (h.mechanism == loader::Mechanism::None && !h.required)
                continue;
            programs.push_back({h.hook, h.attached});
            if (h.required && !h.attached)
                missing += (missing.empty() ? "" : ", ") + h.hook;
        }
        self_.set_programs(programs);
        // The kernel hooks are what the daemon owns; a scheduler's own hooks
        // come and go with the scheduler.
        health_.set_attached(plan.find("dsq_insert") && plan.find("dsq_insert")->attached,
                             missing.empty() ? "" : "not attached: " + missing);
    }

    void on_tick(const std::vector<custody_cpu_counters>& counters, double fill,
                 const pairing::PairingEngine& engine) {
        health_.heartbeat();
        last_events_.resize(counters.size(), 0);
        for (size_t cpu = 0; cpu < counters.size(); cpu++) {
            if (counters[cpu].events > last_events_[cpu]) {
                self_.add_events(static_cast<uint32_t>(cpu),
                                 counters[cpu].events - last_events_[cpu]);
                last_events_[cpu] = counters[cpu].events;
            }
        }
        self_.set_ringbuf_fill_ratio(fill);
        self_.sync_malformed_events(engine.malformed_events());
        if (summary_every_.count() > 0 && Clock::now() >= next_summary_) {
            next_summary_ += summary_every_;
            const auto& t = engine.totals();
            spdlog::info("summary: custody enters {}, dequeues {}, violations {}, indeterminate "
                         "{}, lost events {}, tasks in custody {}",
                         t.custody_enter, t.dequeue(), t.violations_total(), t.indeterminate,
                         t.lost_events, engine.tasks_in_custody());
        }
    }

  private:
    prom::SelfMetrics& self_;
    prom::HealthState& health_;
    Clock::duration summary_every_;
    Clock::time_point next_summary_;
    std::vector<uint64_t> last_events_;
};

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

ExitCode run_daemon(RunOptions opts, const std::vector<std::string>& argv) {
    auto log = spdlog::default_logger();
    if (!opts.config_path.empty()) {
        if (auto applied = apply_config(opts); !applied) {
            log->error("{}", applied.error().message);
            return applied.error().exit_code;
        }
    }
    if (opts.help_stats) {
        prom::write_metric_help(std::cout);
        return ExitCode::Clean;
    }
    if ((opts.ringbuf_mb & (opts.ringbuf_mb - 1)) != 0) {
        log->error("--ringbuf-mb must be a power of two, got {}", opts.ringbuf_mb);
        return ExitCode::Usage;
    }
    // The listen address is checked and bound first: a bad address or a busy
    // port is reported before anything is loaded into the kernel.
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) {
        log->error("cannot count possible CPUs");
        return ExitCode::CannotRun;
    }
    // Block SIGINT/SIGTERM before the HTTP server starts its threads: they
    // inherit the mask, so a stop signal reaches the audit loop's signalfd
    // instead of killing the process through a server thread.
    auto signals = StopSignals::install();
    if (!signals) {
        log->error("{}", signals.error().message);
        return signals.error().exit_code;
    }
    auto registry = std::make_shared<prometheus::Registry>();
    prom::CustodyCollector collector(registry, static_cast<uint32_t>(cpus));
    prom::SelfMetrics self(registry, static_cast<uint32_t>(cpus), SCX_CUSTODY_VERSION);
    prom::HealthState health;
    auto server =
        prom::MetricsServer::start(opts.listen, registry, health.as_check(),
                                   [](std::string_view msg) { spdlog::debug("{}", msg); });
    if (!server) {
        log->error("{}", server.error().message);
        return server.error().exit_code;
    }
    DaemonStatus status(self, health, opts.summary_interval_s);
    auto notifier = SystemdNotifier::from_environment();
    bool announced = false;
    bool notified_ready = false;
    live::LiveAuditOptions live;
    live.sched = opts.sched;
    live.strict = opts.strict;
    live.knobs = opts.knobs;
    live.argv = argv;
    live::FindingLog finding_log;
    pairing::ObserverFanout observers{&collector, &finding_log};
    live.observer = &observers;
    live.wait_for_scheduler = true;
    live.ringbuf_bytes = opts.ringbuf_mb << 20;
    live.signals = &*signals;
    live.hooks.on_plan = [&](const loader::AttachPlan& plan) {
        if (!announced) {
            log->info("serving {} and {}", server->url("/metrics"), server->url("/healthz"));
            announced = true;
        }
        status.on_plan(plan);
        // The first plan comes once the kernel hooks are attached, and
        // /metrics has answered since the server started: ready.
        if (std::exchange(notified_ready, true))
            notifier.status(audit_status(plan));
        else
            notifier.ready(audit_status(plan));
    };
    live.hooks.on_tick = [&](const std::vector<custody_cpu_counters>& c, double fill,
                             const pairing::PairingEngine& engine) {
        status.on_tick(c, fill, engine);
        collector.publish_oldest_custody(engine.oldest_custody(), live::monotonic_ns());
        notifier.watchdog_tick(Clock::now());
    };
    auto report = live::run_live_audit(live);
    health.set_attached(false, "stopping");
    notifier.stopping("stopping");
    if (!report) {
        log->error("{}", report.error().message);
        return report.error().exit_code;
    }
    log->info("stopped: verdict {} over {:.0f} s ({} custody enters, {} dequeues)",
              (*report)["verdict"].get<std::string>(), (*report)["duration_s"].get<double>(),
              (*report)["counts"]["custody_enter"].get<uint64_t>(),
              (*report)["counts"]["dequeue"].get<uint64_t>());
    return ExitCode::Clean;
}

} // namespace scx_custody::commands
