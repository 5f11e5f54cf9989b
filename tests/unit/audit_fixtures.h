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
#include "custody_abi.h"
#include "pairing/scx_constants.h"
#include "record/recording_format.h"
#include "record/recording_writer.h"

namespace scx_custody::fixtures {

// custody_evt_type / custody_hook / custody_kernel_flag values, as the
// records carry them.
inline constexpr uint16_t kEvtEnqueue = CUSTODY_EVT_ENQUEUE;
inline constexpr uint16_t kEvtDsqInsert = CUSTODY_EVT_DSQ_INSERT;
inline constexpr uint16_t kEvtDequeue = CUSTODY_EVT_DEQUEUE;
inline constexpr uint16_t kEvtRunning = CUSTODY_EVT_RUNNING;
inline constexpr uint16_t kEvtTaskExit = CUSTODY_EVT_TASK_EXIT;

inline constexpr uint8_t kHookDsqInsert = CUSTODY_HOOK_DSQ_INSERT;
inline constexpr uint8_t kHookSchedDequeue = CUSTODY_HOOK_SCHED_DEQUEUE;
inline constexpr uint8_t kHookSchedEnqueue = CUSTODY_HOOK_SCHED_ENQUEUE;
inline constexpr uint8_t kHookSchedSwitch = CUSTODY_HOOK_SCHED_SWITCH;
inline constexpr uint8_t kHookTaskExit = CUSTODY_HOOK_TASK_EXIT;

inline constexpr uint8_t kFlagUnknown = CUSTODY_KFLAG_UNKNOWN;
inline constexpr uint8_t kFlagSet = CUSTODY_KFLAG_SET;
inline constexpr uint8_t kFlagClear = CUSTODY_KFLAG_CLEAR;

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
    // An enqueue into a user DSQ, then the task's exit (a missed dequeue), of a
    // task whose comm is `comm` byte for byte: for the escaping tests.
    Script& task_named(const std::string& comm, uint32_t pid = 9);
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
// The report of the scenario named `name` run live; throws std::invalid_argument
// when there is no such scenario.
nlohmann::json scenario_report(const std::string& name);

// A report as the sink for `format` writes it (text, json, junit, html);
// throws std::invalid_argument for a format no sink has.
std::string render_report(std::string_view format, const nlohmann::json& report);

// Writes the scenario as a recording at path (the live path: through a session).
nlohmann::json record_scenario(const Scenario& scenario, const std::string& path);

// The bytes of a file.
std::vector<std::byte> read_file(const std::string& path);
void write_file(const std::string& path, std::span<const std::byte> bytes);

} // namespace scx_custody::fixtures
