// Unit tests of the report renderers: text, json, junit.
#include "audit/report_sink.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit_report.h"
#include "audit_fixtures.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

using fixtures::render_report;

using fixtures::scenario_report;

// A small XML checker: one root element, balanced tags, quoted attributes, known
// entities, no raw '<' or '&' in text. Returns "" when well-formed; counts elements
// by name.
struct XmlCheck {
    std::string error;
    std::map<std::string, int> elements;
    std::string root;
};

XmlCheck check_xml(const std::string& xml) {
    XmlCheck result;
    std::vector<std::string> stack;
    std::size_t i = 0;
    bool root_closed = false;
    const auto fail = [&](const std::string& what) {
        result.error = what + " at " + std::to_string(i);
        return result;
    };
    const auto check_entities = [&](std::string_view text) {
        for (std::size_t at = text.find('&'); at != std::string_view::npos;
             at = text.find('&', at + 1)) {
            bool known = false;
            for (std::string_view entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
                known = known || text.substr(at, entity.size()) == entity;
            if (!known)
                return false;
        }
        return true;
    };
    if (xml.rfind("<?xml ", 0) == 0) {
        i = xml.find("?>");
        if (i == std::string::npos)
            return fail("unterminated declaration");
        i += 2;
    }
    while (i < xml.size()) {
        if (xml[i] != '<') {
            const std::size_t next = xml.find('<', i);
            const std::string_view text(xml.data() + i,
                                        (next == std::string::npos ? xml.size() : next) - i);
            if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos)
                return fail("text outside the root");
            if (text.find('>') != std::string_view::npos && stack.empty())
                return fail("stray '>'");
            if (!check_entities(text))
                return fail("bad entity in text");
            i = next == std::string::npos ? xml.size() : next;
            continue;
        }
        const std::size_t close = xml.find('>', i);
        if (close == std::string::npos)
            return fail("unterminated tag");
        std::string tag = xml.substr(i + 1, close - i - 1);
        i = close + 1;
        if (!tag.empty() && tag[0] == '/') {
            const std::string name = tag.substr(1);
            if (stack.empty() || stack.back() != name)
                return fail("mismatched </" + name + ">");
            stack.pop_back();
            if (stack.empty())
                root_closed = true;
            continue;
        }
        const bool self_closing = !tag.empty() && tag.back() == '/';
        if (self_closing)
            tag.pop_back();
        const std::size_t name_end = tag.find_first_of(" \t\n");
        const std::string name = tag.substr(0, name_end);
        if (name.empty() || name.find_first_of("<&\"'=") != std::string::npos)
            return fail("bad element name '" + name + "'");
        // Attributes: name="value" pairs.
        std::size_t at = name_end == std::string::npos ? tag.size() : name_end;
        while (at < tag.size()) {
            at = tag.find_first_not_of(" \t\n", at);
            if (at == std::string::npos)
                break;
            const std::size_t eq = tag.find('=', at);
            if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"')
                return fail("bad attribute in <" + name + ">");
            const std::size_t end = tag.find('"', eq + 2);
            if (end == std::string::npos)
                return fail("unterminated attribute in <" + name + ">");
            const std::string_view value(tag.data() + eq + 2, end - eq - 2);
            if (value.find('<') != std::string_view::npos || !check_entities(value))
                return fail("bad attribute value in <" + name + ">");
            at = end + 1;
        }
        if (stack.empty()) {
            if (root_closed || !result.root.empty())
                return fail("second root element");
            result.root = name;
        }
        ++result.elements[name];
        if (self_closing) {
            if (stack.empty())
                root_closed = true;
        } else {
            stack.push_back(name);
        }
    }
    if (!stack.empty())
        return fail("unclosed <" + stack.back() + ">");
    if (result.root.empty())
        return fail("no root element");
    return result;
}

TEST(XmlCheck, CatchesTheUsualMistakes) {
    EXPECT_EQ(check_xml("<a><b x=\"1\"/>t &amp; u</a>").error, "");
    EXPECT_NE(check_xml("<a><b></a>").error, "");
    EXPECT_NE(check_xml("<a>x & y</a>").error, "");
    EXPECT_NE(check_xml("<a x=1></a>").error, "");
    EXPECT_NE(check_xml("<a></a><b/>").error, "");
    EXPECT_NE(check_xml("<a>").error, "");
}

TEST(TextReport, ViolationsReadAtAGlance) {
    const json report = scenario_report("violations");
    const std::string text = render_report("text", report);
    const std::string first_line = text.substr(0, text.find('\n'));
    EXPECT_EQ(first_line.rfind("verdict: VIOLATIONS (", 0), 0u) << first_line;
    EXPECT_NE(first_line.find("1 missed_dequeue"), std::string::npos) << first_line;
    EXPECT_NE(text.find("\ncounts: custody_enter "), std::string::npos);
    EXPECT_NE(text.find("\nviolations:\n  missed_dequeue"), std::string::npos) << text;
    EXPECT_NE(text.find("custody_flag_mismatch"), std::string::npos);
    EXPECT_NE(text.find("pid 200 (task-200) cpu 3"), std::string::npos) << text;
    EXPECT_NE(text.find("\nattach plan:\n  dsq_insert"), std::string::npos) << text;
    EXPECT_NE(text.find("scx_dispatch_enqueue"), std::string::npos);
    EXPECT_NE(text.find("[0] custody_ref: ops.dequeue yes"), std::string::npos) << text;
    // Order: verdict, counts, violations, schedulers, findings, attach plan.
    EXPECT_LT(text.find("counts:"), text.find("violations:"));
    EXPECT_LT(text.find("violations:"), text.find("findings"));
    EXPECT_LT(text.find("findings"), text.find("attach plan:"));
}

TEST(TextReport, CleanAndReference) {
    const std::vector<fixtures::Scenario> scenarios = fixtures::scenarios();
    const fixtures::Scenario& clean = scenarios[0];
    ASSERT_EQ(clean.name, "clean");
    const json report = fixtures::run_live(clean.script, clean.start, clean.end);
    ASSERT_EQ(report["verdict"], "clean");
    const std::string text = render_report("text", report);
    EXPECT_EQ(text.rfind("verdict: CLEAN (no violation in 3 custody periods)\n", 0), 0u) << text;
    EXPECT_NE(text.find("reference (the scheduler's own counters):"), std::string::npos) << text;
    EXPECT_NE(text.find("custody_enter         3 = audit 3 \u2713"), std::string::npos) << text;
    EXPECT_EQ(text.find("findings"), std::string::npos);
}

TEST(TextReport, ReferenceMismatchIsMarked) {
    json report = scenario_report("clean");
    report["details"]["calibration"][0]["equal"] = false;
    report["details"]["calibration"][0]["reference"] = 4;
    const std::string text = render_report("text", report);
    EXPECT_NE(text.find("custody_enter         4 != audit 3 \u2717"), std::string::npos) << text;
}

TEST(TextReport, InconclusiveSaysWhy) {
    const std::string text = render_report("text", scenario_report("lost"));
    EXPECT_EQ(text.rfind("verdict: INCONCLUSIVE (7 events lost)\n", 0), 0u) << text;
}

TEST(TextReport, SurvivesAnyShape) {
    for (const json& odd : {json(), json::array(), json({{"verdict", 3}}),
                            json({{"attach_plan", {1, "x", {{"hook", {1, 2}}}}},
                                  {"schedulers", {nullptr}},
                                  {"samples", {{{"pid", "x"}}}},
                                  {"reference", 5}})}) {
        for (std::string_view format : kReportFormats)
            EXPECT_NO_THROW(render_report(format, odd)) << odd.dump();
    }
}

TEST(JsonReport, IsTheReportPretty) {
    const json report = scenario_report("violations");
    const std::string text = render_report("json", report);
    EXPECT_EQ(json::parse(text), report);
    EXPECT_NE(text.find("\n  \"counts\": {"), std::string::npos);
}

TEST(JunitReport, FailuresPerKindPerScheduler) {
    const json report = scenario_report("violations");
    const std::string xml = render_report("junit", report);
    const XmlCheck check = check_xml(xml);
    ASSERT_EQ(check.error, "") << xml;
    EXPECT_EQ(check.root, "testsuite");
    EXPECT_NE(xml.find("<testsuite name=\"scx-custody\" tests=\"7\" failures=\"6\" errors=\"0\""),
              std::string::npos)
        << xml;
    EXPECT_EQ(check.elements.at("testcase"), 7);
    EXPECT_EQ(check.elements.at("failure"), 6);
    EXPECT_EQ(check.elements.count("error"), 0u);
    EXPECT_NE(xml.find("classname=\"scx-custody.custody_ref\" name=\"missed_dequeue\""),
              std::string::npos);
    EXPECT_NE(xml.find("<failure type=\"missed_dequeue\" message=\"1 missed_dequeue\">"),
              std::string::npos);
    EXPECT_NE(xml.find("pid 200 (task-200) cpu 3"), std::string::npos);
    EXPECT_NE(xml.find("<property name=\"verdict\" value=\"violations\"/>"), std::string::npos);
}

TEST(JunitReport, InconclusiveIsAnError) {
    const std::string xml = render_report("junit", scenario_report("lost"));
    const XmlCheck check = check_xml(xml);
    ASSERT_EQ(check.error, "") << xml;
    EXPECT_EQ(check.elements.count("failure"), 0u);
    EXPECT_EQ(check.elements.at("error"), 1);
    EXPECT_NE(xml.find("<error type=\"inconclusive\" message=\"7 events lost\">"),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("failures=\"0\" errors=\"1\""), std::string::npos);
}

TEST(JunitReport, CleanRunPassesEveryCaseAndRepeatedNamesStayApart) {
    const std::string xml = render_report("junit", scenario_report("schedulers"));
    const XmlCheck check = check_xml(xml);
    ASSERT_EQ(check.error, "") << xml;
    EXPECT_EQ(check.elements.count("failure"), 0u);
    EXPECT_EQ(check.elements.count("error"), 0u);
    EXPECT_EQ(check.elements.at("testcase"), 3 * 6 + 1);

    fixtures::Script s;
    s.attach("custody_ref").clean_cycle(1).detach().attach("custody_ref").clean_cycle(2);
    const std::string twice = render_report(
        "junit", fixtures::run_live(s, fixtures::start_metadata(), fixtures::end_metadata(s)));
    EXPECT_NE(twice.find("classname=\"scx-custody.custody_ref#2\""), std::string::npos);
}

TEST(JunitReport, EscapesEverything) {
    fixtures::Script s;
    s.attach("a<b>&\"c'");
    s.task_named("<&>\"'");
    audit::StartMetadata start = fixtures::start_metadata();
    start.kernel = "7.3.4 <\x01>&";
    start.attach_plan[0]["reason"] = "]]> & <x>";
    const std::string xml =
        render_report("junit", fixtures::run_live(s, start, fixtures::end_metadata(s)));
    const XmlCheck check = check_xml(xml);
    EXPECT_EQ(check.error, "") << xml;
    EXPECT_EQ(check.elements.at("failure"), 1);
    EXPECT_EQ(xml.find('\x01'), std::string::npos);
}

TEST(ReportSink, UnknownFormatIsAUsageError) {
    std::ostringstream out;
    Result<std::unique_ptr<ReportSink>> sink = make_report_sink("yaml", out);
    ASSERT_FALSE(sink);
    EXPECT_EQ(sink.error().exit_code, ExitCode::Usage);
}

} // namespace
} // namespace scx_custody::audit
