#include "corpus_seeds.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "audit_fixtures.h"
#include "custody_abi.h"
#include "fuzz_input.h"
#include "record/crc32.h"
#include "record/recording_format.h"
#include "record/recording_reader.h"

namespace scx_custody::fuzz {
namespace {

using fixtures::RawEvent;
using fixtures::Scenario;
using fixtures::Script;

constexpr uint16_t kEventTypes[] = {fixtures::kEvtEnqueue, fixtures::kEvtDsqInsert,
                                    fixtures::kEvtDequeue, fixtures::kEvtRunning,
                                    fixtures::kEvtTaskExit};

// One task per hook goes through every event type on that hook, with every
// kernel custody flag, then a clean cycle, a loss and the detach.
Scenario every_event_scenario() {
    Script s;
    s.attach("custody_ref");
    for (uint8_t hook = 0; hook < CUSTODY_NR_HOOKS; ++hook) {
        for (const uint16_t type : kEventTypes) {
            RawEvent raw;
            raw.ts_ns = s.now();
            raw.pid = 600u + hook;
            raw.task_start_ns = 5'000 + raw.pid;
            raw.cpu = hook % 4;
            raw.type = type;
            raw.hook = hook;
            raw.kernel_flag = static_cast<uint8_t>((type + hook) % 3);
            raw.dsq_id = type == fixtures::kEvtDsqInsert ? fixtures::kUserDsq : pairing::kNoDsq;
            raw.comm = fixtures::comm_of(raw.pid);
            s.raw(fixtures::raw_event(raw));
        }
    }
    s.clean_cycle(700, 1).lost(3, 2).detach("custody_ref");
    Scenario scenario{"every_event", std::move(s), fixtures::start_metadata(), {}};
    scenario.end = fixtures::end_metadata(scenario.script);
    return scenario;
}

std::vector<std::byte> with_mode(std::byte mode, std::vector<std::byte> body) {
    body.insert(body.begin(), mode);
    return body;
}

struct Payload {
    uint64_t offset = 0; // of the record's frame
    uint32_t kind = 0;
    std::vector<std::byte> bytes;
};

// The records of a valid recording, as payloads.
std::vector<Payload> payloads_of(const std::vector<std::byte>& recording) {
    Result<record::RecordingReader> reader = record::RecordingReader::from_memory(recording);
    if (!reader)
        throw std::runtime_error(reader.error().message);
    std::vector<Payload> out;
    for (;;) {
        Result<std::optional<record::Record>> next = reader->next();
        if (!next)
            throw std::runtime_error(next.error().message);
        if (!*next)
            return out;
        const record::Record& record = **next;
        Payload& payload = out.emplace_back();
        payload.offset = record.offset;
        payload.kind = static_cast<uint32_t>(record.kind());
        if (const auto* event = std::get_if<record::EventRecord>(&record.body))
            payload.bytes = event->bytes;
        else if (const auto* control = std::get_if<record::ControlRecord>(&record.body))
            payload.bytes = record::encode_control(*control);
        else if (const auto* lost = std::get_if<record::LostRecord>(&record.body))
            payload.bytes = record::encode_lost(*lost);
        else
            payload.bytes =
                record::encode_metadata(std::get<record::MetadataRecord>(record.body).document);
    }
}

bool batched(const Payload& payload) {
    return payload.kind == static_cast<uint32_t>(record::RecordKind::Event) &&
           payload.bytes.size() == sizeof(custody_event);
}

// Events that came out of one EventBatch record (same offset) go back into one
// EventBatch chunk, so that the chunk seeds exercise batches too.
std::vector<Payload> rebatched(const std::vector<Payload>& payloads) {
    std::vector<Payload> out;
    for (const Payload& payload : payloads) {
        if (batched(payload) && !out.empty() &&
            out.back().kind == static_cast<uint32_t>(record::RecordKind::EventBatch) &&
            out.back().offset == payload.offset) {
            out.back().bytes.insert(out.back().bytes.end(), payload.bytes.begin(),
                                    payload.bytes.end());
            continue;
        }
        out.push_back(payload);
        if (batched(payload))
            out.back().kind = static_cast<uint32_t>(record::RecordKind::EventBatch);
    }
    return out;
}

std::vector<std::byte> as_chunks(const std::vector<Payload>& payloads) {
    std::vector<std::byte> out{kModeChunks};
    for (const Payload& payload : rebatched(payloads)) {
        if (payload.bytes.size() > kMaxChunkPayload)
            throw std::runtime_error("a fixture record is too long for a chunk");
        append_chunk(out, payload.kind, payload.bytes);
    }
    return out;
}

// A scratch directory for the fixtures' recordings, removed with the object.
class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "corpus-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot make a scratch directory in " + pattern);
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

struct Recorded {
    std::vector<std::byte> bytes;
    nlohmann::json report;
};

Recorded record(const Scenario& scenario, const ScratchDir& scratch) {
    const std::string path = (scratch.path() / (scenario.name + ".rec")).string();
    Recorded out;
    out.report = fixtures::record_scenario(scenario, path);
    out.bytes = fixtures::read_file(path);
    return out;
}

std::vector<std::byte> slice(const std::vector<std::byte>& bytes, std::size_t from,
                             std::size_t to) {
    return {bytes.begin() + static_cast<std::ptrdiff_t>(from),
            bytes.begin() + static_cast<std::ptrdiff_t>(to)};
}

std::vector<std::byte> concat(std::vector<std::byte> head, const std::vector<std::byte>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

std::vector<std::byte> header_with_abi(uint32_t abi_version) {
    return record::encode_header(
        {record::kFormatVersion, abi_version, static_cast<uint32_t>(sizeof(custody_event))});
}

// Recording files cut short or damaged; clean is a valid recording of at least
// three records.
void add_defective_files(std::vector<Seed>& out, const std::vector<std::byte>& clean) {
    const std::vector<Payload> records = payloads_of(clean);
    const std::size_t second = records.at(1).offset;
    const std::size_t third = records.at(2).offset;
    const auto refused = [&](const std::string& name, std::vector<std::byte> recording,
                             std::string why) {
        out.push_back({"bad-" + name, with_mode(kModeRecording, std::move(recording)), nullptr,
                       std::move(why)});
    };
    std::vector<std::byte> magic = clean;
    magic[0] ^= std::byte{0x20};
    std::vector<std::byte> crc = clean;
    crc[second + record::kFrameHeaderSize] ^= std::byte{0x01};
    std::vector<std::byte> huge = slice(clean, 0, second);
    record::put_u32(huge, static_cast<uint32_t>(record::RecordKind::Event));
    record::put_u32(huge, 0xffffffffu);

    refused("empty", {}, "empty file");
    refused("truncated-header", slice(clean, 0, 20), "truncated header");
    refused("magic", magic, "bad magic");
    refused("abi", concat(header_with_abi(CUSTODY_ABI_VERSION + 1), slice(clean, 32, clean.size())),
            "event ABI version");
    refused("header-only", header_with_abi(CUSTODY_ABI_VERSION), "holds no records");
    refused("record-crc", crc, "record CRC mismatch");
    refused("truncated-record", slice(clean, 0, clean.size() - 7), "truncated record");
    refused("huge-length", huge, "exceeds");
    refused("no-end", slice(clean, 0, records.back().offset), "ends without its end metadata");
    refused("after-end", concat(clean, slice(clean, second, third)),
            "records after the end metadata");
}

// Chunk inputs whose records frame correctly but say the wrong things.
void add_defective_chunks(std::vector<Seed>& out, const std::vector<std::byte>& clean) {
    const std::vector<Payload> records = payloads_of(clean);
    const Payload& start = records.front();
    const auto refused = [&](const std::string& name, std::vector<Payload> payloads,
                             std::string why) {
        out.push_back({"bad-chunks-" + name, as_chunks(payloads), nullptr, std::move(why)});
    };
    const auto text = [](std::string_view chars) {
        std::vector<std::byte> bytes;
        for (const char c : chars)
            bytes.push_back(static_cast<std::byte>(c));
        return bytes;
    };
    refused("unknown-kind", {start, {0, 6, text("six")}}, "unknown record kind 6");
    refused("partial-batch", {start, {0, 5, std::vector<std::byte>(sizeof(custody_event) + 1)}},
            "not a whole number of 64-byte events");
    refused("metadata-not-json", {start, {0, 4, text("{\"phase\": ")}}, "metadata");
    refused("no-start", {records.at(1), start}, "does not begin with its start metadata");
    refused("empty", {}, "holds no records");
}

} // namespace

std::vector<Seed> corpus_seeds() {
    std::vector<Scenario> scenarios = fixtures::scenarios();
    scenarios.push_back(every_event_scenario());
    const ScratchDir scratch;
    std::vector<Seed> out;
    std::vector<std::byte> clean;
    for (const Scenario& scenario : scenarios) {
        Recorded recorded = record(scenario, scratch);
        out.push_back({"rec-" + scenario.name,
                       with_mode(kModeRecording, recorded.bytes),
                       recorded.report,
                       {}});
        out.push_back({"chunks-" + scenario.name,
                       as_chunks(payloads_of(recorded.bytes)),
                       recorded.report,
                       {}});
        if (scenario.name == "clean")
            clean = std::move(recorded.bytes);
    }
    if (clean.empty())
        throw std::runtime_error("audit_fixtures has no \"clean\" scenario");
    add_defective_files(out, clean);
    add_defective_chunks(out, clean);
    return out;
}

} // namespace scx_custody::fuzz
