// Writes the seed corpus of recording_fuzz into a directory: every scenario of
// tests/unit/audit_fixtures as a recording (mode byte 0) and as chunks (mode 1),
// plus a few edge cases.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "audit_fixtures.h"
#include "custody_abi.h"
#include "record/recording_format.h"
#include "record/recording_reader.h"

namespace {

using namespace scx_custody;

std::vector<std::byte> with_mode(std::byte mode, const std::vector<std::byte>& bytes) {
    std::vector<std::byte> out{mode};
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

std::vector<std::byte> payload_of(const record::Record& record) {
    if (const auto* event = std::get_if<record::EventRecord>(&record.body))
        return event->bytes;
    if (const auto* control = std::get_if<record::ControlRecord>(&record.body))
        return record::encode_control(*control);
    if (const auto* lost = std::get_if<record::LostRecord>(&record.body))
        return record::encode_lost(*lost);
    return record::encode_metadata(std::get<record::MetadataRecord>(record.body).document);
}

// The recording's records as mode-1 chunks.
std::vector<std::byte> as_chunks(const std::vector<std::byte>& recording) {
    std::vector<std::byte> out{std::byte{1}};
    Result<record::RecordingReader> reader = record::RecordingReader::from_memory(recording);
    if (!reader)
        return out;
    for (;;) {
        Result<std::optional<record::Record>> record = reader->next();
        if (!record || !*record)
            break;
        const std::vector<std::byte> payload = payload_of(**record);
        if (payload.size() > 0xffff)
            continue;
        out.push_back(static_cast<std::byte>((*record)->kind()));
        out.push_back(static_cast<std::byte>(payload.size() & 0xff));
        out.push_back(static_cast<std::byte>(payload.size() >> 8));
        out.insert(out.end(), payload.begin(), payload.end());
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    const std::string scratch = (dir / "scratch.rec").string();
    int written = 0;
    const auto put = [&](const std::string& name, const std::vector<std::byte>& bytes) {
        fixtures::write_file((dir / name).string(), bytes);
        ++written;
    };
    try {
        for (const fixtures::Scenario& scenario : fixtures::scenarios()) {
            fixtures::record_scenario(scenario, scratch);
            const std::vector<std::byte> recording = fixtures::read_file(scratch);
            put("raw-" + scenario.name, with_mode(std::byte{0}, recording));
            put("chunks-" + scenario.name, as_chunks(recording));
        }
        put("header-only",
            with_mode(std::byte{0},
                      record::encode_header({record::kFormatVersion, CUSTODY_ABI_VERSION, 64})));
        put("empty-chunks", {std::byte{1}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_corpus: %s\n", e.what());
        return 1;
    }
    std::filesystem::remove(scratch);
    std::printf("%d seeds in %s\n", written, dir.c_str());
    return 0;
}
