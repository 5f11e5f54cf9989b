#include "text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace scx_custody::prom {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// TextSerializer writes doubles as an ostream in the classic locale with 16
// significant digits (printf's %.16g), "Nan" and "+Inf"/"-Inf".
void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "Nan";
        return;
    }
    if (std::isinf(value)) {
        out += value < 0 ? "-Inf" : "+Inf";
        return;
    }
    // Whole numbers (every counter) below 10^15 read the same in %.16g as in
    // integer form, which is much cheaper to write.
    if (std::abs(value) < 1e15 && value == std::trunc(value) &&
        !(value == 0 && std::signbit(value))) {
        char buffer[24];
        const auto [end, error] =
            std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(value));
        out.append(buffer, error == std::errc() ? end : buffer);
        return;
    }
    char buffer[64];
    const auto [end, error] =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general,
                      std::numeric_limits<double>::max_digits10 - 1);
    out.append(buffer, error == std::errc() ? end : buffer);
}

void append_value(std::string& out, uint64_t value) {
    char buffer[24];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, error == std::errc() ? end : buffer);
}

void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
        case '\n':
            out += "\\n";
            break;
        case '\\':
        case '"':
            out += '\\';
            out += c;
            break;
        default:
            out += c;
        }
    }
}

struct ExtraLabel {
    std::string_view name;
    double value = 0;
    bool infinite_text = false; // "+Inf" written as such
};

// name{labels} with a space after: the head of one sample line.
void append_head(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                 std::string_view suffix = {}, const ExtraLabel* extra = nullptr) {
    out += family.name;
    out += suffix;
    if (!metric.label.empty() || extra) {
        out += '{';
        const char* separator = "";
        for (const ClientMetric::Label& label : metric.label) {
            out += separator;
            out += label.name;
            out += "=\"";
            append_label_value(out, label.value);
            out += '"';
            separator = ",";
        }
        if (extra) {
            out += separator;
            out += extra->name;
            out += "=\"";
            if (extra->infinite_text)
                out += "+Inf";
            else
                append_value(out, extra->value);
            out += '"';
        }
        out += '}';
    }
    out += ' ';
}

void append_tail(std::string& out, const ClientMetric& metric) {
    if (metric.timestamp_ms != 0) {
        out += ' ';
        char buffer[24];
        const auto [end, error] =
            std::to_chars(buffer, buffer + sizeof buffer, metric.timestamp_ms);
        out.append(buffer, error == std::errc() ? end : buffer);
    }
    out += '\n';
}

template <class Value>
void append_sample(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                   Value value, std::string_view suffix = {}, const ExtraLabel* extra = nullptr) {
    append_head(out, family, metric, suffix, extra);
    append_value(out, value);
    append_tail(out, metric);
}

void append_summary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
    const ClientMetric::Summary& summary = metric.summary;
    append_sample(out, family, metric, summary.sample_count, "_count");
    append_sample(out, family, metric, summary.sample_sum, "_sum");
    for (const ClientMetric::Quantile& quantile : summary.quantile) {
        const ExtraLabel label{"quantile", quantile.quantile};
        append_sample(out, family, metric, quantile.value, {}, &label);
    }
}

void append_histogram(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
    const ClientMetric::Histogram& histogram = metric.histogram;
    append_sample(out, family, metric, histogram.sample_count, "_count");
    append_sample(out, family, metric, histogram.sample_sum, "_sum");
    double last = -std::numeric_limits<double>::infinity();
    for (const ClientMetric::Bucket& bucket : histogram.bucket) {
        const ExtraLabel label{"le", bucket.upper_bound};
        append_sample(out, family, metric, bucket.cumulative_count, "_bucket", &label);
        last = bucket.upper_bound;
    }
    if (last != std::numeric_limits<double>::infinity()) {
        const ExtraLabel label{"le", 0, true};
        append_sample(out, family, metric, histogram.sample_count, "_bucket", &label);
    }
}

std::string_view type_name(MetricType type) {
    switch (type) {
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Summary:
        return "summary";
    case MetricType::Histogram:
        return "histogram";
    case MetricType::Untyped:
        break;
    }
    return "untyped";
}

void append_family(std::string& out, const MetricFamily& family) {
    if (!family.help.empty()) {
        out += "# HELP ";
        out += family.name;
        out += ' ';
        out += family.help;
        out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    for (const ClientMetric& metric : family.metric) {
        switch (family.type) {
        case MetricType::Counter:
            append_sample(out, family, metric, metric.counter.value);
            break;
        case MetricType::Gauge:
            append_sample(out, family, metric, metric.gauge.value);
            break;
        case MetricType::Summary:
            append_summary(out, family, metric);
            break;
        case MetricType::Histogram:
            append_histogram(out, family, metric);
            break;
        case MetricType::Untyped:
            append_sample(out, family, metric, metric.untyped.value);
            break;
        }
    }
}

} // namespace

std::string to_text_format(const std::vector<MetricFamily>& families) {
    std::string out;
    // About 60 bytes per sample line: one allocation for most scrapes.
    std::size_t samples = 0;
    for (const MetricFamily& family : families)
        samples += family.metric.size();
    out.reserve(64 * samples + 256 * families.size());
    for (const MetricFamily& family : families)
        append_family(out, family);
    return out;
}

} // namespace scx_custody::prom
