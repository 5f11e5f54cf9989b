#include "record/recording_format.h"

#include <algorithm>

#include "record/crc32.h"

namespace scx_custody::record {
namespace {

// Control payload: u64 ts_ns | u32 cpu | u8 action | u8 implements_dequeue
//                  | u8 tasks_start_indeterminate | u8 traced | u32 name_length
//                  | u32 instance_id | u64 enable_ts_ns | u64 traced_from_ns
//                  | u8 source | u8 reserved[3] | u32 note_length | name | note
//                  [ | u32 owner | u32 tree_path_length | tree_path ]  (version 3)
constexpr std::size_t kControlFixedSize = 48;
constexpr std::size_t kControlOwnerSize = 8;
// Longest tree path in a Control record.
constexpr std::size_t kMaxTreePathLength = 1024;
// Lost payload: u64 ts_ns | u32 cpu | u32 reserved | u64 count
constexpr std::size_t kLostSize = 24;

std::span<const std::byte> as_bytes(std::string_view text) {
    return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

} // namespace

std::string_view to_string(RecordKind kind) {
    switch (kind) {
    case RecordKind::Event:
        return "event";
    case RecordKind::Control:
        return "control";
    case RecordKind::Lost:
        return "lost";
    case RecordKind::Metadata:
        return "metadata";
    case RecordKind::EventBatch:
        return "event_batch";
    }
    return "invalid";
}

RecordKind Record::kind() const {
    static constexpr std::array<RecordKind, 4> kKinds = {RecordKind::Event, RecordKind::Control,
                                                         RecordKind::Lost, RecordKind::Metadata};
    return kKinds[body.index()];
}

void put_u32(std::vector<std::byte>& out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

void put_u64(std::vector<std::byte>& out, uint64_t value) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

uint32_t get_u32(std::span<const std::byte> in, std::size_t at) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
        value |= static_cast<uint32_t>(in[at + i]) << (8 * i);
    return value;
}

uint64_t get_u64(std::span<const std::byte> in, std::size_t at) {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value |= static_cast<uint64_t>(in[at + i]) << (8 * i);
    return value;
}

std::vector<std::byte> encode_header(const FileHeader& header) {
    std::vector<std::byte> out;
    out.reserve(kHeaderSize);
    for (char c : kMagic)
        out.push_back(static_cast<std::byte>(c));
    put_u32(out, header.format_version);
    put_u32(out, header.abi_version);
    put_u32(out, header.event_size);
    put_u32(out, static_cast<uint32_t>(kHeaderSize));
    put_u32(out, 0);
    put_u32(out, crc32(out));
    return out;
}

std::vector<std::byte> encode_control(const ControlRecord& control) {
    std::vector<std::byte> out;
    out.reserve(kControlFixedSize + control.name.size() + control.note.size() + kControlOwnerSize +
                control.tree_path.size());
    put_u64(out, control.ts_ns);
    put_u32(out, control.cpu);
    out.push_back(static_cast<std::byte>(control.action));
    out.push_back(static_cast<std::byte>(control.implements_dequeue ? 1 : 0));
    out.push_back(static_cast<std::byte>(control.tasks_start_indeterminate ? 1 : 0));
    out.push_back(static_cast<std::byte>(control.traced ? 1 : 0));
    put_u32(out, static_cast<uint32_t>(control.name.size()));
    put_u32(out, control.instance_id);
    put_u64(out, control.enable_ts_ns);
    put_u64(out, control.traced_from_ns);
    out.push_back(static_cast<std::byte>(control.source));
    out.insert(out.end(), 3, std::byte{0});
    put_u32(out, static_cast<uint32_t>(control.note.size()));
    for (std::string_view text : {std::string_view(control.name), std::string_view(control.note)}) {
        const auto bytes = as_bytes(text);
        out.insert(out.end(), bytes.begin(), bytes.end());
    }
    put_u32(out, control.owner);
    put_u32(out, static_cast<uint32_t>(control.tree_path.size()));
    const auto path = as_bytes(control.tree_path);
    out.insert(out.end(), path.begin(), path.end());
    return out;
}

std::vector<std::byte> encode_lost(const LostRecord& lost) {
    std::vector<std::byte> out;
    out.reserve(kLostSize);
    put_u64(out, lost.ts_ns);
    put_u32(out, lost.cpu);
    put_u32(out, 0);
    put_u64(out, lost.count);
    return out;
}

std::vector<std::byte> encode_metadata(const nlohmann::json& document) {
    const std::string text =
        document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const auto bytes = as_bytes(text);
    return std::vector<std::byte>(bytes.begin(), bytes.end());
}

Result<ControlRecord> decode_control(std::span<const std::byte> payload) {
    if (payload.size() < kControlFixedSize) {
        return Error::usage("control record of " + std::to_string(payload.size()) +
                            " bytes, expected at least " + std::to_string(kControlFixedSize));
    }
    ControlRecord control;
    control.ts_ns = get_u64(payload, 0);
    control.cpu = get_u32(payload, 8);
    const auto action = static_cast<uint8_t>(payload[12]);
    if (action != static_cast<uint8_t>(ControlAction::Attach) &&
        action != static_cast<uint8_t>(ControlAction::Detach)) {
        return Error::usage("control record with unknown action " + std::to_string(action));
    }
    control.action = static_cast<ControlAction>(action);
    for (std::size_t at : {13, 14, 15})
        if (static_cast<uint8_t>(payload[at]) > 1)
            return Error::usage("control record with a flag byte other than 0 or 1");
    control.implements_dequeue = payload[13] == std::byte{1};
    control.tasks_start_indeterminate = payload[14] == std::byte{1};
    control.traced = payload[15] == std::byte{1};
    const uint32_t name_length = get_u32(payload, 16);
    control.instance_id = get_u32(payload, 20);
    control.enable_ts_ns = get_u64(payload, 24);
    control.traced_from_ns = get_u64(payload, 32);
    const auto source = static_cast<uint8_t>(payload[40]);
    if (source > static_cast<uint8_t>(ControlSource::RegistrationFailed))
        return Error::usage("control record with unknown source " + std::to_string(source));
    control.source = static_cast<ControlSource>(source);
    const uint32_t note_length = get_u32(payload, 44);
    if (name_length > kMaxSchedNameLength || note_length > kMaxControlNoteLength) {
        return Error::usage("control record with a " + std::to_string(name_length) +
                            "-byte scheduler name or a " + std::to_string(note_length) +
                            "-byte note (limits " + std::to_string(kMaxSchedNameLength) + ", " +
                            std::to_string(kMaxControlNoteLength) + ")");
    }
    const std::size_t texts_end = kControlFixedSize + name_length + note_length;
    if (payload.size() < texts_end) {
        return Error::usage("control record of " + std::to_string(payload.size()) +
                            " bytes, its name and note need " + std::to_string(texts_end));
    }
    const auto text = [&](std::size_t at, std::size_t length) {
        std::string out(length, '\0');
        std::transform(payload.begin() + at, payload.begin() + at + length, out.begin(),
                       [](std::byte b) { return static_cast<char>(b); });
        return out;
    };
    control.name = text(kControlFixedSize, name_length);
    control.note = text(kControlFixedSize + name_length, note_length);
    if (payload.size() == texts_end)
        return control; // version 2: the root's
    if (payload.size() < texts_end + kControlOwnerSize)
        return Error::usage("control record of " + std::to_string(payload.size()) +
                            " bytes: a truncated owner field");
    control.owner = get_u32(payload, texts_end);
    const uint32_t path_length = get_u32(payload, texts_end + 4);
    if (path_length > kMaxTreePathLength ||
        payload.size() != texts_end + kControlOwnerSize + path_length) {
        return Error::usage("control record of " + std::to_string(payload.size()) +
                            " bytes with a " + std::to_string(path_length) +
                            "-byte tree path (limit " + std::to_string(kMaxTreePathLength) +
                            ", needs " +
                            std::to_string(texts_end + kControlOwnerSize + path_length) + ")");
    }
    control.tree_path = text(texts_end + kControlOwnerSize, path_length);
    return control;
}

std::string_view to_string(ControlSource source) {
    switch (source) {
    case ControlSource::Reference:
        return "reference";
    case ControlSource::KernelHook:
        return "kernel_hook";
    case ControlSource::RunningAtStart:
        return "running_at_start";
    case ControlSource::Poll:
        return "poll";
    case ControlSource::AuditEnd:
        return "audit_end";
    case ControlSource::RegistrationFailed:
        return "registration_failed";
    case ControlSource::Unknown:
        break;
    }
    return "unknown";
}

Result<LostRecord> decode_lost(std::span<const std::byte> payload) {
    if (payload.size() != kLostSize) {
        return Error::usage("lost record of " + std::to_string(payload.size()) +
                            " bytes, expected " + std::to_string(kLostSize));
    }
    LostRecord lost;
    lost.ts_ns = get_u64(payload, 0);
    lost.cpu = get_u32(payload, 8);
    lost.count = get_u64(payload, 16);
    return lost;
}

Result<MetadataRecord> decode_metadata(std::span<const std::byte> payload) {
    const auto* begin = reinterpret_cast<const char*>(payload.data());
    bool too_deep = false;
    // Deeper values are discarded as they are parsed, so nothing deeper is built.
    const nlohmann::json::parser_callback_t limit_depth =
        [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > kMaxMetadataDepth) {
                too_deep = true;
                return false;
            }
            return true;
        };
    nlohmann::json document =
        nlohmann::json::parse(begin, begin + payload.size(), limit_depth, false);
    if (document.is_discarded())
        return Error::usage("metadata record is not valid JSON");
    if (too_deep) {
        return Error::usage("metadata record nests deeper than " +
                            std::to_string(kMaxMetadataDepth) + " levels");
    }
    if (!document.is_object())
        return Error::usage("metadata record is not a JSON object");
    return MetadataRecord{std::move(document)};
}

} // namespace scx_custody::record
