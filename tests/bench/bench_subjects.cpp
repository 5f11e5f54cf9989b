#include "bench_subjects.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <span>
#include <unistd.h>
#include <utility>

#include "audit/audit_meta.h"
#include "consumer/event_decode.h"
#include "record/recording_format.h"

namespace scx_custody::bench {
namespace {

static_assert(kRecordSize == consumer::kCustodyEventSize);

constexpr std::size_t kMinStreamRecords = std::size_t{1} << 17;
constexpr std::size_t kRecordsPerTask = 5;
constexpr const char* kSchedName = "bench_sched";

pairing::Event attach_event() {
    pairing::Event event;
    event.kind = pairing::EventKind::SchedulerAttach;
    event.ts_ns = 999'000;
    event.sched_name = kSchedName;
    event.implements_dequeue = true;
    return event;
}

record::ControlRecord attach_record() {
    record::ControlRecord control;
    control.ts_ns = 999'000;
    control.action = record::ControlAction::Attach;
    control.name = kSchedName;
    return control;
}

audit::StartMetadata start_metadata() {
    audit::StartMetadata start;
    start.producer = "scx-custody bench";
    start.kernel = "7.1.0";
    start.command_line = {"engine_bench"};
    start.start_ts_ns = 1'000'000;
    return start;
}

std::string recording_path() {
    std::error_code error;
    std::filesystem::path directory = std::filesystem::temp_directory_path(error);
    if (error)
        directory = "/tmp";
    return (directory / ("scx-custody-bench-" + std::to_string(::getpid()) + ".rec")).string();
}

} // namespace

std::unique_ptr<PreparedStream> prepare_stream(StreamShape shape) {
    auto prepared = std::make_unique<PreparedStream>();
    prepared->stream =
        make_stream(shape, std::max(kMinStreamRecords, std::size_t{shape.tasks} * kRecordsPerTask));
    prepared->events.reserve(prepared->stream.records());
    for (std::size_t i = 0; i < prepared->stream.records(); ++i) {
        Result<pairing::Event> event = consumer::decode_event(prepared->stream.record(i));
        if (!event)
            return nullptr;
        prepared->events.push_back(std::move(*event));
    }
    return prepared;
}

void warm_up(pairing::PairingEngine& engine, StreamShape shape) {
    engine.process(attach_event());
    for_each_warmup_record(shape, [&](std::span<const std::byte> raw) {
        Result<pairing::Event> event = consumer::decode_event(raw);
        if (event)
            engine.process(*event);
    });
}

void warm_up(audit::AuditSession& session, StreamShape shape) {
    session.on_control(attach_record());
    for_each_warmup_record(shape,
                           [&](std::span<const std::byte> raw) { session.on_event_bytes(raw); });
}

void CopySubject::handle(std::size_t i) {
    std::memcpy(out[i % out.size()].data(), stream->record(i).data(), kRecordSize);
}

void DecodeSubject::handle(std::size_t i) {
    errors += consumer::decode_event_into(stream->record(i), event) == consumer::DecodeFault::None
                  ? 0
                  : 1;
}

void DecodeResultSubject::handle(std::size_t i) {
    Result<pairing::Event> event = consumer::decode_event(stream->record(i));
    errors += event ? 0 : 1;
}

Status EngineSubject::reset() {
    engine.reset();
    engine = std::make_unique<pairing::PairingEngine>();
    warm_up(*engine, shape);
    return ok_status();
}

SessionSubject::SessionSubject(StreamShape shape_, const Stream* stream_, bool recording_)
    : shape(shape_), stream(stream_), recording(recording_), path(recording_path()) {}

SessionSubject::~SessionSubject() {
    (void)close();
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

Status SessionSubject::reset() {
    if (Status closed = close(); !closed)
        return closed;
    std::unique_ptr<record::RecordingWriter> owned;
    if (recording) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        Result<record::RecordingWriter> created = record::RecordingWriter::create(path);
        if (!created)
            return created.error();
        owned = std::make_unique<record::RecordingWriter>(std::move(*created));
        writer = owned.get();
    }
    Result<audit::AuditSession> created =
        audit::AuditSession::create(start_metadata(), std::move(owned));
    if (!created)
        return created.error();
    session.emplace(std::move(*created));
    warm_up(*session, shape);
    if (Status status = session->recording_status(); !status)
        return status;
    warm_up_bytes = writer ? writer->bytes_written() : 0;
    return ok_status();
}

Status SessionSubject::close() {
    if (!session)
        return ok_status();
    Status status = session->recording_status();
    if (status && writer) {
        recorded_bytes += writer->bytes_written() - warm_up_bytes;
        status = writer->close();
    }
    session.reset();
    writer = nullptr;
    return status;
}

} // namespace scx_custody::bench
