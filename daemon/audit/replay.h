// `scx-custody replay FILE`: re-audits a recording offline.
//
// The recording must hold, in order: the start Metadata record, any number of
// Event, Control and Lost records, and the end Metadata record, then nothing.
// The records go through the same AuditSession as in the live audit, so the
// report is the live one, byte for byte. A recording that is defective (any
// RecordingReader error, a missing or misplaced metadata record, metadata of the
// wrong shape) is an error naming the byte offset, with exit code Usage (2).
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "record/recording_reader.h"
#include "util/result.h"

namespace scx_custody::audit {

struct ReplayOptions {
    std::string file;
    std::string format = "text";
    // Empty: write to the stream given to run_replay().
    std::string output;
};

// The report of the recording read by `reader` (from its current position, right
// after the header).
Result<nlohmann::json> replay_report(record::RecordingReader& reader);

// Reads options.file, writes the report in options.format to options.output (or
// to `out`), and returns the verdict's exit code (0, 1 or 4). Errors: Usage for a
// bad format, an unreadable or defective recording, an output file that cannot
// be written.
Result<ExitCode> run_replay(const ReplayOptions& options, std::ostream& out);

} // namespace scx_custody::audit
