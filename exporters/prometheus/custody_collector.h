// CustodyCollector: the pairing engine's live figures as Prometheus metrics.
//
// An EngineObserver: hand it to PairingEngine and it keeps the audit metrics of
// metric_catalog.h up to date (custody enters, dequeues by reason, violations by
// kind, tasks in custody, custody durations, indeterminate tasks, lost events...).
// Every per-CPU series exists from construction with value 0. No pid or comm label.
//
// Threading: the engine calls the observer on its one consumer thread; scrapes read
// the metrics concurrently, which prometheus-cpp and CounterTable allow.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "counter_table.h"
#include "metric_set.h"
#include "pairing/kinds.h"
#include "pairing/observer.h"
#include "pairing/pairing_engine.h"

namespace scx_custody::prom {

class CustodyCollector final : public pairing::EngineObserver {
  public:
    // nr_cpus: the number of possible CPUs; series for 0..nr_cpus-1 start at 0.
    // The metrics are added to `metrics`, which must outlive the collector.
    CustodyCollector(MetricSet& metrics, uint32_t nr_cpus);

    CustodyCollector(const CustodyCollector&) = delete;
    CustodyCollector& operator=(const CustodyCollector&) = delete;

    void on_custody_enter(uint32_t cpu, pairing::EnterPath path) override;
    void on_dequeue(uint32_t cpu, pairing::DequeueReason reason) override;
    void on_custody_duration(uint32_t cpu, uint64_t duration_ns) override;
    void on_finding(const pairing::Finding& finding) override;
    void on_indeterminate(uint32_t cpu, uint64_t tasks) override;
    void on_custody_abandoned_at_unload(uint32_t cpu, uint64_t tasks) override;
    void on_lost_events(uint32_t cpu, uint64_t count) override;
    void on_evicted(uint32_t cpu) override;
    void on_tasks_in_custody(uint64_t tasks) override;

    // Publishes the engine's oldest custody (PairingEngine::oldest_custody())
    // as its age at now_ns, a time of the events' clock; every other
    // scheduler's series reads 0. Call it from the engine's thread.
    void publish_oldest_custody(const std::optional<pairing::OldestCustody>& oldest,
                                uint64_t now_ns);

    // Publishes the per-scheduler series from the engine's sections (every
    // one so far: a place and name that comes back continues its series).
    // Call it from the engine's thread.
    void publish_sections(const std::vector<pairing::SchedulerSection>& sections);

    uint32_t nr_cpus() const { return nr_cpus_; }

    // One scheduler's figures, summed over its sections.
    struct SchedulerTotals {
        uint64_t custody_enter = 0;
        uint64_t dequeue = 0;
        uint64_t violations = 0;
        uint64_t handed_in = 0;
    };

  private:
    // One scheduler's series (by tree path and name) and what they were set to.
    struct SchedulerSeries {
        prometheus::Counter* custody_enter;
        prometheus::Counter* dequeue;
        prometheus::Counter* violations;
        prometheus::Counter* handed_in;
        prometheus::Gauge* audited;
        SchedulerTotals published{};
    };
    SchedulerSeries& scheduler_series(const std::string& path, const std::string& name);

    uint32_t nr_cpus_;

    CounterTable& custody_enter_;
    CounterTable& dequeue_;
    CounterTable& violations_;
    CounterTable& lost_events_;
    prometheus::Gauge& tasks_in_custody_;
    prometheus::Histogram& custody_duration_;
    prometheus::Counter& indeterminate_;
    prometheus::Counter& abandoned_at_unload_;
    prometheus::Counter& evicted_;
    prometheus::Family<prometheus::Gauge>& oldest_custody_age_;
    // One series per scheduler name seen, kept at 0 when it holds nothing.
    std::map<std::string, prometheus::Gauge*, std::less<>> oldest_by_scheduler_;
    prometheus::Family<prometheus::Counter>& scheduler_enter_;
    prometheus::Family<prometheus::Counter>& scheduler_dequeue_;
    prometheus::Family<prometheus::Counter>& scheduler_violations_;
    prometheus::Family<prometheus::Counter>& scheduler_handed_in_;
    prometheus::Family<prometheus::Gauge>& scheduler_audited_;
    std::map<std::pair<std::string, std::string>, SchedulerSeries> schedulers_;
};

} // namespace scx_custody::prom
