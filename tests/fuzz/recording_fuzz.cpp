// libFuzzer target: a recording, as `scx-custody replay` reads it, through the
// reader, the event decoder, the pairing engine, the report and every renderer.
//
// Input: one mode byte, then
//   even mode: the bytes of a recording file, as is (header and framing errors);
//   odd mode:  chunks [u8 kind][u16 length, little-endian][payload], framed here
//              with a valid header and CRCs, so mutations reach the payloads,
//              the metadata and the engine instead of dying at a CRC check.
// Any crash, sanitizer report, leak, uncaught exception or broken invariant is a
// finding. tests/fuzz/run-fuzz builds and runs it; make_corpus.cpp makes the seeds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_report.h"
#include "audit/replay.h"
#include "audit/report_sink.h"
#include "consumer/event_decode.h"
#include "custody_abi.h"
#include "record/crc32.h"
#include "record/recording_format.h"
#include "record/recording_reader.h"

namespace {

using namespace scx_custody;

std::vector<std::byte> frame_chunks(std::span<const std::byte> input) {
    std::vector<std::byte> out =
        record::encode_header({record::kFormatVersion, CUSTODY_ABI_VERSION,
                               static_cast<uint32_t>(consumer::kCustodyEventSize)});
    while (input.size() >= 3) {
        const auto kind = static_cast<uint32_t>(input[0]) % 6;
        std::size_t length = static_cast<std::size_t>(input[1]) | static_cast<std::size_t>(input[2])
                                                                      << 8;
        input = input.subspan(3);
        length = std::min(length, input.size());
        const std::span<const std::byte> payload = input.first(length);
        input = input.subspan(length);

        std::vector<std::byte> frame;
        record::put_u32(frame, kind);
        record::put_u32(frame, static_cast<uint32_t>(payload.size()));
        const uint32_t crc = record::crc32(payload, record::crc32(frame));
        out.insert(out.end(), frame.begin(), frame.end());
        out.insert(out.end(), payload.begin(), payload.end());
        record::put_u32(out, crc);
    }
    return out;
}

void check(bool condition) {
    if (!condition)
        std::abort();
}

// The report the replay builds, or null when the recording is refused.
nlohmann::json replay(std::span<const std::byte> recording) {
    Result<record::RecordingReader> reader = record::RecordingReader::from_memory(recording);
    if (!reader) {
        check(reader.error().exit_code == ExitCode::Usage);
        return nullptr;
    }
    Result<nlohmann::json> report = audit::replay_report(*reader);
    if (!report) {
        check(report.error().exit_code == ExitCode::Usage);
        check(report.error().message.find("byte offset") != std::string::npos);
        return nullptr;
    }
    return std::move(*report);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data) + 1, size - 1);

    // The decoder on its own, at every record-sized window of the input.
    for (std::size_t at = 0; at + consumer::kCustodyEventSize <= input.size() && at < 4096;
         at += consumer::kCustodyEventSize)
        (void)consumer::decode_event(input.subspan(at, consumer::kCustodyEventSize));

    std::vector<std::byte> framed;
    if (data[0] & 1) {
        framed = frame_chunks(input);
        input = framed;
    }

    const nlohmann::json report = replay(input);
    if (report.is_null())
        return 0;

    // The report's own invariants.
    Result<audit::Verdict> verdict = audit::report_verdict(report);
    check(verdict.ok());
    check(report.at("violations").size() == pairing::kViolationKindCount);
    uint64_t violations = 0;
    for (const auto& [kind, count] : report.at("violations").items())
        violations += count.get<uint64_t>();
    check((violations > 0) == (verdict.value() == audit::Verdict::Violations));
    check(report.at("schema") == audit::kReportSchema);

    // The same input, the same report.
    check(replay(input) == report);

    for (std::string_view format : audit::kReportFormats) {
        std::ostringstream out;
        Result<std::unique_ptr<audit::ReportSink>> sink = audit::make_report_sink(format, out);
        check(sink.ok());
        (*sink)->write(report);
        check(!out.str().empty());
    }
    return 0;
}
