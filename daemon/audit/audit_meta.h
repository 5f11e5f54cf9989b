// What an audit report needs besides the events: the run's metadata.
//
// The live audit fills StartMetadata before the first event and EndMetadata after
// the last; each is recorded as a Metadata record (a JSON document, "phase" "start"
// or "end"), and the report is always built from the documents as recorded (the
// live audit reads back its own serialisation), so a replay of the recording
// rebuilds the identical report.
//
// Start document:
//   {"phase": "start", "producer": "scx-custody 0.1.0", "kernel": "7.3.4",
//    "command_line": ["scx-custody", "audit", ...], "options": {...}, "strict": false,
//    "attach_plan": [{"hook": "dsq_insert", "target": "scx_dispatch_enqueue",
//                     "mechanism": "fentry", "attached": true, "required": true,
//                     "reason": "..."}, ...],
//    "coverage": {"complete": true, "notes": ["..."]},
//    "engine": {"kernel_has_core_sched": false, "max_tracked_tasks": 1048576,
//               "max_samples": 20, "max_cpus": 4096, "assume_implements_dequeue": true},
//    "start_ts_ns": 123}
// End document:
//   {"phase": "end", "duration_s": 30.0, "finish_ts_ns": 456,
//    "reference": {...} | null, "tracer": {...}, "coverage_gaps": ["..."]}
//
// Missing keys take the defaults below; a key of the wrong type is an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pairing/pairing_engine.h"
#include "util/result.h"

namespace scx_custody::audit {

inline constexpr std::string_view kPhaseStart = "start";
inline constexpr std::string_view kPhaseEnd = "end";

// Bounds a recorded engine configuration must respect (a replay never allocates
// more than a live audit could have).
inline constexpr std::size_t kMaxTrackedTasksLimit = std::size_t{1} << 26;
inline constexpr std::size_t kMaxSamplesLimit = 10'000;
inline constexpr uint32_t kMaxCpusLimit = 65'536;

struct StartMetadata {
    // "scx-custody <version>".
    std::string producer;
    // The audited kernel's release (uname -r).
    std::string kernel;
    std::vector<std::string> command_line;
    // The audit's options as parsed (duration, sched, format, command, ...).
    nlohmann::json options = nlohmann::json::object();
    bool strict = false;
    // One object per hook: hook, target, mechanism, attached, required, reason.
    nlohmann::json attach_plan = nlohmann::json::array();
    // Every required observation is covered (a required hook missing makes it false).
    bool coverage_complete = true;
    std::vector<std::string> coverage_notes;
    pairing::EngineConfig engine;
    // bpf_ktime_get_ns() when the audit started (the clock of the events).
    uint64_t start_ts_ns = 0;
};

struct EndMetadata {
    double duration_s = 0;
    // bpf_ktime_get_ns() at the end, given to PairingEngine::finish(); 0: the
    // timestamp of the last record.
    uint64_t finish_ts_ns = 0;
    // The reference scheduler's own counters (loader::RefStats::to_json()) with
    // --sched reference, else null.
    nlohmann::json reference = nullptr;
    // The tracer's own figures, passed through to the report's details (per-CPU
    // events and drops, hook hits, ...).
    nlohmann::json tracer = nlohmann::json::object();
    // What the audit could not see, found while it ran: a scheduler instance
    // enabled but never seen, a sub-scheduler it does not follow, ... Each
    // makes the verdict inconclusive.
    std::vector<std::string> coverage_gaps;
};

struct AuditMeta {
    StartMetadata start;
    EndMetadata end;
};

nlohmann::json to_json(const pairing::EngineConfig& config);
Result<pairing::EngineConfig> engine_config_from_json(const nlohmann::json& json);

nlohmann::json to_json(const StartMetadata& start);
nlohmann::json to_json(const EndMetadata& end);
// Errors (exit code Usage) name the key.
Result<StartMetadata> start_metadata_from_json(const nlohmann::json& json);
Result<EndMetadata> end_metadata_from_json(const nlohmann::json& json);

// The document's "phase", or "" when it has none.
std::string metadata_phase(const nlohmann::json& json);

} // namespace scx_custody::audit
