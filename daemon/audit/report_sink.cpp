#include "audit/report_sink.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "audit/held_report.h"
#include "audit/html_report.h"
#include "audit/html_util.h"
#include "audit/json_util.h"
#include "audit/kernel_events_report.h"
#include "pairing/kinds.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

// Samples shown per JUnit failure.
constexpr std::size_t kJunitSamplesPerCase = 5;

std::vector<std::string> strings_at(const json& object, std::string_view key) {
    std::vector<std::string> out;
    for (const json& item : array_at(object, key))
        out.push_back(scalar_text(item));
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += separator;
        out += items[i];
    }
    return out;
}

std::string upper(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

// Left-aligned in width columns, and always followed by at least two spaces.
std::string pad(std::string text, std::size_t width) {
    text.append(text.size() + 2 <= width ? width - text.size() : 2, ' ');
    return text;
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f", decimals, value);
    return text;
}

// Seconds with at most three decimals, trailing zeros dropped: "30", "5.25".
std::string seconds(double value) {
    std::string text = fixed(value, 3);
    if (text.find('.') != std::string::npos) {
        text.erase(text.find_last_not_of('0') + 1);
        if (text.back() == '.')
            text.pop_back();
    }
    return text;
}

// The scheduler's name, and for a sub-scheduler its place in the tree
// ("qmap@root/sub/sub-28"): two instances of one scheduler can run at once.
std::string section_name(const json& section) {
    const std::string name = string_or(section, "name");
    const std::string path = string_or(section, "tree_path");
    const std::string shown = name.empty() ? "(unnamed)" : name;
    return path.empty() || path == "root" ? shown : shown + "@" + path;
}

// "kind 3, other 1", the kinds with a non-zero count, in the stable order.
std::string nonzero_violations(const json& violations) {
    std::vector<std::string> parts;
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
        const uint64_t n = u64_or(violations, to_string(kind));
        if (n > 0)
            parts.push_back(std::string(to_string(kind)) + " " + std::to_string(n));
    }
    return parts.empty() ? "none" : join(parts, ", ");
}

// One line describing a sample, without its kind.
std::string sample_line(const json& sample) {
    std::string line = "pid " + std::to_string(u64_or(sample, "pid")) + " (" +
                       string_or(sample, "comm") + ") cpu " +
                       std::to_string(u64_or(sample, "cpu")) + " ts " +
                       std::to_string(u64_or(sample, "ts_ns")) + " ns";
    const json& section = member(sample, "section");
    const std::string scheduler = string_or(sample, "scheduler");
    if (is_u64(section))
        line += "  [" + std::to_string(section.get<uint64_t>()) + "]";
    if (!scheduler.empty())
        line += " " + scheduler;
    line += "  at " + string_or(sample, "trigger", "?") + ", was " +
            string_or(sample, "state_before", "?");
    const std::string flags = string_or(sample, "flags");
    if (!flags.empty() && flags.find_first_not_of("0x") != std::string::npos)
        line += ", flags " + flags;
    const json& dsq = member(sample, "dsq_id");
    if (dsq.is_string())
        line += ", dsq " + dsq.get<std::string>();
    const std::string kernel_flag = string_or(sample, "kernel_flag");
    if (!kernel_flag.empty() && kernel_flag != "unknown")
        line += ", kernel flag " + kernel_flag;
    return line;
}

std::string hook_status(const json& hook) {
    std::string status = bool_or(hook, "attached") ? "attached" : "NOT attached";
    if (bool_or(hook, "required") && !bool_or(hook, "attached"))
        status += " (required)";
    for (std::string_view key : {"reason", "note"}) {
        const json* why = find_key(hook, key);
        if (why && !why->is_null() && !scalar_text(*why).empty()) {
            status += ": " + scalar_text(*why);
            break;
        }
    }
    return status;
}

std::string text_or_dash(const json& object, std::string_view key) {
    const json* value = find_key(object, key);
    if (!value || value->is_null())
        return "-";
    const std::string text = scalar_text(*value);
    return text.empty() ? "-" : text;
}

// ---- XML -------------------------------------------------------------------

// Control characters are not allowed in XML 1.0, not even escaped: '?'.
std::string xml_escape(std::string_view text) {
    return escape_markup(text, {"&apos;", "\t\n\r", "?"});
}

struct JunitCase {
    std::string classname;
    std::string name;
    // Set for a failing case.
    std::string failure_type;
    std::string failure_message;
    std::string failure_body;
    // Set for an erroring case.
    std::string error_type;
    std::string error_message;
    std::string error_body;
};

std::vector<JunitCase> violation_cases(const json& report) {
    std::vector<JunitCase> cases;
    const json& samples = array_at(report, "samples");
    const json& sections = array_at(report, "schedulers");

    const auto add = [&](const std::string& classname, const std::string& label,
                         const json& violations, const json* section_index) {
        for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
            const std::string kind_name(to_string(kind));
            JunitCase c;
            c.classname = classname;
            c.name = kind_name;
            const uint64_t n = u64_or(violations, kind_name);
            if (n > 0) {
                c.failure_type = kind_name;
                c.failure_message = std::to_string(n) + " " + kind_name;
                std::string body = c.failure_message + " in " + label + "\n";
                std::size_t shown = 0;
                for (const json& sample : samples) {
                    if (string_or(sample, "kind") != kind_name)
                        continue;
                    if (section_index && member(sample, "section") != *section_index)
                        continue;
                    if (shown++ == kJunitSamplesPerCase)
                        break;
                    body += "  " + sample_line(sample) + "\n";
                }
                c.failure_body = body;
            }
            cases.push_back(std::move(c));
        }
    };

    if (sections.empty()) {
        add("scx-custody.all", "the whole run", member(report, "violations"), nullptr);
        return cases;
    }
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const json& section = sections[i];
        const std::string name = section_name(section);
        const int occurrence = ++seen[name];
        std::string classname = "scx-custody." + name;
        if (occurrence > 1)
            classname += "#" + std::to_string(occurrence);
        const json index = i;
        add(classname, "scheduler " + name + " (section " + std::to_string(i) + ")",
            member(section, "violations"), &index);
    }
    return cases;
}

} // namespace

// ---- text ------------------------------------------------------------------

namespace {

void write_text_summary(std::ostream& out, const json& report) {
    const json& details = member(report, "details");
    const json& counts = member(report, "counts");
    const json& sections = array_at(report, "schedulers");

    const std::vector<std::string> reasons = strings_at(details, "verdict_reasons");
    out << "verdict: " << upper(string_or(report, "verdict", "unknown"));
    if (!reasons.empty())
        out << " (" << join(reasons, ", ") << ")";
    out << "\n";

    const std::string kernel = string_or(report, "kernel");
    out << "kernel " << (kernel.empty() ? "?" : kernel) << ", "
        << seconds(number_or(report, "duration_s")) << " s, " << sections.size()
        << (sections.size() == 1 ? " scheduler section" : " scheduler sections") << "\n";

    out << "counts: custody_enter " << u64_or(counts, "custody_enter") << ", dequeue "
        << u64_or(counts, "dequeue") << " (dispatch " << u64_or(counts, "dequeue_dispatch")
        << ", sched_change " << u64_or(counts, "dequeue_sched_change") << ", core_sched "
        << u64_or(counts, "dequeue_core_sched") << ")\n";
    out << "        indeterminate " << u64_or(report, "indeterminate") << ", lost_events "
        << u64_or(report, "lost_events") << ", reenqueue_in_custody "
        << u64_or(details, "reenqueue_in_custody") << ", custody_abandoned_at_unload "
        << u64_or(details, "custody_abandoned_at_unload") << ", in_custody_at_end "
        << u64_or(details, "in_custody_at_end") << "\n";

    out << "violations:\n";
    const json& violations = member(report, "violations");
    for (pairing::ViolationKind kind : pairing::kAllViolationKinds) {
        out << "  " << pad(std::string(to_string(kind)), 26) << u64_or(violations, to_string(kind))
            << "\n";
    }
}

// The kernel's own counters beside the audit's: the non-zero differences.
void write_text_kernel_events(std::ostream& out, const json& events) {
    if (!bool_or(events, "available")) {
        out << "      kernel event counters: not available ("
            << string_or(events, "note", "no reading") << ")\n";
        return;
    }
    const auto deltas = nonzero_kernel_deltas(events);
    const json* age = find_key(events, "end_age_ms");
    out << "      kernel event counters, end - start (the kernel's, not used in the verdict)";
    if (age && age->is_number())
        out << ", end read " << fixed(age->get<double>(), 1) << " ms before the section ended";
    else
        out << ": " << string_or(events, "note", "no end reading");
    out << (deltas.empty() && age ? ": all unchanged" : "") << "\n";
    for (const auto& [name, delta] : deltas)
        out << "        " << pad(name, 40) << delta << "\n";
}

void write_text_sections(std::ostream& out, const json& report) {
    const json& sections = array_at(report, "schedulers");
    if (!sections.empty()) {
        out << "schedulers:\n";
        for (std::size_t i = 0; i < sections.size(); ++i) {
            const json& section = sections[i];
            const json& section_counts = member(section, "counts");
            out << "  [" << i << "] " << section_name(section) << ": ops.dequeue "
                << (bool_or(section, "implements_dequeue", true) ? "yes" : "no") << ", attach "
                << (bool_or(section, "attach_observed") ? "seen" : "not seen") << ", enter "
                << u64_or(section_counts, "custody_enter") << ", dequeue "
                << u64_or(section_counts, "dequeue") << ", violations "
                << nonzero_violations(member(section, "violations")) << "\n";
            write_text_kernel_events(out, member(section, "kernel_events"));
        }
    }
    const json& samples = array_at(report, "samples");
    if (!samples.empty()) {
        out << "findings (first " << samples.size() << " of "
            << u64_or(member(report, "details"), "findings_total", samples.size()) << "):\n";
        for (const json& sample : samples)
            out << "  " << pad(string_or(sample, "kind", "?"), 25) << sample_line(sample) << "\n";
    }
}

void write_text_plan(std::ostream& out, const json& report) {
    const json& plan = array_at(report, "attach_plan");
    out << "attach plan:" << (plan.empty() ? " (none recorded)" : "") << "\n";
    std::array<std::size_t, 3> widths{};
    constexpr std::array<std::string_view, 3> kColumns = {"hook", "target", "mechanism"};
    for (const json& hook : plan) {
        for (std::size_t i = 0; i < kColumns.size(); ++i)
            widths[i] = std::max(widths[i], text_or_dash(hook, kColumns[i]).size() + 2);
    }
    for (const json& hook : plan) {
        out << "  ";
        for (std::size_t i = 0; i < kColumns.size(); ++i)
            out << pad(text_or_dash(hook, kColumns[i]), widths[i]);
        out << hook_status(hook) << "\n";
    }
}

void write_text_reference_and_notes(std::ostream& out, const json& report) {
    const json& details = member(report, "details");
    if (const json* reference = find_key(report, "reference")) {
        const json& rows = array_at(details, "calibration");
        if (rows.empty()) {
            out << "reference: " << dump_json(*reference) << "\n";
        } else {
            out << "reference (the scheduler's own counters):\n";
            for (const json& row : rows) {
                const bool equal = bool_or(row, "equal");
                out << "  " << pad(string_or(row, "name", "?"), 22) << u64_or(row, "reference")
                    << (equal ? " = " : " != ") << "audit " << u64_or(row, "audit")
                    << (equal ? " \u2713" : " \u2717") << "\n";
            }
        }
    }
    const std::vector<std::string> incomplete = strings_at(details, "incomplete");
    if (!incomplete.empty() && string_or(report, "verdict") != "inconclusive") {
        for (const std::string& reason : incomplete)
            out << "incomplete: " << reason << "\n";
    }
    for (const std::string& note : strings_at(details, "notes"))
        out << "note: " << note << "\n";
}

} // namespace

void TextReportSink::write(const nlohmann::json& report) {
    write_text_summary(out_, report);
    write_text_sections(out_, report);
    write_held_text(out_, report);
    write_text_plan(out_, report);
    write_text_reference_and_notes(out_, report);
}

// ---- json ------------------------------------------------------------------

void JsonReportSink::write(const nlohmann::json& report) {
    out_ << dump_json(report, 2) << "\n";
}

// ---- junit -----------------------------------------------------------------

void JunitReportSink::write(const nlohmann::json& report) {
    const json& details = member(report, "details");
    std::vector<JunitCase> cases = violation_cases(report);

    JunitCase completeness;
    completeness.classname = "scx-custody.audit";
    completeness.name = "completeness";
    const std::vector<std::string> incomplete = strings_at(details, "incomplete");
    if (!incomplete.empty()) {
        completeness.error_type = "inconclusive";
        completeness.error_message = join(incomplete, "; ");
        completeness.error_body = "the audit's view is incomplete, no verdict of clean:\n";
        for (const std::string& reason : incomplete)
            completeness.error_body += "  " + reason + "\n";
    }
    cases.push_back(std::move(completeness));

    std::size_t failures = 0;
    std::size_t errors = 0;
    for (const JunitCase& c : cases) {
        failures += c.failure_type.empty() ? 0 : 1;
        errors += c.error_type.empty() ? 0 : 1;
    }

    std::ostringstream text;
    TextReportSink(text).write(report);

    out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out_ << "<testsuite name=\"scx-custody\" tests=\"" << cases.size() << "\" failures=\""
         << failures << "\" errors=\"" << errors << "\" skipped=\"0\" time=\""
         << fixed(number_or(report, "duration_s"), 3) << "\">\n";
    out_ << "  <properties>\n";
    const auto property = [&](std::string_view name, const std::string& value) {
        out_ << "    <property name=\"" << name << "\" value=\"" << xml_escape(value) << "\"/>\n";
    };
    property("schema", string_or(report, "schema"));
    property("kernel", string_or(report, "kernel"));
    property("verdict", string_or(report, "verdict"));
    property("lost_events", std::to_string(u64_or(report, "lost_events")));
    property("indeterminate", std::to_string(u64_or(report, "indeterminate")));
    out_ << "  </properties>\n";

    for (const JunitCase& c : cases) {
        out_ << "  <testcase classname=\"" << xml_escape(c.classname) << "\" name=\""
             << xml_escape(c.name) << "\" time=\"0\"";
        if (c.failure_type.empty() && c.error_type.empty()) {
            out_ << "/>\n";
            continue;
        }
        out_ << ">\n";
        if (!c.failure_type.empty()) {
            out_ << "    <failure type=\"" << xml_escape(c.failure_type) << "\" message=\""
                 << xml_escape(c.failure_message) << "\">" << xml_escape(c.failure_body)
                 << "</failure>\n";
        }
        if (!c.error_type.empty()) {
            out_ << "    <error type=\"" << xml_escape(c.error_type) << "\" message=\""
                 << xml_escape(c.error_message) << "\">" << xml_escape(c.error_body)
                 << "</error>\n";
        }
        out_ << "  </testcase>\n";
    }
    out_ << "  <system-out>" << xml_escape(text.str()) << "</system-out>\n";
    out_ << "</testsuite>\n";
}

Result<std::unique_ptr<ReportSink>> make_report_sink(std::string_view format, std::ostream& out) {
    std::unique_ptr<ReportSink> sink;
    if (format == "text")
        sink = std::make_unique<TextReportSink>(out);
    else if (format == "json")
        sink = std::make_unique<JsonReportSink>(out);
    else if (format == "junit")
        sink = std::make_unique<JunitReportSink>(out);
    else if (format == "html")
        sink = std::make_unique<HtmlReportSink>(out);
    else
        return Error::usage("unknown report format \"" + std::string(format) +
                            "\" (text, json, junit or html)");
    return sink;
}

} // namespace scx_custody::audit
