// Unit tests of the report's "held longest" part: the JSON keys and how the
// text and HTML renderers show a task held long.
#include "audit/held_report.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "audit/audit_report.h"
#include "audit/html_report.h"
#include "audit/report_sink.h"
#include "audit_fixtures.h"
#include "pairing/pairing_engine.h"
#include "pairing/scx_constants.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;
using pairing::Event;
using pairing::EventKind;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kHoldDsq = 0x5c0003;

Event task_event(EventKind kind, uint64_t ts, uint32_t pid, const std::string& comm,
                 uint64_t dsq = pairing::kNoDsq) {
    Event e;
    e.kind = kind;
    e.ts_ns = ts;
    e.cpu = 1;
    e.task = {pid, 77};
    e.comm = pairing::make_comm(comm);
    e.dsq_id = dsq;
    return e;
}

// custody_ref holds `comm` (pid 4242) on the hold DSQ from 10 ms to 2510 ms.
json held_report(const std::string& comm) {
    pairing::PairingEngine engine;
    Event attach;
    attach.kind = EventKind::SchedulerAttach;
    attach.sched_name = "custody_ref";
    engine.process(attach);
    engine.process(task_event(EventKind::Enqueue, 10 * kMs, 4242, comm, kHoldDsq));
    engine.process(task_event(EventKind::Running, 500 * kMs, 9, "other")); // the clock moves
    engine.process(task_event(EventKind::Dequeue, 2510 * kMs, 4242, comm));
    engine.process(task_event(EventKind::DsqInsert, 2511 * kMs, 4242, comm, pairing::kDsqLocal));
    engine.finish(3000 * kMs);
    AuditMeta meta;
    meta.start = fixtures::start_metadata();
    return build_report(engine, meta, SessionStats{});
}

using fixtures::render_report;

TEST(HeldReport, JsonNamesTheTaskItsDsqAndTransitions) {
    const json report = held_report("stuck-task");
    ASSERT_EQ(report["held_longest"].size(), 1u);
    const json& held = report["held_longest"][0];
    EXPECT_EQ(held["pid"], 4242);
    EXPECT_EQ(held["comm"], "stuck-task");
    EXPECT_EQ(held["scheduler"], "custody_ref");
    EXPECT_EQ(held["dsq_id"], "0x00000000005c0003");
    EXPECT_EQ(held["enter_ts_ns"], 10 * kMs);
    EXPECT_EQ(held["held_ns"], 2500 * kMs);
    EXPECT_EQ(held["ended_by"], "dequeue");
    EXPECT_EQ(held["still_held"], false);
    ASSERT_EQ(held["transitions"].size(), 2u);
    EXPECT_EQ(held["transitions"][0]["event"], "enqueue");
    EXPECT_EQ(held["transitions"][0]["state_after"], "in_custody");
    EXPECT_EQ(held["transitions"][1]["event"], "dequeue");
    EXPECT_EQ(held["transitions"][1]["after_enter_ns"], 2500 * kMs);
    EXPECT_EQ(report["details"]["held"]["promoted"], 1);
    EXPECT_EQ(report["details"]["held"]["long_held_ns"], 100 * kMs);
}

TEST(HeldReport, TextShowsWhoWhereSinceAndWhatHappened) {
    const std::string text = render_report("text", held_report("stuck-task"));
    EXPECT_NE(text.find("held longest (custodies of 100 ms or more):\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("  pid 4242 (stuck-task) custody_ref, dsq 0x00000000005c0003: held 2.5 s"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("ended by dequeue"), std::string::npos) << text;
    EXPECT_NE(text.find(" cpu 1 enqueue dsq 0x00000000005c0003 -> in_custody\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find(" cpu 1 dequeue -> out_of_custody\n"), std::string::npos) << text;
}

TEST(HeldReport, HtmlPanelEscapesTheComm) {
    const std::string html = render_report("html", held_report("<b>x&y"));
    const std::size_t panel = html.find("<section class=\"panel\" id=\"held\">");
    ASSERT_NE(panel, std::string::npos);
    const std::string section = html.substr(panel, html.find("</section>", panel) - panel);
    EXPECT_NE(section.find("<code>&lt;b&gt;x&amp;y</code>"), std::string::npos) << section;
    EXPECT_EQ(section.find("<b>x"), std::string::npos);
    EXPECT_NE(section.find("dsq 0x00000000005c0003"), std::string::npos) << section;
}

TEST(HeldReport, NothingHeldLongIsSaidSo) {
    pairing::PairingEngine engine;
    engine.finish(1);
    AuditMeta meta;
    meta.start = fixtures::start_metadata();
    const json report = build_report(engine, meta, SessionStats{});
    EXPECT_TRUE(report["held_longest"].empty());
    EXPECT_EQ(render_report("text", report).find("held longest"), std::string::npos);
    EXPECT_NE(render_report("html", report).find("No custody lasted 100 ms or more."),
              std::string::npos);
}

} // namespace
} // namespace scx_custody::audit
