#include "audit/kernel_events_report.h"

#include <algorithm>
#include <cmath>

#include "audit/json_util.h"

namespace scx_custody::audit {
namespace {

using json = nlohmann::json;

json counts_json(const KernelEventsParse& events) {
    json counts = json::object();
    for (const KernelEventCount& count : events.counts)
        counts[printable(count.name)] = count.value;
    return counts;
}

// end - start for the names in both (a counter never goes down; if one did,
// the difference is negative rather than wrapped).
json delta_json(const KernelEventsParse& start, const KernelEventsParse& end) {
    json delta = json::object();
    for (const KernelEventCount& count : end.counts) {
        const KernelEventCount* before = start.find(count.name);
        if (!before)
            continue;
        if (count.value >= before->value)
            delta[printable(count.name)] = count.value - before->value;
        else
            delta[printable(count.name)] = -static_cast<int64_t>(before->value - count.value);
    }
    return delta;
}

// Signed milliseconds between two CLOCK_MONOTONIC times, to 0.1 ms.
double ms_between(uint64_t from_ns, uint64_t to_ns) {
    const double ns = to_ns >= from_ns ? static_cast<double>(to_ns - from_ns)
                                       : -static_cast<double>(from_ns - to_ns);
    return std::round(ns / 1e5) / 10.0;
}

json rejected_json(const SectionKernelEvents& section) {
    json notes = json::array();
    uint64_t rejected = 0;
    for (const auto* snapshot : {&section.start, &section.end}) {
        if (!*snapshot)
            continue;
        rejected += (*snapshot)->events.rejected;
        for (const std::string& note : (*snapshot)->events.rejected_notes)
            notes.push_back(printable(note));
    }
    return {{"lines", rejected}, {"notes", notes}};
}

json empty_kernel_events(std::string note) {
    return {{"available", false},    {"note", std::move(note)}, {"start", json::object()},
            {"end", json::object()}, {"delta", json::object()}, {"end_age_ms", nullptr}};
}

} // namespace

json kernel_events_not_recorded() {
    return empty_kernel_events("not recorded: the kernel's event counters are read by the live "
                               "audit only, and a recording does not carry them");
}

json kernel_events_json(const SectionKernelEvents& section, const std::string& instance_dir) {
    if (!section.start)
        return empty_kernel_events(section.note.empty() ? "not read" : section.note);
    json out = empty_kernel_events("");
    out["available"] = true;
    out["source"] = (section.dir.empty() ? instance_dir : section.dir) + "/events";
    out["ops"] = printable(section.start->ops);
    out["enable_seq"] = section.start->enable_seq;
    out["start"] = counts_json(section.start->events);
    out["start_delay_ms"] = ms_between(section.begin_ts_ns, section.start->taken_ns);
    if (section.end && !section.end_missing) {
        out["end"] = counts_json(section.end->events);
        out["delta"] = delta_json(section.start->events, section.end->events);
        out["end_taken_ts_ns"] = section.end->taken_ns;
        if (!section.open)
            out["end_age_ms"] = ms_between(section.end->taken_ns, section.end_ts_ns);
    } else {
        out["note"] = section.note.empty() ? "the end reading is missing" : section.note;
    }
    out["rejected"] = rejected_json(section);
    return out;
}

void attach_kernel_events(json& report, const KernelEventsWatch& watch) {
    json* schedulers = report.contains("schedulers") ? &report["schedulers"] : nullptr;
    if (!schedulers || !schedulers->is_array())
        return;
    for (json& scheduler : *schedulers) {
        const uint64_t instance = u64_or(scheduler, "instance_id");
        const uint64_t begin = u64_or(scheduler, "begin_ts_ns");
        const auto& sections = watch.sections();
        const auto it = std::find_if(sections.begin(), sections.end(), [&](const auto& s) {
            return s.instance_id == instance && s.begin_ts_ns == begin;
        });
        scheduler["kernel_events"] =
            it != sections.end()
                ? kernel_events_json(*it, watch.instance_dir())
                : empty_kernel_events("not read: the section did not begin with a scheduler "
                                      "instance the audit announced");
    }
}

std::vector<std::pair<std::string, int64_t>> nonzero_kernel_deltas(const json& events) {
    std::vector<std::pair<std::string, int64_t>> rows;
    const json& delta = member(events, "delta");
    if (!delta.is_object())
        return rows;
    for (const auto& [name, value] : delta.items())
        if (value.is_number_unsigned() && value.get<uint64_t>() != 0)
            rows.emplace_back(
                name, static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), INT64_MAX)));
        else if (value.is_number_integer() && value.get<int64_t>() != 0)
            rows.emplace_back(name, value.get<int64_t>());
    // Largest change first, ties by name (the order the JSON object gave).
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return rows;
}

} // namespace scx_custody::audit
