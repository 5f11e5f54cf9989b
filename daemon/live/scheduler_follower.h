// SchedulerFollower: turns what the kernel says about scheduler instances
// into section boundaries for the audit, in ring order with the custody
// records, and keeps the tracer on the running instance's own programs.
//
// Instances are learnt of, best first:
//   reference       our own scheduler, traced before it is enabled: no window;
//   kernel_hook     a CUSTODY_EVT_SCHED_ENABLE record (bpf_scx_reg*): its
//                   programs are traced from the ring-buffer callback at once;
//                   records between its enable and that moment are dropped and
//                   its tasks start indeterminate (the window, reported);
//   running_at_start already running when the audit began;
//   poll            sysfs polling, only where the lifecycle hooks are not
//                   attached: such a section's start is not witnessed.
// A CUSTODY_EVT_SCHED_DISABLE record (or, for poll, sysfs) closes the section.
// Sub-schedulers (7.3) get sections of their own, open beside the root's:
// their programs are traced like the root's (attaching during the audit, or
// found attached at its start), and each record goes to the section of its
// task's owner (custody_event.owner). A sub-scheduler that cannot be traced,
// or one only seen owning a task, is a coverage gap and its tasks' records
// are not judged.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consumer/accept_window.h"
#include "consumer/lifecycle.h"
#include "custody_abi.h"
#include "live/sched_watcher.h"
#include "loader/kernel_btf.h"
#include "loader/sched_programs.h"
#include "record/recording_format.h"
#include "util/result.h"

namespace scx_custody::audit {
class AuditSession;
}
namespace scx_custody::loader {
class AttachPlan;
class Tracer;
} // namespace scx_custody::loader

namespace scx_custody::live {

class SchedulerFollower {
  public:
    SchedulerFollower(loader::Tracer& tracer, const loader::KernelBtf& btf,
                      bool hold_registrations = false);

    // Called whenever a scheduler's hooks change.
    std::function<void(const loader::AttachPlan&)> on_plan;
    // A section opens (its instance id and start time) or ends (its end
    // time), as fed to the session: for readings kept beside the audit.
    std::function<void(uint32_t instance_id, uint64_t ts_ns)> on_section_open;
    std::function<void(uint64_t ts_ns)> on_section_close;
    // The same for a sub-scheduler's section (7.3), with its tree path.
    std::function<void(uint32_t instance_id, const std::string& tree_path, uint64_t ts_ns)>
        on_sub_section_open;
    std::function<void(uint32_t instance_id, uint64_t ts_ns)> on_sub_section_close;

    // Set before any record is delivered.
    void attach_session(audit::AuditSession& session) { session_ = &session; }

    // Our reference scheduler: trace it before it is enabled, announce it.
    Status trace_reference(const loader::SchedulerPrograms& progs);
    void announce_reference(uint64_t ts_ns);
    // A root scheduler already running when the audit begins.
    void adopt_running(const std::string& name, uint64_t now_ns);

    // Ring-buffer callback: a record was delivered. Enable records are acted
    // upon at once (the scheduler is traced now), everything else later.
    void on_delivered(std::span<const std::byte> record);
    // Batch time, in ring order: feeds the session (or drops the record).
    void on_record(std::span<const std::byte> record);
    // After each poll, before its records: a lost lifecycle record makes the
    // follower start over from sysfs.
    void after_poll(const std::vector<custody_cpu_counters>& counters, uint64_t now_ns);
    // Only without lifecycle hooks: sysfs polling.
    void poll_sysfs(uint64_t now_ns);
    // The audit ends: closes the open section.
    void finish(uint64_t now_ns);

    bool lifecycle_hooks() const { return lifecycle_hooks_; }
    std::vector<std::string> coverage_gaps() const;
    // details.tracer figures: per-scheduler hooks, records not audited, ...
    nlohmann::json summary() const;

  private:
    // One scheduler instance's section, open or about to be.
    struct Instance {
        uint32_t map_id = 0;
        std::string name;
        bool implements_dequeue = true;
        bool traced = false;
        bool is_reference = false;
        bool held = false; // its loader was held until its programs were traced
        uint64_t enable_ts_ns = 0;
        uint64_t traced_from_ns = 0;
        record::ControlSource source = record::ControlSource::Unknown;
        std::string note;
        uint64_t sub_cgroup_id = 0; // a sub-scheduler's cgroup (0: the root)
        std::string tree_path;
    };

    void on_lifecycle(const consumer::LifecycleRecord& rec);
    void on_held_loading(const consumer::LifecycleRecord& rec);
    void on_root_enable(const consumer::LifecycleRecord& rec);
    void on_enabled(const consumer::LifecycleRecord& rec);
    void on_root_disable(uint64_t ts_ns, record::ControlSource source);
    void on_sub_scheduler(const consumer::LifecycleRecord& rec);
    // A sub-scheduler runs. `when` says how it was learnt of (report text);
    // without a judged section it is a coverage gap, and its tasks are not
    // judged until it stops.
    void note_sub(const std::string& name, uint32_t map_id, uint64_t cgroup,
                  const std::string& when);
    void adopt_running_subs(uint64_t now_ns);
    // A sub-scheduler's section opens (its programs traced or not) and closes.
    void announce_sub(Instance instance, uint64_t ts_ns);
    void close_sub(uint32_t owner, uint64_t ts_ns, record::ControlSource source);
    void forget_subs();
    void gap_for_sub(uint64_t cgroup, const std::string& why);
    // Whether a record of a task with this owner goes to a sub-scheduler's
    // section (set in `admit`) or is set apart.
    bool route_sub_record(uint32_t owner, uint64_t ts_ns, bool& admit);
    // Whether a record of a task with this owner (custody_event.owner), not
    // a judged sub-scheduler's, is judged in the root's section.
    bool owned_by_root(uint32_t owner, uint64_t ts_ns);
    // Traces an instance's programs now (replacing any other).
    Instance trace_instance(const loader::SchedulerPrograms& progs, record::ControlSource source,
                            uint64_t enable_ts_ns);
    Instance trace_by_map_id(const consumer::LifecycleRecord& registration);
    void announce(const Instance& instance, uint64_t ts_ns);
    void close(uint64_t ts_ns, record::ControlSource source);
    void note_hooks(const std::string& name);
    void notify_plan();
    // Stops tracing an instance's programs, if they are traced.
    void untrace(uint32_t map_id);
    // The control records that open and close an instance's section.
    static record::ControlRecord attach_record(const Instance& instance, uint64_t ts_ns,
                                               uint32_t owner, std::string tree_path);
    static record::ControlRecord detach_record(const Instance& instance, uint64_t ts_ns,
                                               record::ControlSource source, uint32_t owner);

    loader::Tracer& tracer_;
    const loader::KernelBtf& btf_;
    audit::AuditSession* session_ = nullptr;
    const bool lifecycle_hooks_;
    const bool hold_registrations_;
    uint64_t holds_ = 0;
    SchedWatcher watcher_;

    std::optional<Instance> open_;              // the announced instance
    std::map<uint32_t, Instance> traced_early_; // traced at delivery, not yet announced
    uint32_t delivered_root_ = 0;               // the root instance enabled, as delivered
    uint64_t resync_ts_ns_ = 0;                 // lifecycle records before this were given up
    uint64_t lifecycle_dropped_ = 0;
    consumer::AcceptWindow window_;
    // Sub-schedulers running now (by sub_cgroup_id). While one runs, a custody
    // record naming no owner cannot be placed: it becomes a Lost record.
    std::map<uint64_t, std::string> subs_;
    std::map<uint32_t, uint64_t> sub_maps_; // map id -> sub_cgroup_id
    uint64_t dropped_without_owner_ = 0;    // each became a Lost record at once
    uint64_t sub_owned_records_ = 0;        // records of sub-schedulers' tasks, not judged
    // Sub-schedulers with an open section, by owner key (their cgroup id).
    std::map<uint32_t, Instance> judged_subs_;
    uint64_t sub_records_judged_ = 0;

    uint64_t outside_scheduler_ = 0;
    uint64_t root_enables_seen_ = 0;
    uint64_t root_enables_succeeded_ = 0;
    std::set<uint32_t> root_maps_;
    std::optional<uint64_t> enable_seq_at_start_;
    std::optional<uint64_t> enable_seq_at_end_;
    std::vector<std::string> gaps_;
    nlohmann::json scheduler_hooks_ = nlohmann::json::array();
};

} // namespace scx_custody::live
