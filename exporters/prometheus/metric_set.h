// MetricSet: everything /metrics serves, in one place. A prometheus-cpp Registry
// holds the families with few series (gauges, the histogram, program states);
// CounterTables hold the per-CPU counter families, which are most of a large
// machine's series and are written straight into the text format
// (counter_table.h).
//
// Threading: make the tables before the server starts; render_text() and
// Collect() may then run on any thread while the owners update their metrics.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "counter_table.h"
#include "metric_catalog.h"

namespace scx_custody::prom {

class MetricSet final : public prometheus::Collectable {
  public:
    MetricSet();

    MetricSet(const MetricSet&) = delete;
    MetricSet& operator=(const MetricSet&) = delete;

    prometheus::Registry& registry() { return *registry_; }
    // For owners that keep the registry alive beside their metrics.
    const std::shared_ptr<prometheus::Registry>& shared_registry() { return registry_; }

    // A new per-CPU counter family (CounterTable's constructor); the reference
    // stays valid for the set's life.
    CounterTable& add_table(const MetricInfo& info, uint32_t nr_cpus,
                            std::span<const std::string_view> values = {});

    // The registry's families, then the tables' in the order they were added.
    std::vector<prometheus::MetricFamily> Collect() const override;
    // The /metrics body: to_text_format(Collect()), byte for byte, at a fraction
    // of its cost.
    std::string render_text() const;

  private:
    std::shared_ptr<prometheus::Registry> registry_;
    std::deque<CounterTable> tables_;
};

} // namespace scx_custody::prom
