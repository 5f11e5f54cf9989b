// Unit tests of the exporter's metric set: the catalog, CustodyCollector fed by the
// real pairing engine, and SelfMetrics. No network, no root.
#include "exporters/prometheus/custody_collector.h"

#include <gtest/gtest.h>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporters/prometheus/bpf_program_metrics.h"
#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/self_metrics.h"
#include "pairing/event.h"
#include "pairing/kinds.h"
#include "pairing/pairing_engine.h"
#include "pairing/scx_constants.h"

namespace scx_custody::prom {
namespace {

using pairing::Event;
using pairing::EventKind;
using pairing::TaskKey;

using Labels = std::map<std::string, std::string>;

// Reads a metric set the way a scrape does.
class Scrape {
  public:
    explicit Scrape(const prometheus::Collectable& metrics) : families_(metrics.Collect()) {}

    const prometheus::MetricFamily* family(std::string_view name) const {
        for (const auto& family : families_) {
            if (family.name == name)
                return &family;
        }
        return nullptr;
    }

    std::size_t series(std::string_view name) const {
        const auto* f = family(name);
        return f ? f->metric.size() : 0;
    }

    const prometheus::ClientMetric* metric(std::string_view name, const Labels& labels) const {
        const auto* f = family(name);
        if (!f)
            return nullptr;
        for (const auto& m : f->metric) {
            Labels have;
            for (const auto& label : m.label)
                have[label.name] = label.value;
            if (have == labels)
                return &m;
        }
        return nullptr;
    }

    // The counter's or gauge's value; nullopt when the series does not exist.
    std::optional<double> value(std::string_view name, const Labels& labels = {}) const {
        const auto* f = family(name);
        const auto* m = metric(name, labels);
        if (!f || !m)
            return std::nullopt;
        return f->type == prometheus::MetricType::Counter ? m->counter.value : m->gauge.value;
    }

    double sum(std::string_view name) const {
        double total = 0;
        if (const auto* f = family(name)) {
            for (const auto& m : f->metric)
                total +=
                    f->type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
        }
        return total;
    }

  private:
    std::vector<prometheus::MetricFamily> families_;
};

// ---- catalog ------------------------------------------------------------------

TEST(MetricCatalog, NamesFollowTheConvention) {
    std::set<std::string_view> names;
    for (const MetricInfo& info : metric_catalog()) {
        SCOPED_TRACE(std::string(info.name));
        EXPECT_TRUE(names.insert(info.name).second) << "duplicate name";
        EXPECT_TRUE(info.name.starts_with("scx_custody_"));
        for (char c : info.name)
            EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_' ||
                        std::isdigit(static_cast<unsigned char>(c)));
        EXPECT_EQ(info.name.ends_with("_total"), info.type == MetricType::Counter);
        EXPECT_FALSE(info.help.empty());
        EXPECT_EQ(info.help.find('\n'), std::string_view::npos);
        for (std::string_view label : info.labels()) {
            EXPECT_NE(label, "pid");
            EXPECT_NE(label, "comm");
        }
    }
}

TEST(MetricCatalog, HasTheDesignContract) {
    const std::map<std::string_view, std::vector<std::string_view>> contract = {
        {"scx_custody_custody_enter_total", {"cpu"}},
        {"scx_custody_dequeue_total", {"cpu", "reason"}},
        {"scx_custody_violations_total", {"cpu", "kind"}},
        {"scx_custody_tasks_in_custody", {}},
        {"scx_custody_custody_duration_seconds", {}},
        {"scx_custody_lost_events_total", {"cpu"}},
        {"scx_custody_program_attached", {"program"}},
        {"scx_custody_indeterminate_total", {}},
        {"scx_custody_build_info", {"version"}},
    };
    for (const auto& [name, labels] : contract) {
        SCOPED_TRACE(std::string(name));
        const auto catalog = metric_catalog();
        const auto it = std::find_if(catalog.begin(), catalog.end(),
                                     [&](const MetricInfo& info) { return info.name == name; });
        ASSERT_NE(it, catalog.end());
        const auto have = it->labels();
        EXPECT_EQ(std::vector<std::string_view>(have.begin(), have.end()), labels);
    }
}

TEST(MetricCatalog, DurationBucketsSpanMicrosecondsToSeconds) {
    const auto buckets = custody_duration_buckets();
    ASSERT_FALSE(buckets.empty());
    EXPECT_DOUBLE_EQ(buckets.front(), 1e-6);
    EXPECT_DOUBLE_EQ(buckets.back(), 10.0);
    EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

TEST(MetricCatalog, TableHasOneLinePerMetric) {
    std::ostringstream table;
    write_metric_table(table);
    const std::string text = table.str();
    EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
              metric_catalog().size());
    EXPECT_NE(text.find("scx_custody_dequeue_total\tcounter\tcpu,reason\t"), std::string::npos);

    std::ostringstream help;
    write_metric_help(help);
    EXPECT_NE(help.str().find("scx_custody_violations_total (counter; labels: cpu, kind)"),
              std::string::npos);
}

// ---- CustodyCollector -------------------------------------------------------------

constexpr uint32_t kCpus = 3;

class CollectorTest : public ::testing::Test {
  protected:
    MetricSet metrics_;
    CustodyCollector collector_{metrics_, kCpus};
    pairing::PairingEngine engine_{make_config(), &collector_};
    uint64_t ts_ = 1'000;

    static pairing::EngineConfig make_config() {
        pairing::EngineConfig config;
        config.kernel_has_core_sched = true;
        return config;
    }

    Scrape scrape() { return Scrape(metrics_); }

    void feed(EventKind kind, TaskKey task, uint32_t cpu, uint64_t dsq_id = pairing::kNoDsq,
              uint64_t flags = 0, uint64_t advance_ns = 1'000) {
        Event event;
        event.kind = kind;
        event.ts_ns = ts_ += advance_ns;
        event.cpu = cpu;
        event.task = task;
        event.dsq_id = dsq_id;
        event.flags = flags;
        if (kind == EventKind::SchedulerAttach || kind == EventKind::SchedulerDetach)
            event.sched_name = "custody_ref";
        engine_.process(event);
    }
    void lost(uint32_t cpu, uint64_t count) {
        Event event;
        event.kind = EventKind::Lost;
        event.ts_ns = ts_ += 10;
        event.cpu = cpu;
        event.count = count;
        engine_.process(event);
    }
    void attach() { feed(EventKind::SchedulerAttach, TaskKey{}, 0); }
};

TEST_F(CollectorTest, EveryLabelSetStartsAtZero) {
    const Scrape s = scrape();
    EXPECT_EQ(s.series("scx_custody_custody_enter_total"), kCpus);
    EXPECT_EQ(s.series("scx_custody_dequeue_total"), kCpus * pairing::kDequeueReasonCount);
    EXPECT_EQ(s.series("scx_custody_violations_total"), kCpus * pairing::kViolationKindCount);
    EXPECT_EQ(s.series("scx_custody_lost_events_total"), kCpus);
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {
        const std::string c = std::to_string(cpu);
        EXPECT_EQ(s.value("scx_custody_custody_enter_total", {{"cpu", c}}), 0.0);
        EXPECT_EQ(s.value("scx_custody_lost_events_total", {{"cpu", c}}), 0.0);
        for (auto reason : pairing::kAllDequeueReasons)
            EXPECT_EQ(s.value("scx_custody_dequeue_total",
                              {{"cpu", c}, {"reason", std::string(to_string(reason))}}),
                      0.0);
        for (auto kind : pairing::kAllViolationKinds)
            EXPECT_EQ(s.value("scx_custody_violations_total",
                              {{"cpu", c}, {"kind", std::string(to_string(kind))}}),
                      0.0);
    }
    for (const char* name :
         {"scx_custody_tasks_in_custody", "scx_custody_indeterminate_total",
          "scx_custody_custody_abandoned_at_unload_total", "scx_custody_tasks_evicted_total"})
        EXPECT_EQ(s.value(name), 0.0) << name;

    const auto* histogram = s.metric("scx_custody_custody_duration_seconds", {});
    ASSERT_NE(histogram, nullptr);
    EXPECT_EQ(histogram->histogram.sample_count, 0u);
    // The catalog's bounds plus +Inf.
    EXPECT_EQ(histogram->histogram.bucket.size(), custody_duration_buckets().size() + 1);
}

TEST_F(CollectorTest, FamiliesCarryTheCatalogHelp) {
    // A family with no series is not exported: the oldest custody's age appears
    // with the first scheduler that holds a task.
    collector_.publish_oldest_custody(pairing::OldestCustody{"custody_ref", 1}, 2);
    // The per-scheduler families, with the first section published.
    attach();
    collector_.publish_sections(engine_.sections());
    const Scrape s = scrape();
    for (const MetricInfo& info : metric_catalog()) {
        if (info.name == kEventsTotal.name)
            break; // the rest are SelfMetrics'
        const auto* family = s.family(info.name);
        ASSERT_NE(family, nullptr) << info.name;
        EXPECT_EQ(family->help, info.help);
    }
}

TEST_F(CollectorTest, CustodyCycleMovesTheRightCounters) {
    const TaskKey task{100, 1};
    attach();
    feed(EventKind::Enqueue, task, 1, pairing::kNoDsq, pairing::kEnqWakeup);
    EXPECT_EQ(scrape().value("scx_custody_tasks_in_custody"), 1.0);
    feed(EventKind::Dequeue, task, 1, pairing::kNoDsq, 0, 2'000'000); // 2 ms in custody
    feed(EventKind::DsqInsert, task, 1, pairing::kDsqLocal);
    feed(EventKind::Running, task, 1);

    const Scrape s = scrape();
    EXPECT_EQ(s.value("scx_custody_custody_enter_total", {{"cpu", "1"}}), 1.0);
    EXPECT_EQ(s.value("scx_custody_custody_enter_total", {{"cpu", "0"}}), 0.0);
    EXPECT_EQ(s.value("scx_custody_dequeue_total", {{"cpu", "1"}, {"reason", "dispatch"}}), 1.0);
    EXPECT_EQ(s.sum("scx_custody_dequeue_total"), 1.0);
    EXPECT_EQ(s.sum("scx_custody_violations_total"), 0.0);
    EXPECT_EQ(s.value("scx_custody_tasks_in_custody"), 0.0);

    const auto* histogram = s.metric("scx_custody_custody_duration_seconds", {});
    ASSERT_NE(histogram, nullptr);
    EXPECT_EQ(histogram->histogram.sample_count, 1u);
    EXPECT_NEAR(histogram->histogram.sample_sum, 0.002, 1e-9);
    for (const auto& bucket : histogram->histogram.bucket)
        EXPECT_EQ(bucket.cumulative_count, bucket.upper_bound >= 0.0025 ? 1u : 0u)
            << bucket.upper_bound;
}

TEST_F(CollectorTest, OldestCustodyAgeIsPublishedPerScheduler) {
    constexpr const char* kAge = "scx_custody_oldest_custody_age_seconds";
    EXPECT_EQ(scrape().series(kAge), 0u) << "no scheduler seen yet";
    attach();
    const TaskKey held{100, 1}, other{200, 2};
    feed(EventKind::Enqueue, held, 1, 0x5c0003);
    const uint64_t held_since = ts_;
    feed(EventKind::Enqueue, other, 0, 0x5c0001, 0, 500'000'000);
    collector_.publish_oldest_custody(engine_.oldest_custody(), held_since + 6'000'000'000);
    EXPECT_DOUBLE_EQ(*scrape().value(kAge, {{"scheduler", "custody_ref"}}), 6.0);

    feed(EventKind::Dequeue, held, 1);
    collector_.publish_oldest_custody(engine_.oldest_custody(), held_since + 6'000'000'000);
    EXPECT_NEAR(*scrape().value(kAge, {{"scheduler", "custody_ref"}}), 5.5, 1e-5)
        << "the other task is the oldest now";

    feed(EventKind::Dequeue, other, 0);
    collector_.publish_oldest_custody(engine_.oldest_custody(), held_since + 7'000'000'000);
    EXPECT_EQ(scrape().value(kAge, {{"scheduler", "custody_ref"}}), 0.0) << "nothing held";
    EXPECT_EQ(scrape().series(kAge), 1u);
}

// Per-scheduler series: one per place in the tree and name, summed over its
// sections, growing by what each publication adds; audited while one is open.
TEST_F(CollectorTest, SchedulerSeriesFollowTheSectionsOfATree) {
    const auto event = [this](EventKind kind, TaskKey task, uint32_t owner, uint64_t flags = 0) {
        Event e;
        e.kind = kind;
        e.ts_ns = ts_ += 1'000;
        e.task = task;
        e.owner = owner;
        e.flags = flags;
        e.instance_id = owner == 28 ? 41 : 20;
        e.sched_name = "qmap";
        e.tree_path = owner == 28 ? "root/sub/sub-28" : "root";
        engine_.process(e);
    };
    constexpr const char* kEnter = "scx_custody_scheduler_custody_enter_total";
    constexpr const char* kHandedIn = "scx_custody_scheduler_tasks_handed_in_total";
    constexpr const char* kAudited = "scx_custody_scheduler_audited";
    const Labels root{{"scheduler", "root"}, {"name", "qmap"}};
    const Labels sub{{"scheduler", "root/sub/sub-28"}, {"name", "qmap"}};
    const TaskKey a{1, 1}, b{2, 2};
    event(EventKind::SchedulerAttach, {}, 1);
    event(EventKind::SchedulerAttach, {}, 28);
    event(EventKind::Enqueue, a, 1);
    event(EventKind::Dequeue, a, 1, pairing::kDeqSchedChange);
    event(EventKind::Enqueue, a, 28); // handed to the child
    event(EventKind::Enqueue, b, 28);
    event(EventKind::Dequeue, b, 28);
    collector_.publish_sections(engine_.sections());
    Scrape s = scrape();
    EXPECT_EQ(s.value(kEnter, root), 1.0);
    EXPECT_EQ(s.value(kEnter, sub), 2.0);
    EXPECT_EQ(s.value("scx_custody_scheduler_dequeue_total", sub), 1.0);
    EXPECT_EQ(s.value(kHandedIn, sub), 1.0);
    EXPECT_EQ(s.value(kHandedIn, root), 0.0);
    EXPECT_EQ(s.value(kAudited, sub), 1.0);

    // The child stops (a still in its custody), then attaches again: its
    // series continue, not restart.
    event(EventKind::SchedulerDetach, {}, 28);
    collector_.publish_sections(engine_.sections());
    EXPECT_EQ(scrape().value(kAudited, sub), 0.0);
    EXPECT_EQ(scrape().value(kAudited, root), 1.0);
    event(EventKind::SchedulerAttach, {}, 28);
    event(EventKind::Enqueue, b, 28);
    event(EventKind::Dequeue, a, 28); // a was dropped at the detach: outside custody
    collector_.publish_sections(engine_.sections());
    s = scrape();
    EXPECT_EQ(s.value(kEnter, sub), 3.0);
    // a was still in the child's custody at its detach (missed_dequeue), and
    // its dequeue after the re-attach is outside custody.
    EXPECT_EQ(s.value("scx_custody_scheduler_violations_total", sub), 2.0);
    EXPECT_EQ(s.value(kAudited, sub), 1.0);
    EXPECT_EQ(s.series(kEnter), 2u);
}

TEST_F(CollectorTest, DequeueReasonsFollowTheFlags) {
    attach();
    const TaskKey a{1, 1}, b{2, 2};
    feed(EventKind::Enqueue, a, 0, 0x100);
    feed(EventKind::Dequeue, a, 0, pairing::kNoDsq,
         pairing::kDeqSchedChange | pairing::kCoreDequeueSave | pairing::kCoreDequeueMove);
    feed(EventKind::Enqueue, b, 2);
    feed(EventKind::Dequeue, b, 2, pairing::kNoDsq, pairing::kDeqCoreSchedExec);

    const Scrape s = scrape();
    EXPECT_EQ(s.value("scx_custody_dequeue_total", {{"cpu", "0"}, {"reason", "sched_change"}}),
              1.0);
    EXPECT_EQ(s.value("scx_custody_dequeue_total", {{"cpu", "2"}, {"reason", "core_sched"}}), 1.0);
    EXPECT_EQ(s.sum("scx_custody_dequeue_total"), 2.0);
    EXPECT_EQ(s.sum("scx_custody_violations_total"), 0.0);
}

TEST_F(CollectorTest, FindingsCountByCpuAndKind) {
    attach();
    const TaskKey dup{1, 1}, late{2, 2}, stray{3, 3};
    feed(EventKind::Enqueue, dup, 0);
    feed(EventKind::Dequeue, dup, 0);
    feed(EventKind::Dequeue, dup, 0); // duplicate
    feed(EventKind::Enqueue, late, 1);
    feed(EventKind::DsqInsert, late, 1, pairing::dsq_local_on(2));
    feed(EventKind::Dequeue, late, 2);  // late, proven on CPU 2
    feed(EventKind::Dequeue, stray, 1); // never in custody

    const Scrape s = scrape();
    EXPECT_EQ(
        s.value("scx_custody_violations_total", {{"cpu", "0"}, {"kind", "duplicate_dequeue"}}),
        1.0);
    EXPECT_EQ(s.value("scx_custody_violations_total", {{"cpu", "2"}, {"kind", "late_dequeue"}}),
              1.0);
    EXPECT_EQ(s.value("scx_custody_violations_total",
                      {{"cpu", "1"}, {"kind", "dequeue_outside_custody"}}),
              1.0);
    EXPECT_EQ(s.sum("scx_custody_violations_total"), 3.0);
    EXPECT_EQ(s.sum("scx_custody_violations_total"),
              static_cast<double>(engine_.totals().violations_total()));
}

TEST_F(CollectorTest, LostEventsMakeTasksIndeterminate) {
    attach();
    feed(EventKind::Enqueue, TaskKey{1, 1}, 0);
    feed(EventKind::Enqueue, TaskKey{2, 2}, 1);
    lost(2, 5);

    const Scrape s = scrape();
    EXPECT_EQ(s.value("scx_custody_lost_events_total", {{"cpu", "2"}}), 5.0);
    EXPECT_EQ(s.sum("scx_custody_lost_events_total"), 5.0);
    EXPECT_EQ(s.value("scx_custody_indeterminate_total"), 2.0);
    EXPECT_EQ(s.value("scx_custody_tasks_in_custody"), 0.0);
}

TEST_F(CollectorTest, UnloadAbandonsCustodyWithoutAViolation) {
    attach();
    feed(EventKind::Enqueue, TaskKey{1, 1}, 0, 0x100);
    feed(EventKind::Enqueue, TaskKey{2, 2}, 1);
    feed(EventKind::SchedulerDetach, TaskKey{}, 0);

    const Scrape s = scrape();
    EXPECT_EQ(s.value("scx_custody_custody_abandoned_at_unload_total"), 2.0);
    EXPECT_EQ(s.sum("scx_custody_violations_total"), 0.0);
    EXPECT_EQ(s.value("scx_custody_tasks_in_custody"), 0.0);
}

TEST_F(CollectorTest, EvictionsAreCounted) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 1);
    pairing::EngineConfig config;
    config.max_tracked_tasks = 1;
    pairing::PairingEngine engine(config, &collector);
    uint64_t ts = 10;
    for (uint32_t pid = 1; pid <= 3; ++pid) {
        Event event;
        event.kind = pid == 1 ? EventKind::SchedulerAttach : EventKind::Enqueue;
        event.ts_ns = ts += 10;
        event.task = TaskKey{pid, pid};
        engine.process(event);
        event.kind = EventKind::Enqueue;
        event.ts_ns = ts += 10;
        engine.process(event);
    }
    EXPECT_EQ(Scrape(metrics).value("scx_custody_tasks_evicted_total"),
              static_cast<double>(engine.totals().evicted));
    EXPECT_GT(engine.totals().evicted, 0u);
}

TEST(CollectorCpus, CpusBeyondNrCpusGetTheirOwnSeries) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 2);
    collector.on_custody_enter(7, pairing::EnterPath::EnqueueHeld);
    collector.on_lost_events(9, 4);

    const Scrape s(metrics);
    EXPECT_EQ(s.value("scx_custody_custody_enter_total", {{"cpu", "7"}}), 1.0);
    EXPECT_EQ(s.value("scx_custody_lost_events_total", {{"cpu", "9"}}), 4.0);
    EXPECT_EQ(s.series("scx_custody_custody_enter_total"), 3u);
}

TEST(CollectorCpus, SeriesForStrayCpusAreBounded) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 1);
    const uint32_t strays = static_cast<uint32_t>(kMaxExtraCpus) + 10;
    for (uint32_t i = 0; i < strays; ++i)
        collector.on_custody_enter(1'000 + i, pairing::EnterPath::EnqueueHeld);

    const Scrape s(metrics);
    EXPECT_EQ(s.series("scx_custody_custody_enter_total"), 1 + kMaxExtraCpus + 1);
    EXPECT_EQ(s.value("scx_custody_custody_enter_total", {{"cpu", "other"}}), 10.0);
    EXPECT_EQ(s.sum("scx_custody_custody_enter_total"), static_cast<double>(strays));
}

// Skipped program runs are lost events of no CPU: their own series, not a
// numbered one for CPU 4294967295.
TEST(CollectorCpus, LossOfNoCpuHasItsOwnSeries) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 2);
    collector.on_lost_events(pairing::kNoCpu, 3);
    collector.on_lost_events(1, 2);

    const Scrape s(metrics);
    EXPECT_EQ(s.value("scx_custody_lost_events_total", {{"cpu", "none"}}), 3.0);
    EXPECT_EQ(s.value("scx_custody_lost_events_total", {{"cpu", "1"}}), 2.0);
    EXPECT_EQ(s.series("scx_custody_lost_events_total"), 3u);
}

// ---- SelfMetrics -------------------------------------------------------------------

TEST(SelfMetrics, StartsAtZeroWithBuildInfo) {
    MetricSet metrics;
    SelfMetrics self(metrics, 4, "1.2.3");

    const Scrape s(metrics);
    EXPECT_EQ(s.value("scx_custody_build_info", {{"version", "1.2.3"}}), 1.0);
    EXPECT_EQ(s.series("scx_custody_events_total"), 4u);
    EXPECT_EQ(s.sum("scx_custody_events_total"), 0.0);
    EXPECT_EQ(s.value("scx_custody_decode_errors_total"), 0.0);
    EXPECT_EQ(s.value("scx_custody_malformed_events_total"), 0.0);
    EXPECT_EQ(s.value("scx_custody_ringbuf_fill_ratio"), 0.0);
    EXPECT_EQ(s.value("scx_custody_tracer_drops_total", {{"cause", "ringbuf_full"}}), 0.0);
    EXPECT_EQ(s.value("scx_custody_tracer_drops_total", {{"cause", "pending_overwritten"}}), 0.0);
    EXPECT_EQ(s.series("scx_custody_program_attached"), 0u);
}

TEST(SelfMetrics, ProgramAttachedFollowsThePlan) {
    MetricSet metrics;
    SelfMetrics self(metrics, 1, "x");
    const std::vector<ProgramState> plan = {{"ops_dequeue", true}, {"dsq_insert", false}};
    self.set_programs(plan);
    {
        const Scrape s(metrics);
        EXPECT_EQ(s.value("scx_custody_program_attached", {{"program", "ops_dequeue"}}), 1.0);
        EXPECT_EQ(s.value("scx_custody_program_attached", {{"program", "dsq_insert"}}), 0.0);
    }
    // A later plan without ops_dequeue: its row stays, at 0.
    const std::vector<ProgramState> later = {{"dsq_insert", true}};
    self.set_programs(later);
    self.set_program_attached("sched_switch", true);
    const Scrape s(metrics);
    EXPECT_EQ(s.value("scx_custody_program_attached", {{"program", "ops_dequeue"}}), 0.0);
    EXPECT_EQ(s.value("scx_custody_program_attached", {{"program", "dsq_insert"}}), 1.0);
    EXPECT_EQ(s.value("scx_custody_program_attached", {{"program", "sched_switch"}}), 1.0);
}

TEST(SelfMetrics, CountersAndGauges) {
    MetricSet metrics;
    SelfMetrics self(metrics, 2, "x");
    self.add_events(1, 10);
    self.add_events(0);
    self.add_decode_errors(2);
    self.add_malformed_events(3);
    self.add_malformed_events(2);
    self.add_ringbuf_full(4);
    self.add_pending_overwritten(1);
    self.set_ringbuf_fill_ratio(1.7);

    const Scrape s(metrics);
    EXPECT_EQ(s.value("scx_custody_events_total", {{"cpu", "1"}}), 10.0);
    EXPECT_EQ(s.value("scx_custody_events_total", {{"cpu", "0"}}), 1.0);
    EXPECT_EQ(s.value("scx_custody_decode_errors_total"), 2.0);
    EXPECT_EQ(s.value("scx_custody_malformed_events_total"), 5.0);
    EXPECT_EQ(s.value("scx_custody_tracer_drops_total", {{"cause", "ringbuf_full"}}), 4.0);
    EXPECT_EQ(s.value("scx_custody_tracer_drops_total", {{"cause", "pending_overwritten"}}), 1.0);
    EXPECT_EQ(s.value("scx_custody_ringbuf_fill_ratio"), 1.0);
}

TEST(SelfMetrics, SharesARegistryWithTheCollector) {
    MetricSet metrics;
    CustodyCollector collector(metrics, 2);
    SelfMetrics self(metrics, 2, "x");
    BpfProgramMetrics bpf(metrics.shared_registry());
    ProcessCpuMetric cpu(metrics.shared_registry());
    // A family with no series is not exported: program_attached appears with the plan,
    // the BPF program series with the first programs read (run --bpf-stats).
    const std::vector<ProgramState> plan = {{"ops_dequeue", true}};
    self.set_programs(plan);
    const std::vector<BpfProgramSample> programs = {
        {1, "custody_on_ops_dequeue", ProgramOwner::Tracer, 1, 100}};
    bpf.update(programs);
    collector.publish_oldest_custody(pairing::OldestCustody{"custody_ref", 1}, 2);
    collector.publish_sections({pairing::SchedulerSection{}});
    const Scrape s(metrics);
    for (const MetricInfo& info : metric_catalog()) {
        const auto* family = s.family(info.name);
        ASSERT_NE(family, nullptr) << info.name;
        EXPECT_EQ(family->help, info.help);
    }
}

} // namespace
} // namespace scx_custody::prom
