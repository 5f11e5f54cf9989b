#include "bench_subjects.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <unistd.h>
#include <utility>

#include "audit/audit_meta.h"
#include "consumer/event_decode.h"
#include "event_record.h"
#include "record/recording_format.h"
#include "scenario_stream.h"

namespace scx_custody::bench {
namespace {

static_assert(kRecordSize == consumer::kCustodyEventSize);
static_assert(kRecordSize == sizeof(custody_event));

constexpr std::size_t kMinStreamRecords = std::size_t{1} << 17;
constexpr std::size_t kRecordsPerTask = 5;
constexpr const char* kSchedName = "bench_sched";
// The warm-up starts here (after the attach and the session's start); the stream
// follows it.
constexpr uint64_t kWarmUpStartNs = 1'000'000'000;
// Each tick starts one scenario per CPU at random times in its window. A scenario
// lasts about 50 ms on average (most a few milliseconds, 3 % held 0.2-3 s), so
// about one per CPU is in flight at a time.
constexpr uint64_t kTickNs = 50'000'000;

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
    start.engine = engine_config();
    return start;
}

test_support::ScenarioOptions scenario_options(StreamShape shape) {
    test_support::ScenarioOptions options;
    options.cpus = std::max<uint32_t>(shape.cpus, 1);
    options.tasks = std::max<uint32_t>(shape.tasks, 2);
    options.violation_every = 0;
    options.seed = 0x5c0de5eed0000000ull ^ (uint64_t{shape.tasks} << 16) ^ shape.cpus;
    options.kernel_has_core_sched = engine_config().kernel_has_core_sched;
    return options;
}

// The generator is never asked for an attach, a detach or a loss: every event
// it produces has a record.
void append(std::vector<std::byte>& bytes, const pairing::Event& event) {
    if (const std::optional<custody_event> record = test_support::encode_event(event)) {
        const std::span<const std::byte> raw = std::as_bytes(std::span(&*record, 1));
        bytes.insert(bytes.end(), raw.begin(), raw.end());
    }
}

// At least min_records records after the warm-up; the scenarios in flight then end.
Stream make_stream(StreamShape shape, std::size_t min_records) {
    Stream stream;
    stream.shape = shape;
    stream.bytes.reserve((min_records + 64 * std::size_t{shape.cpus}) * kRecordSize);
    bool warming_up = true;
    test_support::ScenarioStream generator(
        [&](const pairing::Event& event) {
            if (!warming_up)
                append(stream.bytes, event);
        },
        scenario_options(shape));
    uint64_t ts_ns = generator.warm_up(kWarmUpStartNs);
    warming_up = false;
    const unsigned per_tick = std::max<uint32_t>(shape.cpus, 1);
    while (stream.records() < min_records) {
        generator.tick(ts_ns, kTickNs, per_tick);
        ts_ns += kTickNs;
    }
    generator.drain_all();
    return stream;
}

std::string recording_path() {
    std::error_code error;
    std::filesystem::path directory = std::filesystem::temp_directory_path(error);
    if (error)
        directory = "/tmp";
    return (directory / ("scx-custody-bench-" + std::to_string(::getpid()) + ".rec")).string();
}

} // namespace

pairing::EngineConfig engine_config() {
    pairing::EngineConfig config;
    config.kernel_has_core_sched = true;
    return config;
}

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
    test_support::ScenarioStream generator(
        [&](const pairing::Event& event) { engine.process(event); }, scenario_options(shape));
    generator.warm_up(kWarmUpStartNs);
}

void warm_up(audit::AuditSession& session, StreamShape shape) {
    session.on_control(attach_record());
    test_support::ScenarioStream generator(
        [&](const pairing::Event& event) {
            if (const std::optional<custody_event> record = test_support::encode_event(event))
                session.on_event_bytes(std::as_bytes(std::span(&*record, 1)));
        },
        scenario_options(shape));
    generator.warm_up(kWarmUpStartNs);
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
    engine = std::make_unique<pairing::PairingEngine>(engine_config());
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
