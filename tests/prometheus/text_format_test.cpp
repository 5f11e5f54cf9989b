// to_text_format() must write exactly what prometheus-cpp's TextSerializer writes
// (MetricsServer switched to it for speed): every metric type, label escaping,
// timestamps, special values and random doubles of every magnitude. So must the
// exporter's own MetricSet::render_text(), which writes the per-CPU counter
// tables without collecting them.
#include "exporters/prometheus/text_format.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/metric_set.h"
#include "exporters/prometheus/self_metrics.h"

namespace scx_custody::prom {
namespace {

std::string reference(const prometheus::Registry& registry) {
    return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(TextFormat, MatchesTextSerializerOnEveryTypeAndSpecialValue) {
    prometheus::Registry registry;
    auto& counters = prometheus::BuildCounter()
                         .Name("c_total")
                         .Help("help with \\ and \"quotes\"\nand a newline")
                         .Register(registry);
    counters.Add({{"cpu", "0"}}).Increment(1);
    counters.Add({{"cpu", "1"}}).Increment(0.25);
    counters.Add({{"cpu", "2"}}).Increment(1e-9);
    counters.Add({{"cpu", "3"}}).Increment(1e20);
    counters.Add({{"cpu", "4"}, {"k", "a\"b\\c\nd"}}).Increment(123456789.125);
    counters.Add({{"cpu", "5"}}).Increment(0.1 + 0.2);
    counters.Add({{"cpu", "6"}}).Increment(9007199254740993.0);
    auto& gauges = prometheus::BuildGauge().Name("g").Register(registry);
    gauges.Add({}).Set(-3.5);
    gauges.Add({{"x", "nan"}}).Set(std::numeric_limits<double>::quiet_NaN());
    gauges.Add({{"x", "-inf"}}).Set(-std::numeric_limits<double>::infinity());
    gauges.Add({{"x", "+inf"}}).Set(std::numeric_limits<double>::infinity());
    gauges.Add({{"x", "tiny"}}).Set(std::numeric_limits<double>::denorm_min());
    gauges.Add({{"x", "-0"}}).Set(-0.0);
    gauges.Add({{"x", "0"}}).Set(0.0);
    gauges.Add({{"x", "999999999999999"}}).Set(999999999999999.0);
    gauges.Add({{"x", "1e15"}}).Set(1e15);
    gauges.Add({{"x", "-1e15+1"}}).Set(-999999999999999.0);
    gauges.Add({{"x", "1e16"}}).Set(1e16);
    auto& histograms = prometheus::BuildHistogram().Name("h_seconds").Help("h").Register(registry);
    auto& histogram =
        histograms.Add({{"a", "b"}}, prometheus::Histogram::BucketBoundaries{1e-6, 0.001, 0.5, 2});
    histogram.Observe(0.0001);
    histogram.Observe(3);
    histograms.Add(
        {}, prometheus::Histogram::BucketBoundaries{1, std::numeric_limits<double>::infinity()});
    auto& summaries = prometheus::BuildSummary().Name("s").Help("s").Register(registry);
    summaries.Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.99, 0.001}}).Observe(4.5);

    EXPECT_EQ(to_text_format(registry.Collect()), reference(registry));
}

TEST(TextFormat, MatchesTextSerializerOnRandomValuesAndTimestamps) {
    std::mt19937_64 random(99);
    std::vector<prometheus::MetricFamily> families = {
        prometheus::MetricFamily{"random_values", "", prometheus::MetricType::Untyped, {}}};
    for (int i = 0; i < 5000; ++i) {
        prometheus::ClientMetric metric;
        metric.label.push_back(prometheus::ClientMetric::Label{"index", std::to_string(i)});
        const double mantissa = std::uniform_real_distribution<double>(-1, 1)(random);
        const int exponent = static_cast<int>(random() % 80) - 40;
        metric.untyped.value = i % 3 == 0 ? static_cast<double>(random() % 100000000000000000ull)
                                          : std::ldexp(mantissa, exponent * 3);
        metric.timestamp_ms = i % 7 == 0 ? static_cast<int64_t>(random() % 2000000000000) : 0;
        families[0].metric.push_back(std::move(metric));
    }
    std::string expected = prometheus::TextSerializer().Serialize(families);
    EXPECT_EQ(to_text_format(families), expected);
}

TEST(TextFormat, MatchesTextSerializerOnTheExporterAtManyCpus) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 256);
    SelfMetrics self(metrics, 256, "1.2.3");
    for (uint32_t cpu = 0; cpu < 256; cpu += 3) {
        collector.on_custody_enter(cpu, pairing::EnterPath::EnqueueHeld);
        collector.on_custody_duration(cpu, 1'500ull * cpu);
        collector.on_dequeue(cpu, pairing::DequeueReason::SchedChange);
        self.add_events(cpu, cpu * 1'000'003ull);
    }
    collector.on_lost_events(pairing::kNoCpu, 3);
    // Late rows: CPUs above the possible ones, in the order they came.
    collector.on_lost_events(300, 1);
    collector.on_custody_enter(257, pairing::EnterPath::EnqueueHeld);
    const std::string expected = prometheus::TextSerializer().Serialize(metrics.Collect());
    EXPECT_EQ(to_text_format(metrics.Collect()), expected);
    EXPECT_EQ(metrics.render_text(), expected);
}

} // namespace
} // namespace scx_custody::prom
