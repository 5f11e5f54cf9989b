// The report's "held longest" part: the tasks a scheduler held in custody
// longest (pairing::HeldCustodies), as JSON for the report and as text and HTML
// for its renderers, which read only the report.
//
// Report keys (docs/REPORT.md, "Tasks held longest"):
//   held_longest   [{pid, start_time_ns, comm, scheduler, dsq_id, enter_ts_ns,
//                    end_ts_ns, held_ns, still_held, ended_by, transitions,
//                    transitions_omitted}], longest first, one per task;
//                  transitions: [{ts_ns, after_enter_ns, cpu, event, dsq_id,
//                    flags, state_after}]; dsq_id "0x..." or null (held by the
//                    scheduler's BPF code, on no DSQ).
//   details.held   {long_held_ns, max_listed, promoted, untracked}
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "pairing/held_custodies.h"

namespace scx_custody::audit {

nlohmann::json held_longest_json(const pairing::HeldCustodies& held);
nlohmann::json held_details_json(const pairing::HeldCustodies& held);

// "held longest:" and one block per task (nothing when none was held long).
void write_held_text(std::ostream& out, const nlohmann::json& report);
// The "Tasks held longest" panel of the HTML report.
void write_held_html(std::ostream& out, const nlohmann::json& report);

} // namespace scx_custody::audit
