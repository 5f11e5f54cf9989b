// The audit report as one self-contained HTML page (`--format html`).
//
// Read from the report document only (like every sink), so a live audit and a
// replay of its recording give the same bytes. No network, no external file: the
// charts are inline SVG drawn here (svg_chart.h); a few lines of inline script
// only check, after load, that every chart was laid out with its marks and then
// set <html data-rendered="ok" data-marks="N"> (a test hook; the page reads the
// same without script).
//
// Order: the verdict and its reasons (and what made the view incomplete), key
// figures, violations with their sample tasks, custody enters and dequeues per CPU
// per second (details.timeline, findings marked on the time axis), the custody
// duration histogram (details.custody_duration_histogram), one card per scheduler
// section, the reference scheduler's counters next to the audit's
// (details.calibration), the attach plan with how each hook was proven, and the
// run. Every string from the report (comms, scheduler names, notes, hook targets)
// is HTML-escaped.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "audit/report_sink.h"

namespace scx_custody::audit {

class HtmlReportSink final : public ReportSink {
  public:
    explicit HtmlReportSink(std::ostream& out) : out_(out) {}
    void write(const nlohmann::json& report) override;

  private:
    std::ostream& out_;
};

} // namespace scx_custody::audit
