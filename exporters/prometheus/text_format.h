// The Prometheus text exposition format (0.0.4) of collected metric families,
// byte for byte what prometheus-cpp's TextSerializer writes, at a fraction of its
// cost: one std::string grown in place, numbers by std::to_chars instead of an
// ostream and printf per value. A scrape of a 1,024-CPU machine has over 12,000
// series; tests/prometheus/text_format_test.cpp holds the output to TextSerializer's.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace scx_custody::prom {

std::string to_text_format(const std::vector<prometheus::MetricFamily>& families);

} // namespace scx_custody::prom
