// Unit tests of the replay: a recording re-audited offline gives the live report.
#include "audit/replay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit_session.h"
#include "audit/report_sink.h"
#include "audit_fixtures.h"
#include "record/crc32.h"
#include "record/recording_reader.h"
#include "record/recording_writer.h"

namespace scx_custody::audit {
namespace {

using nlohmann::json;

class ReplayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("scx-custody-replay-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // Writes records (already framed) after a fresh header.
    std::string write_records(const std::string& name, const std::vector<record::Record>& records) {
        const std::string file = path(name);
        Result<record::RecordingWriter> writer = record::RecordingWriter::create(file);
        EXPECT_TRUE(writer);
        for (const record::Record& record : records)
            EXPECT_TRUE(writer->write(record));
        EXPECT_TRUE(writer->close());
        return file;
    }

    static Error replay_error(const std::string& file) {
        std::ostringstream out;
        Result<ExitCode> code = run_replay({file, "json", ""}, out);
        EXPECT_FALSE(code);
        EXPECT_TRUE(out.str().empty());
        return code ? Error{} : code.error();
    }

    std::filesystem::path dir_;
};

TEST_F(ReplayTest, EveryScenarioReplaysToTheIdenticalReport) {
    for (const fixtures::Scenario& scenario : fixtures::scenarios()) {
        SCOPED_TRACE(scenario.name);
        const std::string file = path(scenario.name + ".rec");
        const json live = fixtures::record_scenario(scenario, file);

        Result<record::RecordingReader> reader = record::RecordingReader::open(file);
        ASSERT_TRUE(reader);
        Result<json> replayed = replay_report(*reader);
        ASSERT_TRUE(replayed) << replayed.error().message;
        EXPECT_EQ(*replayed, live);
        EXPECT_EQ(replayed->dump(), live.dump());

        // And the same without any recording at all (the recording changes nothing).
        EXPECT_EQ(fixtures::run_live(scenario.script, scenario.start, scenario.end), live);

        for (std::string_view format : kReportFormats) {
            std::ostringstream out;
            Result<ExitCode> code = run_replay({file, std::string(format), ""}, out);
            ASSERT_TRUE(code) << code.error().message;
            EXPECT_EQ(*code, report_exit_code(live));
            EXPECT_EQ(out.str(), fixtures::render_report(format, live)) << format;
        }
    }
}

TEST_F(ReplayTest, ExitCodesFollowTheVerdict) {
    const std::vector<fixtures::Scenario> scenarios = fixtures::scenarios();
    const std::map<std::string, ExitCode> expected = {
        {"clean", ExitCode::Clean},
        {"violations", ExitCode::Violations},
        {"lost", ExitCode::Inconclusive},
        {"schedulers", ExitCode::Clean},
        {"decode_errors", ExitCode::Inconclusive},
        {"timeline", ExitCode::Violations},
    };
    for (const fixtures::Scenario& scenario : scenarios) {
        const std::string file = path(scenario.name + ".rec");
        fixtures::record_scenario(scenario, file);
        std::ostringstream out;
        Result<ExitCode> code = run_replay({file, "text", ""}, out);
        ASSERT_TRUE(code);
        EXPECT_EQ(*code, expected.at(scenario.name)) << scenario.name;
    }
}

TEST_F(ReplayTest, TimelineAndDurationHistogramReplayIdentically) {
    const std::vector<fixtures::Scenario> scenarios = fixtures::scenarios();
    const auto timeline_scenario =
        std::find_if(scenarios.begin(), scenarios.end(),
                     [](const fixtures::Scenario& s) { return s.name == "timeline"; });
    ASSERT_NE(timeline_scenario, scenarios.end());
    const std::string file = path("timeline.rec");
    const json live = fixtures::record_scenario(*timeline_scenario, file);
    Result<record::RecordingReader> reader = record::RecordingReader::open(file);
    ASSERT_TRUE(reader);
    Result<json> replayed = replay_report(*reader);
    ASSERT_TRUE(replayed) << replayed.error().message;

    const json& details = (*replayed)["details"];
    EXPECT_EQ(details["timeline"], live["details"]["timeline"]);
    EXPECT_EQ(details["custody_duration_histogram"], live["details"]["custody_duration_histogram"]);
    // Three intervals: cpu 0 before the 1.5 s pause, both CPUs after it, cpu 1's
    // last custody (never dequeued) after the next 1 s.
    EXPECT_EQ(details["timeline"]["buckets"], 3u);
    EXPECT_EQ(details["timeline"]["per_cpu"], json::parse(R"([
        {"cpu": 0, "custody_enter": [3, 1, 0], "dequeue": [3, 1, 0]},
        {"cpu": 1, "custody_enter": [0, 1, 1], "dequeue": [0, 1, 0]}])"));
    // Every clean cycle lasts 10 ns (enqueue to dequeue): one bucket, [8, 15] ns.
    EXPECT_EQ(details["custody_duration_histogram"]["buckets"],
              json::parse(R"([{"min_ns": 8, "max_ns": 15, "count": 5}])"));
    EXPECT_EQ(details["custody_duration_histogram"]["count"], details["custody_duration"]["count"]);
    EXPECT_EQ((*replayed)["verdict"], "violations");
}

TEST_F(ReplayTest, TimelineAddsUpToTheCounts) {
    for (const fixtures::Scenario& scenario : fixtures::scenarios()) {
        SCOPED_TRACE(scenario.name);
        const json report = fixtures::run_live(scenario.script, scenario.start, scenario.end);
        const json& timeline = report["details"]["timeline"];
        uint64_t enters = timeline["not_binned"]["custody_enter"];
        uint64_t dequeues = timeline["not_binned"]["dequeue"];
        for (const json& cpu : timeline["per_cpu"]) {
            ASSERT_EQ(cpu["custody_enter"].size(), timeline["buckets"]);
            ASSERT_EQ(cpu["dequeue"].size(), timeline["buckets"]);
            for (const json& n : cpu["custody_enter"])
                enters += n.get<uint64_t>();
            for (const json& n : cpu["dequeue"])
                dequeues += n.get<uint64_t>();
        }
        EXPECT_EQ(enters, report["counts"]["custody_enter"]);
        EXPECT_EQ(dequeues, report["counts"]["dequeue"]);
        EXPECT_EQ(report["details"]["custody_duration_histogram"]["count"],
                  report["details"]["custody_duration"]["count"]);
    }
}

TEST_F(ReplayTest, WritesToTheOutputFile) {
    const fixtures::Scenario scenario = fixtures::scenarios()[1];
    const std::string file = path("violations.rec");
    const json live = fixtures::record_scenario(scenario, file);
    const std::string output = path("report.json");
    std::ostringstream out;
    Result<ExitCode> code = run_replay({file, "json", output}, out);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, ExitCode::Violations);
    EXPECT_TRUE(out.str().empty());
    const std::vector<std::byte> bytes = fixtures::read_file(output);
    EXPECT_EQ(json::parse(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())),
              live);

    Result<ExitCode> bad_output = run_replay({file, "json", path("no/dir/r.json")}, out);
    ASSERT_FALSE(bad_output);
    EXPECT_EQ(bad_output.error().exit_code, ExitCode::Usage);
}

TEST_F(ReplayTest, UsageErrors) {
    std::ostringstream out;
    Result<ExitCode> missing = run_replay({path("missing.rec"), "text", ""}, out);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().exit_code, ExitCode::Usage);

    const fixtures::Scenario scenario = fixtures::scenarios()[0];
    const std::string file = path("clean.rec");
    fixtures::record_scenario(scenario, file);
    Result<ExitCode> format = run_replay({file, "xml", ""}, out);
    ASSERT_FALSE(format);
    EXPECT_EQ(format.error().exit_code, ExitCode::Usage);
    EXPECT_TRUE(out.str().empty());
}

TEST_F(ReplayTest, DamagedRecordingsExitWithUsage) {
    const fixtures::Scenario scenario = fixtures::scenarios()[1];
    const std::string good = path("good.rec");
    fixtures::record_scenario(scenario, good);
    const std::vector<std::byte> bytes = fixtures::read_file(good);

    // Every truncation and every single-bit flip is an error or (for a flip that
    // changes nothing checked) a report; never a crash.
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        const std::string file = path("cut.rec");
        fixtures::write_file(file, std::span(bytes).first(cut));
        const Error error = replay_error(file);
        EXPECT_EQ(error.exit_code, ExitCode::Usage) << cut;
        EXPECT_NE(error.message.find("byte offset"), std::string::npos) << error.message;
    }
    for (std::size_t at = 0; at < bytes.size(); at += 5) {
        std::vector<std::byte> flipped = bytes;
        flipped[at] ^= std::byte{0x20};
        const std::string file = path("flip.rec");
        fixtures::write_file(file, flipped);
        std::ostringstream out;
        Result<ExitCode> code = run_replay({file, "json", ""}, out);
        if (at == 24) { // the reserved header word is covered by the CRC
            ASSERT_FALSE(code);
        }
        if (!code) {
            EXPECT_EQ(code.error().exit_code, ExitCode::Usage);
            EXPECT_NE(code.error().message.find("byte offset"), std::string::npos);
        }
    }
}

TEST_F(ReplayTest, TruncatedAtARecordBoundaryIsMissingItsEnd) {
    const fixtures::Scenario scenario = fixtures::scenarios()[0];
    const std::string good = path("good.rec");
    fixtures::record_scenario(scenario, good);

    // Find the end metadata's offset and cut there.
    Result<record::RecordingReader> reader = record::RecordingReader::open(good);
    ASSERT_TRUE(reader);
    uint64_t last = 0;
    for (;;) {
        Result<std::optional<record::Record>> record = reader->next();
        ASSERT_TRUE(record);
        if (!*record)
            break;
        last = (*record)->offset;
    }
    const std::vector<std::byte> bytes = fixtures::read_file(good);
    const std::string file = path("cut.rec");
    fixtures::write_file(file, std::span(bytes).first(last));
    const Error error = replay_error(file);
    EXPECT_NE(error.message.find("without its end metadata"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("at byte offset " + std::to_string(last)), std::string::npos)
        << error.message;
}

TEST_F(ReplayTest, MetadataMustFrameTheStream) {
    const json start = as_recorded(to_json(fixtures::start_metadata()));
    const json end = as_recorded(to_json(EndMetadata{}));
    const record::Record start_record{0, record::MetadataRecord{start}};
    const record::Record end_record{0, record::MetadataRecord{end}};
    const record::Record lost{0, record::LostRecord{1, 0, 1}};

    Error error = replay_error(write_records("none.rec", {}));
    EXPECT_NE(error.message.find("no records"), std::string::npos) << error.message;

    error = replay_error(write_records("no-start.rec", {lost, end_record}));
    EXPECT_NE(error.message.find("does not begin with its start metadata"), std::string::npos);
    EXPECT_NE(error.message.find("byte offset 32"), std::string::npos) << error.message;

    error = replay_error(write_records("end-first.rec", {end_record}));
    EXPECT_NE(error.message.find("does not begin with its start metadata"), std::string::npos);

    error = replay_error(write_records("two-starts.rec", {start_record, start_record, end_record}));
    EXPECT_NE(error.message.find("phase \"start\" in the event stream"), std::string::npos)
        << error.message;

    error = replay_error(write_records("after-end.rec", {start_record, end_record, lost}));
    EXPECT_NE(error.message.find("records after the end metadata"), std::string::npos);

    record::Record bad_start{0, record::MetadataRecord{{{"phase", "start"}, {"kernel", 1}}}};
    error = replay_error(write_records("bad-start.rec", {bad_start, end_record}));
    EXPECT_NE(error.message.find("\"kernel\" must be a string"), std::string::npos)
        << error.message;

    record::Record bad_end{0, record::MetadataRecord{{{"phase", "end"}, {"duration_s", "x"}}}};
    error = replay_error(write_records("bad-end.rec", {start_record, bad_end}));
    EXPECT_NE(error.message.find("\"duration_s\""), std::string::npos) << error.message;

    // The minimal valid recording: start and end, no events. It replays, and
    // proves nothing: inconclusive, never clean.
    std::ostringstream out;
    Result<ExitCode> code =
        run_replay({write_records("minimal.rec", {start_record, end_record}), "json", ""}, out);
    ASSERT_TRUE(code) << code.error().message;
    EXPECT_EQ(*code, ExitCode::Inconclusive);
}

TEST_F(ReplayTest, SessionRecordsWhatTheEngineSawInOrder) {
    fixtures::Script s;
    s.attach("custody_ref").clean_cycle(1).lost(2, 1).raw({std::byte{7}}).detach("custody_ref");
    const std::string file = path("order.rec");
    Result<record::RecordingWriter> writer = record::RecordingWriter::create(file);
    ASSERT_TRUE(writer);
    fixtures::run_live(s, fixtures::start_metadata(), fixtures::end_metadata(s),
                       std::make_unique<record::RecordingWriter>(std::move(*writer)));

    Result<record::RecordingReader> reader = record::RecordingReader::open(file);
    ASSERT_TRUE(reader);
    std::vector<record::Record> records;
    for (;;) {
        Result<std::optional<record::Record>> record = reader->next();
        ASSERT_TRUE(record);
        if (!*record)
            break;
        records.push_back(std::move(**record));
    }
    ASSERT_EQ(records.size(), s.records().size() + 2);
    EXPECT_EQ(metadata_phase(std::get<record::MetadataRecord>(records.front().body).document),
              "start");
    EXPECT_EQ(metadata_phase(std::get<record::MetadataRecord>(records.back().body).document),
              "end");
    for (std::size_t i = 0; i < s.records().size(); ++i)
        EXPECT_EQ(records[i + 1].body, s.records()[i].body) << i;
}

TEST_F(ReplayTest, RecordingFailureDoesNotStopTheAudit) {
    if (!std::filesystem::exists("/dev/full"))
        GTEST_SKIP() << "no /dev/full";
    Result<record::RecordingWriter> writer = record::RecordingWriter::create("/dev/full");
    ASSERT_TRUE(writer);
    Result<AuditSession> session = AuditSession::create(
        fixtures::start_metadata(), std::make_unique<record::RecordingWriter>(std::move(*writer)));
    ASSERT_TRUE(session);
    fixtures::Script s;
    s.attach("custody_ref");
    for (int i = 0; i < 2000; ++i) // > 64 KiB: the buffer is flushed and fails
        s.clean_cycle(static_cast<uint32_t>(i % 50));
    for (const record::Record& record : s.records())
        ASSERT_TRUE(session->feed(record));
    const json report = session->finish(fixtures::end_metadata(s));
    EXPECT_EQ(report["verdict"], "clean");
    EXPECT_EQ(report["counts"]["custody_enter"], 2000u);
    Status status = session->recording_status();
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().err, ENOSPC);
}

TEST_F(ReplayTest, FinishIsIdempotentAndLaterInputIsIgnored) {
    Result<AuditSession> session = AuditSession::create(fixtures::start_metadata());
    ASSERT_TRUE(session);
    fixtures::Script s;
    s.attach("custody_ref").clean_cycle(1);
    for (const record::Record& record : s.records())
        ASSERT_TRUE(session->feed(record));
    const json first = session->finish(fixtures::end_metadata(s));
    session->on_lost({1, 0, 5});
    EXPECT_EQ(session->finish(EndMetadata{}), first);
    EXPECT_TRUE(session->finished());
    EXPECT_FALSE(session->feed({0, record::MetadataRecord{json::object()}}));
}

} // namespace
} // namespace scx_custody::audit
