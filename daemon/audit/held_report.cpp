#include "audit/held_report.h"

#include <string>

#include "audit/html_util.h"
#include "audit/json_util.h"
#include "pairing/kinds.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

json dsq_json(uint64_t dsq_id) {
    return dsq_id == pairing::kNoDsq ? json(nullptr) : json(hex64(dsq_id));
}

json transition_json(const pairing::CustodyTransition& t, uint64_t enter_ts_ns) {
    return {
        {"ts_ns", t.ts_ns},
        {"after_enter_ns", t.ts_ns >= enter_ts_ns ? t.ts_ns - enter_ts_ns : 0},
        {"cpu", t.cpu},
        {"event", to_string(t.kind)},
        {"dsq_id", dsq_json(t.dsq_id)},
        {"flags", hex64(t.flags)},
        {"state_after", to_string(t.state_after)},
    };
}

json custody_json(const pairing::HeldCustody& h) {
    json transitions = json::array();
    for (const pairing::CustodyTransition& t : h.transitions)
        transitions.push_back(transition_json(t, h.enter_ts_ns));
    return {
        {"pid", h.task.pid},
        {"start_time_ns", h.task.start_time_ns},
        {"comm", printable(pairing::comm_view(h.comm))},
        {"scheduler", printable(h.scheduler)},
        {"dsq_id", dsq_json(h.dsq_id)},
        {"enter_ts_ns", h.enter_ts_ns},
        {"end_ts_ns", h.end_ts_ns},
        {"held_ns", h.duration_ns()},
        {"still_held", h.still_held},
        {"ended_by", h.ended_by},
        {"transitions", std::move(transitions)},
        {"transitions_omitted", h.transitions_omitted},
    };
}

// Where a custody sat: its user DSQ, or the scheduler's own BPF queues.
std::string where(const json& held) {
    const json& dsq = member(held, "dsq_id");
    return dsq.is_string() ? "dsq " + dsq.get<std::string>() : "held in BPF (no DSQ)";
}

// Seconds from the timeline's origin (the first event), as the samples show
// times; -1 without a timeline.
double seconds_from_origin(const json& report, uint64_t ts_ns) {
    const json& timeline = member(member(report, "details"), "timeline");
    if (!find_key(timeline, "origin_ts_ns") || ts_ns < u64_or(timeline, "origin_ts_ns"))
        return -1;
    return static_cast<double>(ts_ns - u64_or(timeline, "origin_ts_ns")) / 1e9;
}

std::string at_text(const json& report, uint64_t ts_ns) {
    const double s = seconds_from_origin(report, ts_ns);
    // Appended, not `"+" + text`: GCC 12 at -O3 warns (-Wrestrict) on that
    // operator+'s inlined insert, wrongly.
    return s < 0 ? std::to_string(ts_ns) + " ns"
                 : std::string("+").append(short_number(s, 3)) + " s";
}

std::string ending(const json& held) {
    return bool_or(held, "still_held") ? "still held at the end"
                                       : "ended by " + string_or(held, "ended_by", "?");
}

} // namespace

json held_longest_json(const pairing::HeldCustodies& held) {
    json list = json::array();
    for (const pairing::HeldCustody& h : held.longest())
        list.push_back(custody_json(h));
    return list;
}

json held_details_json(const pairing::HeldCustodies& held) {
    return {
        {"long_held_ns", held.config().long_held_ns},
        {"max_listed", held.config().max_listed},
        {"promoted", held.promoted()},
        {"untracked", held.untracked()},
    };
}

void write_held_text(std::ostream& out, const json& report) {
    const json& list = array_at(report, "held_longest");
    if (list.empty())
        return;
    out << "held longest (custodies of "
        << human_duration(static_cast<double>(
               u64_or(member(member(report, "details"), "held"), "long_held_ns")))
        << " or more):\n";
    for (const json& held : list) {
        out << "  pid " << u64_or(held, "pid") << " (" << string_or(held, "comm") << ") "
            << string_or(held, "scheduler", "?") << ", " << where(held) << ": held "
            << human_duration(static_cast<double>(u64_or(held, "held_ns"))) << " from "
            << at_text(report, u64_or(held, "enter_ts_ns")) << ", " << ending(held) << "\n";
        if (const uint64_t omitted = u64_or(held, "transitions_omitted"))
            out << "      (" << omitted << " transitions omitted after the first)\n";
        for (const json& t : array_at(held, "transitions")) {
            const json& dsq = member(t, "dsq_id");
            out << "      +" << human_duration(static_cast<double>(u64_or(t, "after_enter_ns")))
                << " cpu " << u64_or(t, "cpu") << " " << string_or(t, "event", "?")
                << (dsq.is_string() ? " dsq " + dsq.get<std::string>() : "") << " -> "
                << string_or(t, "state_after", "?") << "\n";
        }
    }
}

void write_held_html(std::ostream& out, const json& report) {
    const json& list = array_at(report, "held_longest");
    out << "<section class=\"panel\" id=\"held\"><h2>Tasks held longest</h2>\n";
    if (list.empty()) {
        out << "<p class=\"muted\">No custody lasted "
            << human_duration(static_cast<double>(
                   u64_or(member(member(report, "details"), "held"), "long_held_ns")))
            << " or more.</p></section>\n";
        return;
    }
    out << "<table class=\"held\"><tr><th class=\"n\">pid</th><th>comm</th><th>scheduler</th>"
           "<th>where</th><th class=\"n\">since</th><th class=\"n\">held</th><th>end</th>"
           "<th>last transitions</th></tr>\n";
    for (const json& held : list) {
        out << "<tr><td class=\"n\">" << u64_or(held, "pid") << "</td><td><code>"
            << html_escape(string_or(held, "comm")) << "</code></td><td>"
            << html_escape(string_or(held, "scheduler")) << "</td><td><code>"
            << html_escape(where(held)) << "</code></td><td class=\"n\">"
            << html_escape(at_text(report, u64_or(held, "enter_ts_ns"))) << "</td><td class=\"n\">"
            << html_escape(human_duration(static_cast<double>(u64_or(held, "held_ns"))))
            << "</td><td>" << html_escape(ending(held)) << "</td><td>";
        for (const json& t : array_at(held, "transitions")) {
            out << "+"
                << html_escape(human_duration(static_cast<double>(u64_or(t, "after_enter_ns"))))
                << " " << html_escape(string_or(t, "event")) << " &rarr; "
                << html_escape(string_or(t, "state_after")) << "<br>";
        }
        out << "</td></tr>\n";
    }
    out << "</table>\n</section>\n";
}

} // namespace scx_custody::audit
