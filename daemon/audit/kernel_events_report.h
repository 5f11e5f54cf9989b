// schedulers[i].kernel_events in the audit report: the kernel's own event
// counters of the section's instance at its start and end, and their
// difference (docs/REPORT.md). Shown for comparison, never used in the verdict.
//
// build_report() gives every section kernel_events_not_recorded(): a report
// built from a recording (replay) has no readings. The live audit then puts
// its readings in with attach_kernel_events().
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/kernel_events_watch.h"

namespace scx_custody::audit {

nlohmann::json kernel_events_not_recorded();

nlohmann::json kernel_events_json(const SectionKernelEvents& section,
                                  const std::string& instance_dir);

// Each schedulers[] entry gets the reading of the section with its
// instance_id and begin_ts_ns, or available false saying none was taken.
void attach_kernel_events(nlohmann::json& report, const KernelEventsWatch& watch);

// The non-zero deltas of a kernel_events object, largest first (for the text
// and HTML reports).
std::vector<std::pair<std::string, int64_t>> nonzero_kernel_deltas(const nlohmann::json& events);

} // namespace scx_custody::audit
