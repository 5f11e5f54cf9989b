// libFuzzer target: a recording, as `scx-custody replay` reads it, through the
// reader, the event decoder, the pairing engine, the report and every renderer.
// The input format is in fuzz_input.h; the seeds are tests/fuzz/corpus/.
//
// Any crash, sanitizer report, leak, uncaught exception or broken invariant is a
// finding. tests/fuzz/run-fuzz runs it (ctest fuzz.recording in a sanitizer build).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_report.h"
#include "audit/report_sink.h"
#include "consumer/event_decode.h"
#include "fuzz_input.h"

namespace {

using namespace scx_custody;

void check(bool condition) {
    if (!condition)
        std::abort();
}

// The report the replay builds, or null when the recording is refused (with a
// usage error that names the byte offset).
nlohmann::json replay(std::span<const std::byte> recording) {
    Result<nlohmann::json> report = fuzz::replay(recording);
    if (!report) {
        check(report.error().exit_code == ExitCode::Usage);
        check(report.error().message.find("byte offset") != std::string::npos);
        return nullptr;
    }
    return std::move(*report);
}

void check_report(const nlohmann::json& report) {
    Result<audit::Verdict> verdict = audit::report_verdict(report);
    check(verdict.ok());
    check(report.at("violations").size() == pairing::kViolationKindCount);
    uint64_t violations = 0;
    for (const auto& [kind, count] : report.at("violations").items())
        violations += count.get<uint64_t>();
    check((violations > 0) == (verdict.value() == audit::Verdict::Violations));
    check(report.at("schema") == audit::kReportSchema);

    for (std::string_view format : audit::kReportFormats) {
        std::ostringstream out;
        Result<std::unique_ptr<audit::ReportSink>> sink = audit::make_report_sink(format, out);
        check(sink.ok());
        (*sink)->write(report);
        check(!out.str().empty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data) + 1, size - 1);

    // The decoder on its own, at every record-sized window of the input.
    for (std::size_t at = 0; at + consumer::kCustodyEventSize <= body.size() && at < 4096;
         at += consumer::kCustodyEventSize)
        (void)consumer::decode_event(body.subspan(at, consumer::kCustodyEventSize));

    const std::vector<std::byte> recording = fuzz::recording_of(std::byte{data[0]}, body);
    const nlohmann::json report = replay(recording);
    if (report.is_null())
        return 0;
    check_report(report);
    // The same input, the same report.
    check(replay(recording) == report);
    return 0;
}
