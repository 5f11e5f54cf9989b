// Renderers of an audit report (audit_report.h) on a std::ostream.
//
// Each sink reads only the report document, so a live audit and a replay of its
// recording print the same bytes. Unexpected shapes (a hand-written report, odd
// attach-plan entries) render as best they can; nothing throws.
//
//   text   for a person: the verdict on the first line, then counts, violations,
//          schedulers, findings (pid/comm/cpu), attach plan, reference calibration.
//   json   the report itself, pretty-printed (keys sorted).
//   junit  one <testsuite name="scx-custody">; one testcase per violation kind per
//          scheduler section (classname "scx-custody.<scheduler>", a repeated name
//          gets "#2", "#3", ...; a run with no section gets one set under
//          "scx-custody.all"), each with a <failure> giving the count and the first
//          samples when its count is not 0; plus a testcase "audit.completeness"
//          that carries an <error> when the audit's view is incomplete (events lost,
//          coverage, evictions). So "violations" shows as failures and
//          "inconclusive" as an error: both fail a CI job, and they stay apart.
//   html   one self-contained page with charts (html_report.h).
#pragma once

#include <array>
#include <memory>
#include <ostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace scx_custody::audit {

class ReportSink {
  public:
    virtual ~ReportSink() = default;
    virtual void write(const nlohmann::json& report) = 0;
};

class TextReportSink final : public ReportSink {
  public:
    explicit TextReportSink(std::ostream& out) : out_(out) {}
    void write(const nlohmann::json& report) override;

  private:
    std::ostream& out_;
};

class JsonReportSink final : public ReportSink {
  public:
    explicit JsonReportSink(std::ostream& out) : out_(out) {}
    void write(const nlohmann::json& report) override;

  private:
    std::ostream& out_;
};

class JunitReportSink final : public ReportSink {
  public:
    explicit JunitReportSink(std::ostream& out) : out_(out) {}
    void write(const nlohmann::json& report) override;

  private:
    std::ostream& out_;
};

inline constexpr std::array<std::string_view, 4> kReportFormats = {"text", "json", "junit", "html"};

// A sink for --format; an unknown format is a usage error.
Result<std::unique_ptr<ReportSink>> make_report_sink(std::string_view format, std::ostream& out);

} // namespace scx_custody::audit
