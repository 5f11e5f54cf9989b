#include "custody_collector.h"

#include <utility>
#include <vector>

#include "family_builder.h"
#include "metric_catalog.h"
#include "pairing/finding.h"

namespace scx_custody::prom {
namespace {

using detail::add_family;
using detail::names_by_index;

prometheus::Histogram::BucketBoundaries duration_boundaries() {
    const auto buckets = custody_duration_buckets();
    return {buckets.begin(), buckets.end()};
}

} // namespace

CustodyCollector::CustodyCollector(MetricSet& metrics, uint32_t nr_cpus)
    : nr_cpus_(nr_cpus), custody_enter_(metrics.add_table(kCustodyEnterTotal, nr_cpus)),
      dequeue_(
          metrics.add_table(kDequeueTotal, nr_cpus, names_by_index(pairing::kAllDequeueReasons))),
      violations_(metrics.add_table(kViolationsTotal, nr_cpus,
                                    names_by_index(pairing::kAllViolationKinds))),
      lost_events_(metrics.add_table(kLostEventsTotal, nr_cpus)),
      tasks_in_custody_(add_family<prometheus::Gauge>(metrics.registry(), kTasksInCustody).Add({})),
      custody_duration_(
          add_family<prometheus::Histogram>(metrics.registry(), kCustodyDurationSeconds)
              .Add({}, duration_boundaries())),
      indeterminate_(
          add_family<prometheus::Counter>(metrics.registry(), kIndeterminateTotal).Add({})),
      abandoned_at_unload_(
          add_family<prometheus::Counter>(metrics.registry(), kCustodyAbandonedAtUnloadTotal)
              .Add({})),
      evicted_(add_family<prometheus::Counter>(metrics.registry(), kTasksEvictedTotal).Add({})),
      oldest_custody_age_(
          add_family<prometheus::Gauge>(metrics.registry(), kOldestCustodyAgeSeconds)),
      scheduler_enter_(
          add_family<prometheus::Counter>(metrics.registry(), kSchedulerCustodyEnterTotal)),
      scheduler_dequeue_(
          add_family<prometheus::Counter>(metrics.registry(), kSchedulerDequeueTotal)),
      scheduler_violations_(
          add_family<prometheus::Counter>(metrics.registry(), kSchedulerViolationsTotal)),
      scheduler_handed_in_(
          add_family<prometheus::Counter>(metrics.registry(), kSchedulerTasksHandedInTotal)),
      scheduler_audited_(add_family<prometheus::Gauge>(metrics.registry(), kSchedulerAudited)) {}

void CustodyCollector::on_custody_enter(uint32_t cpu, pairing::EnterPath /*path*/) {
    custody_enter_.add(cpu);
}

void CustodyCollector::on_dequeue(uint32_t cpu, pairing::DequeueReason reason) {
    dequeue_.add(cpu, pairing::to_index(reason));
}

void CustodyCollector::on_custody_duration(uint32_t /*cpu*/, uint64_t duration_ns) {
    custody_duration_.Observe(static_cast<double>(duration_ns) * 1e-9);
}

void CustodyCollector::on_finding(const pairing::Finding& finding) {
    violations_.add(finding.cpu, pairing::to_index(finding.kind));
}

void CustodyCollector::on_indeterminate(uint32_t /*cpu*/, uint64_t tasks) {
    indeterminate_.Increment(static_cast<double>(tasks));
}

void CustodyCollector::on_custody_abandoned_at_unload(uint32_t /*cpu*/, uint64_t tasks) {
    abandoned_at_unload_.Increment(static_cast<double>(tasks));
}

void CustodyCollector::on_lost_events(uint32_t cpu, uint64_t count) {
    if (cpu == pairing::kNoCpu)
        lost_events_.add_no_cpu(0, count);
    else
        lost_events_.add(cpu, 0, count);
}

void CustodyCollector::on_evicted(uint32_t /*cpu*/) {
    evicted_.Increment();
}

void CustodyCollector::on_tasks_in_custody(uint64_t tasks) {
    tasks_in_custody_.Set(static_cast<double>(tasks));
}

void CustodyCollector::publish_oldest_custody(const std::optional<pairing::OldestCustody>& oldest,
                                              uint64_t now_ns) {
    std::string_view holder;
    double age_s = 0;
    if (oldest) {
        // A section whose attach was not seen may have no name yet.
        holder = oldest->scheduler.empty() ? std::string_view("unknown") : oldest->scheduler;
        if (now_ns > oldest->enter_ts_ns)
            age_s = static_cast<double>(now_ns - oldest->enter_ts_ns) * 1e-9;
        if (oldest_by_scheduler_.find(holder) == oldest_by_scheduler_.end()) {
            oldest_by_scheduler_.emplace(
                std::string(holder),
                &oldest_custody_age_.Add({{"scheduler", std::string(holder)}}));
        }
    }
    for (auto& [scheduler, gauge] : oldest_by_scheduler_)
        gauge->Set(oldest && scheduler == holder ? age_s : 0);
}

CustodyCollector::SchedulerSeries& CustodyCollector::scheduler_series(const std::string& path,
                                                                      const std::string& name) {
    auto key = std::pair{path, name};
    if (auto it = schedulers_.find(key); it != schedulers_.end())
        return it->second;
    const prometheus::Labels labels{{"scheduler", path}, {"name", name}};
    SchedulerSeries series{&scheduler_enter_.Add(labels), &scheduler_dequeue_.Add(labels),
                           &scheduler_violations_.Add(labels), &scheduler_handed_in_.Add(labels),
                           &scheduler_audited_.Add(labels)};
    return schedulers_.emplace(std::move(key), series).first->second;
}

void CustodyCollector::publish_sections(const std::vector<pairing::SchedulerSection>& sections) {
    // Sums per (place, name) over every section, then the growth since the
    // last publication: counters only grow.
    struct Sum {
        SchedulerTotals totals;
        bool open = false;
    };
    std::map<std::pair<std::string, std::string>, Sum> sums;
    for (const auto& section : sections) {
        // A section opened without an attach has no path: its owner key says
        // whether it is the root's.
        const std::string path = !section.tree_path.empty() ? section.tree_path
                                 : section.owner == pairing::kRootOwner
                                     ? std::string("root")
                                     : "sub-" + std::to_string(section.owner);
        Sum& sum = sums[{path, section.name.empty() ? "unknown" : section.name}];
        const pairing::Counters& c = section.counts;
        sum.totals.custody_enter += c.custody_enter;
        for (uint64_t n : c.dequeue_by_reason)
            sum.totals.dequeue += n;
        for (uint64_t n : c.violations)
            sum.totals.violations += n;
        sum.totals.handed_in += section.tasks_handed_in;
        sum.open = sum.open || section.open;
    }
    const auto grow = [](prometheus::Counter* counter, uint64_t now, uint64_t& published) {
        if (now > published)
            counter->Increment(static_cast<double>(now - published));
        published = now;
    };
    for (const auto& [key, sum] : sums) {
        SchedulerSeries& series = scheduler_series(key.first, key.second);
        const SchedulerTotals& now = sum.totals;
        SchedulerTotals& published = series.published;
        grow(series.custody_enter, now.custody_enter, published.custody_enter);
        grow(series.dequeue, now.dequeue, published.dequeue);
        grow(series.violations, now.violations, published.violations);
        grow(series.handed_in, now.handed_in, published.handed_in);
        series.audited->Set(sum.open ? 1 : 0);
    }
    // A section whose name was learnt later moved to another key: its old
    // series stays (counters do not go back) but is no longer audited.
    for (auto& [key, series] : schedulers_)
        if (!sums.contains(key))
            series.audited->Set(0);
}

} // namespace scx_custody::prom
