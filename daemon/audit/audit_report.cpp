#include "audit/audit_report.h"

#include <string>

#include "audit/coverage.h"
#include "audit/held_report.h"
#include "audit/json_util.h"
#include "audit/kernel_events_report.h"
#include "pairing/kinds.h"
#include "pairing/scx_constants.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;
using pairing::Counters;
using pairing::DequeueReason;

constexpr std::array<std::string_view, 3> kVerdictNames = {"clean", "violations", "inconclusive"};

json counts_json(const Counters& c) {
    return {
        {"custody_enter", c.custody_enter},
        {"dequeue", c.dequeue()},
        {"dequeue_dispatch", c.dequeue_by(DequeueReason::Dispatch)},
        {"dequeue_sched_change", c.dequeue_by(DequeueReason::SchedChange)},
        {"dequeue_core_sched", c.dequeue_by(DequeueReason::CoreSched)},
    };
}

json violations_json(const Counters& c) {
    json out = json::object();
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds)
        out[std::string(to_string(kind))] = c.violation(kind);
    return out;
}

json counter_details(const Counters& c) {
    json by_path = json::object();
    for (pairing::EnterPath path : pairing::kAllEnterPaths)
        by_path[std::string(to_string(path))] = c.custody_enter_by(path);
    json reenq_by_reason = json::object();
    for (pairing::ReenqReason reason : pairing::kAllReenqReasons)
        reenq_by_reason[std::string(to_string(reason))] =
            c.kernel_reenqueues_by_reason[to_index(reason)];
    const pairing::DurationSummary& d = c.custody_duration;
    return {
        {"custody_abandoned_at_unload", c.custody_abandoned_at_unload},
        {"in_custody_at_end", c.in_custody_at_end},
        {"dequeue_after_indeterminate", c.dequeue_after_indeterminate},
        {"reenqueue_in_custody", c.reenqueue_in_custody},
        {"kernel_reenqueues", c.kernel_reenqueues},
        {"kernel_reenqueues_by_reason", reenq_by_reason},
        {"inserts_overtaken", c.inserts_overtaken},
        {"evicted", c.evicted},
        {"custody_enter_by_path", by_path},
        {"custody_duration",
         {{"count", d.count},
          {"sum_ns", d.sum_ns},
          {"max_ns", d.max_ns},
          {"mean_ns", d.count ? d.sum_ns / d.count : 0}}},
    };
}

// Why a hook is in the state it is: "reason" or "note", whichever is set.
std::string hook_reason(const json& hook) {
    for (std::string_view key : {"reason", "note"}) {
        const json* value = find_key(hook, key);
        if (value && !value->is_null()) {
            std::string text = scalar_text(*value);
            if (!text.empty())
                return text;
        }
    }
    return "";
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// The section a finding belongs to: as the engine says, else (a finding
// made by an older build) the first with its name whose span holds it.
json section_of(const pairing::Finding& finding,
                const std::vector<pairing::SchedulerSection>& sections) {
    if (finding.section && *finding.section < sections.size())
        return *finding.section;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const pairing::SchedulerSection& s = sections[i];
        if (s.name == finding.scheduler && s.begin_ts_ns <= finding.ts_ns &&
            (s.open || finding.ts_ns <= s.end_ts_ns))
            return i;
    }
    return nullptr;
}

json sample_json(const pairing::Finding& f,
                 const std::vector<pairing::SchedulerSection>& sections) {
    return {
        {"kind", to_string(f.kind)},
        {"pid", f.task.pid},
        {"task_start_ns", f.task.start_time_ns},
        {"comm", printable(pairing::comm_view(f.comm))},
        {"cpu", f.cpu},
        {"ts_ns", f.ts_ns},
        {"scheduler", printable(f.scheduler)},
        {"section", section_of(f, sections)},
        {"trigger", f.trigger ? std::string(to_string(*f.trigger)) : std::string("finish")},
        {"state_before", to_string(f.state_before)},
        {"flags", hex64(f.flags)},
        {"dsq_id", f.dsq_id == pairing::kNoDsq ? json(nullptr) : json(hex64(f.dsq_id))},
        {"custody_enter_ts_ns", f.custody_enter_ts_ns},
        {"kernel_flag", to_string(f.kernel_flag)},
    };
}

json section_json(const pairing::SchedulerSection& s) {
    return {
        {"name", printable(s.name)},
        {"tree_path", printable(s.tree_path)},
        {"owner", s.owner},
        {"implements_dequeue", s.implements_dequeue},
        {"counts", counts_json(s.counts)},
        {"violations", violations_json(s.counts)},
        {"indeterminate", s.counts.indeterminate},
        {"lost_events", s.counts.lost_events},
        {"attach_observed", s.attach_observed},
        {"detach_observed", s.detach_observed},
        {"open", s.open},
        {"begin_ts_ns", s.begin_ts_ns},
        {"end_ts_ns", s.end_ts_ns},
        {"instance_id", s.instance_id},
        {"found_by", s.found_by},
        {"traced", s.traced},
        {"tasks_handed_in", s.tasks_handed_in},
        {"tasks_handed_out", s.tasks_handed_out},
        {"details", counter_details(s.counts)},
        // The live audit puts its readings here (attach_kernel_events()).
        {"kernel_events", kernel_events_not_recorded()},
    };
}

// Reference rows: the scheduler's own count next to the audit's.
json calibration_json(const json& reference, const Counters& totals) {
    json rows = json::array();
    const json empty = json::object();
    const json* counters = find_key(reference, "counters");
    const auto row = [&](std::string_view name, const json* source, std::string_view key,
                         uint64_t audit) {
        const json* value = source ? find_key(*source, key) : nullptr;
        if (!value || !is_u64(*value))
            return;
        const uint64_t ref = value->get<uint64_t>();
        rows.push_back(
            {{"name", name}, {"reference", ref}, {"audit", audit}, {"equal", ref == audit}});
    };
    row("custody_enter", &reference, "custody_enter", totals.custody_enter);
    row("dequeue", &reference, "dequeue", totals.dequeue());
    row("dequeue_dispatch", counters, "dequeue_dispatch",
        totals.dequeue_by(DequeueReason::Dispatch));
    row("dequeue_sched_change", counters, "dequeue_sched_change",
        totals.dequeue_by(DequeueReason::SchedChange));
    row("dequeue_core_sched", counters, "dequeue_core_sched",
        totals.dequeue_by(DequeueReason::CoreSched));
    row("kernel_reenqueues", counters, "enqueue_reenq", totals.kernel_reenqueues);
    // By the kernel's reason, where the scheduler could read one (7.3).
    for (pairing::ReenqReason reason : {pairing::ReenqReason::Kfunc, pairing::ReenqReason::Immed,
                                        pairing::ReenqReason::Preempted})
        row("kernel_reenqueues_" + std::string(to_string(reason)), counters,
            "enqueue_reenq_" + std::string(to_string(reason)),
            totals.kernel_reenqueues_by_reason[to_index(reason)]);
    return rows;
}

} // namespace

std::string_view to_string(Verdict verdict) {
    const auto i = static_cast<std::size_t>(verdict);
    return i < kVerdictNames.size() ? kVerdictNames[i] : std::string_view("invalid");
}

std::optional<Verdict> verdict_from_string(std::string_view name) {
    for (std::size_t i = 0; i < kVerdictNames.size(); ++i) {
        if (kVerdictNames[i] == name)
            return static_cast<Verdict>(i);
    }
    return std::nullopt;
}

ExitCode exit_code(Verdict verdict) {
    switch (verdict) {
    case Verdict::Clean:
        return ExitCode::Clean;
    case Verdict::Violations:
        return ExitCode::Violations;
    case Verdict::Inconclusive:
        return ExitCode::Inconclusive;
    }
    return ExitCode::Usage;
}

namespace {

std::vector<std::string> loss_reasons(const Counters& totals, const SessionStats& stats) {
    if (totals.lost_events == 0)
        return {};
    std::string reason = plural(totals.lost_events, "event lost", "events lost");
    if (stats.decode_errors > 0) {
        reason += " (" +
                  plural(stats.decode_errors, "record that did not decode",
                         "records that did not decode") +
                  ")";
    }
    return {reason};
}

// The kernel hooks: the producer's own coverage judgement comes first; the
// plan is checked only when it claims completeness, so a gap is never
// reported twice.
std::vector<std::string> hook_reasons(const StartMetadata& start) {
    if (!start.coverage_complete) {
        std::string reason = "coverage incomplete";
        for (std::size_t i = 0; i < start.coverage_notes.size(); ++i)
            reason += (i == 0 ? ": " : "; ") + start.coverage_notes[i];
        return {reason};
    }
    std::vector<std::string> reasons;
    for (const json& hook : start.attach_plan) {
        if (!bool_or(hook, "required") || bool_or(hook, "attached"))
            continue;
        const json* name = find_key(hook, "hook");
        std::string reason =
            "required hook " + (name ? scalar_text(*name) : std::string("?")) + " not attached";
        const std::string why = hook_reason(hook);
        if (!why.empty())
            reason += ": " + why;
        reasons.push_back(reason);
    }
    return reasons;
}

// Scheduler instances: each one not fully seen, or nothing judged at all.
std::vector<std::string> instance_reasons(const pairing::PairingEngine& engine,
                                          const EndMetadata& end) {
    std::vector<std::string> reasons;
    for (const pairing::SchedulerSection& section : engine.sections())
        for (std::string& gap : section_gaps(section))
            reasons.push_back(std::move(gap));
    for (std::string& gap : judged_nothing(engine.sections()))
        reasons.push_back(std::move(gap));
    reasons.insert(reasons.end(), end.coverage_gaps.begin(), end.coverage_gaps.end());
    return reasons;
}

void append(std::vector<std::string>& to, std::vector<std::string> from) {
    for (std::string& item : from)
        to.push_back(std::move(item));
}

} // namespace

VerdictDecision decide_verdict(const pairing::PairingEngine& engine, const AuditMeta& meta,
                               const SessionStats& stats) {
    const Counters& totals = engine.totals();
    VerdictDecision decision;
    append(decision.incomplete, loss_reasons(totals, stats));
    append(decision.incomplete, hook_reasons(meta.start));
    append(decision.incomplete, instance_reasons(engine, meta.end));
    if (totals.evicted > 0) {
        decision.incomplete.push_back(
            plural(totals.evicted, "task record evicted", "task records evicted") +
            " at the engine's capacity");
    }

    if (totals.violations_total() > 0) {
        decision.verdict = Verdict::Violations;
        for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
            if (totals.violation(kind) > 0)
                decision.reasons.push_back(std::to_string(totals.violation(kind)) + " " +
                                           std::string(to_string(kind)));
        }
    } else if (!decision.incomplete.empty()) {
        decision.verdict = Verdict::Inconclusive;
        decision.reasons = decision.incomplete;
    } else {
        decision.verdict = Verdict::Clean;
        decision.reasons.push_back(
            "no violation in " + plural(totals.custody_enter, "custody period", "custody periods"));
    }
    return decision;
}

namespace {

// report.coverage: every required hook attached, every instance traced and
// judged, and no gap found while the audit ran.
json coverage_json(const pairing::PairingEngine& engine, const AuditMeta& meta) {
    const auto& sections = engine.sections();
    json instances = json::array();
    bool instances_complete = true;
    for (const pairing::SchedulerSection& section : sections) {
        instances.push_back(instance_coverage(section));
        instances_complete = instances_complete && section_gaps(section).empty();
    }
    instances_complete =
        instances_complete && judged_nothing(sections).empty() && meta.end.coverage_gaps.empty();
    return {
        {"complete",
         meta.start.coverage_complete && hook_reasons(meta.start).empty() && instances_complete},
        {"hooks_complete", meta.start.coverage_complete},
        {"notes", meta.start.coverage_notes},
        {"gaps", meta.end.coverage_gaps},
        {"instances", std::move(instances)},
    };
}

uint64_t sections_attach_not_observed(const pairing::PairingEngine& engine) {
    uint64_t count = 0;
    for (const pairing::SchedulerSection& section : engine.sections())
        count += section.attach_observed ? 0 : 1;
    return count;
}

json notes_json(const pairing::PairingEngine& engine) {
    json notes = json::array();
    if (const uint64_t unobserved = sections_attach_not_observed(engine); unobserved > 0) {
        notes.push_back(plural(unobserved, "scheduler section", "scheduler sections") +
                        " began before the audit saw its attach: each task's first custody "
                        "there was not judged, only the cycles after it");
    }
    if (engine.totals().custody_enter == 0)
        notes.push_back("no custody period observed");
    if (engine.findings_total() > engine.samples().size()) {
        notes.push_back("samples hold the first " + std::to_string(engine.samples().size()) +
                        " of " + std::to_string(engine.findings_total()) + " findings");
    }
    return notes;
}

// details' event figures: lost per CPU, events by kind and by hook, records.
void add_event_details(json& details, const pairing::PairingEngine& engine,
                       const SessionStats& stats) {
    json lost_per_cpu = json::object();
    const auto& per_cpu = engine.per_cpu();
    for (std::size_t cpu = 0; cpu < per_cpu.size(); ++cpu) {
        if (per_cpu[cpu].lost_events > 0)
            lost_per_cpu[std::to_string(cpu)] = per_cpu[cpu].lost_events;
    }
    json events = json::object();
    for (std::size_t i = 0; i < pairing::kEventKindCount; ++i) {
        const auto kind = static_cast<pairing::EventKind>(i);
        events[std::string(to_string(kind))] = engine.events(kind);
    }
    json by_hook = json::object();
    for (std::size_t hook = 0; hook < stats.events_by_hook.size(); ++hook)
        by_hook[std::string(consumer::hook_name(static_cast<uint8_t>(hook)))] =
            stats.events_by_hook[hook];
    details["lost_events_per_cpu"] = lost_per_cpu;
    details["events"] = events;
    details["events_by_hook"] = by_hook;
    details["malformed_events"] = engine.malformed_events();
    details["unattributed_events"] = engine.unattributed_events();
    details["uncertain_events"] = engine.uncertain_events();
    details["decode_errors"] = stats.decode_errors;
    details["records"] = {{"event", stats.event_records},
                          {"control", stats.control_records},
                          {"lost", stats.lost_records}};
}

json details_json(const pairing::PairingEngine& engine, const AuditMeta& meta,
                  const SessionStats& stats, const VerdictDecision& decision) {
    const Counters& totals = engine.totals();
    json details = counter_details(totals);
    details["verdict_reasons"] = decision.reasons;
    details["incomplete"] = decision.incomplete;
    details["notes"] = notes_json(engine);
    details["findings_total"] = engine.findings_total();
    details["sections_attach_not_observed"] = sections_attach_not_observed(engine);
    add_event_details(details, engine, stats);
    details["run"] = {
        {"producer", meta.start.producer},       {"command_line", meta.start.command_line},
        {"options", meta.start.options},         {"strict", meta.start.strict},
        {"engine", to_json(meta.start.engine)},  {"start_ts_ns", meta.start.start_ts_ns},
        {"finish_ts_ns", meta.end.finish_ts_ns},
    };
    details["tracer"] = meta.end.tracer;
    details["held"] = held_details_json(engine.held());
    if (!meta.end.reference.is_null())
        details["calibration"] = calibration_json(meta.end.reference, totals);
    return details;
}

} // namespace

nlohmann::json build_report(const pairing::PairingEngine& engine, const AuditMeta& meta,
                            const SessionStats& stats) {
    const Counters& totals = engine.totals();
    const VerdictDecision decision = decide_verdict(engine, meta, stats);
    json schedulers = json::array();
    for (const pairing::SchedulerSection& section : engine.sections())
        schedulers.push_back(section_json(section));
    json samples = json::array();
    for (const pairing::Finding& finding : engine.samples())
        samples.push_back(sample_json(finding, engine.sections()));

    json report = {
        {"schema", kReportSchema},
        {"kernel", meta.start.kernel},
        {"duration_s", meta.end.duration_s},
        {"verdict", to_string(decision.verdict)},
        {"counts", counts_json(totals)},
        {"violations", violations_json(totals)},
        {"indeterminate", totals.indeterminate},
        {"lost_events", totals.lost_events},
        {"schedulers", std::move(schedulers)},
        {"attach_plan", meta.start.attach_plan},
        {"coverage", coverage_json(engine, meta)},
        {"samples", std::move(samples)},
        {"held_longest", held_longest_json(engine.held())},
        {"details", details_json(engine, meta, stats, decision)},
    };
    if (!meta.end.reference.is_null())
        report["reference"] = meta.end.reference;
    return report;
}

Result<Verdict> report_verdict(const nlohmann::json& report) {
    const std::optional<Verdict> verdict = verdict_from_string(string_or(report, "verdict"));
    if (!verdict)
        return Error::usage("report has no valid \"verdict\"");
    return *verdict;
}

ExitCode report_exit_code(const nlohmann::json& report) {
    const Result<Verdict> verdict = report_verdict(report);
    return verdict ? exit_code(verdict.value()) : ExitCode::Usage;
}

} // namespace scx_custody::audit
