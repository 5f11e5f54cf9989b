// Small inline-SVG charts for the HTML report: no script, no external resource.
//
// Every chart is one <svg class="chart" data-chart="ID" data-points="N"> whose
// drawn data elements carry class "mark" (N of them) and a <title> tooltip.
// Labels are HTML-escaped here; callers pass plain text.
#pragma once

#include <string>
#include <vector>

namespace scx_custody::audit {

struct ChartSeries {
    std::string name;
    std::string color;
    std::vector<double> values;
};

// A vertical marker on the x axis (a finding at a time).
struct ChartMarker {
    double x = 0;
    std::string tooltip;
};

struct LineChart {
    std::string id;
    std::string label;
    // Values at x = index * x_step.
    double x_step = 1;
    std::string x_unit = "s";
    std::string y_unit;
    std::vector<ChartSeries> series;
    std::vector<ChartMarker> markers;
};

struct ChartBar {
    std::string label;
    double value = 0;
    std::string tooltip;
};

struct BarChart {
    std::string id;
    std::string label;
    std::string color = "#3b6fd4";
    std::vector<ChartBar> bars;
};

// One line per series over a shared time axis, with markers below the plot.
std::string line_chart_svg(const LineChart& chart);
// Vertical columns, labelled below (every label that fits).
std::string column_chart_svg(const BarChart& chart);
// Horizontal bars, labels on the left and values on the right.
std::string row_chart_svg(const BarChart& chart);

// The n-th of a fixed palette of distinguishable colours.
std::string series_color(std::size_t n);

} // namespace scx_custody::audit
