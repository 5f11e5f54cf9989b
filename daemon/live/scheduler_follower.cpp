#include "live/scheduler_follower.h"

#include "audit/audit_session.h"
#include "live/monotonic.h"
#include "loader/tracer.h"
#include "util/kernel_env.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

namespace scx_custody::live {
namespace {

using record::ControlSource;

// One field of a custody_event record without decoding the rest; `absent`
// for a record of another size.
template <typename T>
T record_field(std::span<const std::byte> record, std::size_t offset, T absent) {
    T value = absent;
    if (record.size() == sizeof(custody_event))
        std::memcpy(&value, record.data() + offset, sizeof(value));
    return value;
}

uint16_t record_type(std::span<const std::byte> record) {
    return record_field<uint16_t>(record, offsetof(custody_event, type), 0);
}

// custody_event.owner: CUSTODY_OWNER_* or the owning sub-scheduler's cgroup id.
uint32_t record_owner(std::span<const std::byte> record) {
    return record_field<uint32_t>(record, offsetof(custody_event, owner), CUSTODY_OWNER_UNKNOWN);
}

uint64_t record_ts(std::span<const std::byte> record) {
    uint64_t ts = 0;
    if (record.size() >= sizeof(ts))
        std::memcpy(&ts, record.data(), sizeof(ts)); // custody_event.ts_ns comes first
    return ts;
}

// The owner key of a sub-scheduler's tasks (custody_event.owner): its
// cgroup's id, when it fits the field.
std::optional<uint32_t> sub_owner_key(uint64_t cgroup_id) {
    if (cgroup_id <= CUSTODY_OWNER_ROOT || cgroup_id >= CUSTODY_OWNER_UNFIT)
        return std::nullopt;
    return static_cast<uint32_t>(cgroup_id);
}

bool lifecycle_hooks_attached(const loader::AttachPlan& plan) {
    const auto* reg = plan.find("sched_reg");
    const auto* disable = plan.find("sched_disable");
    return reg && reg->attached && disable && disable->attached;
}

// Every scheduler op the instance has is traced.
bool scheduler_hooks_attached(const loader::AttachPlan& plan) {
    for (const char* hook : {"sched_dequeue", "sched_enqueue"}) {
        const auto* h = plan.find(hook);
        if (h && h->required && !h->attached)
            return false;
    }
    return true;
}

// SIGCONT for a process our tracer stopped, once it is stopped (the signal
// is taken on its way back to user space, within microseconds of the
// record; wait at most a second for it).
bool continue_stopped(uint32_t tgid) {
    const std::string stat_path = "/proc/" + std::to_string(tgid) + "/stat";
    for (int i = 0; i < 1000; i++) {
        std::ifstream in(stat_path);
        std::string line;
        if (!std::getline(in, line))
            return false; // gone
        const auto state_at = line.rfind(')');
        if (state_at != std::string::npos && state_at + 2 < line.size() &&
            line[state_at + 2] == 'T')
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return ::kill(static_cast<pid_t>(tgid), SIGCONT) == 0;
}

} // namespace

SchedulerFollower::SchedulerFollower(loader::Tracer& tracer, const loader::KernelBtf& btf,
                                     bool hold_registrations)
    : tracer_(tracer), btf_(btf), lifecycle_hooks_(lifecycle_hooks_attached(tracer.plan())),
      hold_registrations_(hold_registrations), enable_seq_at_start_(sched_ext_enable_seq()) {}

void SchedulerFollower::notify_plan() {
    if (on_plan)
        on_plan(tracer_.plan());
}

void SchedulerFollower::untrace(uint32_t map_id) {
    if (!tracer_.traces(map_id))
        return;
    tracer_.untrace_scheduler(map_id);
    notify_plan();
}

record::ControlRecord SchedulerFollower::attach_record(const Instance& instance, uint64_t ts_ns,
                                                       uint32_t owner, std::string tree_path) {
    record::ControlRecord c;
    c.ts_ns = ts_ns;
    c.action = record::ControlAction::Attach;
    c.name = instance.name;
    c.implements_dequeue = instance.implements_dequeue;
    // Traced before it was registered (ours, or held): no task can have
    // entered its custody unseen.
    c.tasks_start_indeterminate = instance.source != ControlSource::Reference && !instance.held;
    c.traced = instance.traced;
    c.instance_id = instance.map_id;
    c.enable_ts_ns = instance.enable_ts_ns;
    c.traced_from_ns = instance.traced_from_ns;
    c.source = instance.source;
    c.note = instance.note;
    c.owner = owner;
    c.tree_path = std::move(tree_path);
    return c;
}

record::ControlRecord SchedulerFollower::detach_record(const Instance& instance, uint64_t ts_ns,
                                                       ControlSource source, uint32_t owner) {
    record::ControlRecord c;
    c.ts_ns = ts_ns;
    c.action = record::ControlAction::Detach;
    c.name = instance.name;
    c.instance_id = instance.map_id;
    c.source = source;
    c.owner = owner;
    return c;
}

// What was attached to each instance's own programs while it ran: the final
// plan no longer shows it (untracing clears those rows).
void SchedulerFollower::note_hooks(const std::string& name) {
    nlohmann::json hooks = nlohmann::json::array();
    for (const char* hook : {"sched_dequeue", "sched_enqueue"})
        if (const auto* h = tracer_.plan().find(hook))
            hooks.push_back({{"hook", h->hook},
                             {"target", h->target},
                             {"attached", h->attached},
                             {"note", h->note}});
    scheduler_hooks_.push_back({{"scheduler", name}, {"hooks", hooks}});
}

SchedulerFollower::Instance
SchedulerFollower::trace_instance(const loader::SchedulerPrograms& progs, ControlSource source,
                                  uint64_t enable_ts_ns) {
    Instance instance;
    instance.map_id = progs.map_id;
    instance.name = progs.name;
    instance.implements_dequeue = progs.implements_dequeue();
    instance.source = source;
    instance.enable_ts_ns = enable_ts_ns;
    if (auto traced = tracer_.trace_scheduler(progs); !traced) {
        instance.note = traced.error().message;
    } else {
        instance.traced = scheduler_hooks_attached(tracer_.plan());
        if (!instance.traced)
            instance.note = "attaching to its programs failed (see the attach plan)";
    }
    instance.traced_from_ns = monotonic_ns();
    note_hooks(progs.name);
    notify_plan();
    if (!instance.traced)
        spdlog::warn("cannot trace {}'s programs: {}", progs.name, instance.note);
    return instance;
}

SchedulerFollower::Instance
SchedulerFollower::trace_by_map_id(const consumer::LifecycleRecord& registration) {
    const uint32_t map_id = registration.map_id;
    const uint64_t enable_ts_ns = registration.ts_ns;
    auto progs = loader::scheduler_by_map_id(btf_, map_id);
    if (progs)
        return trace_instance(*progs, ControlSource::KernelHook, enable_ts_ns);
    // Gone before its struct_ops map could be opened: the registration's copy
    // of ops.name (its first 15 characters) is all that names it.
    Instance instance;
    instance.name = registration.name_prefix;
    instance.map_id = map_id;
    instance.source = ControlSource::KernelHook;
    instance.enable_ts_ns = enable_ts_ns;
    instance.traced_from_ns = monotonic_ns();
    instance.note = progs.error().message;
    return instance;
}

Status SchedulerFollower::trace_reference(const loader::SchedulerPrograms& progs) {
    Instance instance = trace_instance(progs, ControlSource::Reference, 0);
    if (!instance.traced)
        return Error::cannot_run("trace the reference scheduler: " + instance.note);
    instance.is_reference = true;
    instance.traced_from_ns = 0; // traced before it was enabled: nothing to drop
    delivered_root_ = instance.map_id;
    traced_early_[instance.map_id] = instance;
    return ok_status();
}

void SchedulerFollower::announce_reference(uint64_t ts_ns) {
    auto it = traced_early_.find(delivered_root_);
    if (it == traced_early_.end())
        return;
    Instance instance = it->second;
    traced_early_.erase(it);
    // Without lifecycle hooks sysfs is polled: it must not take ours for a
    // newcomer.
    watcher_.assume_running(instance.name);
    announce(instance, ts_ns);
}

void SchedulerFollower::adopt_running(const std::string& name, uint64_t now_ns) {
    Instance instance;
    if (auto progs = loader::find_scheduler_programs(btf_, name)) {
        instance = trace_instance(*progs, ControlSource::RunningAtStart, 0);
    } else {
        instance.name = name;
        instance.source = ControlSource::RunningAtStart;
        instance.traced_from_ns = now_ns;
        instance.note = progs.error().message;
    }
    delivered_root_ = instance.map_id;
    watcher_.assume_running(name);
    announce(instance, now_ns);
    // After the root's section: its attach closes every section open before.
    adopt_running_subs(now_ns);
}

void SchedulerFollower::announce(const Instance& instance, uint64_t ts_ns) {
    session_->on_control(attach_record(instance, ts_ns, CUSTODY_OWNER_ROOT, "root"));
    if (on_section_open)
        on_section_open(instance.map_id, ts_ns);
    open_ = instance;
    // An untraced instance's records cannot be judged: none are fed.
    window_.open(instance.traced_from_ns);
    if (!instance.traced)
        window_.close();
    spdlog::info("auditing scheduler {} (instance {}, {}){}", instance.name, instance.map_id,
                 record::to_string(instance.source),
                 instance.implements_dequeue ? ""
                                             : ": no ops.dequeue, custody auditing does "
                                               "not apply");
}

void SchedulerFollower::close(uint64_t ts_ns, ControlSource source) {
    if (!open_)
        return;
    session_->on_control(detach_record(*open_, ts_ns, source, CUSTODY_OWNER_ROOT));
    if (on_section_close)
        on_section_close(ts_ns);
    // The root's detach closed the sub-schedulers' sections too.
    forget_subs();
    untrace(open_->map_id);
    spdlog::info("scheduler {} (instance {}) stopped", open_->name, open_->map_id);
    open_.reset();
    window_.close();
}

// The loader was stopped on its way back from setting its map's value (see
// custody_on_sched_load): trace a root instance now, then let it go on.
void SchedulerFollower::on_held_loading(const consumer::LifecycleRecord& rec) {
    auto progs = loader::scheduler_by_map_id(btf_, rec.map_id);
    // A root while none runs (the kernel refuses a second one), or a
    // sub-scheduler, which runs beside the others.
    const bool may_run = progs && (!progs->is_root() || delivered_root_ == 0);
    if (may_run && !traced_early_.contains(rec.map_id)) {
        Instance instance = trace_instance(*progs, ControlSource::KernelHook, 0);
        instance.held = true;
        traced_early_[rec.map_id] = instance;
    }
    ++holds_;
    if (!continue_stopped(rec.tgid))
        gaps_.push_back("process " + std::to_string(rec.tgid) +
                        " held for tracing could not be continued");
}

void SchedulerFollower::on_delivered(std::span<const std::byte> record) {
    const uint16_t type = record_type(record);
    if (type != CUSTODY_EVT_SCHED_ENABLE && type != CUSTODY_EVT_SCHED_DISABLE &&
        type != CUSTODY_EVT_SCHED_ENABLED && type != CUSTODY_EVT_SCHED_LOADING)
        return;
    const auto rec = consumer::decode_lifecycle(record);
    if (!rec)
        return;
    if (rec->kind == consumer::LifecycleRecord::Kind::Loading) {
        if (hold_registrations_)
            on_held_loading(*rec);
        return;
    }
    // The delivery-time view of which root instance is enabled: a second
    // root registration while one runs is refused by the kernel, and must
    // not take the tracer away from the running one.
    if (rec->kind == consumer::LifecycleRecord::Kind::Disable && rec->is_root()) {
        delivered_root_ = 0;
    } else if (rec->kind == consumer::LifecycleRecord::Kind::Enabled && rec->result != 0 &&
               rec->map_id == delivered_root_) {
        delivered_root_ = 0;
    } else if (rec->kind == consumer::LifecycleRecord::Kind::Enable && rec->is_root() &&
               delivered_root_ == 0) {
        delivered_root_ = rec->map_id;
        if (!traced_early_.contains(rec->map_id)) // held: traced before it was registered
            traced_early_[rec->map_id] = trace_by_map_id(*rec);
    } else if (rec->kind == consumer::LifecycleRecord::Kind::Enable && !rec->is_root() &&
               !traced_early_.contains(rec->map_id)) {
        traced_early_[rec->map_id] = trace_by_map_id(*rec);
    }
}

void SchedulerFollower::on_record(std::span<const std::byte> record) {
    if (auto rec = consumer::decode_lifecycle(record)) {
        if (rec->ts_ns >= resync_ts_ns_)
            on_lifecycle(*rec);
        return;
    }
    const uint32_t owner = record_owner(record);
    bool admit = false;
    if (route_sub_record(owner, record_ts(record), admit)) {
        if (!admit) {
            ++outside_scheduler_;
            return;
        }
        ++sub_records_judged_;
        session_->on_event_bytes(record);
        return;
    }
    if (!window_.admits(record_ts(record))) {
        ++outside_scheduler_;
        return;
    }
    // A freed task has no scheduler any more (the kernel clears its owner at
    // exit), and a run names none the engine needs: both stay with the
    // section the task is in.
    const uint16_t type = record_type(record);
    const bool ownerless = type == CUSTODY_EVT_TASK_EXIT || type == CUSTODY_EVT_RUNNING;
    if (!(ownerless && owner == CUSTODY_OWNER_UNKNOWN) && !owned_by_root(owner, record_ts(record)))
        return;
    session_->on_event_bytes(record);
}

bool SchedulerFollower::route_sub_record(uint32_t owner, uint64_t ts_ns, bool& admit) {
    const auto it = judged_subs_.find(owner);
    if (it == judged_subs_.end())
        return false;
    // Records before its programs were traced: its window, as for a root.
    admit = ts_ns >= it->second.traced_from_ns;
    return true;
}

// Records that reach here are not a judged sub-scheduler's: the root's are
// judged, and while sub-schedulers run those of a sub-scheduler without a
// section, or of an unknown owner, are set apart. A task owned by a sub-scheduler the
// audit did not know of makes that one known (a third witness, after its
// registration and the kernel's struct_ops maps and sysfs).
bool SchedulerFollower::owned_by_root(uint32_t owner, uint64_t ts_ns) {
    const bool sub_owner = owner != CUSTODY_OWNER_ROOT && owner != CUSTODY_OWNER_UNKNOWN;
    if (sub_owner && !subs_.contains(owner) && !judged_subs_.contains(owner)) {
        note_sub("?", 0, owner, "owned tasks during the audit (its attach was not seen)");
        gap_for_sub(owner, "its attach was not seen");
    }
    if (subs_.empty() || owner == CUSTODY_OWNER_ROOT)
        return true;
    if (owner == CUSTODY_OWNER_UNKNOWN || owner == CUSTODY_OWNER_UNFIT) {
        // Whose it was is not known: a hole in some section's history, now.
        ++dropped_without_owner_;
        session_->on_lost({ts_ns, pairing::kNoCpu, 1});
    } else {
        ++sub_owned_records_;
    }
    return false;
}

void SchedulerFollower::on_lifecycle(const consumer::LifecycleRecord& rec) {
    using Kind = consumer::LifecycleRecord::Kind;
    switch (rec.kind) {
    case Kind::Loading:
        break; // acted upon at delivery
    case Kind::Enable:
        if (rec.is_root())
            on_root_enable(rec);
        else
            on_sub_scheduler(rec);
        break;
    case Kind::Enabled:
        on_enabled(rec);
        break;
    case Kind::Disable:
        if (rec.is_root())
            on_root_disable(rec.ts_ns, ControlSource::KernelHook);
        else
            on_sub_scheduler(rec);
        break;
    }
}

void SchedulerFollower::on_root_enable(const consumer::LifecycleRecord& rec) {
    ++root_enables_seen_;
    root_maps_.insert(rec.map_id);
    if (open_ && open_->map_id == rec.map_id)
        return; // ours, or found running at start: already announced
    auto it = traced_early_.find(rec.map_id);
    if (open_ || it == traced_early_.end())
        return; // another root runs: the kernel refuses this one (EBUSY)
    Instance instance = it->second;
    traced_early_.erase(it);
    instance.enable_ts_ns = rec.ts_ns;
    announce(instance, rec.ts_ns);
}

void SchedulerFollower::on_enabled(const consumer::LifecycleRecord& rec) {
    if (rec.result == 0) {
        if (root_maps_.contains(rec.map_id))
            ++root_enables_succeeded_;
        return;
    }
    traced_early_.erase(rec.map_id);
    if (auto sub = sub_maps_.find(rec.map_id); sub != sub_maps_.end()) {
        if (const auto owner = sub_owner_key(sub->second))
            close_sub(*owner, rec.ts_ns, ControlSource::RegistrationFailed);
        subs_.erase(sub->second);
        sub_maps_.erase(sub);
    } else if (!root_maps_.contains(rec.map_id) && tracer_.traces(rec.map_id)) {
        untrace(rec.map_id); // a sub-scheduler that never ran
    } else if (open_ && open_->map_id == rec.map_id) {
        close(rec.ts_ns, ControlSource::RegistrationFailed);
    }
}

void SchedulerFollower::on_root_disable(uint64_t ts_ns, ControlSource source) {
    close(ts_ns, source);
}

// A sub-scheduler's registration (traced at delivery, see on_delivered) opens
// its section; its disable closes it.
void SchedulerFollower::on_sub_scheduler(const consumer::LifecycleRecord& rec) {
    if (rec.kind == consumer::LifecycleRecord::Kind::Enable) {
        Instance instance;
        if (auto it = traced_early_.find(rec.map_id); it != traced_early_.end()) {
            instance = it->second;
            traced_early_.erase(it);
        } else {
            instance.name = rec.name_prefix;
            instance.map_id = rec.map_id;
            instance.source = ControlSource::KernelHook;
            instance.note = "its programs were not traced";
        }
        instance.enable_ts_ns = rec.ts_ns;
        instance.sub_cgroup_id = rec.sub_cgroup_id;
        note_sub(instance.name, rec.map_id, rec.sub_cgroup_id, "ran during the audit");
        announce_sub(instance, rec.ts_ns);
        return;
    }
    if (const auto owner = sub_owner_key(rec.sub_cgroup_id))
        close_sub(*owner, rec.ts_ns, ControlSource::KernelHook);
    subs_.erase(rec.sub_cgroup_id);
}

void SchedulerFollower::note_sub(const std::string& name, uint32_t map_id, uint64_t cgroup,
                                 const std::string& when) {
    if (subs_.contains(cgroup))
        return;
    subs_[cgroup] = "sub-scheduler \"" + name + "\" (instance " + std::to_string(map_id) +
                    ", cgroup " + std::to_string(cgroup) + ") " + when;
    if (map_id != 0)
        sub_maps_[map_id] = cgroup;
}

// A sub-scheduler whose section cannot be judged: a coverage gap, and the
// records of its tasks are set apart until it stops.
void SchedulerFollower::gap_for_sub(uint64_t cgroup, const std::string& why) {
    const auto it = subs_.find(cgroup);
    const std::string label =
        it != subs_.end() ? it->second : "sub-scheduler on cgroup " + std::to_string(cgroup);
    gaps_.push_back(label + ": " + why + ", and the custody of the tasks it owned was not judged");
}

void SchedulerFollower::announce_sub(Instance instance, uint64_t ts_ns) {
    const auto owner = sub_owner_key(instance.sub_cgroup_id);
    if (!owner || !instance.traced || !instance.implements_dequeue) {
        gap_for_sub(instance.sub_cgroup_id, !owner ? "its cgroup id does not fit a record"
                                            : !instance.implements_dequeue
                                                ? "it has no ops.dequeue"
                                                : "it could not be traced (" + instance.note + ")");
        untrace(instance.map_id);
        return;
    }
    std::set<uint64_t> sub_cgroups;
    for (const auto& [cgroup, label] : subs_)
        sub_cgroups.insert(cgroup);
    instance.tree_path = sched_ext_tree_path(instance.sub_cgroup_id, sub_cgroups);
    if (instance.tree_path.empty()) // neither sysfs nor cgroupfs knows it: no parent known
        instance.tree_path = "sub-" + std::to_string(instance.sub_cgroup_id);
    session_->on_control(attach_record(instance, ts_ns, *owner, instance.tree_path));
    if (on_sub_section_open)
        on_sub_section_open(instance.map_id, instance.tree_path, ts_ns);
    // A new instance on the cgroup before the old one's disable was read:
    // the engine closed the old section at this attach; its tracing goes too.
    if (auto old = judged_subs_.find(*owner);
        old != judged_subs_.end() && old->second.map_id != instance.map_id)
        untrace(old->second.map_id);
    if (instance.map_id != 0)
        sub_maps_[instance.map_id] = instance.sub_cgroup_id;
    spdlog::info("auditing sub-scheduler {} (instance {}, {}, {})", instance.name, instance.map_id,
                 instance.tree_path, record::to_string(instance.source));
    judged_subs_[*owner] = std::move(instance);
}

void SchedulerFollower::close_sub(uint32_t owner, uint64_t ts_ns, ControlSource source) {
    const auto it = judged_subs_.find(owner);
    if (it == judged_subs_.end())
        return;
    const Instance& instance = it->second;
    session_->on_control(detach_record(instance, ts_ns, source, owner));
    if (on_sub_section_close)
        on_sub_section_close(instance.map_id, ts_ns);
    spdlog::info("sub-scheduler {} (instance {}) stopped", instance.name, instance.map_id);
    untrace(instance.map_id);
    judged_subs_.erase(it);
}

// The root's detach closed their sections: only the tracing is left to undo.
void SchedulerFollower::forget_subs() {
    for (const auto& [owner, instance] : judged_subs_)
        if (tracer_.traces(instance.map_id))
            tracer_.untrace_scheduler(instance.map_id);
    if (!judged_subs_.empty())
        notify_plan();
    judged_subs_.clear();
}

// Sub-schedulers already attached when the audit began (or re-read after a
// lost lifecycle record): their enables were never seen, so they are taken
// from their struct_ops maps and traced now, their tasks starting
// indeterminate. sysfs root/sub/ is a second witness: a sub-scheduler whose
// map cannot be read still counts (as a gap). Each one's SCHED_DISABLE
// record (by cgroup id) ends it as for one seen attaching.
void SchedulerFollower::adopt_running_subs(uint64_t now_ns) {
    if (auto maps = loader::sched_ext_struct_ops_maps(btf_)) {
        for (const auto& m : *maps) {
            if (!m.linked || m.is_root() || subs_.contains(m.sub_cgroup_id))
                continue;
            Instance instance;
            if (auto progs = loader::scheduler_by_map_id(btf_, m.map_id)) {
                instance = trace_instance(*progs, ControlSource::RunningAtStart, 0);
            } else {
                instance.name = m.name;
                instance.map_id = m.map_id;
                instance.note = progs.error().message;
            }
            instance.sub_cgroup_id = m.sub_cgroup_id;
            note_sub(m.name, m.map_id, m.sub_cgroup_id, "was attached when the audit began");
            announce_sub(instance, now_ns);
        }
    }
    for (uint64_t cgroup : sched_ext_sub_scheduler_cgroups()) {
        if (subs_.contains(cgroup))
            continue;
        note_sub("?", 0, cgroup, "was attached when the audit began (seen in sysfs only)");
        gap_for_sub(cgroup, "its struct_ops map could not be read");
    }
}

void SchedulerFollower::after_poll(const std::vector<custody_cpu_counters>& counters,
                                   uint64_t now_ns) {
    uint64_t lifecycle_dropped = 0;
    for (const auto& c : counters)
        lifecycle_dropped += c.lifecycle_dropped;
    if (lifecycle_dropped <= lifecycle_dropped_)
        return;
    lifecycle_dropped_ = lifecycle_dropped;
    // A section boundary may be missing: nothing consumed so far can be
    // placed. Close what is open, ignore the lifecycle records already
    // delivered, and start over from what sysfs says runs now.
    gaps_.push_back("a scheduler lifecycle record was lost (ring buffer full): scheduler "
                    "instances were re-read from sysfs, and records before that were not judged");
    resync_ts_ns_ = now_ns;
    close(now_ns, ControlSource::Unknown);
    for (const auto& [map_id, instance] : traced_early_)
        if (tracer_.traces(map_id))
            tracer_.untrace_scheduler(map_id);
    traced_early_.clear();
    delivered_root_ = 0;
    subs_.clear(); // re-read below, with the root
    sub_maps_.clear();
    if (auto status = sched_ext_status(); status && status->state == "enabled")
        adopt_running(status->scheduler, now_ns);
}

void SchedulerFollower::poll_sysfs(uint64_t now_ns) {
    if (lifecycle_hooks_)
        return;
    while (auto change = watcher_.poll()) {
        if (change->kind == SchedChange::Kind::Stopped) {
            close(now_ns, ControlSource::Poll);
            continue;
        }
        Instance instance;
        if (auto progs = loader::find_scheduler_programs(btf_, change->name)) {
            instance = trace_instance(*progs, ControlSource::Poll, 0);
        } else {
            instance.name = change->name;
            instance.source = ControlSource::Poll;
            instance.traced_from_ns = now_ns;
            instance.note = progs.error().message;
        }
        announce(instance, now_ns);
    }
}

void SchedulerFollower::finish(uint64_t now_ns) {
    close(now_ns, ControlSource::AuditEnd);
    const auto seq_now = sched_ext_enable_seq();
    enable_seq_at_end_ = seq_now;
    if (!lifecycle_hooks_ || !enable_seq_at_start_ || !seq_now)
        return;
    const uint64_t enabled = *seq_now - *enable_seq_at_start_;
    if (enabled > root_enables_succeeded_) {
        gaps_.push_back(std::to_string(enabled - root_enables_succeeded_) +
                        " root scheduler instance(s) enabled during the audit (by "
                        "/sys/kernel/sched_ext/enable_seq) were not seen");
    }
}

std::vector<std::string> SchedulerFollower::coverage_gaps() const {
    return gaps_;
}

nlohmann::json SchedulerFollower::summary() const {
    auto seq = [](const std::optional<uint64_t>& v) { return v ? nlohmann::json(*v) : nullptr; };
    return {
        {"scheduler_hooks", scheduler_hooks_},
        {"events_outside_scheduler", outside_scheduler_},
        {"events_of_sub_schedulers", sub_owned_records_},
        {"events_of_sub_schedulers_judged", sub_records_judged_},
        {"events_without_owner_lost", dropped_without_owner_},
        {"lifecycle_hooks", lifecycle_hooks_},
        {"registrations_held", holds_},
        {"root_enables_seen", root_enables_seen_},
        {"root_enables_succeeded", root_enables_succeeded_},
        {"enable_seq", {{"start", seq(enable_seq_at_start_)}, {"end", seq(enable_seq_at_end_)}}},
    };
}

} // namespace scx_custody::live
