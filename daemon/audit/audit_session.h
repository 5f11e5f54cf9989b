// One audit, live or replayed: records in, report out.
//
// The live audit and `replay` both go through this class, so they build the same
// report from the same input:
//   1. create() with the run's StartMetadata (live) or the recording's start
//      document (replay). The document is serialised as the recording stores it
//      and read back, and the engine is configured from what was read.
//   2. on_control(), on_lost(), on_event_bytes() in the one global order the engine
//      needs (the ring buffer's order, losses before the records of their poll).
//      Each input is written to the
//      recording, when there is one, before it is processed: the recording holds
//      exactly what the engine saw, in the order it saw it.
//      A ring-buffer record that does not decode is recorded as it came, counted
//      (decode_errors) and fed to the engine as one lost event: the task histories
//      are incomplete from there on, and the replay meets the same bytes.
//   3. finish() with the EndMetadata: writes it, closes the recording, finishes
//      the engine and returns the report. The report is built from the end
//      document as recorded, never from the in-memory values.
// The session's own TimelineObserver sees every event next to the optional
// external observer; its series go into the report as details.timeline and
// details.custody_duration_histogram.
//
// Recording failures never stop the audit: the first one is kept in
// recording_status() and nothing more is written.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "audit/audit_meta.h"
#include "audit/audit_report.h"
#include "audit/task_prefetch.h"
#include "audit/timeline_observer.h"
#include "pairing/observer.h"
#include "pairing/observer_fanout.h"
#include "pairing/pairing_engine.h"
#include "record/recording_format.h"
#include "record/recording_writer.h"
#include "util/result.h"

namespace scx_custody::audit {

class AuditSession {
  public:
    // Live: records `start` (when `recording` is set) and configures the engine
    // from it. observer (may be null) must outlive the session.
    static Result<AuditSession> create(const StartMetadata& start,
                                       std::unique_ptr<record::RecordingWriter> recording = nullptr,
                                       pairing::EngineObserver* observer = nullptr);
    // Replay: from a recorded start document (errors: exit code Usage).
    static Result<AuditSession>
    from_start_document(const nlohmann::json& document,
                        std::unique_ptr<record::RecordingWriter> recording = nullptr,
                        pairing::EngineObserver* observer = nullptr);

    AuditSession(AuditSession&&) noexcept = default;
    AuditSession& operator=(AuditSession&&) noexcept = default;

    // One ring-buffer record, exactly as delivered.
    void on_event_bytes(std::span<const std::byte> raw);
    // Visits records[0..n) in order with `visit`, which feeds each one (to
    // on_event_bytes() or to anything that decides first): while it does, the
    // task table lines of the records a few places ahead are prefetched, so
    // that with many tasks their cache misses overlap instead of following
    // one another. Records of any kind may be in `records`; only the bytes
    // of a custody event's task are read, and nothing is changed.
    template <class Records, class Visit>
    void visit_prefetched(const Records& records, std::size_t n, Visit&& visit) {
        for (std::size_t i = 0; i < n; ++i) {
            prefetch_ahead(records, i, n);
            visit(records[i]);
        }
    }
    // visit_prefetched()'s hints before records[i] is fed, for a caller that
    // runs the loop itself (from i = 0).
    template <class Records>
    void prefetch_ahead(const Records& records, std::size_t i, std::size_t n) {
        if (i == 0)
            prefetch_.restart(engine_.task_table());
        if (!prefetch_.active())
            return;
        if (i + kPrefetchSlotAhead < n)
            prefetch_.slot(engine_.task_table(), records[i + kPrefetchSlotAhead],
                           i + kPrefetchSlotAhead);
        if (i + kPrefetchRecordAhead < n)
            prefetch_.record(engine_.task_table(), i + kPrefetchRecordAhead);
    }
    void on_control(const record::ControlRecord& control);
    void on_lost(const record::LostRecord& lost);
    // Event, Control and Lost records; a Metadata record is an error (the replay
    // hands the start and end documents to from_start_document() and finish()).
    Status feed(const record::Record& record);

    // Live: records `end`, closes the recording, finishes the engine, builds the
    // report. Later calls return the same report.
    nlohmann::json finish(const EndMetadata& end);
    // Replay: the same from a recorded end document (errors: exit code Usage).
    Result<nlohmann::json> finish_from_document(const nlohmann::json& document);

    bool finished() const { return report_.has_value(); }
    const pairing::PairingEngine& engine() const { return engine_; }
    const SessionStats& stats() const { return stats_; }
    const AuditMeta& meta() const { return meta_; }
    // The first recording error, if any (ok without a recording).
    Status recording_status() const;

  private:
    AuditSession(StartMetadata start, std::unique_ptr<record::RecordingWriter> recording,
                 pairing::EngineObserver* observer);

    static Result<AuditSession> start(const nlohmann::json& document,
                                      std::unique_ptr<record::RecordingWriter> recording,
                                      pairing::EngineObserver* observer);
    // How many records ahead each prefetch step runs: far enough for a miss to
    // the last-level cache to complete before the next step needs its line.
    static constexpr std::size_t kPrefetchSlotAhead = 8;
    static constexpr std::size_t kPrefetchRecordAhead = 4;
    nlohmann::json complete(EndMetadata end);
    void process(const pairing::Event& event);
    // A record that did not decode: processed as one lost event. Out of line,
    // so that on_event_bytes() keeps a small frame for the records that do.
    [[gnu::noinline]] void process_undecodable();
    void record(const Status& status);

    // Heap-held so that the engine's observer pointer survives a move; declared
    // before engine_, which is constructed with it.
    std::unique_ptr<TimelineObserver> timeline_;
    std::unique_ptr<pairing::ObserverFanout> fanout_;
    AuditMeta meta_;
    pairing::PairingEngine engine_;
    SessionStats stats_;
    std::unique_ptr<record::RecordingWriter> recording_;
    std::optional<Error> recording_error_;
    uint64_t last_ts_ns_ = 0;
    // Every ring-buffer record is decoded into this one Event: decode_event_into()
    // sets all the fields a record carries, and building (and freeing) an Event
    // with its strings per record cost more than the decode itself.
    pairing::Event decoded_;
    TaskPrefetch prefetch_;
    std::optional<nlohmann::json> report_;
};

// The metadata document as a recording stores it and a reader returns it: the
// same bytes in, the same JSON out, for the live audit and the replay alike.
nlohmann::json as_recorded(const nlohmann::json& document);

} // namespace scx_custody::audit
