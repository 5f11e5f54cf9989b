// Registers a metric family from its catalog entry, so names and help text have
// one source. Internal to the exporter.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "metric_catalog.h"

namespace scx_custody::prom::detail {

template <class Metric>
prometheus::Family<Metric>& add_family(prometheus::Registry& registry, const MetricInfo& info) {
    if constexpr (std::is_same_v<Metric, prometheus::Counter>) {
        return prometheus::BuildCounter()
            .Name(std::string(info.name))
            .Help(std::string(info.help))
            .Register(registry);
    } else if constexpr (std::is_same_v<Metric, prometheus::Gauge>) {
        return prometheus::BuildGauge()
            .Name(std::string(info.name))
            .Help(std::string(info.help))
            .Register(registry);
    } else {
        static_assert(std::is_same_v<Metric, prometheus::Histogram>);
        return prometheus::BuildHistogram()
            .Name(std::string(info.name))
            .Help(std::string(info.help))
            .Register(registry);
    }
}

// The stable names of an enum's values, indexed by to_index(value).
template <class Enum, std::size_t N>
std::array<std::string_view, N> names_by_index(const std::array<Enum, N>& all) {
    std::array<std::string_view, N> names{};
    for (Enum value : all)
        names[to_index(value)] = to_string(value);
    return names;
}

} // namespace scx_custody::prom::detail
