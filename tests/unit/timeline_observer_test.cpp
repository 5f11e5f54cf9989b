// Unit tests of the audit's time series: per-CPU 1 s bins, the cap, the duration
// histogram.
#include "audit/timeline_observer.h"

#include <gtest/gtest.h>

#include <limits>

namespace scx_custody::audit {
namespace {

using nlohmann::json;
using pairing::DequeueReason;
using pairing::EnterPath;

constexpr uint64_t kSecond = 1'000'000'000;

TEST(TimelineObserver, BinsPerCpuPerSecondFromTheFirstEvent) {
    TimelineObserver t;
    t.at(50 * kSecond); // the origin, whatever the event
    t.on_custody_enter(1, EnterPath::EnqueueHeld);
    t.at(50 * kSecond + kSecond - 1);
    t.on_dequeue(1, DequeueReason::Dispatch);
    t.at(52 * kSecond);
    t.on_custody_enter(3, EnterPath::InsertUserDsq);
    t.on_custody_enter(3, EnterPath::InsertUserDsq);
    t.at(49 * kSecond); // out of order, before the origin: the first interval
    t.on_dequeue(3, DequeueReason::SchedChange);

    const json timeline = t.timeline_json();
    EXPECT_EQ(timeline["origin_ts_ns"], 50 * kSecond);
    EXPECT_EQ(timeline["interval_ns"], kSecond);
    EXPECT_EQ(timeline["buckets"], 3u);
    EXPECT_FALSE(timeline["capped"]);
    EXPECT_FALSE(timeline.contains("note"));
    EXPECT_EQ(timeline["per_cpu"], json::parse(R"([
        {"cpu": 1, "custody_enter": [1, 0, 0], "dequeue": [1, 0, 0]},
        {"cpu": 3, "custody_enter": [0, 0, 2], "dequeue": [1, 0, 0]}])"));
}

TEST(TimelineObserver, CapsTheNumberOfIntervalsAndSaysSo) {
    TimelineObserver t;
    t.at(0);
    t.on_custody_enter(0, EnterPath::EnqueueHeld);
    t.at(TimelineObserver::kMaxBuckets * kSecond - 1);
    t.on_custody_enter(0, EnterPath::EnqueueHeld);
    t.at(TimelineObserver::kMaxBuckets * kSecond);
    t.on_custody_enter(0, EnterPath::EnqueueHeld);
    t.on_dequeue(0, DequeueReason::Dispatch);
    t.at(0);
    t.on_dequeue(TimelineObserver::kMaxCpus, DequeueReason::Dispatch);

    const json timeline = t.timeline_json();
    EXPECT_EQ(timeline["buckets"], TimelineObserver::kMaxBuckets);
    EXPECT_TRUE(timeline["capped"]);
    EXPECT_EQ(timeline["not_binned"], json({{"custody_enter", 1}, {"dequeue", 2}}));
    ASSERT_EQ(timeline["per_cpu"].size(), 1u);
    EXPECT_EQ(timeline["per_cpu"][0]["custody_enter"].size(), TimelineObserver::kMaxBuckets);
    EXPECT_EQ(timeline["per_cpu"][0]["custody_enter"].back(), 1u);
    EXPECT_NE(timeline["note"].get<std::string>().find("1 custody enters and 2 dequeues"),
              std::string::npos)
        << timeline["note"];
}

TEST(TimelineObserver, EmptyRunHasNoIntervals) {
    const json timeline = TimelineObserver().timeline_json();
    EXPECT_EQ(timeline["buckets"], 0u);
    EXPECT_TRUE(timeline["per_cpu"].empty());
    const json histogram = TimelineObserver().histogram_json();
    EXPECT_EQ(histogram["count"], 0u);
    EXPECT_TRUE(histogram["buckets"].empty());
}

TEST(TimelineObserver, DurationHistogramHasLog2BucketsBetweenTheFirstAndLastUsed) {
    TimelineObserver t;
    for (uint64_t ns : {0ull, 1ull, 3ull, 1000ull, 1023ull, 1024ull})
        t.on_custody_duration(0, ns);
    t.on_custody_duration(2, std::numeric_limits<uint64_t>::max());

    const json histogram = t.histogram_json();
    EXPECT_EQ(histogram["count"], 7u);
    EXPECT_EQ(histogram["scale"], "log2");
    const json& buckets = histogram["buckets"];
    ASSERT_EQ(buckets.size(), 65u); // 0 ns up to the top bucket, empty ones included
    EXPECT_EQ(buckets[0], json({{"min_ns", 0}, {"max_ns", 0}, {"count", 1}}));
    EXPECT_EQ(buckets[1], json({{"min_ns", 1}, {"max_ns", 1}, {"count", 1}}));
    EXPECT_EQ(buckets[2], json({{"min_ns", 2}, {"max_ns", 3}, {"count", 1}}));
    EXPECT_EQ(buckets[10], json({{"min_ns", 512}, {"max_ns", 1023}, {"count", 2}}));
    EXPECT_EQ(buckets[11], json({{"min_ns", 1024}, {"max_ns", 2047}, {"count", 1}}));
    EXPECT_EQ(buckets[64]["max_ns"], std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(buckets[64]["count"], 1u);
    EXPECT_EQ(buckets[30]["count"], 0u);
}

} // namespace
} // namespace scx_custody::audit
