#include "audit/coverage.h"

#include "audit/json_util.h"

namespace scx_custody::audit {
namespace {

// How a section came to be, as recorded; an implicit section (records with
// no announced scheduler) has neither a name nor a source.
bool start_witnessed(const pairing::SchedulerSection& section) {
    return section.found_by == "reference" || section.found_by == "kernel_hook" ||
           section.found_by == "running_at_start";
}

bool judged(const pairing::SchedulerSection& section) {
    return section.implements_dequeue && section.traced && section.counts.custody_enter > 0;
}

} // namespace

std::string instance_label(const pairing::SchedulerSection& section) {
    std::string label = "scheduler \"" + printable(section.name) + "\"";
    if (section.instance_id != 0)
        label += " (instance " + std::to_string(section.instance_id) + ")";
    return label;
}

std::vector<std::string> section_gaps(const pairing::SchedulerSection& section) {
    std::vector<std::string> gaps;
    const std::string label = instance_label(section);
    if (!start_witnessed(section)) {
        gaps.push_back(label + ": its start was not witnessed (" +
                       (section.found_by.empty() ? std::string("records with no announced "
                                                               "scheduler")
                                                 : "found by " + section.found_by) +
                       "): custody periods may have begun unseen");
    }
    if (!section.traced) {
        gaps.push_back(label + ": its ops.enqueue/ops.dequeue programs were not traced" +
                       (section.note.empty() ? std::string() : ": " + section.note));
    } else if (section.implements_dequeue && section.counts.custody_enter == 0) {
        gaps.push_back(label + ": no custody period judged");
    }
    return gaps;
}

std::vector<std::string> judged_nothing(const std::vector<pairing::SchedulerSection>& sections) {
    std::string without_dequeue;
    for (const pairing::SchedulerSection& section : sections) {
        if (judged(section))
            return {};
        if (!section.implements_dequeue)
            without_dequeue += (without_dequeue.empty() ? "" : ", ") + instance_label(section);
    }
    std::string reason = "no custody period of a scheduler implementing ops.dequeue was judged";
    if (sections.empty())
        reason += ": no scheduler ran while the audit watched";
    else if (!without_dequeue.empty())
        reason += " (" + without_dequeue + ": no ops.dequeue, custody auditing does not apply)";
    return {reason};
}

nlohmann::json instance_coverage(const pairing::SchedulerSection& section) {
    using nlohmann::json;
    const bool window_known = section.enable_ts_ns != 0 && section.traced_from_ns != 0;
    const uint64_t window_ns = window_known && section.traced_from_ns > section.enable_ts_ns
                                   ? section.traced_from_ns - section.enable_ts_ns
                                   : 0;
    json first_custody = section.first_enter_ts_ns ? json(section.first_enter_ts_ns) : json();
    json first_after_enable;
    if (section.first_enter_ts_ns && section.enable_ts_ns &&
        section.first_enter_ts_ns >= section.enable_ts_ns)
        first_after_enable = section.first_enter_ts_ns - section.enable_ts_ns;
    return {
        {"scheduler", printable(section.name)},
        {"instance_id", section.instance_id},
        {"found_by", section.found_by},
        {"traced", section.traced},
        {"implements_dequeue", section.implements_dequeue},
        {"enable_ts_ns", section.enable_ts_ns ? json(section.enable_ts_ns) : json()},
        {"traced_from_ns", section.traced_from_ns ? json(section.traced_from_ns) : json()},
        // Custody periods that began inside the window were not judged: their
        // tasks start indeterminate. Unknown (null) when the instance was
        // enabled before the audit began.
        {"window_ns", window_known ? json(window_ns) : json()},
        {"first_custody_ts_ns", first_custody},
        {"first_custody_after_enable_ns", first_after_enable},
        {"custody_periods_judged", section.traced ? section.counts.custody_enter : 0},
        {"gaps", section_gaps(section)},
        {"note", section.note},
    };
}

} // namespace scx_custody::audit
