// What an input of recording_fuzz stands for, shared by the fuzzer and the seed
// corpus generator (so that the committed seeds are checked exactly as the
// fuzzer reads them).
//
// Input: one mode byte, then
//   even mode: the bytes of a recording file, as is (header and framing errors);
//   odd mode:  chunks [u8 kind][u16 length, little-endian][payload], framed here
//              with a valid header and CRCs, so that mutations reach the payloads,
//              the metadata and the engine instead of dying at a CRC check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace scx_custody::fuzz {

inline constexpr std::byte kModeRecording{0};
inline constexpr std::byte kModeChunks{1};
// Longest chunk payload (its length field is 16 bits).
inline constexpr std::size_t kMaxChunkPayload = 0xffff;

// The recording an input (after its mode byte) stands for.
std::vector<std::byte> recording_of(std::byte mode, std::span<const std::byte> body);

// Appends one chunk; payload must be at most kMaxChunkPayload bytes.
void append_chunk(std::vector<std::byte>& out, uint32_t kind, std::span<const std::byte> payload);

// What `scx-custody replay` makes of a recording: its report, or the error that
// refuses it.
Result<nlohmann::json> replay(std::span<const std::byte> recording);

} // namespace scx_custody::fuzz
