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
          add_family<prometheus::Gauge>(metrics.registry(), kOldestCustodyAgeSeconds)) {}

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

} // namespace scx_custody::prom
