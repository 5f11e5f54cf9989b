// The scx-custody recording format (docs/RECORDING.md): what `audit --record FILE`
// writes and `replay FILE` reads.
//
//   file   = header record*
//   header = magic "SCXCUST\0" | u32 format_version | u32 abi_version
//            | u32 event_size | u32 header_size (32) | u32 reserved (0)
//            | u32 crc32(bytes 0..27)                                    32 bytes
//   record = u32 kind | u32 length | payload[length] | u32 crc32(kind|length|payload)
//
// Integers are little-endian. Event payloads are the ring buffer's custody_event
// bytes, untouched; an EventBatch payload is one or more of them back to back
// (event_size bytes each), and reads as that many Event records. A well-formed
// recording starts with a Metadata record whose "phase" is "start" and ends with
// one whose "phase" is "end"; the framing layer here does not enforce that, the
// replay does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace scx_custody::record {

inline constexpr std::array<char, 8> kMagic = {'S', 'C', 'X', 'C', 'U', 'S', 'T', '\0'};
inline constexpr uint32_t kFormatVersion = 4;
// The oldest version a reader still accepts: version 2's control records lack
// the owner and tree path (read as the root's); versions 2 and 3 have no
// EventBatch records.
inline constexpr uint32_t kOldestReadableFormatVersion = 2;
inline constexpr uint32_t kFirstEventBatchFormatVersion = 4;
inline constexpr std::size_t kHeaderSize = 32;
// kind + length before the payload, crc after it.
inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::size_t kFrameTrailerSize = 4;
// Longest payload a reader accepts (and a writer writes): anything longer is taken
// as corruption, never allocated.
inline constexpr uint32_t kMaxPayloadLength = 1u << 20;
// Longest scheduler name in a Control record (the kernel's SCX_OPS_NAME_LEN is 128).
inline constexpr std::size_t kMaxSchedNameLength = 256;
// Longest note in a Control record.
inline constexpr std::size_t kMaxControlNoteLength = 1024;
// Deepest nesting accepted in a Metadata document.
inline constexpr int kMaxMetadataDepth = 64;

enum class RecordKind : uint32_t {
    Event = 1,
    Control = 2,
    Lost = 3,
    Metadata = 4,
    EventBatch = 5, // since version 4; read back as Event records
};

std::string_view to_string(RecordKind kind);

struct FileHeader {
    uint32_t format_version = kFormatVersion;
    uint32_t abi_version = 0; // CUSTODY_ABI_VERSION of the writer
    uint32_t event_size = 0;  // sizeof(struct custody_event) of the writer
};

// One ring-buffer record, exactly as delivered (normally sizeof(custody_event)
// bytes; other sizes are kept so that a replay meets the same decode errors).
struct EventRecord {
    std::vector<std::byte> bytes;

    friend bool operator==(const EventRecord&, const EventRecord&) = default;
};

enum class ControlAction : uint8_t {
    Attach = 1,
    Detach = 2,
};

// How the audit learnt of a scheduler instance (Attach) or of its end (Detach).
enum class ControlSource : uint8_t {
    Unknown = 0,
    Reference = 1,          // Attach: our reference scheduler, traced before it was enabled
    KernelHook = 2,         // the kernel's registration / disable path, in ring order
    RunningAtStart = 3,     // Attach: already running when the audit began
    Poll = 4,               // sysfs polling (the lifecycle hooks are not attached)
    AuditEnd = 5,           // Detach: the audit ended (or stopped the scheduler itself)
    RegistrationFailed = 6, // Detach: the kernel refused the registration
};

std::string_view to_string(ControlSource source);

// A sched_ext scheduler instance was enabled or disabled (pairing::EventKind::
// SchedulerAttach and SchedulerDetach).
struct ControlRecord {
    uint64_t ts_ns = 0;
    uint32_t cpu = 0;
    ControlAction action = ControlAction::Attach;
    std::string name;
    bool implements_dequeue = true; // Attach
    // Attach: what happened to tasks before this point is unknown (the
    // instance ran before its programs were traced), so each task starts
    // indeterminate until its first clean custody cycle.
    bool tasks_start_indeterminate = false;
    // Attach: every op among ops.enqueue/ops.dequeue that the instance has is traced.
    bool traced = true;
    uint32_t instance_id = 0;    // the struct_ops map id (0: unknown)
    uint64_t enable_ts_ns = 0;   // Attach: when the kernel began enabling it (0: unknown)
    uint64_t traced_from_ns = 0; // Attach: from when its programs were traced
    ControlSource source = ControlSource::Unknown;
    std::string note; // Attach: why it is not traced, or how it was found
    // The owner key of the instance's tasks (custody_event.owner; 0 or 1: the
    // root scheduler) and its place in a sub-scheduler tree ("root/sub/sub-28").
    // Both since format version 3.
    uint32_t owner = 0;
    std::string tree_path;

    friend bool operator==(const ControlRecord&, const ControlRecord&) = default;
};

// `count` events were lost on `cpu` (ring buffer full, decode error, ...).
struct LostRecord {
    uint64_t ts_ns = 0;
    uint32_t cpu = 0;
    uint64_t count = 0;

    friend bool operator==(const LostRecord&, const LostRecord&) = default;
};

// A JSON object describing the run (see audit/audit_meta.h for its keys).
struct MetadataRecord {
    nlohmann::json document;

    friend bool operator==(const MetadataRecord&, const MetadataRecord&) = default;
};

struct Record {
    // Byte offset of the record's frame in the file (set by the reader).
    uint64_t offset = 0;
    std::variant<EventRecord, ControlRecord, LostRecord, MetadataRecord> body;

    RecordKind kind() const;
};

// ---- payload codecs (framing-free) -----------------------------------------

std::vector<std::byte> encode_header(const FileHeader& header);
std::vector<std::byte> encode_control(const ControlRecord& control);
std::vector<std::byte> encode_lost(const LostRecord& lost);
// Compact JSON text; strings that are not valid UTF-8 get U+FFFD replacements.
std::vector<std::byte> encode_metadata(const nlohmann::json& document);

// Errors name what is wrong with the payload; the reader adds the offset.
Result<ControlRecord> decode_control(std::span<const std::byte> payload);
Result<LostRecord> decode_lost(std::span<const std::byte> payload);
// A JSON object, at most kMaxMetadataDepth deep.
Result<MetadataRecord> decode_metadata(std::span<const std::byte> payload);

// ---- little-endian helpers ---------------------------------------------------

void put_u32(std::vector<std::byte>& out, uint32_t value);
void put_u64(std::vector<std::byte>& out, uint64_t value);
uint32_t get_u32(std::span<const std::byte> in, std::size_t at);
uint64_t get_u64(std::span<const std::byte> in, std::size_t at);

} // namespace scx_custody::record
