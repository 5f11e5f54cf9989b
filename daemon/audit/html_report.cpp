#include "audit/html_report.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_report.h"
#include "audit/held_report.h"
#include "audit/html_util.h"
#include "audit/json_util.h"
#include "audit/kernel_events_report.h"
#include "audit/svg_chart.h"
#include "pairing/kinds.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

// A report string, escaped.
std::string text_at(const json& object, std::string_view key, std::string_view fallback = "") {
    return html_escape(string_or(object, key, fallback));
}

std::string count_at(const json& object, std::string_view key) {
    return grouped(u64_or(object, key));
}

std::string upper_ascii(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

constexpr std::string_view kStyle = R"css(
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#eef1f4;--bg:#f6f8fa;
--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:20px 24px 40px}
.title{display:flex;justify-content:space-between;align-items:baseline;color:var(--muted);
margin-bottom:10px}
.title b{color:var(--fg);font-size:16px}
.verdict{display:flex;gap:28px;align-items:center;border-radius:10px;padding:18px 24px;color:#fff}
.verdict.clean{background:var(--ok)}.verdict.violations{background:var(--bad)}
.verdict.inconclusive{background:var(--warn)}.verdict.unknown{background:var(--muted)}
.verdict .word{font-size:32px;font-weight:700;letter-spacing:.05em;min-width:210px}
.verdict ul{margin:0;padding-left:18px;font-size:15px}
.verdict .sub{margin-top:6px;font-size:13px;opacity:.92}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .n{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:12px}.card.bad .n{color:var(--bad)}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;
margin:16px 0}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--soft);vertical-align:top}
th{color:var(--muted);font-weight:600;border-bottom-color:var(--line)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.samples{font-size:12px}table.samples td{white-space:nowrap;padding:4px 6px}details{margin-top:6px}
summary{cursor:pointer;color:var(--muted);font-size:13px}
tr.zero td{color:#8c959f}tr.hit td:first-child,tr.hit td.n{color:var(--bad);font-weight:600}
.yes{color:var(--ok);font-weight:600}.no{color:var(--bad);font-weight:600}
.muted{color:var(--muted)}.small{font-size:12px}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg .grid{stroke:var(--soft)}svg .tick{fill:var(--muted);font-size:11px}
svg .value{fill:var(--fg);font-size:11px}svg .series{stroke-width:1.6}
svg .marker{fill:var(--bad)}
.legend{font-size:12px;color:var(--muted);margin:2px 0 4px}
.legend span{margin-right:16px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
.sched{border-top:1px solid var(--soft);padding-top:10px;margin-top:10px}
.sched:first-of-type{border-top:none;margin-top:0;padding-top:0}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 8px;
font-size:12px;color:var(--muted);margin-left:6px}
.note{color:var(--warn)}
footer{color:var(--muted);font-size:12px;text-align:center}
)css";

// Marks the page rendered once every chart has its marks laid out (see html_report.h).
constexpr std::string_view kScript = R"js(
(function(){var root=document.documentElement,marks=0,empty=[];
document.querySelectorAll('svg.chart').forEach(function(svg){
var n=svg.querySelectorAll('.mark').length,box=svg.getBoundingClientRect();
if(!n||box.width<=0||box.height<=0)empty.push(svg.getAttribute('data-chart'));marks+=n;});
root.setAttribute('data-marks',String(marks));
root.setAttribute('data-rendered',empty.length?'empty:'+empty.join(','):'ok');})();
)js";

std::string_view violation_meaning(pairing::ViolationKind kind) {
    switch (kind) {
    case pairing::ViolationKind::MissedDequeue:
        return "custody ended (terminal DSQ, run, exit) with no ops.dequeue()";
    case pairing::ViolationKind::DuplicateDequeue:
        return "a second ops.dequeue() for one custody period";
    case pairing::ViolationKind::DequeueOutsideCustody:
        return "ops.dequeue() for a task that was never in custody";
    case pairing::ViolationKind::LateDequeue:
        return "ops.dequeue() after the task had already left custody";
    case pairing::ViolationKind::WrongDequeueFlags:
        return "ops.dequeue() flags that do not fit why custody ended";
    case pairing::ViolationKind::CustodyFlagMismatch:
        return "the kernel's custody flag disagrees with the audit's model";
    }
    return "";
}

// Seconds since the timeline's origin for an event time, or -1 without one.
double seconds_since_origin(const json& report, uint64_t ts_ns) {
    const json& timeline = member(member(report, "details"), "timeline");
    const uint64_t origin = u64_or(timeline, "origin_ts_ns");
    if (!find_key(timeline, "origin_ts_ns") || ts_ns < origin)
        return -1;
    return static_cast<double>(ts_ns - origin) / 1e9;
}

void write_head(std::ostream& out, const json& report) {
    out << "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"pending\">\n<head>\n"
        << "<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        << "<title>scx-custody audit: " << text_at(report, "verdict", "unknown") << " on "
        << text_at(report, "kernel", "?") << "</title>\n<style>" << kStyle << "</style>\n"
        << "</head>\n<body>\n<main>\n";
}

void write_verdict(std::ostream& out, const json& report) {
    const json& details = member(report, "details");
    std::string verdict = string_or(report, "verdict");
    if (!verdict_from_string(verdict)) // also keeps the class attribute to known words
        verdict = "unknown";
    const json& run = member(details, "run");
    out << "<div class=\"title\"><span><b>scx-custody audit</b> &middot; kernel "
        << text_at(report, "kernel", "?") << " &middot; "
        << short_number(number_or(report, "duration_s"), 2) << " s</span><span>"
        << text_at(run, "producer") << "</span></div>\n";
    out << "<section class=\"verdict " << verdict << "\" id=\"verdict\" data-verdict=\"" << verdict
        << "\">\n<div class=\"word\">" << html_escape(upper_ascii(verdict))
        << "</div>\n<div>\n<ul class=\"reasons\">";
    for (const json& reason : array_at(details, "verdict_reasons"))
        out << "<li>" << html_escape(scalar_text(reason)) << "</li>";
    out << "</ul>\n";
    const json& incomplete = array_at(details, "incomplete");
    if (!incomplete.empty() && verdict != "inconclusive") {
        out << "<div class=\"sub\">The audit's view is incomplete:<ul>";
        for (const json& reason : incomplete)
            out << "<li>" << html_escape(scalar_text(reason)) << "</li>";
        out << "</ul></div>\n";
    }
    out << "</div>\n</section>\n";
}

uint64_t violations_total(const json& violations) {
    uint64_t total = 0;
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds)
        total += u64_or(violations, to_string(kind));
    return total;
}

void write_card(std::ostream& out, uint64_t value, std::string_view label, bool bad) {
    out << "<div class=\"card" << (bad && value > 0 ? " bad" : "") << "\"><div class=\"n\">"
        << grouped(value) << "</div><div class=\"k\">" << label << "</div></div>";
}

void write_cards(std::ostream& out, const json& report) {
    const json& counts = member(report, "counts");
    out << "<div class=\"cards\">";
    write_card(out, u64_or(counts, "custody_enter"), "custody periods", false);
    write_card(out, u64_or(counts, "dequeue"), "ops.dequeue() counted", false);
    write_card(out, violations_total(member(report, "violations")), "violations", true);
    write_card(out, u64_or(report, "indeterminate"), "indeterminate", true);
    write_card(out, u64_or(report, "lost_events"), "events lost", true);
    out << "</div>\n";
}

// "0x0000000200000001" -> "0x200000001": the report's fixed-width hex, shorter.
std::string short_hex(const json& value) {
    if (!value.is_string())
        return "&ndash;";
    std::string text = value.get<std::string>();
    if (text.rfind("0x", 0) == 0) {
        const std::size_t digits = text.find_first_not_of('0', 2);
        text = "0x" + (digits == std::string::npos ? std::string("0") : text.substr(digits));
    }
    return html_escape(text);
}

std::string sample_time(const json& report, const json& sample) {
    const double s = seconds_since_origin(report, u64_or(sample, "ts_ns"));
    return s < 0 ? grouped(u64_or(sample, "ts_ns")) + " ns" : short_number(s, 3) + " s";
}

constexpr std::string_view kSampleHeader =
    "<table class=\"samples\"><tr><th>kind</th><th class=\"n\">pid</th><th>comm</th>"
    "<th class=\"n\">cpu</th><th class=\"n\">time</th><th>scheduler</th><th>at</th>"
    "<th>was</th><th>flags</th><th>dsq</th></tr>\n";
// Samples shown at once; the rest are one click away, so the page stays short.
constexpr std::size_t kSamplesShown = 8;

void write_sample_row(std::ostream& out, const json& report, const json& sample) {
    out << "<tr><td>" << text_at(sample, "kind", "?") << "</td><td class=\"n\">"
        << u64_or(sample, "pid") << "</td><td><code>" << text_at(sample, "comm")
        << "</code></td><td class=\"n\">" << u64_or(sample, "cpu") << "</td><td class=\"n\">"
        << sample_time(report, sample) << "</td><td>" << text_at(sample, "scheduler") << "</td><td>"
        << text_at(sample, "trigger") << "</td><td>" << text_at(sample, "state_before")
        << "</td><td><code>" << short_hex(member(sample, "flags")) << "</code></td><td><code>"
        << short_hex(member(sample, "dsq_id")) << "</code></td></tr>\n";
}

void write_samples(std::ostream& out, const json& report) {
    const json& samples = array_at(report, "samples");
    if (samples.empty())
        return;
    out << "<h3>Sample tasks (first " << samples.size() << " of "
        << grouped(u64_or(member(report, "details"), "findings_total", samples.size()))
        << " findings)</h3>\n"
        << kSampleHeader;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (i == kSamplesShown) {
            out << "</table>\n<details><summary>" << samples.size() - kSamplesShown
                << " more samples</summary>\n"
                << kSampleHeader;
        }
        write_sample_row(out, report, samples[i]);
    }
    out << "</table>\n" << (samples.size() > kSamplesShown ? "</details>\n" : "");
}

void write_violations(std::ostream& out, const json& report) {
    const json& violations = member(report, "violations");
    out << "<section class=\"panel\" id=\"violations\"><h2>Violations</h2>\n"
        << "<table><tr><th>kind</th><th class=\"n\">count</th><th>meaning</th></tr>\n";
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
        const uint64_t n = u64_or(violations, to_string(kind));
        out << "<tr class=\"" << (n > 0 ? "hit" : "zero") << "\"><td>" << to_string(kind)
            << "</td><td class=\"n\">" << grouped(n) << "</td><td>" << violation_meaning(kind)
            << "</td></tr>\n";
    }
    out << "</table>\n";
    write_samples(out, report);
    out << "</section>\n";
}

std::vector<double> as_doubles(const json& values) {
    std::vector<double> out;
    if (values.is_array()) {
        for (const json& v : values)
            out.push_back(is_u64(v) ? static_cast<double>(v.get<uint64_t>()) : 0.0);
    }
    return out;
}

LineChart timeline_chart(const json& report, const json& timeline, std::string_view key,
                         std::string_view what) {
    LineChart chart;
    chart.id = "timeline-" + std::string(key);
    chart.label = std::string(what) + " per second, per CPU";
    chart.x_step = static_cast<double>(u64_or(timeline, "interval_ns", 1'000'000'000)) / 1e9;
    const json& per_cpu = array_at(timeline, "per_cpu");
    for (std::size_t i = 0; i < per_cpu.size(); ++i) {
        chart.series.push_back(
            {"cpu " + std::to_string(u64_or(per_cpu[i], "cpu")) + " " + std::string(what),
             series_color(i), as_doubles(member(per_cpu[i], key))});
    }
    for (const json& sample : array_at(report, "samples")) {
        const double s = seconds_since_origin(report, u64_or(sample, "ts_ns"));
        if (s >= 0) {
            chart.markers.push_back(
                {s, string_or(sample, "kind") + ": pid " + std::to_string(u64_or(sample, "pid")) +
                        " (" + string_or(sample, "comm") + ") at " + short_number(s, 3) + " s"});
        }
    }
    return chart;
}

void write_timeline(std::ostream& out, const json& report) {
    const json& timeline = member(member(report, "details"), "timeline");
    const json& per_cpu = array_at(timeline, "per_cpu");
    out << "<section class=\"panel\" id=\"timeline\"><h2>Custody over time</h2>\n";
    if (per_cpu.empty() || u64_or(timeline, "buckets") == 0) {
        out << "<p class=\"muted\">No custody enter or dequeue in the run.</p></section>\n";
        return;
    }
    out << "<div class=\"legend\">";
    for (std::size_t i = 0; i < per_cpu.size(); ++i) {
        out << "<span><i style=\"background:" << series_color(i) << "\"></i>cpu "
            << u64_or(per_cpu[i], "cpu") << "</span>";
    }
    if (!array_at(report, "samples").empty())
        out << "<span><i style=\"background:var(--bad)\"></i>finding (sample)</span>";
    out << "</div>\n<h3>Custody enters per second</h3>\n"
        << line_chart_svg(timeline_chart(report, timeline, "custody_enter", "custody enters"))
        << "\n<h3>Counted ops.dequeue() per second</h3>\n"
        << line_chart_svg(timeline_chart(report, timeline, "dequeue", "dequeues")) << "\n";
    if (const json* note = find_key(timeline, "note"))
        out << "<p class=\"note\">" << html_escape(scalar_text(*note)) << "</p>\n";
    out << "</section>\n";
}

void write_durations(std::ostream& out, const json& report) {
    const json& details = member(report, "details");
    const json& histogram = member(details, "custody_duration_histogram");
    const json& summary = member(details, "custody_duration");
    out << "<section class=\"panel\" id=\"durations\"><h2>Custody duration</h2>\n";
    if (u64_or(histogram, "count") == 0) {
        out << "<p class=\"muted\">No custody period closed by a counted ops.dequeue().</p>"
            << "</section>\n";
        return;
    }
    out << "<p class=\"muted\">Enter to counted ops.dequeue(), log2 buckets: "
        << count_at(histogram, "count") << " periods, mean "
        << human_duration(static_cast<double>(u64_or(summary, "mean_ns"))) << ", max "
        << human_duration(static_cast<double>(u64_or(summary, "max_ns"))) << ".</p>\n";
    BarChart chart;
    chart.id = "custody-duration";
    chart.label = "custody periods by duration";
    for (const json& bucket : array_at(histogram, "buckets")) {
        const auto lo = static_cast<double>(u64_or(bucket, "min_ns"));
        const auto hi = static_cast<double>(u64_or(bucket, "max_ns")) + 1;
        const uint64_t n = u64_or(bucket, "count");
        chart.bars.push_back({human_duration(lo), static_cast<double>(n),
                              human_duration(lo) + " to " + human_duration(hi) + ": " + grouped(n) +
                                  " custody periods"});
    }
    out << column_chart_svg(chart) << "\n</section>\n";
}

std::string tag(bool condition, std::string_view yes, std::string_view no) {
    return "<span class=\"tag\">" + std::string(condition ? yes : no) + "</span>";
}

// The two charts of a section: enters by path, counted dequeues by reason.
void write_section_charts(std::ostream& out, const json& section, std::size_t index) {
    const json& counts = member(section, "counts");
    const json& by_path = member(member(section, "details"), "custody_enter_by_path");
    BarChart enters{
        "section-" + std::to_string(index) + "-enter", "custody enters by path", "#3b6fd4", {}};
    for (pairing::EnterPath path : pairing::kAllEnterPaths) {
        const std::string name(to_string(path));
        const uint64_t n = u64_or(by_path, name);
        enters.bars.push_back({name, static_cast<double>(n), name + ": " + grouped(n)});
    }
    BarChart dequeues{"section-" + std::to_string(index) + "-dequeue",
                      "counted ops.dequeue() by reason",
                      "#2a9d8f",
                      {}};
    for (pairing::DequeueReason reason : pairing::kAllDequeueReasons) {
        const std::string name(to_string(reason));
        const uint64_t n = u64_or(counts, "dequeue_" + name);
        dequeues.bars.push_back({name, static_cast<double>(n), name + ": " + grouped(n)});
    }
    out << "<div class=\"pair\"><div><h3>Custody enters by path</h3>" << row_chart_svg(enters)
        << "</div><div><h3>Counted ops.dequeue() by reason</h3>" << row_chart_svg(dequeues)
        << "</div></div>\n";
}

std::string nonzero_violations(const json& violations) {
    std::string out;
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
        const uint64_t n = u64_or(violations, to_string(kind));
        if (n > 0)
            out += (out.empty() ? "" : ", ") + grouped(n) + " " + std::string(to_string(kind));
    }
    return out.empty() ? "none" : out;
}

// The kernel's own counters of the instance: the non-zero differences.
void write_kernel_events(std::ostream& out, const json& events) {
    out << "<div class=\"kevents\"><h3>Kernel event counters</h3>";
    if (!bool_or(events, "available")) {
        out << "<p class=\"small muted\">Not available: " << text_at(events, "note", "no reading")
            << "</p></div>\n";
        return;
    }
    const json* age = find_key(events, "end_age_ms");
    out << "<p class=\"small muted\">The kernel's own counters (end &minus; start), shown "
        << "for comparison; the verdict does not use them. ";
    if (age && age->is_number())
        out << "End read " << short_number(age->get<double>(), 1)
            << " ms before the section ended.";
    else
        out << text_at(events, "note", "No end reading.");
    out << "</p>\n";
    const auto deltas = nonzero_kernel_deltas(events);
    if (deltas.empty()) {
        out << "<p class=\"small\">No counter changed.</p></div>\n";
        return;
    }
    out << "<table><tr><th>counter</th><th class=\"n\">end &minus; start</th></tr>\n";
    for (const auto& [name, delta] : deltas)
        out << "<tr><td>" << html_escape(name) << "</td><td class=\"n\">" << (delta < 0 ? "-" : "")
            << grouped(static_cast<uint64_t>(delta < 0 ? -delta : delta)) << "</td></tr>\n";
    out << "</table></div>\n";
}

void write_section(std::ostream& out, const json& report, const json& section, std::size_t index) {
    const json& counts = member(section, "counts");
    const std::string violations = nonzero_violations(member(section, "violations"));
    const double begin = seconds_since_origin(report, u64_or(section, "begin_ts_ns"));
    const double end = seconds_since_origin(report, u64_or(section, "end_ts_ns"));
    out << "<div class=\"sched\" data-section=\"" << index << "\"><b>[" << index << "] "
        << text_at(section, "name", "(unnamed)") << "</b>"
        << (string_or(section, "tree_path").empty()
                ? std::string()
                : " <code>" + text_at(section, "tree_path", "") + "</code>")
        << tag(bool_or(section, "implements_dequeue", true), "ops.dequeue", "no ops.dequeue")
        << tag(bool_or(section, "attach_observed"), "attach seen", "attach not seen")
        << tag(bool_or(section, "detach_observed"), "detach seen", "still loaded at end");
    out << "<div class=\"small\">" << count_at(counts, "custody_enter") << " custody periods, "
        << count_at(counts, "dequeue") << " counted dequeues, "
        << "violations: <span class=\"" << (violations == "none" ? "yes" : "no") << "\">"
        << violations << "</span>, indeterminate " << count_at(section, "indeterminate")
        << ", lost " << count_at(section, "lost_events");
    if (begin >= 0 && end >= begin)
        out << ", " << short_number(begin, 2) << " s to " << short_number(end, 2) << " s";
    out << "</div>\n";
    if (u64_or(counts, "custody_enter") + u64_or(counts, "dequeue") > 0)
        write_section_charts(out, section, index);
    write_kernel_events(out, member(section, "kernel_events"));
    out << "</div>\n";
}

void write_schedulers(std::ostream& out, const json& report) {
    const json& sections = array_at(report, "schedulers");
    out << "<section class=\"panel\" id=\"schedulers\"><h2>Schedulers</h2>\n";
    if (sections.empty())
        out << "<p class=\"muted\">No scheduler section: no sched_ext scheduler was seen.</p>";
    for (std::size_t i = 0; i < sections.size(); ++i)
        write_section(out, report, sections[i], i);
    out << "</section>\n";
}

void write_calibration(std::ostream& out, const json& report) {
    const json& rows = array_at(member(report, "details"), "calibration");
    if (rows.empty())
        return;
    out << "<section class=\"panel\" id=\"calibration\"><h2>Reference scheduler's own counters"
        << "</h2>\n<table><tr><th>counter</th><th class=\"n\">scheduler's own</th>"
        << "<th class=\"n\">audit</th><th>match</th></tr>\n";
    for (const json& row : rows) {
        const bool equal = bool_or(row, "equal");
        out << "<tr><td>" << text_at(row, "name", "?") << "</td><td class=\"n\">"
            << count_at(row, "reference") << "</td><td class=\"n\">" << count_at(row, "audit")
            << "</td><td class=\"" << (equal ? "yes\">&#10003; equal" : "no\">&#10007; differs")
            << "</td></tr>\n";
    }
    out << "</table>\n</section>\n";
}

std::string candidates_text(const json& hook) {
    std::string out;
    for (const json& candidate : array_at(hook, "candidates"))
        out += (out.empty() ? "" : ", ") + scalar_text(candidate);
    return out;
}

void write_attach_plan(std::ostream& out, const json& report) {
    const json& plan = array_at(report, "attach_plan");
    out << "<section class=\"panel\" id=\"attach-plan\"><h2>Attach plan</h2>\n";
    if (plan.empty()) {
        out << "<p class=\"muted\">No attach plan recorded.</p></section>\n";
        return;
    }
    out << "<p class=\"muted small\">Each hook's target is the first candidate this kernel "
        << "has; &ldquo;attached&rdquo; is proven by the attach itself.</p>\n"
        << "<table><tr><th>hook</th><th>target</th><th>mechanism</th><th>required</th>"
        << "<th>attached</th><th>note</th></tr>\n";
    for (const json& hook : plan) {
        const bool attached = bool_or(hook, "attached");
        const std::string candidates = candidates_text(hook);
        const json& note = member(hook, "note");
        const json& reason = member(hook, "reason");
        out << "<tr><td>" << text_at(hook, "hook", "?") << "</td><td><code>"
            << text_at(hook, "target", "-") << "</code>";
        if (!candidates.empty())
            out << "<div class=\"muted small\">tried: " << html_escape(candidates) << "</div>";
        out << "</td><td>" << text_at(hook, "mechanism", "-") << "</td><td>"
            << (bool_or(hook, "required") ? "yes" : "no") << "</td><td class=\""
            << (attached ? "yes\">&#10003; yes" : "no\">&#10007; no") << "</td><td class=\"small\">"
            << html_escape(!reason.is_null() ? scalar_text(reason)
                                             : (note.is_null() ? "" : scalar_text(note)))
            << "</td></tr>\n";
    }
    out << "</table>\n</section>\n";
}

std::string command_line(const json& run) {
    std::string out;
    for (const json& word : array_at(run, "command_line")) {
        if (!out.empty())
            out += ' ';
        out += scalar_text(word);
    }
    return out;
}

void write_run(std::ostream& out, const json& report) {
    const json& details = member(report, "details");
    const json& run = member(details, "run");
    const json& records = member(details, "records");
    out << "<section class=\"panel\" id=\"run\"><h2>Run</h2>\n<table>"
        << "<tr><th>command</th><td><code>" << html_escape(command_line(run))
        << "</code></td></tr><tr><th>coverage</th><td>"
        << (bool_or(member(details, "coverage"), "complete") ? "complete" : "incomplete")
        << "</td></tr><tr><th>records</th><td>" << count_at(records, "event") << " events, "
        << count_at(records, "control") << " control, " << count_at(records, "lost")
        << " lost-event records; " << count_at(details, "decode_errors")
        << " did not decode</td></tr>";
    for (const json& note : array_at(details, "notes"))
        out << "<tr><th>note</th><td>" << html_escape(scalar_text(note)) << "</td></tr>";
    out << "</table>\n</section>\n";
}

} // namespace

void HtmlReportSink::write(const nlohmann::json& report) {
    write_head(out_, report);
    write_verdict(out_, report);
    write_cards(out_, report);
    write_violations(out_, report);
    write_held_html(out_, report);
    write_timeline(out_, report);
    write_durations(out_, report);
    write_schedulers(out_, report);
    write_calibration(out_, report);
    write_attach_plan(out_, report);
    write_run(out_, report);
    out_ << "<footer>" << text_at(report, "schema") << "</footer>\n</main>\n<script>" << kScript
         << "</script>\n</body>\n</html>\n";
}

} // namespace scx_custody::audit
