// What the benchmarks measure, shared by engine_bench (Google Benchmark, time)
// and bench_icount (callgrind, instructions): a prepared stream of raw records
// and one "subject" per stage. A subject's reset() starts it afresh (a new engine or
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
#include <span>
#include <string>
#include <vector>

#include "audit/audit_session.h"
#include "pairing/event.h"
#include "pairing/pairing_engine.h"
#include "record/recording_writer.h"
#include "util/result.h"

namespace scx_custody::bench {

// sizeof(struct custody_event).
inline constexpr std::size_t kRecordSize = 64;

struct StreamShape {
    // Live tasks: the ScenarioStream's pool, all seen in the warm-up.
    uint32_t tasks = 1000;
    // CPUs the events come from; about one scenario per CPU is in flight.
    uint32_t cpus = 64;

    friend bool operator==(const StreamShape&, const StreamShape&) = default;
};

// A shape's stream as raw records, exactly as the ring buffer delivers them: a
// test_support::ScenarioStream without violations (the shape's tasks and CPUs,
// a seed of its own), its events encoded by test_support::encode_event(). It
// follows the warm-up (warm_up() below, the same events each time) and every
// scenario that starts in it ends in it: replayed from the start after a fresh
// warm-up, it raises no finding.
struct Stream {
    StreamShape shape;
    // kRecordSize bytes per record.
    std::vector<std::byte> bytes;

    std::size_t records() const { return bytes.size() / kRecordSize; }
    std::span<const std::byte> record(std::size_t index) const {
        return std::span<const std::byte>(bytes).subspan(index * kRecordSize, kRecordSize);
    }
    std::span<const std::byte> operator[](std::size_t index) const { return record(index); }
};

// The engine configuration of every engine and session here: the benchmarked
// machine has core scheduling (the stream's core-sched picks are valid).
pairing::EngineConfig engine_config();

// The stream of a shape, raw and decoded.
struct PreparedStream {
    Stream stream;
    std::vector<pairing::Event> events;
};

// At least 2^17 records, and 5 per live task so that a pass spreads over the
// whole table. Null when the stream does not decode (a generator bug).
std::unique_ptr<PreparedStream> prepare_stream(StreamShape shape);

// An engine (or session) holding shape.tasks live tasks, all out of custody: the
// scheduler's attach, then ScenarioStream::warm_up() of a fresh generator of the
// shape (one plain custody cycle per task, random order, five events each).
// Generated on the fly: nothing of the generator outlives the call.
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
    // As the live audit feeds a poll's records: with the prefetch hints ahead.
    void handle(std::size_t i) {
        session->prefetch_ahead(*stream, i, stream->records());
        session->on_event_bytes(stream->record(i));
    }
    // Ends the session, and its recording when there is one.
    Status close();
};

} // namespace scx_custody::bench
