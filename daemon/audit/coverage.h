// Coverage: what the audit saw of each scheduler instance, and why an audit
// that did not see enough is inconclusive rather than clean.
//
// `clean` is a claim of evidence: every scheduler instance that ran and
// implements ops.dequeue was traced (from its enable, or from a start window
// the report measures), at least one of its custody periods was judged, and
// nothing was wrong. Each rule below names the instance it is about.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pairing/pairing_engine.h"

namespace scx_custody::audit {

// `scheduler "NAME" (instance ID)`, as reasons and notes name an instance.
std::string instance_label(const pairing::SchedulerSection& section);

// Why this section's audit is incomplete (empty: it is complete).
std::vector<std::string> section_gaps(const pairing::SchedulerSection& section);

// Non-empty when no section judged a custody period of a scheduler that
// implements ops.dequeue: the audit proved nothing.
std::vector<std::string> judged_nothing(const std::vector<pairing::SchedulerSection>& sections);

// The report's coverage row for one instance: how it was found, whether its
// programs were traced, and the window between its enable and its tracing.
nlohmann::json instance_coverage(const pairing::SchedulerSection& section);

} // namespace scx_custody::audit
