// `scx-custody run`: the long-running daemon. Audits continuously, follows
// schedulers as they come and go, and serves per-CPU Prometheus metrics
// (/metrics) and a health check (/healthz).
#pragma once

#include "loader/ref_knobs.h"
#include "util/result.h"

#include <set>
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
    bool bpf_stats = false; // export BPF run time per program (BPF_ENABLE_STATS)
    std::string config_path;
    std::set<std::string> given; // options set on the command line (they win over the file)
    loader::RefKnobs knobs;
};

CLI::App* add_run_command(CLI::App& app, RunOptions& opts);
// Records which options the command line set, for the config file merge.
void note_given_options(const CLI::App& cmd, RunOptions& opts);
ExitCode run_daemon(RunOptions opts, const std::vector<std::string>& argv);

} // namespace scx_custody::commands
