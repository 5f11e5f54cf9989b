// The seed corpus of recording_fuzz (tests/fuzz/corpus/), made from
// tests/unit/audit_fixtures: every record kind in valid recordings (Event records
// of every event type and hook, Control attach and detach, Lost, start and end
// Metadata), as recording files and as chunks (fuzz_input.h), plus truncated and
// corrupt recordings. Each seed says what the replay must make of it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scx_custody::fuzz {

struct Seed {
    std::string name;
    // A whole fuzz input: mode byte first.
    std::vector<std::byte> input;
    // A valid seed replays to exactly this report (the live audit's)...
    nlohmann::json report;
    // ...a defective one is refused with an error that contains this text.
    std::string refusal;
};

// Deterministic: the same build always makes the same bytes. Throws
// std::runtime_error when a fixture cannot be recorded.
std::vector<Seed> corpus_seeds();

} // namespace scx_custody::fuzz
