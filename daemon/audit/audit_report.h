// The audit report (docs/CONTRACT.md, "The audit report"): one JSON document built from the
// pairing engine's figures and the run's metadata, the same for a live audit and
// for a replay of its recording.
//
// Stable top-level keys (schema "scx-custody/audit/v1"): schema, kernel,
// duration_s, verdict, counts, violations, indeterminate, lost_events, schedulers,
// attach_plan, samples, held_longest (audit/held_report.h), and reference when the
// run had one. Everything else goes
// under "details" and may grow; stable keys are never renamed or removed.
//
// ---------------------------------------------------------------------------
// Verdict and exit code
// ---------------------------------------------------------------------------
//   "violations"   (exit 1)  at least one violation of any kind in any section.
//   "inconclusive" (exit 4)  no violation, but the audit's view is incomplete:
//       - events were lost (lost_events > 0: ring buffer overflows and records
//         that did not decode, which the session feeds to the engine as losses).
//         Every `indeterminate` counted after a loss falls under this rule;
//       - coverage is incomplete: the start metadata says so (coverage.complete
//         false, with its notes) or, when it claims completeness, an attach_plan
//         entry has "required": true, "attached": false (its "reason" or "note"
//         says why);
//       - task records were evicted at the engine's capacity (details.evicted):
//         history was dropped, like a loss.
//   "clean"        (exit 0)  otherwise.
// Not a reason for "inconclusive" on their own:
//   - Tasks first seen while a scheduler was already running (its attach not
//     observed: the audit started mid-run). The engine starts them Indeterminate
//     without counting them and judges each from its next clean custody cycle on,
//     so every cycle it judged was clean. details.sections_attach_not_observed
//     says how many such sections there were, with a note.
//   - Tasks still between a terminal-DSQ insert and their dequeue when the audit
//     stopped (counted in `indeterminate` by finish()): the dequeue may simply
//     not have come yet; nothing was lost.
// details.incomplete lists the reasons the view is incomplete even when the
// verdict is "violations" (a violation proven on part of the stream stands).
//
// Samples: "flags" and "dsq_id" are hex strings ("0x...", dsq_id null for none),
// "trigger" is the event kind that revealed the finding or "finish", "section" is
// the index in "schedulers" (null when no section matches). Comms and scheduler
// names are printable ASCII, other bytes escaped as \xNN.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_meta.h"
#include "consumer/event_decode.h"
#include "pairing/pairing_engine.h"
#include "util/result.h"

namespace scx_custody::audit {

inline constexpr std::string_view kReportSchema = "scx-custody/audit/v1";

enum class Verdict : uint8_t {
    Clean,
    Violations,
    Inconclusive,
};

std::string_view to_string(Verdict verdict);
std::optional<Verdict> verdict_from_string(std::string_view name);
ExitCode exit_code(Verdict verdict);

// What the session saw besides the engine's figures.
struct SessionStats {
    // Event records that did not decode (each also fed to the engine as one lost event).
    uint64_t decode_errors = 0;
    // Decoded events by custody_hook.
    std::array<uint64_t, consumer::kHookCount> events_by_hook{};
    uint64_t event_records = 0;
    uint64_t control_records = 0;
    uint64_t lost_records = 0;
};

struct VerdictDecision {
    Verdict verdict = Verdict::Clean;
    // Why this verdict, one line each.
    std::vector<std::string> reasons;
    // Why the audit's view is incomplete (empty when complete), whatever the verdict.
    std::vector<std::string> incomplete;
};

VerdictDecision decide_verdict(const pairing::PairingEngine& engine, const AuditMeta& meta,
                               const SessionStats& stats = {});

// Normally called after engine.finish().
nlohmann::json build_report(const pairing::PairingEngine& engine, const AuditMeta& meta,
                            const SessionStats& stats = {});

// The verdict of a report; an error (exit code Usage) when it has none.
Result<Verdict> report_verdict(const nlohmann::json& report);
// exit_code(report_verdict(report)), Usage when the report has no verdict.
ExitCode report_exit_code(const nlohmann::json& report);

} // namespace scx_custody::audit
