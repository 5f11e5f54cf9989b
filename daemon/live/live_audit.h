// LiveAudit: one audit on this machine. Loads the tracer per the attach
// plan, follows the scheduler(s) (ours with --sched reference, or whatever
// runs / whatever `-- COMMAND` loads), feeds an AuditSession, and returns
// its report. `audit` runs it once; `run` reuses the pieces.
#pragma once

#include "sched/ref_knobs.h"
#include "util/result.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace scx_custody::pairing {
class EngineObserver;
}

namespace scx_custody::live {

struct LiveAuditOptions {
    double duration_s = 0;           // 0: until COMMAND exits or a signal
    std::string sched = "attached";  // attached | reference
    std::vector<std::string> command; // -- COMMAND [ARGS...]
    bool strict = false;
    std::string record_path;
    sched::RefKnobs knobs;           // for --sched reference
    std::vector<std::string> argv;   // our own command line, for the report
    pairing::EngineObserver* observer = nullptr;
};

// The report (DESIGN.md schema), or why the audit could not run.
Result<nlohmann::json> run_live_audit(const LiveAuditOptions& opts);

} // namespace scx_custody::live
