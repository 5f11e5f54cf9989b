// The /metrics metric set of a large machine, for the scrape benchmarks:
// CustodyCollector and SelfMetrics for `cpus` CPUs with every label set present
// (every per-CPU series of every family, the cpu="none" lost-events series, one
// program_attached series per tracer program) and non-zero values everywhere, so
// the serializer formats real numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/metric_set.h"
#include "exporters/prometheus/self_metrics.h"

namespace scx_custody::bench {

class ScrapeFixture {
  public:
    explicit ScrapeFixture(uint32_t cpus);

    // One scrape: exactly the body MetricsServer sends for GET /metrics
    // (MetricSet::render_text()).
    std::string scrape() const;
    // Series (samples lines) in one scrape.
    std::size_t series() const;

    std::shared_ptr<const prom::MetricSet> metrics() const { return metrics_; }

  private:
    std::shared_ptr<prom::MetricSet> metrics_;
    std::unique_ptr<prom::CustodyCollector> collector_;
    std::unique_ptr<prom::SelfMetrics> self_;
};

} // namespace scx_custody::bench
