#include "fuzz_input.h"

#include <algorithm>

#include "audit/replay.h"
#include "consumer/event_decode.h"
#include "custody_abi.h"
#include "record/crc32.h"
#include "record/recording_format.h"
#include "record/recording_reader.h"

namespace scx_custody::fuzz {
namespace {

// Record kinds 0..6: the five real ones and two that the reader must refuse.
constexpr uint32_t kChunkKinds = 7;

std::vector<std::byte> frame_chunks(std::span<const std::byte> chunks) {
    std::vector<std::byte> out =
        record::encode_header({record::kFormatVersion, CUSTODY_ABI_VERSION,
                               static_cast<uint32_t>(consumer::kCustodyEventSize)});
    while (chunks.size() >= 3) {
        const uint32_t kind = static_cast<uint32_t>(chunks[0]) % kChunkKinds;
        std::size_t length =
            static_cast<std::size_t>(chunks[1]) | static_cast<std::size_t>(chunks[2]) << 8;
        chunks = chunks.subspan(3);
        length = std::min(length, chunks.size());
        const std::span<const std::byte> payload = chunks.first(length);
        chunks = chunks.subspan(length);

        std::vector<std::byte> frame;
        record::put_u32(frame, kind);
        record::put_u32(frame, static_cast<uint32_t>(payload.size()));
        const uint32_t crc = record::crc32(payload, record::crc32(frame));
        out.insert(out.end(), frame.begin(), frame.end());
        out.insert(out.end(), payload.begin(), payload.end());
        record::put_u32(out, crc);
    }
    return out;
}

} // namespace

std::vector<std::byte> recording_of(std::byte mode, std::span<const std::byte> body) {
    if ((mode & std::byte{1}) != std::byte{0})
        return frame_chunks(body);
    return {body.begin(), body.end()};
}

void append_chunk(std::vector<std::byte>& out, uint32_t kind, std::span<const std::byte> payload) {
    out.push_back(static_cast<std::byte>(kind));
    out.push_back(static_cast<std::byte>(payload.size() & 0xff));
    out.push_back(static_cast<std::byte>((payload.size() >> 8) & 0xff));
    out.insert(out.end(), payload.begin(), payload.end());
}

Result<nlohmann::json> replay(std::span<const std::byte> recording) {
    Result<record::RecordingReader> reader = record::RecordingReader::from_memory(recording);
    if (!reader)
        return reader.error();
    return audit::replay_report(*reader);
}

} // namespace scx_custody::fuzz
