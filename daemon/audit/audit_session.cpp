#include "audit/audit_session.h"

#include <algorithm>
#include <utility>

#include "consumer/event_decode.h"

namespace scx_custody::audit {

nlohmann::json as_recorded(const nlohmann::json& document) {
    Result<record::MetadataRecord> decoded =
        record::decode_metadata(record::encode_metadata(document));
    // Only a document nested deeper than a recording allows fails here; it would
    // fail the replay the same way, so it is kept as null.
    return decoded ? std::move(decoded->document) : nlohmann::json();
}

AuditSession::AuditSession(StartMetadata start, std::unique_ptr<record::RecordingWriter> recording,
                           pairing::EngineObserver* observer)
    : timeline_(std::make_unique<TimelineObserver>()),
      fanout_(observer
                  ? std::make_unique<pairing::ObserverFanout>(
                        std::initializer_list<pairing::EngineObserver*>{timeline_.get(), observer})
                  : nullptr),
      engine_(start.engine,
              fanout_ ? static_cast<pairing::EngineObserver*>(fanout_.get()) : timeline_.get()),
      recording_(std::move(recording)) {
    meta_.start = std::move(start);
}

Result<AuditSession> AuditSession::start(const nlohmann::json& document,
                                         std::unique_ptr<record::RecordingWriter> recording,
                                         pairing::EngineObserver* observer) {
    Result<StartMetadata> start = start_metadata_from_json(document);
    if (!start)
        return start.error();
    AuditSession session(std::move(*start), std::move(recording), observer);
    if (session.recording_)
        session.record(session.recording_->write_metadata(document));
    return session;
}

Result<AuditSession> AuditSession::create(const StartMetadata& start,
                                          std::unique_ptr<record::RecordingWriter> recording,
                                          pairing::EngineObserver* observer) {
    return AuditSession::start(as_recorded(to_json(start)), std::move(recording), observer);
}

Result<AuditSession>
AuditSession::from_start_document(const nlohmann::json& document,
                                  std::unique_ptr<record::RecordingWriter> recording,
                                  pairing::EngineObserver* observer) {
    return AuditSession::start(document, std::move(recording), observer);
}

void AuditSession::record(const Status& status) {
    if (status || recording_error_)
        return;
    recording_error_ = status.error();
    recording_.reset();
}

Status AuditSession::recording_status() const {
    if (recording_error_)
        return *recording_error_;
    return ok_status();
}

void AuditSession::process(const pairing::Event& event) {
    last_ts_ns_ = std::max(last_ts_ns_, event.ts_ns);
    timeline_->at(event.ts_ns);
    engine_.process(event);
}

void AuditSession::on_event_bytes(std::span<const std::byte> raw) {
    if (report_)
        return;
    if (recording_)
        record(recording_->write_event(raw));
    ++stats_.event_records;
    if (consumer::decode_event_into(raw, decoded_) != consumer::DecodeFault::None) {
        process_undecodable();
        return;
    }
    if (decoded_.hook < stats_.events_by_hook.size())
        ++stats_.events_by_hook[decoded_.hook];
    process(decoded_);
}

void AuditSession::process_undecodable() {
    ++stats_.decode_errors;
    pairing::Event lost;
    lost.kind = pairing::EventKind::Lost;
    lost.ts_ns = last_ts_ns_;
    lost.count = 1;
    process(lost);
}

void AuditSession::on_control(const record::ControlRecord& control) {
    if (report_)
        return;
    if (recording_)
        record(recording_->write_control(control));
    ++stats_.control_records;
    pairing::Event event;
    event.kind = control.action == record::ControlAction::Attach
                     ? pairing::EventKind::SchedulerAttach
                     : pairing::EventKind::SchedulerDetach;
    event.ts_ns = control.ts_ns;
    event.cpu = control.cpu;
    event.sched_name = control.name;
    event.implements_dequeue = control.implements_dequeue;
    event.tasks_start_indeterminate = control.tasks_start_indeterminate;
    event.instance_id = control.instance_id;
    event.traced = control.traced;
    event.enable_ts_ns = control.enable_ts_ns;
    event.traced_from_ns = control.traced_from_ns;
    event.found_by = std::string(record::to_string(control.source));
    event.note = control.note;
    event.owner = control.owner;
    event.tree_path = control.tree_path;
    process(event);
}

void AuditSession::on_lost(const record::LostRecord& lost) {
    if (report_)
        return;
    if (recording_)
        record(recording_->write_lost(lost));
    ++stats_.lost_records;
    pairing::Event event;
    event.kind = pairing::EventKind::Lost;
    event.ts_ns = lost.ts_ns;
    event.cpu = lost.cpu;
    event.count = lost.count;
    process(event);
}

Status AuditSession::feed(const record::Record& record) {
    if (const auto* event = std::get_if<record::EventRecord>(&record.body)) {
        on_event_bytes(event->bytes);
    } else if (const auto* control = std::get_if<record::ControlRecord>(&record.body)) {
        on_control(*control);
    } else if (const auto* lost = std::get_if<record::LostRecord>(&record.body)) {
        on_lost(*lost);
    } else {
        return Error::usage("metadata record in the middle of the event stream");
    }
    return ok_status();
}

nlohmann::json AuditSession::complete(EndMetadata end) {
    meta_.end = std::move(end);
    engine_.finish(meta_.end.finish_ts_ns != 0 ? meta_.end.finish_ts_ns : last_ts_ns_);
    report_ = build_report(engine_, meta_, stats_);
    nlohmann::json& details = (*report_)["details"];
    details["timeline"] = timeline_->timeline_json();
    details["custody_duration_histogram"] = timeline_->histogram_json();
    return *report_;
}

nlohmann::json AuditSession::finish(const EndMetadata& end) {
    if (report_)
        return *report_;
    const nlohmann::json document = as_recorded(to_json(end));
    if (recording_) {
        record(recording_->write_metadata(document));
        if (recording_)
            record(recording_->close());
    }
    Result<EndMetadata> recorded = end_metadata_from_json(document);
    // to_json() writes only what end_metadata_from_json() accepts; only a tracer
    // document nested deeper than kMaxMetadataDepth is lost here.
    return complete(recorded ? std::move(*recorded) : end);
}

Result<nlohmann::json> AuditSession::finish_from_document(const nlohmann::json& document) {
    if (report_)
        return *report_;
    Result<EndMetadata> end = end_metadata_from_json(document);
    if (!end)
        return end.error();
    if (recording_) {
        record(recording_->write_metadata(document));
        if (recording_)
            record(recording_->close());
    }
    return complete(std::move(*end));
}

} // namespace scx_custody::audit
