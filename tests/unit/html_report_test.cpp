// Unit tests of the HTML report: escaping, the verdict, one chart per section
// with data, and nothing fetched from outside.
#include "audit/html_report.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

#include "audit/audit_report.h"
#include "audit/report_sink.h"
#include "audit_fixtures.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

std::string render_html(const json& report) {
    std::ostringstream out;
    HtmlReportSink(out).write(report);
    return out.str();
}

using fixtures::scenario_report;

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// data-chart id -> data-points, for every chart in the page.
std::map<std::string, int> charts(const std::string& html) {
    static const std::regex kChart(
        R"re(<svg class="chart" data-chart="([^"]*)" data-points="([0-9]+)")re");
    std::map<std::string, int> out;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), kChart);
         it != std::sregex_iterator(); ++it)
        out[(*it)[1]] = std::stoi((*it)[2]);
    return out;
}

TEST(HtmlReport, EscapesCommsAndSchedulerNames) {
    fixtures::Script s;
    s.attach("</style><b onclick='x'>sched&");
    fixtures::RawEvent dequeue; // a dequeue for a task never in custody: a finding with its comm
    dequeue.ts_ns = s.now();
    dequeue.pid = 77;
    dequeue.type = fixtures::kEvtDequeue;
    dequeue.hook = fixtures::kHookSchedDequeue;
    dequeue.comm = "<script>alert()";
    s.raw(fixtures::raw_event(dequeue)).clean_cycle(78).detach();
    const json report =
        fixtures::run_live(s, fixtures::start_metadata(), fixtures::end_metadata(s));
    ASSERT_EQ(report["samples"][0]["comm"], "<script>alert()");
    const std::string html = render_html(report);

    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert()"), std::string::npos);
    EXPECT_EQ(occurrences(html, "<script"), 1u); // the page's own check, nothing else
    EXPECT_EQ(html.find("</style><b"), std::string::npos);
    EXPECT_NE(html.find("&lt;/style&gt;&lt;b onclick=&#39;x&#39;&gt;sched&amp;"),
              std::string::npos);
}

TEST(HtmlReport, LeadsWithTheVerdictAndItsReasons) {
    for (const fixtures::Scenario& scenario : fixtures::scenarios()) {
        SCOPED_TRACE(scenario.name);
        const json report = fixtures::run_live(scenario.script, scenario.start, scenario.end);
        const std::string verdict = report["verdict"];
        const std::string html = render_html(report);
        const std::size_t banner = html.find("data-verdict=\"" + verdict + "\"");
        ASSERT_NE(banner, std::string::npos);
        std::string word = verdict;
        for (char& c : word)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_NE(html.find("<div class=\"word\">" + word + "</div>"), std::string::npos);
        // Before any other section.
        EXPECT_LT(banner, html.find("id=\"violations\""));
        for (const json& reason : report["details"]["verdict_reasons"])
            EXPECT_NE(html.find("<li>" + reason.get<std::string>() + "</li>"), std::string::npos)
                << reason;
    }
}

TEST(HtmlReport, IncompleteViewIsShownNextToViolations) {
    fixtures::Script s;
    s.attach("custody_ref").lost(3, 1).clean_cycle(5).dequeue(5);
    const json report =
        fixtures::run_live(s, fixtures::start_metadata(), fixtures::end_metadata(s));
    ASSERT_EQ(report["verdict"], "violations");
    const std::string html = render_html(report);
    EXPECT_NE(html.find("The audit's view is incomplete:<ul><li>3 events lost</li>"),
              std::string::npos);
}

TEST(HtmlReport, OneChartPerSectionWithData) {
    const std::string html = render_html(scenario_report("timeline"));
    const std::map<std::string, int> found = charts(html);
    for (const std::string id : {"timeline-custody_enter", "timeline-dequeue", "custody-duration",
                                 "section-0-enter", "section-0-dequeue"}) {
        ASSERT_TRUE(found.count(id)) << id;
        EXPECT_GT(found.at(id), 0) << id;
    }
    EXPECT_EQ(found.size(), 5u);
    // 2 CPUs x 3 intervals, and the one sample marked on the time axis.
    EXPECT_EQ(found.at("timeline-custody_enter"), 2 * 3 + 1);
    EXPECT_EQ(occurrences(html, "class=\"mark marker\""), 2u);
    EXPECT_EQ(occurrences(html, "class=\"mark series\""), 4u);
}

TEST(HtmlReport, SectionsWithoutDataHaveNoChart) {
    fixtures::Script s;
    s.attach("idle_sched").detach("idle_sched");
    const std::string html =
        render_html(fixtures::run_live(s, fixtures::start_metadata(), fixtures::end_metadata(s)));
    EXPECT_TRUE(charts(html).empty());
    EXPECT_NE(html.find("No custody enter or dequeue in the run."), std::string::npos);
    EXPECT_NE(html.find("No custody period closed"), std::string::npos);

    // Several scheduler sections: a chart pair only for those with custody.
    const std::map<std::string, int> found = charts(render_html(scenario_report("schedulers")));
    EXPECT_TRUE(found.count("section-0-enter"));
    EXPECT_TRUE(found.count("section-1-enter"));
    EXPECT_TRUE(found.count("section-2-enter"));
}

TEST(HtmlReport, ShowsCalibrationAndAttachPlan) {
    const std::string html = render_html(scenario_report("clean"));
    EXPECT_NE(html.find("id=\"calibration\""), std::string::npos);
    EXPECT_EQ(occurrences(html, "&#10003; equal"), 5u) << html;
    EXPECT_NE(html.find("<code>scx_dispatch_enqueue</code>"), std::string::npos);
    EXPECT_EQ(render_html(scenario_report("violations")).find("id=\"calibration\""),
              std::string::npos);
}

TEST(HtmlReport, IsSelfContained) {
    for (const fixtures::Scenario& scenario : fixtures::scenarios()) {
        const std::string html =
            render_html(fixtures::run_live(scenario.script, scenario.start, scenario.end));
        EXPECT_EQ(html.find("http://"), std::string::npos) << scenario.name;
        EXPECT_EQ(html.find("https://"), std::string::npos) << scenario.name;
        EXPECT_EQ(html.find(" src="), std::string::npos) << scenario.name;
        EXPECT_EQ(html.find("<link"), std::string::npos) << scenario.name;
        EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
        EXPECT_NE(html.find("</html>\n"), std::string::npos);
    }
}

TEST(HtmlReport, IsARegisteredFormat) {
    std::ostringstream out;
    Result<std::unique_ptr<ReportSink>> sink = make_report_sink("html", out);
    ASSERT_TRUE(sink);
    (*sink)->write(scenario_report("clean"));
    EXPECT_EQ(out.str(), render_html(scenario_report("clean")));
}

} // namespace
} // namespace scx_custody::audit
