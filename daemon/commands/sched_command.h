// `scx-custody sched`: run the reference custody scheduler on this machine.
#pragma once

#include "loader/ref_knobs.h"
#include "util/result.h"

#include <string>

namespace CLI {
class App;
}

namespace scx_custody::commands {

struct SchedOptions {
    loader::RefKnobs knobs;
    double stats_interval_s = 0; // 0: counters only at exit
    double duration_s = 0;       // 0: until SIGINT/SIGTERM
    std::string format = "text"; // text | json (the report at exit)
    std::string output;          // report file; stdout when empty
};

// Registers the subcommand's options on `app`, bound to `opts`.
CLI::App* add_sched_command(CLI::App& app, SchedOptions& opts);

// Runs until a signal, the duration, or the kernel ejecting the scheduler.
// Returns the process exit code.
ExitCode run_sched(const SchedOptions& opts);

} // namespace scx_custody::commands
