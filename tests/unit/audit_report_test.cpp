// Unit tests of the audit report: schema, verdict rules, exit codes, metadata.
#include "audit/audit_report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/audit_meta.h"
#include "audit/audit_session.h"
#include "audit_fixtures.h"
#include "pairing/kinds.h"

namespace scx_custody::audit {
namespace {

using fixtures::Script;
using nlohmann::json;

const std::vector<std::string> kViolationKinds = {
    "missed_dequeue", "duplicate_dequeue",   "dequeue_outside_custody",
    "late_dequeue",   "wrong_dequeue_flags", "custody_flag_mismatch",
};
const std::vector<std::string> kCountKeys = {
    "custody_enter", "dequeue", "dequeue_dispatch", "dequeue_sched_change", "dequeue_core_sched",
};

json report_of(const Script& script, StartMetadata start = fixtures::start_metadata(),
               bool reference = false) {
    return fixtures::run_live(script, start, fixtures::end_metadata(script, reference));
}

void expect_counts_and_violations(const json& object) {
    ASSERT_TRUE(object.contains("counts"));
    ASSERT_TRUE(object.contains("violations"));
    EXPECT_EQ(object["counts"].size(), kCountKeys.size());
    for (const std::string& key : kCountKeys) {
        ASSERT_TRUE(object["counts"].contains(key)) << key;
        EXPECT_TRUE(object["counts"][key].is_number_unsigned()) << key;
    }
    EXPECT_EQ(object["violations"].size(), kViolationKinds.size());
    for (const std::string& kind : kViolationKinds) {
        ASSERT_TRUE(object["violations"].contains(kind)) << kind;
        EXPECT_TRUE(object["violations"][kind].is_number_unsigned()) << kind;
    }
}

TEST(AuditReport, CleanRunHasEveryStableKey) {
    Script s;
    s.attach("custody_ref").clean_cycle(1, 0).clean_cycle(2, 1);
    const json report = report_of(s);

    for (const char* key :
         {"schema", "kernel", "duration_s", "verdict", "counts", "violations", "indeterminate",
          "lost_events", "schedulers", "attach_plan", "samples", "details"}) {
        EXPECT_TRUE(report.contains(key)) << key;
    }
    EXPECT_FALSE(report.contains("reference"));
    EXPECT_EQ(report["schema"], "scx-custody/audit/v1");
    EXPECT_EQ(report["kernel"], "7.3.4");
    EXPECT_EQ(report["duration_s"], 5.25);
    EXPECT_EQ(report["verdict"], "clean");
    expect_counts_and_violations(report);
    for (const std::string& kind : kViolationKinds)
        EXPECT_EQ(report["violations"][kind], 0u) << kind;
    EXPECT_EQ(report["counts"]["custody_enter"], 2u);
    EXPECT_EQ(report["counts"]["dequeue"], 2u);
    EXPECT_EQ(report["counts"]["dequeue_dispatch"], 2u);
    EXPECT_EQ(report["indeterminate"], 0u);
    EXPECT_EQ(report["lost_events"], 0u);
    EXPECT_TRUE(report["samples"].empty());
    EXPECT_EQ(report["attach_plan"].size(), 3u);

    ASSERT_EQ(report["schedulers"].size(), 1u);
    const json& section = report["schedulers"][0];
    EXPECT_EQ(section["name"], "custody_ref");
    EXPECT_EQ(section["implements_dequeue"], true);
    expect_counts_and_violations(section);
    EXPECT_EQ(section["counts"]["custody_enter"], 2u);

    const json& details = report["details"];
    for (const char* key :
         {"custody_abandoned_at_unload", "in_custody_at_end", "reenqueue_in_custody", "kernel_reenqueues",
          "inserts_overtaken", "evicted", "custody_enter_by_path", "verdict_reasons", "incomplete",
          "notes", "lost_events_per_cpu", "decode_errors", "events", "events_by_hook", "run",
          "dequeue_after_indeterminate"}) {
        EXPECT_TRUE(details.contains(key)) << key;
    }
    // Coverage is a top-level key: one row per scheduler instance.
    ASSERT_TRUE(report.contains("coverage"));
    EXPECT_EQ(report["coverage"]["complete"], true);
    ASSERT_EQ(report["coverage"]["instances"].size(), 1u);
    EXPECT_EQ(report["coverage"]["instances"][0]["found_by"], "reference");
    EXPECT_EQ(report["coverage"]["instances"][0]["custody_periods_judged"], 2u);
    EXPECT_EQ(details["custody_enter_by_path"]["enqueue_held"], 2u);
    EXPECT_EQ(details["events_by_hook"]["sched_dequeue"], 2u);
    EXPECT_EQ(details["run"]["producer"], "scx-custody 0.1.0");
    EXPECT_TRUE(details["incomplete"].empty());
    EXPECT_EQ(report_exit_code(report), ExitCode::Clean);
}

TEST(AuditReport, EveryViolationKindIsCountedAndSampled) {
    const std::vector<fixtures::Scenario> scenarios = fixtures::scenarios();
    const fixtures::Scenario& scenario = scenarios[1];
    ASSERT_EQ(scenario.name, "violations");
    const json report = fixtures::run_live(scenario.script, scenario.start, scenario.end);

    EXPECT_EQ(report["verdict"], "violations");
    EXPECT_EQ(report_exit_code(report), ExitCode::Violations);
    for (const std::string& kind : kViolationKinds)
        EXPECT_GE(report["violations"][kind], 1u) << kind;
    EXPECT_EQ(report["schedulers"][0]["violations"], report["violations"]);

    bool found_missed = false;
    for (const json& sample : report["samples"]) {
        for (const char* key : {"kind", "pid", "comm", "cpu", "ts_ns", "scheduler", "section",
                                "trigger", "state_before", "flags", "dsq_id"}) {
            EXPECT_TRUE(sample.contains(key)) << key;
        }
        if (sample["kind"] == "missed_dequeue") {
            found_missed = true;
            EXPECT_EQ(sample["pid"], 200u);
            EXPECT_EQ(sample["comm"], "task-200");
            EXPECT_EQ(sample["cpu"], 3u);
            EXPECT_EQ(sample["trigger"], "finish");
            EXPECT_EQ(sample["section"], 0u);
            EXPECT_EQ(sample["scheduler"], "custody_ref");
            EXPECT_EQ(sample["dsq_id"], "0xc000000000000003");
        }
    }
    EXPECT_TRUE(found_missed);
    EXPECT_EQ(report["details"]["verdict_reasons"].size(), kViolationKinds.size());
}

TEST(AuditReport, LostEventsMakeItInconclusive) {
    Script s;
    s.attach("custody_ref").clean_cycle(1, 0).lost(5, 2).clean_cycle(2, 1);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report_exit_code(report), ExitCode::Inconclusive);
    EXPECT_EQ(report["lost_events"], 5u);
    EXPECT_EQ(report["details"]["lost_events_per_cpu"], json({{"2", 5}}));
    EXPECT_EQ(report["details"]["incomplete"][0], "5 events lost");
}

TEST(AuditReport, ViolationsWinOverLossesButTheLossIsReported) {
    Script s;
    s.attach("custody_ref").enqueue(1, 0x100, 0).exit(1, 0).lost(1, 0);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "violations");
    EXPECT_EQ(report["violations"]["missed_dequeue"], 1u);
    EXPECT_EQ(report["details"]["incomplete"][0], "1 event lost");
}

TEST(AuditReport, DecodeErrorsCountAsLosses) {
    Script s;
    s.attach("custody_ref").clean_cycle(1, 0).raw({std::byte{1}});
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report["lost_events"], 1u);
    EXPECT_EQ(report["details"]["decode_errors"], 1u);
}

TEST(AuditReport, IncompleteCoverageMakesItInconclusive) {
    Script s;
    s.attach("custody_ref").clean_cycle(1, 0);

    StartMetadata start = fixtures::start_metadata();
    start.coverage_complete = false;
    start.coverage_notes = {"ops_dequeue hook missing"};
    json report = report_of(s, start);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report["details"]["verdict_reasons"][0],
              "coverage incomplete: ops_dequeue hook missing");

    // The plan is checked too when the producer claims completeness ("note" is
    // what the tracer's attach plan writes, "reason" is accepted as well).
    start = fixtures::start_metadata();
    start.attach_plan[2]["attached"] = false;
    start.attach_plan[2]["note"] = "no struct_ops map";
    report = report_of(s, start);
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(report["details"]["verdict_reasons"],
              json({"required hook sched_dequeue not attached: no struct_ops map"}));

    // A gap the producer already reported is not reported twice.
    start.coverage_complete = false;
    start.coverage_notes = {"sched_dequeue not attached: no struct_ops map"};
    report = report_of(s, start);
    EXPECT_EQ(report["details"]["verdict_reasons"],
              json({"coverage incomplete: sched_dequeue not attached: no struct_ops map"}));

    // An optional hook missing is not a gap.
    start = fixtures::start_metadata();
    start.attach_plan[1]["attached"] = false;
    EXPECT_EQ(report_of(s, start)["verdict"], "clean");
}

TEST(AuditReport, AuditStartedMidRunIsCleanWhenLaterCyclesAre) {
    Script s;
    // Task 1 was queued before the audit: its first dequeue resynchronises it.
    s.attach("scx_simple", true, true)
        .dequeue(1, 0, 0)
        .insert(1, pairing::dsq_local_on(0), 0)
        .running(1, 0)
        .clean_cycle(1, 0)
        .running(2, 1) // never seen in custody
        .clean_cycle(2, 1);
    const json report = report_of(s);
    EXPECT_EQ(report["verdict"], "clean");
    EXPECT_EQ(report["indeterminate"], 0u);
    EXPECT_EQ(report["details"]["sections_attach_not_observed"], 1u);
    EXPECT_EQ(report["schedulers"][0]["attach_observed"], false);
    EXPECT_FALSE(report["details"]["notes"].empty());
}

TEST(AuditReport, DequeueStillPendingAtTheEndIsNotInconclusive) {
    Script s;
    s.attach("custody_ref").enqueue(1, 0x100, 0).insert(1, pairing::dsq_local_on(0), 0);
    const json report = report_of(s);
    EXPECT_EQ(report["indeterminate"], 1u);
    EXPECT_EQ(report["verdict"], "clean");
}

TEST(AuditReport, EvictionsMakeItInconclusive) {
    Script s;
    s.attach("custody_ref");
    for (uint32_t pid = 1; pid <= 4; ++pid)
        s.enqueue(pid, 0x100, 0);
    StartMetadata start = fixtures::start_metadata();
    start.engine.max_tracked_tasks = 2;
    const json report = report_of(s, start);
    EXPECT_EQ(report["details"]["evicted"], 2u);
    EXPECT_EQ(report["verdict"], "inconclusive");
}

TEST(AuditReport, ReferenceIsCarriedWithItsCalibration) {
    Script s;
    s.attach("custody_ref")
        .clean_cycle(1, 0)
        .clean_cycle(2, 0)
        .enqueue(3, pairing::kNoDsq, 0)
        .dequeue(3, pairing::kDeqSchedChange, 0);
    const json report = report_of(s, fixtures::start_metadata(), true);
    ASSERT_TRUE(report.contains("reference"));
    EXPECT_EQ(report["reference"]["custody_enter"], 3);
    const json& rows = report["details"]["calibration"];
    ASSERT_EQ(rows.size(), 5u);
    for (const json& row : rows)
        EXPECT_TRUE(row["equal"].get<bool>()) << row.dump();
}

TEST(AuditReport, SchedulersAreReportedPerSection) {
    const fixtures::Scenario scenario = fixtures::scenarios()[3];
    ASSERT_EQ(scenario.name, "schedulers");
    const json report = fixtures::run_live(scenario.script, scenario.start, scenario.end);
    ASSERT_EQ(report["schedulers"].size(), 3u);
    EXPECT_EQ(report["schedulers"][0]["name"], "scx_simple");
    EXPECT_EQ(report["schedulers"][1]["name"], "custody_ref");
    EXPECT_EQ(report["schedulers"][1]["details"]["custody_abandoned_at_unload"], 1u);
    EXPECT_EQ(report["schedulers"][2]["implements_dequeue"], false);
    EXPECT_EQ(report["verdict"], "clean");
    uint64_t enters = 0;
    for (const json& section : report["schedulers"])
        enters += section["counts"]["custody_enter"].get<uint64_t>();
    EXPECT_EQ(report["counts"]["custody_enter"], enters);
}

TEST(AuditReport, OddBytesInNamesArePrintable) {
    Script s;
    s.attach("we<ird>\x01");
    s.task_named("a\xff\"b\\");
    const json report = report_of(s);
    EXPECT_EQ(report["schedulers"][0]["name"], "we<ird>\\x01");
    ASSERT_EQ(report["samples"].size(), 1u);
    EXPECT_EQ(report["samples"][0]["comm"], "a\\xff\"b\\x5c");
}

TEST(Verdict, NamesAndExitCodes) {
    EXPECT_EQ(to_string(Verdict::Clean), "clean");
    EXPECT_EQ(to_string(Verdict::Violations), "violations");
    EXPECT_EQ(to_string(Verdict::Inconclusive), "inconclusive");
    for (Verdict v : {Verdict::Clean, Verdict::Violations, Verdict::Inconclusive})
        EXPECT_EQ(verdict_from_string(to_string(v)), v);
    EXPECT_FALSE(verdict_from_string("CLEAN"));

    EXPECT_EQ(static_cast<int>(exit_code(Verdict::Clean)), 0);
    EXPECT_EQ(static_cast<int>(exit_code(Verdict::Violations)), 1);
    EXPECT_EQ(static_cast<int>(exit_code(Verdict::Inconclusive)), 4);
    EXPECT_EQ(report_exit_code(json::object()), ExitCode::Usage);
    EXPECT_EQ(report_exit_code({{"verdict", "maybe"}}), ExitCode::Usage);
    EXPECT_EQ(report_exit_code({{"verdict", "inconclusive"}}), ExitCode::Inconclusive);
}

TEST(AuditMeta, RoundTripsThroughJson) {
    StartMetadata start = fixtures::start_metadata();
    start.strict = true;
    start.coverage_complete = false;
    start.coverage_notes = {"a", "b"};
    start.engine.kernel_has_core_sched = true;
    start.engine.max_samples = 7;
    Result<StartMetadata> back = start_metadata_from_json(as_recorded(to_json(start)));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kernel, start.kernel);
    EXPECT_EQ(back->command_line, start.command_line);
    EXPECT_EQ(back->options, start.options);
    EXPECT_TRUE(back->strict);
    EXPECT_EQ(back->attach_plan, start.attach_plan);
    EXPECT_FALSE(back->coverage_complete);
    EXPECT_EQ(back->coverage_notes, start.coverage_notes);
    EXPECT_TRUE(back->engine.kernel_has_core_sched);
    EXPECT_EQ(back->engine.max_samples, 7u);

    EndMetadata end;
    end.duration_s = 2.5;
    end.finish_ts_ns = 99;
    end.reference = {{"custody_enter", 1}};
    Result<EndMetadata> end_back = end_metadata_from_json(as_recorded(to_json(end)));
    ASSERT_TRUE(end_back);
    EXPECT_EQ(end_back->duration_s, 2.5);
    EXPECT_EQ(end_back->finish_ts_ns, 99u);
    EXPECT_EQ(end_back->reference, end.reference);

    end.duration_s = -1; // never written as such
    end_back = end_metadata_from_json(as_recorded(to_json(end)));
    ASSERT_TRUE(end_back);
    EXPECT_EQ(end_back->duration_s, 0.0);
}

TEST(AuditMeta, DefaultsAndTypeErrors) {
    Result<StartMetadata> minimal = start_metadata_from_json({{"phase", "start"}});
    ASSERT_TRUE(minimal);
    EXPECT_TRUE(minimal->coverage_complete);
    EXPECT_EQ(minimal->engine.max_samples, pairing::EngineConfig{}.max_samples);

    const std::vector<json> bad_starts = {
        json::array(),
        {{"phase", "end"}},
        {{"phase", "start"}, {"kernel", 7}},
        {{"phase", "start"}, {"command_line", {1, 2}}},
        {{"phase", "start"}, {"attach_plan", {{"hook", "x"}}}},
        {{"phase", "start"}, {"attach_plan", {1}}},
        {{"phase", "start"}, {"coverage", true}},
        {{"phase", "start"}, {"engine", {{"max_cpus", 1'000'000}}}},
        {{"phase", "start"}, {"engine", {{"max_samples", -1}}}},
        {{"phase", "start"}, {"engine", {{"max_tracked_tasks", 1.5}}}},
        {{"phase", "start"}, {"engine", 3}},
        {{"phase", "start"}, {"strict", "yes"}},
    };
    for (const json& doc : bad_starts) {
        Result<StartMetadata> start = start_metadata_from_json(doc);
        ASSERT_FALSE(start) << doc.dump();
        EXPECT_EQ(start.error().exit_code, ExitCode::Usage);
    }
    const std::vector<json> bad_ends = {
        {{"phase", "start"}},
        {{"phase", "end"}, {"duration_s", "5"}},
        {{"phase", "end"}, {"duration_s", -5}},
        {{"phase", "end"}, {"reference", 5}},
        {{"phase", "end"}, {"tracer", json::array()}},
    };
    for (const json& doc : bad_ends)
        EXPECT_FALSE(end_metadata_from_json(doc)) << doc.dump();
}

} // namespace
} // namespace scx_custody::audit
