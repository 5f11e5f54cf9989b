// Unit tests of the kernel's event counters: the events file parser, the
// per-section watch on a sysfs tree made in a temporary directory, and the
// report's kernel_events objects.
#include "audit/kernel_events.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "audit/kernel_events_report.h"
#include "audit/kernel_events_watch.h"
#include "audit/report_sink.h"

#include <sstream>

namespace scx_custody::audit {
namespace {

using nlohmann::json;

TEST(KernelEventsParse, KeepsEveryNameInTheFilesOrder) {
    const auto parse = parse_kernel_events("SCX_EV_SELECT_CPU_FALLBACK 12\n"
                                           "SCX_EV_DISPATCH_KEEP_LAST 0\n"
                                           "SCX_EV_BYPASS_DURATION 123456789\n");
    ASSERT_EQ(parse.counts.size(), 3u);
    EXPECT_EQ(parse.counts[0].name, "SCX_EV_SELECT_CPU_FALLBACK");
    EXPECT_EQ(parse.counts[0].value, 12u);
    EXPECT_EQ(parse.counts[1].name, "SCX_EV_DISPATCH_KEEP_LAST");
    EXPECT_EQ(parse.counts[2].value, 123456789u);
    EXPECT_EQ(parse.rejected, 0u);
    EXPECT_EQ(parse.find("SCX_EV_DISPATCH_KEEP_LAST"), &parse.counts[1]);
    EXPECT_EQ(parse.find("SCX_EV_NOT_THERE"), nullptr);
}

TEST(KernelEventsParse, NamesItHasNeverSeenAreKept) {
    const auto parse = parse_kernel_events("SCX_EV_SOMETHING_NEW 7\r\n\n  SCX_EV_SUB_X\t3  \n");
    ASSERT_EQ(parse.counts.size(), 2u);
    EXPECT_EQ(parse.counts[0].name, "SCX_EV_SOMETHING_NEW");
    EXPECT_EQ(parse.counts[1].name, "SCX_EV_SUB_X");
    EXPECT_EQ(parse.counts[1].value, 3u);
    EXPECT_EQ(parse.rejected, 0u);
}

TEST(KernelEventsParse, EmptyTextHasNoCounts) {
    const auto parse = parse_kernel_events("");
    EXPECT_TRUE(parse.counts.empty());
    EXPECT_EQ(parse.rejected, 0u);
}

TEST(KernelEventsParse, GarbageLinesAreCountedWithTheirReason) {
    const auto parse = parse_kernel_events("SCX_EV_A 1\n"
                                           "garbage\n"
                                           "SCX_EV_B -4\n"
                                           "SCX_EV_C 12abc\n"
                                           "SCX_EV_D 1 2\n"
                                           "SCX_EV_E 5\n");
    ASSERT_EQ(parse.counts.size(), 2u);
    EXPECT_EQ(parse.counts[1].name, "SCX_EV_E");
    EXPECT_EQ(parse.rejected, 4u);
    ASSERT_EQ(parse.rejected_notes.size(), 4u);
    EXPECT_EQ(parse.rejected_notes[0], "line 2: no value after the name");
    EXPECT_NE(parse.rejected_notes[1].find("line 3: value \"-4\" is not an unsigned integer"),
              std::string::npos);
    EXPECT_NE(parse.rejected_notes[2].find("line 4:"), std::string::npos);
    EXPECT_NE(parse.rejected_notes[3].find("more than a name and a value"), std::string::npos);
}

TEST(KernelEventsParse, BinaryGarbageNeverCrashes) {
    std::string text;
    for (int i = 0; i < 4096; ++i)
        text.push_back(static_cast<char>((i * 37) & 0xff));
    const auto parse = parse_kernel_events(text);
    EXPECT_GT(parse.rejected, 0u);
    EXPECT_LE(parse.rejected_notes.size(), kMaxRejectedNotes);
}

TEST(KernelEventsParse, DuplicateNamesKeepTheFirst) {
    const auto parse = parse_kernel_events("SCX_EV_A 1\nSCX_EV_A 2\nSCX_EV_B 3\n");
    ASSERT_EQ(parse.counts.size(), 2u);
    EXPECT_EQ(parse.counts[0].value, 1u);
    EXPECT_EQ(parse.rejected, 1u);
    EXPECT_EQ(parse.rejected_notes.at(0), "line 2: duplicate name SCX_EV_A");
}

TEST(KernelEventsParse, HugeValuesUpTo64Bits) {
    const auto parse =
        parse_kernel_events("SCX_EV_MAX 18446744073709551615\nSCX_EV_OVER 18446744073709551616\n");
    ASSERT_EQ(parse.counts.size(), 1u);
    EXPECT_EQ(parse.counts[0].value, UINT64_MAX);
    EXPECT_EQ(parse.rejected, 1u);
    EXPECT_NE(parse.rejected_notes.at(0).find("does not fit in 64 bits"), std::string::npos);
}

// A fake /sys/kernel/sched_ext in a temporary directory.
class FakeSysfs : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("scx-custody-kevents-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        set_state("disabled", 0);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
    }
    void set_state(const std::string& state, uint64_t enable_seq) {
        write("state", state + "\n");
        write("enable_seq", std::to_string(enable_seq) + "\n");
    }
    // An instance in root/: its ops and (unless events is null) its events file.
    void run_instance(const std::string& ops, uint64_t enable_seq, const char* events) {
        std::filesystem::create_directories(dir_ / "root");
        write("root/ops", ops + "\n");
        if (events)
            write("root/events", events);
        set_state("enabled", enable_seq);
    }
    void stop_instance(uint64_t enable_seq) {
        std::filesystem::remove_all(dir_ / "root");
        set_state("disabled", enable_seq);
    }

    std::filesystem::path dir_;
};

TEST_F(FakeSysfs, MissingDirectoryIsAnErrorNotACrash) {
    const auto reading = read_kernel_events((dir_ / "root").string());
    ASSERT_FALSE(reading);
    EXPECT_NE(reading.error().message.find("root/ops cannot be read"), std::string::npos);
    EXPECT_FALSE(lacks_events_file((dir_ / "root").string()));
}

TEST_F(FakeSysfs, AKernelWithoutTheEventsFileSaysSo) {
    run_instance("simple", 1, nullptr);
    EXPECT_TRUE(lacks_events_file((dir_ / "root").string()));
    KernelEventsWatch watch(dir_.string());
    watch.open(5, 1000, 1000);
    watch.close(2000);
    const json events = kernel_events_json(watch.sections().at(0), watch.instance_dir());
    EXPECT_FALSE(events["available"].get<bool>());
    EXPECT_NE(events["note"].get<std::string>().find("has no"), std::string::npos);
    EXPECT_TRUE(events["end_age_ms"].is_null());
}

TEST_F(FakeSysfs, EndIsTheLastReadingWhileTheInstanceRan) {
    run_instance("qmap", 4, "SCX_EV_A 10\nSCX_EV_B 1\n");
    KernelEventsWatch watch(dir_.string());
    watch.open(7, 1'000'000, 1'000'000);
    write("root/events", "SCX_EV_A 15\nSCX_EV_B 1\nSCX_EV_NEW 2\n");
    watch.refresh(40'000'000);
    stop_instance(4); // its directory goes before the record that closes the section
    watch.refresh(80'000'000);
    watch.close(90'000'000);
    const json events = kernel_events_json(watch.sections().at(0), watch.instance_dir());
    EXPECT_TRUE(events["available"].get<bool>());
    EXPECT_EQ(events["ops"], "qmap");
    EXPECT_EQ(events["start"], json({{"SCX_EV_A", 10}, {"SCX_EV_B", 1}}));
    EXPECT_EQ(events["end"]["SCX_EV_A"], 15);
    EXPECT_EQ(events["delta"], json({{"SCX_EV_A", 5}, {"SCX_EV_B", 0}}));
    EXPECT_DOUBLE_EQ(events["end_age_ms"].get<double>(), 50.0);
    const auto rows = nonzero_kernel_deltas(events);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].first, "SCX_EV_A");
}

TEST_F(FakeSysfs, AnotherInstanceMakesTheEndReadingMissing) {
    run_instance("qmap", 4, "SCX_EV_A 10\n");
    KernelEventsWatch watch(dir_.string());
    watch.open(7, 1000, 1000);
    stop_instance(4);
    run_instance("qmap", 5, "SCX_EV_A 0\n"); // restarted between two polls
    watch.refresh(2000);
    watch.close(3000);
    const json events = kernel_events_json(watch.sections().at(0), watch.instance_dir());
    EXPECT_TRUE(events["available"].get<bool>());
    EXPECT_TRUE(events["end"].empty());
    EXPECT_TRUE(events["delta"].empty());
    EXPECT_TRUE(events["end_age_ms"].is_null());
    EXPECT_NE(events["note"].get<std::string>().find("end reading is missing"), std::string::npos);
}

TEST_F(FakeSysfs, AnEnableUnderWayIsReadOnceDone) {
    std::filesystem::create_directories(dir_ / "root");
    write("root/ops", "custody_ref\n");
    write("root/events", "SCX_EV_A 0\n");
    set_state("enabling", 2);
    KernelEventsWatch watch(dir_.string());
    watch.open(3, 1000, 1000); // announced before its enable finished
    EXPECT_FALSE(watch.sections().at(0).start);
    set_state("enabled", 3);
    write("root/events", "SCX_EV_A 1\n");
    watch.refresh(5000);
    ASSERT_TRUE(watch.sections().at(0).start);
    EXPECT_EQ(watch.sections().at(0).start->enable_seq, 3u);
    EXPECT_EQ(watch.sections().at(0).start->events.counts.at(0).value, 1u);
}

TEST_F(FakeSysfs, AnInstanceOtherThanTheSectionsIsNotRead) {
    set_state("disabled", 2);
    KernelEventsWatch watch(dir_.string());
    watch.open(3, 1000, 1000); // announced before it was enabled: enable_seq 3 expected
    EXPECT_FALSE(watch.sections().at(0).start);
    run_instance("other", 4, "SCX_EV_A 3\n"); // two enables since: not the section's
    watch.refresh(2000);
    watch.close(3000);
    EXPECT_FALSE(watch.sections().at(0).start);
    const json events = kernel_events_json(watch.sections().at(0), watch.instance_dir());
    EXPECT_FALSE(events["available"].get<bool>());
    EXPECT_NE(events["note"].get<std::string>().find("ran instead"), std::string::npos);
}

// A sub-scheduler's section reads its own directory beside the root's.
TEST_F(FakeSysfs, ASubSchedulersSectionReadsItsOwnDirectory) {
    run_instance("qmap", 1, "SCX_EV_A 100\n");
    std::filesystem::create_directories(dir_ / "root/sub/sub-28");
    write("root/sub/sub-28/ops", "qmap\n");
    write("root/sub/sub-28/events", "SCX_EV_A 3\n");
    KernelEventsWatch watch(dir_.string());
    watch.open(20, 1'000'000, 1'000'000);
    watch.open_sub(41, "root/sub/sub-28", 1'000'000, 1'000'000);
    write("root/events", "SCX_EV_A 150\n");
    write("root/sub/sub-28/events", "SCX_EV_A 9\n");
    watch.refresh(20'000'000);
    // Its directory goes when it is disabled, before its section closes.
    std::filesystem::remove_all(dir_ / "root/sub/sub-28");
    watch.refresh(30'000'000);
    watch.close_sub(41, 40'000'000);
    watch.close(50'000'000);
    ASSERT_EQ(watch.sections().size(), 2u);
    const json root = kernel_events_json(watch.sections().at(0), watch.instance_dir());
    const json sub = kernel_events_json(watch.sections().at(1), watch.instance_dir());
    EXPECT_EQ(root["delta"], json({{"SCX_EV_A", 50}}));
    EXPECT_TRUE(sub["available"].get<bool>());
    EXPECT_EQ(sub["source"], (dir_ / "root/sub/sub-28/events").string());
    EXPECT_EQ(sub["delta"], json({{"SCX_EV_A", 6}}));
    EXPECT_DOUBLE_EQ(sub["end_age_ms"].get<double>(), 20.0);
}

// Another instance on the same cgroup starts its counters from 0: a counter
// that went down makes the end reading missing.
TEST_F(FakeSysfs, ASubSchedulersCountersGoingDownAreAnotherInstance) {
    run_instance("qmap", 1, "SCX_EV_A 100\n");
    std::filesystem::create_directories(dir_ / "root/sub/sub-28");
    write("root/sub/sub-28/ops", "qmap\n");
    write("root/sub/sub-28/events", "SCX_EV_A 30\n");
    KernelEventsWatch watch(dir_.string());
    watch.open(20, 1000, 1000);
    watch.open_sub(41, "root/sub/sub-28", 1000, 1000);
    write("root/sub/sub-28/events", "SCX_EV_A 2\n");
    watch.refresh(2000);
    watch.close(3000);
    const json sub = kernel_events_json(watch.sections().at(1), watch.instance_dir());
    EXPECT_TRUE(sub["end"].empty());
    EXPECT_NE(sub["note"].get<std::string>().find("end reading is missing"), std::string::npos);
    EXPECT_FALSE(watch.sections().at(1).open) << "the root's end closes it";
}

TEST(KernelEventsReport, EachSectionGetsItsOwnReadingOrSaysWhy) {
    json report = {{"schedulers",
                    {{{"instance_id", 7}, {"begin_ts_ns", 100}, {"kernel_events", nullptr}},
                     {{"instance_id", 0}, {"begin_ts_ns", 300}, {"kernel_events", nullptr}}}}};
    KernelEventsWatch watch("/nonexistent/sched_ext");
    watch.open(7, 100, 100);
    watch.close(200);
    attach_kernel_events(report, watch);
    const json& first = report["schedulers"][0]["kernel_events"];
    EXPECT_FALSE(first["available"].get<bool>());
    EXPECT_NE(first["note"].get<std::string>().find("no scheduler instance ran"),
              std::string::npos);
    const json& second = report["schedulers"][1]["kernel_events"];
    EXPECT_NE(second["note"].get<std::string>().find("did not begin with"), std::string::npos);
}

TEST(KernelEventsReport, NotRecordedSaysSo) {
    const json events = kernel_events_not_recorded();
    EXPECT_FALSE(events["available"].get<bool>());
    EXPECT_NE(events["note"].get<std::string>().find("not recorded"), std::string::npos);
    EXPECT_TRUE(nonzero_kernel_deltas(events).empty());
}

std::string render(std::string_view format, const json& report) {
    std::ostringstream out;
    auto sink = make_report_sink(format, out);
    EXPECT_TRUE(sink);
    (*sink)->write(report);
    return out.str();
}

TEST(KernelEventsReport, TextAndHtmlShowTheNonZeroDeltas) {
    json events = {{"available", true},
                   {"note", ""},
                   {"start", {{"SCX_EV_A", 1}, {"SCX_EV_B", 4}}},
                   {"end", {{"SCX_EV_A", 1}, {"SCX_EV_B", 9}}},
                   {"delta", {{"SCX_EV_A", 0}, {"SCX_EV_B", 5}}},
                   {"end_age_ms", 12.5}};
    const json report = {{"verdict", "clean"},
                         {"schedulers", {{{"name", "qmap"}, {"kernel_events", events}}}}};
    const std::string text = render("text", report);
    EXPECT_NE(text.find("end read 12.5 ms before the section ended"), std::string::npos) << text;
    EXPECT_NE(text.find("SCX_EV_B"), std::string::npos) << text;
    EXPECT_EQ(text.find("SCX_EV_A"), std::string::npos) << text; // unchanged: not shown
    const std::string html = render("html", report);
    EXPECT_NE(html.find("<td>SCX_EV_B</td><td class=\"n\">5</td>"), std::string::npos);
    EXPECT_EQ(html.find("SCX_EV_A"), std::string::npos);
    const json replayed = {
        {"verdict", "clean"},
        {"schedulers", {{{"name", "qmap"}, {"kernel_events", kernel_events_not_recorded()}}}}};
    EXPECT_NE(render("text", replayed).find("not available (not recorded"), std::string::npos);
}

} // namespace
} // namespace scx_custody::audit
