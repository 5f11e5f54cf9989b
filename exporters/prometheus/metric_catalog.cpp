#include "metric_catalog.h"

namespace scx_custody::prom {
namespace {

constexpr std::array kCatalog = {
    kCustodyEnterTotal,
    kDequeueTotal,
    kViolationsTotal,
    kTasksInCustody,
    kCustodyDurationSeconds,
    kIndeterminateTotal,
    kCustodyAbandonedAtUnloadTotal,
    kLostEventsTotal,
    kTasksEvictedTotal,
    kOldestCustodyAgeSeconds,
    kSchedulerCustodyEnterTotal,
    kSchedulerDequeueTotal,
    kSchedulerViolationsTotal,
    kSchedulerTasksHandedInTotal,
    kSchedulerAudited,
    kEventsTotal,
    kDecodeErrorsTotal,
    kMalformedEventsTotal,
    kProgramAttached,
    kRingbufFillRatio,
    kTracerDropsTotal,
    kBpfProgramRunsTotal,
    kBpfProgramRunSecondsTotal,
    kProcessCpuSecondsTotal,
    kBuildInfo,
};

constexpr std::array kDurationBuckets = {
    1e-6, 2.5e-6, 5e-6,  1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
    5e-3, 0.01,   0.025, 0.05, 0.1,    0.25, 0.5,  1.0,    2.5,  5.0,  10.0,
};

constexpr bool names_unique() {
    for (std::size_t i = 0; i < kCatalog.size(); ++i) {
        for (std::size_t j = i + 1; j < kCatalog.size(); ++j) {
            if (kCatalog[i].name == kCatalog[j].name)
                return false;
        }
    }
    return true;
}
static_assert(names_unique(), "two catalog entries share a metric name");

constexpr bool buckets_increasing() {
    for (std::size_t i = 1; i < kDurationBuckets.size(); ++i) {
        if (!(kDurationBuckets[i - 1] < kDurationBuckets[i]))
            return false;
    }
    return true;
}
static_assert(buckets_increasing());

void write_labels(std::ostream& out, const MetricInfo& info, std::string_view separator) {
    bool first = true;
    for (std::string_view label : info.labels()) {
        if (!first)
            out << separator;
        out << label;
        first = false;
    }
}

} // namespace

std::string_view to_string(MetricType type) {
    switch (type) {
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Histogram:
        return "histogram";
    }
    return "untyped";
}

std::span<const MetricInfo> metric_catalog() {
    return kCatalog;
}

std::span<const double> custody_duration_buckets() {
    return kDurationBuckets;
}

void write_metric_help(std::ostream& out) {
    for (const MetricInfo& info : metric_catalog()) {
        out << info.name << " (" << to_string(info.type);
        if (!info.labels().empty()) {
            out << "; labels: ";
            write_labels(out, info, ", ");
        }
        out << ")\n    " << info.help << '\n';
    }
}

void write_metric_table(std::ostream& out) {
    for (const MetricInfo& info : metric_catalog()) {
        out << info.name << '\t' << to_string(info.type) << '\t';
        write_labels(out, info, ",");
        out << '\t' << info.help << '\n';
    }
}

} // namespace scx_custody::prom
