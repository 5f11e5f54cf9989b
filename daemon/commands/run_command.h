// `scx-custody run`: the long-running daemon. Audits continuously, follows
// schedulers as they come and go, and serves per-CPU Prometheus metrics
// (/metrics) and a health check (/healthz).
#pragma once

#include "sched/ref_knobs.h"
#include "util/result.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace scx_custody::commands {

struct RunOptions {
    std::string listen = "127.0.0.1:9476";
    std::string sched = "attached";
    bool strict = false;
    double summary_interval_s = 60;
    uint32_t ringbuf_mb = 16;
    bool help_stats = false;
    sched::RefKnobs knobs;
};

CLI::App* add_run_command(CLI::App& app, RunOptions& opts);
ExitCode run_daemon(const RunOptions& opts, const std::vector<std::string>& argv);

} // namespace scx_custody::commands
