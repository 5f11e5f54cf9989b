#include "audit/replay.h"

#include <cerrno>
#include <fstream>
#include <optional>
#include <utility>

#include "audit/audit_meta.h"
#include "audit/audit_session.h"
#include "audit/report_sink.h"

namespace scx_custody::audit {
namespace {

Error at(const record::RecordingReader& reader, uint64_t offset, const std::string& what) {
    return Error::usage(reader.name() + ": " + what + " at byte offset " + std::to_string(offset));
}

} // namespace

Result<nlohmann::json> replay_report(record::RecordingReader& reader) {
    Result<std::optional<record::Record>> first = reader.next();
    if (!first)
        return first.error();
    if (!*first)
        return at(reader, reader.offset(), "recording holds no records (no start metadata)");
    const auto* start = std::get_if<record::MetadataRecord>(&(*first)->body);
    if (!start || metadata_phase(start->document) != kPhaseStart) {
        return at(reader, (*first)->offset,
                  "recording does not begin with its start metadata (found a " +
                      std::string(to_string((*first)->kind())) + " record)");
    }
    Result<AuditSession> session = AuditSession::from_start_document(start->document);
    if (!session)
        return at(reader, (*first)->offset, session.error().message);

    for (;;) {
        Result<std::optional<record::Record>> next = reader.next();
        if (!next)
            return next.error();
        if (!*next) {
            return at(reader, reader.offset(),
                      "recording ends without its end metadata (truncated)");
        }
        const record::Record& record = **next;
        const auto* metadata = std::get_if<record::MetadataRecord>(&record.body);
        if (!metadata) {
            (void)session->feed(record);
            continue;
        }
        if (metadata_phase(metadata->document) != kPhaseEnd) {
            return at(reader, record.offset,
                      "metadata record with phase \"" + metadata_phase(metadata->document) +
                          "\" in the event stream");
        }
        Result<nlohmann::json> report = session->finish_from_document(metadata->document);
        if (!report)
            return at(reader, record.offset, report.error().message);

        const uint64_t end = reader.offset();
        Result<std::optional<record::Record>> after = reader.next();
        if (!after)
            return after.error();
        if (*after)
            return at(reader, end, "records after the end metadata");
        return report;
    }
}

Result<ExitCode> run_replay(const ReplayOptions& options, std::ostream& out) {
    std::ofstream file;
    std::ostream* target = &out;
    // The format is checked before the recording is read.
    Result<std::unique_ptr<ReportSink>> probe = make_report_sink(options.format, out);
    if (!probe)
        return probe.error();

    Result<record::RecordingReader> reader = record::RecordingReader::open(options.file);
    if (!reader)
        return reader.error();
    Result<nlohmann::json> report = replay_report(*reader);
    if (!report)
        return report.error();

    if (!options.output.empty()) {
        file.open(options.output, std::ios::out | std::ios::trunc);
        if (!file)
            return Error::system("write report " + options.output, errno, ExitCode::Usage);
        target = &file;
    }
    Result<std::unique_ptr<ReportSink>> sink = make_report_sink(options.format, *target);
    (*sink)->write(*report);
    target->flush();
    if (!*target) {
        return Error::usage("write report " +
                            (options.output.empty() ? std::string("<stdout>") : options.output) +
                            ": write failed");
    }
    return report_exit_code(*report);
}

} // namespace scx_custody::audit
