// What the benchmarks measure, shared by engine_bench (Google Benchmark, time)
// and bench_icount (callgrind, instructions): a prepared synthetic stream and one
// "subject" per stage. A subject's reset() starts it afresh (a new engine or
// session warmed up to the stream's live tasks, outside any measurement) and
// handle(i) processes record i of the stream:
//   CopySubject          memcpy of the record's 64 bytes: the floor decode is held to
//   DecodeSubject        consumer::decode_event_into() into one reused Event
//   DecodeResultSubject  consumer::decode_event(), the Result-returning form
//   EngineSubject        PairingEngine::process() on the pre-decoded event
//   SessionSubject       AuditSession::on_event_bytes(): decode + engine + statistics,
//                        with a RecordingWriter to a temporary file when `recording`
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_session.h"
#include "pairing/event.h"
#include "pairing/pairing_engine.h"
#include "record/recording_writer.h"
#include "synthetic_stream.h"
#include "util/result.h"

namespace scx_custody::bench {

// The stream of a shape, raw and decoded.
struct PreparedStream {
    Stream stream;
    std::vector<pairing::Event> events;
};

// At least 2^17 records, and 5 per live task so that a pass spreads over the
// whole table. Null when the stream does not decode (a generator bug).
std::unique_ptr<PreparedStream> prepare_stream(StreamShape shape);

// An engine (or session) holding shape.tasks live tasks, all out of custody.
void warm_up(pairing::PairingEngine& engine, StreamShape shape);
void warm_up(audit::AuditSession& session, StreamShape shape);

struct CopySubject {
    const Stream* stream = nullptr;
    // Destination of the copies, as many records as a benchmark batch.
    std::vector<std::array<std::byte, kRecordSize>> out =
        std::vector<std::array<std::byte, kRecordSize>>(1024);

    Status reset() { return ok_status(); }
    void handle(std::size_t i);
};

struct DecodeSubject {
    const Stream* stream = nullptr;
    pairing::Event event;
    uint64_t errors = 0;

    Status reset() { return ok_status(); }
    void handle(std::size_t i);
};

struct DecodeResultSubject {
    const Stream* stream = nullptr;
    uint64_t errors = 0;

    Status reset() { return ok_status(); }
    void handle(std::size_t i);
};

struct EngineSubject {
    StreamShape shape;
    const std::vector<pairing::Event>* events = nullptr;
    std::unique_ptr<pairing::PairingEngine> engine;

    Status reset();
    void handle(std::size_t i) { engine->process((*events)[i]); }
};

struct SessionSubject {
    StreamShape shape;
    const Stream* stream = nullptr;
    bool recording = false;
    // In $TMPDIR (else /tmp), one per process.
    std::string path;
    std::optional<audit::AuditSession> session;
    // Owned by the session, which keeps it while recording succeeds.
    record::RecordingWriter* writer = nullptr;
    uint64_t warm_up_bytes = 0;
    // Recording bytes written in the measured loops.
    uint64_t recorded_bytes = 0;

    SessionSubject(StreamShape shape, const Stream* stream, bool recording);
    SessionSubject(const SessionSubject&) = delete;
    SessionSubject& operator=(const SessionSubject&) = delete;
    ~SessionSubject();

    Status reset();
    void handle(std::size_t i) { session->on_event_bytes(stream->record(i)); }
    // Ends the session, and its recording when there is one.
    Status close();
};

} // namespace scx_custody::bench
