#include "audit/svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "audit/html_util.h"

namespace scx_custody::audit {
namespace {

// Plot geometry in viewBox units; the SVG scales to its container's width.
struct Frame {
    double width;
    double height;
    double left;
    double right;
    double top;
    double bottom;
    double plot_width() const { return width - left - right; }
    double plot_height() const { return height - top - bottom; }
};

std::string num(double value) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", value);
    return text;
}

// 1, 2 or 5 times a power of ten, so that range / step is about `ticks`.
double nice_step(double range, int ticks) {
    if (range <= 0)
        return 1;
    const double raw = range / ticks;
    const double magnitude = std::pow(10, std::floor(std::log10(raw)));
    for (double factor : {1.0, 2.0, 5.0}) {
        if (raw <= factor * magnitude)
            return factor * magnitude;
    }
    return 10 * magnitude;
}

// Short axis labels: 950, 12k, 1.5M.
std::string axis_label(double value) {
    if (value >= 1e6)
        return short_number(value / 1e6, 1) + "M";
    if (value >= 1e4)
        return short_number(value / 1e3, 0) + "k";
    return short_number(value, 1);
}

void open_svg(std::ostream& out, const std::string& id, const std::string& label, const Frame& f,
              std::size_t points) {
    out << "<svg class=\"chart\" data-chart=\"" << html_escape(id) << "\" data-points=\"" << points
        << "\" viewBox=\"0 0 " << num(f.width) << " " << num(f.height)
        << "\" role=\"img\" aria-label=\"" << html_escape(label) << "\">";
}

// Horizontal grid lines with their labels, 0 to top.
void y_grid(std::ostream& out, const Frame& f, double top, double step) {
    for (double v = 0; v <= top + step / 2; v += step) {
        const double y = f.top + f.plot_height() * (1 - v / top);
        out << "<line class=\"grid\" x1=\"" << num(f.left) << "\" x2=\"" << num(f.width - f.right)
            << "\" y1=\"" << num(y) << "\" y2=\"" << num(y) << "\"/>"
            << "<text class=\"tick\" x=\"" << num(f.left - 6) << "\" y=\"" << num(y + 4)
            << "\" text-anchor=\"end\">" << axis_label(v) << "</text>";
    }
}

// The y-axis top: the maximum rounded up to a whole step (1 for an empty chart).
std::pair<double, double> y_scale(double max_value) {
    const double step = nice_step(max_value > 0 ? max_value : 1, 4);
    return {std::max(step, std::ceil(max_value / step) * step), step};
}

void x_ticks(std::ostream& out, const Frame& f, double x_max, const std::string& unit) {
    const double step = nice_step(x_max, 8);
    for (double v = 0; v <= x_max * (1 + 1e-9); v += step) {
        const double x = f.left + f.plot_width() * (v / x_max);
        out << "<text class=\"tick\" x=\"" << num(x) << "\" y=\"" << num(f.height - 4)
            << "\" text-anchor=\"middle\">" << axis_label(v) << html_escape(unit) << "</text>";
    }
}

void series_path(std::ostream& out, const Frame& f, const ChartSeries& s, double x_max,
                 double x_step, double y_top) {
    std::ostringstream d;
    double total = 0;
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        const double x = f.left + f.plot_width() * (static_cast<double>(i) * x_step / x_max);
        const double y = f.top + f.plot_height() * (1 - s.values[i] / y_top);
        d << (i == 0 ? "M" : "L") << num(x) << "," << num(y);
        total += s.values[i];
    }
    if (s.values.size() == 1) // a single interval: a short flat line, still visible
        d << "h" << num(f.plot_width() * x_step / x_max);
    out << "<path class=\"mark series\" fill=\"none\" stroke=\"" << html_escape(s.color)
        << "\" d=\"" << d.str() << "\"><title>" << html_escape(s.name) << ": "
        << grouped(static_cast<uint64_t>(total)) << " in total</title></path>";
}

} // namespace

std::string series_color(std::size_t n) {
    constexpr std::array<const char*, 8> kPalette = {"#3b6fd4", "#e07b00", "#2a9d8f", "#9b5de5",
                                                     "#c9184a", "#6a994e", "#8d6e63", "#00838f"};
    return kPalette[n % kPalette.size()];
}

std::string line_chart_svg(const LineChart& chart) {
    const Frame f{760, 200, 52, 16, 12, 36};
    std::size_t n = 0;
    std::size_t points = 0;
    double max_value = 0;
    for (const ChartSeries& s : chart.series) {
        n = std::max(n, s.values.size());
        points += s.values.size();
        for (double v : s.values)
            max_value = std::max(max_value, v);
    }
    const double x_max = std::max(chart.x_step, static_cast<double>(n - (n > 0)) * chart.x_step);
    const auto [y_top, y_step] = y_scale(max_value);

    std::ostringstream out;
    open_svg(out, chart.id, chart.label, f, points + chart.markers.size());
    y_grid(out, f, y_top, y_step);
    x_ticks(out, f, x_max, chart.x_unit);
    for (const ChartSeries& s : chart.series)
        series_path(out, f, s, x_max, chart.x_step, y_top);
    const double base = f.top + f.plot_height();
    for (const ChartMarker& m : chart.markers) {
        const double x = f.left + f.plot_width() * std::clamp(m.x / x_max, 0.0, 1.0);
        out << "<path class=\"mark marker\" d=\"M" << num(x) << "," << num(base + 2)
            << "l-4,8h8z\">"
            << "<title>" << html_escape(m.tooltip) << "</title></path>";
    }
    out << "</svg>";
    return out.str();
}

std::string column_chart_svg(const BarChart& chart) {
    const Frame f{760, 190, 52, 16, 12, 40};
    double max_value = 0;
    for (const ChartBar& bar : chart.bars)
        max_value = std::max(max_value, bar.value);
    const auto [y_top, y_step] = y_scale(max_value);
    const std::size_t n = std::max<std::size_t>(chart.bars.size(), 1);
    const double slot = f.plot_width() / static_cast<double>(n);
    // Label every k-th column so that labels are at least ~64 units apart.
    const std::size_t every = static_cast<std::size_t>(std::ceil(64 / slot));

    std::ostringstream out;
    open_svg(out, chart.id, chart.label, f, chart.bars.size());
    y_grid(out, f, y_top, y_step);
    for (std::size_t i = 0; i < chart.bars.size(); ++i) {
        const ChartBar& bar = chart.bars[i];
        const double h = f.plot_height() * bar.value / y_top;
        const double x = f.left + slot * static_cast<double>(i);
        out << "<rect class=\"mark bar\" fill=\"" << html_escape(chart.color) << "\" x=\""
            << num(x + slot * 0.1) << "\" y=\"" << num(f.top + f.plot_height() - h) << "\" width=\""
            << num(slot * 0.8) << "\" height=\"" << num(h) << "\"><title>"
            << html_escape(bar.tooltip) << "</title></rect>";
        if (i % every == 0) {
            out << "<text class=\"tick\" x=\"" << num(x + slot / 2) << "\" y=\""
                << num(f.height - 22) << "\" text-anchor=\"middle\">" << html_escape(bar.label)
                << "</text>";
        }
    }
    out << "</svg>";
    return out.str();
}

std::string row_chart_svg(const BarChart& chart) {
    constexpr double kRow = 22;
    const Frame f{460, kRow * static_cast<double>(chart.bars.size()) + 4, 150, 70, 2, 2};
    double max_value = 0;
    for (const ChartBar& bar : chart.bars)
        max_value = std::max(max_value, bar.value);

    std::ostringstream out;
    open_svg(out, chart.id, chart.label, f, chart.bars.size());
    for (std::size_t i = 0; i < chart.bars.size(); ++i) {
        const ChartBar& bar = chart.bars[i];
        const double y = f.top + kRow * static_cast<double>(i);
        const double w = max_value > 0 ? f.plot_width() * bar.value / max_value : 0;
        out << "<text class=\"tick\" x=\"" << num(f.left - 8) << "\" y=\"" << num(y + 15)
            << "\" text-anchor=\"end\">" << html_escape(bar.label) << "</text>"
            << "<rect class=\"mark bar\" fill=\"" << html_escape(chart.color) << "\" x=\""
            << num(f.left) << "\" y=\"" << num(y + 4) << "\" width=\"" << num(std::max(w, 1.0))
            << "\" height=\"14\"><title>" << html_escape(bar.tooltip) << "</title></rect>"
            << "<text class=\"value\" x=\"" << num(f.left + std::max(w, 1.0) + 6) << "\" y=\""
            << num(y + 15) << "\">" << grouped(static_cast<uint64_t>(bar.value)) << "</text>";
    }
    out << "</svg>";
    return out.str();
}

} // namespace scx_custody::audit
