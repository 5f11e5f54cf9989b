// Unit tests of the fail-closed verdict: what the audit must have seen of
// every scheduler instance before it may say clean.
#include "audit/audit_report.h"

#include <gtest/gtest.h>

#include <string>

#include "audit/audit_meta.h"
#include "audit_fixtures.h"

namespace scx_custody::audit {
namespace {

using fixtures::Script;
using nlohmann::json;
using record::ControlAction;
using record::ControlRecord;
using record::ControlSource;

ControlRecord attach(const std::string& name, ControlSource source, uint32_t id) {
    ControlRecord c;
    c.action = ControlAction::Attach;
    c.name = name;
    c.source = source;
    c.instance_id = id;
    c.tasks_start_indeterminate = source != ControlSource::Reference;
    return c;
}

ControlRecord detach(uint32_t id, ControlSource source = ControlSource::KernelHook) {
    ControlRecord c;
    c.action = ControlAction::Detach;
    c.instance_id = id;
    c.source = source;
    return c;
}

json report_of(const Script& script, EndMetadata end = {}) {
    return fixtures::run_live(script, fixtures::start_metadata(), end);
}

bool reasons_mention(const json& report, const std::string& text) {
    for (const json& reason : report["details"]["verdict_reasons"])
        if (reason.get<std::string>().find(text) != std::string::npos)
            return true;
    return false;
}

TEST(Coverage, NothingObservedIsInconclusiveNeverClean) {
    const json report = report_of(Script());
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_TRUE(reasons_mention(report, "no scheduler ran while the audit watched"));
    EXPECT_EQ(report["coverage"]["complete"], false);
}

TEST(Coverage, AnInstanceWhoseProgramsWereNotTracedIsNamed) {
    ControlRecord blind = attach("qmap", ControlSource::KernelHook, 7);
    blind.traced = false;
    blind.note = "no struct_ops map";
    Script s;
    s.control(attach("custody_ref", ControlSource::Reference, 3)).clean_cycle(1).control(detach(3));
    // Records of the blind instance would look like custody with no dequeue:
    // none may become a finding.
    s.control(blind).enqueue(2).insert(2, 0x8000000000000002ull).running(2).enqueue(2);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_TRUE(reasons_mention(report, "scheduler \"qmap\" (instance 7): its ops.enqueue/"
                                        "ops.dequeue programs were not traced: no struct_ops map"));
    EXPECT_EQ(report["violations"]["missed_dequeue"], 0u);
    EXPECT_EQ(report["coverage"]["instances"][1]["traced"], false);
}

TEST(Coverage, EveryInstanceImplementingDequeueMustJudgeACustody) {
    Script s;
    s.control(attach("custody_ref", ControlSource::Reference, 3)).clean_cycle(1).control(detach(3));
    s.control(attach("custody_ref", ControlSource::KernelHook, 4)).control(detach(4));
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_TRUE(reasons_mention(report, "(instance 4): no custody period judged"));
}

TEST(Coverage, OnlySchedulersWithoutDequeueJudgeNothing) {
    ControlRecord simple = attach("simple", ControlSource::RunningAtStart, 9);
    simple.implements_dequeue = false;
    Script s;
    s.control(simple).enqueue(1).enqueue(1).running(1);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_TRUE(reasons_mention(report, "custody auditing does not apply"));
    EXPECT_EQ(report["schedulers"][0]["counts"]["custody_enter"], 1u);
}

TEST(Coverage, ASectionFoundByPollingStartedUnwitnessed) {
    Script s;
    s.control(attach("custody_ref", ControlSource::Poll, 5)).clean_cycle(1).clean_cycle(1);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_TRUE(reasons_mention(report, "its start was not witnessed (found by poll)"));
    // Records with no announced scheduler open an implicit section: the same.
    Script implicit;
    implicit.clean_cycle(1).clean_cycle(1);
    EXPECT_TRUE(reasons_mention(report_of(implicit), "records with no announced scheduler"));
}

TEST(Coverage, GapsFoundWhileRunningMakeItInconclusive) {
    Script s;
    s.control(attach("custody_ref", ControlSource::Reference, 3)).clean_cycle(1);
    EndMetadata end;
    end.coverage_gaps = {"1 root scheduler instance(s) enabled during the audit were not seen"};
    const json report = report_of(s, end);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report["coverage"]["gaps"], json(end.coverage_gaps));
    EXPECT_EQ(report["coverage"]["complete"], false);
}

TEST(Coverage, AViolationStillWinsOverAGap) {
    Script s;
    s.control(attach("custody_ref", ControlSource::Reference, 3)).enqueue(1).dequeue(1).dequeue(1);
    EndMetadata end;
    end.coverage_gaps = {"something not seen"};
    EXPECT_EQ(report_of(s, end)["verdict"], "violations");
}

TEST(Coverage, WindowIsMeasuredFromTheEnable) {
    ControlRecord c = attach("qmap", ControlSource::KernelHook, 11);
    c.enable_ts_ns = 100;
    c.traced_from_ns = 350;
    Script s;
    s.control(c).clean_cycle(1).clean_cycle(1).control(detach(11));
    const json report = report_of(s);
    const json& row = report["coverage"]["instances"][0];
    EXPECT_EQ(row["window_ns"], 250u);
    EXPECT_EQ(row["found_by"], "kernel_hook");
    EXPECT_EQ(report["verdict"], "clean");
    EXPECT_EQ(report["schedulers"][0]["detach_observed"], true);
}

TEST(Coverage, ADetachOfAnotherInstanceDoesNotCloseTheSection) {
    Script s;
    s.control(attach("simple", ControlSource::KernelHook, 11)).clean_cycle(1);
    s.control(detach(12)).clean_cycle(1).control(detach(11));
    const json report = report_of(s);
    ASSERT_EQ(report["schedulers"].size(), 1u);
    EXPECT_EQ(report["schedulers"][0]["counts"]["custody_enter"], 2u);
}

TEST(Coverage, BooksBalanceWithDequeuesOfUnseenCustodies) {
    Script s;
    // Task 1's custody began before the audit: its dequeue ends a period no
    // enter counted.
    s.control(attach("qmap", ControlSource::RunningAtStart, 11)).dequeue(1).clean_cycle(2);
    const json report = report_of(s);
    const json& section = report["schedulers"][0];
    EXPECT_EQ(section["counts"]["custody_enter"], 1u);
    EXPECT_EQ(section["counts"]["dequeue"], 2u);
    EXPECT_EQ(section["details"]["dequeue_after_indeterminate"], 1u);
}

} // namespace
} // namespace scx_custody::audit

namespace scx_custody::audit {
namespace {

// The hole a loss leaves lies somewhere before the time the loss was known:
// records stamped before that time are not judged, even after the Lost
// record, because they may come after the hole.
TEST(Coverage, RecordsBeforeALossWasKnownAreNotJudged) {
    Script s;
    s.control(attach("custody_ref", ControlSource::Reference, 3)).clean_cycle(1);
    // Task 1 is dequeued, re-enters unseen (that enqueue was lost) and is
    // dequeued again: the loss becomes known only after the second dequeue
    // was stamped, so that dequeue may follow the hole and is not judged.
    s.enqueue(1).lost(1, 0, 1000).dequeue(1).dequeue(1);
    json report = report_of(s);
    EXPECT_EQ(report["violations"]["duplicate_dequeue"], 0u);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report["details"]["uncertain_events"], 2u);

    // Stamped after the loss was known, the same pair is judged again.
    Script later;
    later.control(attach("custody_ref", ControlSource::Reference, 3)).clean_cycle(1);
    later.lost(1).enqueue(1).dequeue(1).dequeue(1);
    report = report_of(later);
    EXPECT_EQ(report["violations"]["duplicate_dequeue"], 1u);
    EXPECT_EQ(report["details"]["uncertain_events"], 0u);
}

} // namespace
} // namespace scx_custody::audit
