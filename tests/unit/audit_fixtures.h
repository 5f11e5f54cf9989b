// Synthetic audits for the tests of the recording, the report and the replay, and
// for the fuzzers' seed corpus: raw custody_event records and scripted runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_meta.h"
#include "audit/audit_session.h"
#include "pairing/scx_constants.h"
#include "record/recording_format.h"
#include "record/recording_writer.h"

namespace scx_custody::fixtures {

// custody_evt_type / custody_hook / custody_kernel_flag values (custody_abi.h).
inline constexpr uint16_t kEvtEnqueue = 1;
inline constexpr uint16_t kEvtDsqInsert = 2;
inline constexpr uint16_t kEvtDequeue = 3;
inline constexpr uint16_t kEvtRunning = 4;
inline constexpr uint16_t kEvtTaskExit = 5;

inline constexpr uint8_t kHookDsqInsert = 0;
inline constexpr uint8_t kHookSchedDequeue = 3;
inline constexpr uint8_t kHookSchedEnqueue = 4;
inline constexpr uint8_t kHookSchedSwitch = 5;
inline constexpr uint8_t kHookTaskExit = 6;

inline constexpr uint8_t kFlagUnknown = 0;
inline constexpr uint8_t kFlagSet = 1;
inline constexpr uint8_t kFlagClear = 2;

inline constexpr uint64_t kUserDsq = 0x5c0001;

struct RawEvent {
    uint64_t ts_ns = 0;
    uint64_t task_start_ns = 0;
    uint64_t dsq_id = pairing::kNoDsq;
    uint64_t flags = 0;
    uint32_t pid = 0;
    uint32_t cpu = 0;
    uint16_t type = kEvtRunning;
    uint8_t hook = kHookSchedSwitch;
    uint8_t kernel_flag = kFlagUnknown;
    std::string comm;
};

// The 64 bytes of a struct custody_event (the comm is copied without a limit
// check beyond its 16 bytes: a 16-character comm leaves no NUL, on purpose).
std::vector<std::byte> raw_event(const RawEvent& event);

// A scripted run: records in the order an audit would feed them, 10 ns apart
// unless wait() says otherwise.
class Script {
  public:
    Script& attach(const std::string& name, bool implements_dequeue = true,
                   bool tasks_start_indeterminate = false, uint32_t cpu = 0);
    Script& detach(const std::string& name = "", uint32_t cpu = 0);
    // Any control record, stamped with the script's clock.
    Script& control(record::ControlRecord control);
    Script& enqueue(uint32_t pid, uint64_t dsq_id = pairing::kNoDsq, uint32_t cpu = 0);
    Script& insert(uint32_t pid, uint64_t dsq_id, uint32_t cpu = 0,
                   uint8_t kernel_flag = kFlagUnknown);
    Script& dequeue(uint32_t pid, uint64_t deq_flags = 0, uint32_t cpu = 0,
                    uint8_t kernel_flag = kFlagUnknown);
    Script& running(uint32_t pid, uint32_t cpu = 0);
    Script& exit(uint32_t pid, uint32_t cpu = 0);
    // known_ahead_ns: the loss became known that long after the script's
    // clock (the records that follow may be stamped before it).
    Script& lost(uint64_t count, uint32_t cpu = 0, uint64_t known_ahead_ns = 0);
    Script& raw(std::vector<std::byte> bytes);
    // Held by ops.enqueue, dequeued, inserted into cpu's local DSQ, running.
    Script& clean_cycle(uint32_t pid, uint32_t cpu = 0);
    // The next record comes ns later (on top of the usual 10 ns).
    Script& wait(uint64_t ns);

    const std::vector<record::Record>& records() const { return records_; }
    uint64_t now() const { return ts_ns_; }

  private:
    Script& event(uint16_t type, uint8_t hook, uint32_t pid, uint32_t cpu, uint64_t dsq_id,
                  uint64_t flags, uint8_t kernel_flag);

    std::vector<record::Record> records_;
    uint64_t ts_ns_ = 1'000'000;
};

// The comm a Script gives pid.
std::string comm_of(uint32_t pid);

audit::StartMetadata start_metadata();
audit::EndMetadata end_metadata(const Script& script, bool with_reference = false);

// Feeds script into a session (with a recording when writer is set) and returns
// the report of finish().
nlohmann::json run_live(const Script& script, const audit::StartMetadata& start,
                        const audit::EndMetadata& end,
                        std::unique_ptr<record::RecordingWriter> writer = nullptr);

// Canned runs, each a valid recording's content.
struct Scenario {
    std::string name;
    Script script;
    audit::StartMetadata start;
    audit::EndMetadata end;
};
std::vector<Scenario> scenarios();

// Writes the scenario as a recording at path (the live path: through a session).
nlohmann::json record_scenario(const Scenario& scenario, const std::string& path);

// The bytes of a file.
std::vector<std::byte> read_file(const std::string& path);
void write_file(const std::string& path, std::span<const std::byte> bytes);

} // namespace scx_custody::fixtures
