// `scx-custody probe`: what this kernel offers the audit, proven by trial
// attaches where it matters.
#pragma once

#include "loader/attach_plan.h"
#include "util/result.h"

#include <string>

namespace CLI {
class App;
}

namespace scx_custody::commands {

struct ProbeOptions {
    std::string format = "text";
    loader::AttachPreference attach = loader::AttachPreference::Auto;
};

CLI::App* add_probe_command(CLI::App& app, ProbeOptions& opts);
ExitCode run_probe(const ProbeOptions& opts);

} // namespace scx_custody::commands
