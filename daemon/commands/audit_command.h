// `scx-custody audit` and `scx-custody replay`: one-shot audits for CI,
// live or from a recording, ending in a report and an exit code.
#pragma once

#include "live/live_audit.h"
#include "util/result.h"

#include <string>

namespace CLI {
class App;
}

namespace scx_custody::commands {

struct AuditOptions {
    live::LiveAuditOptions live;
    std::string format = "text";
    std::string output;
};

struct ReplayCommandOptions {
    std::string file;
    std::string format = "text";
    std::string output;
};

CLI::App* add_audit_command(CLI::App& app, AuditOptions& opts);
CLI::App* add_replay_command(CLI::App& app, ReplayCommandOptions& opts);
ExitCode run_audit(AuditOptions opts);
ExitCode run_replay_command(const ReplayCommandOptions& opts);

} // namespace scx_custody::commands
