#include "pairing/pairing_engine.h"

#include <algorithm>
#include <utility>

#include "pairing/scx_constants.h"

namespace scx_custody::pairing {

PairingEngine::PairingEngine(EngineConfig config, EngineObserver* observer)
    : config_(config), observer_(observer), tasks_(config.max_tracked_tasks), held_(config.held) {}

// ---- bookkeeping -------------------------------------------------------------

Counters* PairingEngine::add_cpu_slots(uint32_t cpu) {
    if (cpu >= config_.max_cpus)
        return nullptr;
    per_cpu_.resize(static_cast<std::size_t>(cpu) + 1);
    return &per_cpu_[cpu];
}

Counters PairingEngine::cpu_counters(uint32_t cpu) const {
    return cpu < per_cpu_.size() ? per_cpu_[cpu] : Counters{};
}

template <class Update> void PairingEngine::count(uint32_t cpu, Update&& update) {
    update(totals_);
    if (SchedulerSection* section = active_section())
        update(section->counts);
    if (Counters* slot = cpu_slot(cpu))
        update(*slot);
}

void PairingEngine::publish_in_custody() {
    const uint64_t in_custody = tasks_in_custody();
    if (in_custody == published_in_custody_)
        return;
    published_in_custody_ = in_custody;
    if (observer_)
        observer_->on_tasks_in_custody(in_custody);
}

std::optional<CustodyState> PairingEngine::state_of(const TaskKey& key) const {
    const TaskState* task = tasks_.find(key);
    if (!task)
        return std::nullopt;
    return logical_state(*task);
}

// ---- held custodies ----------------------------------------------------------

bool PairingEngine::custody_live(const TaskKey& key, uint64_t enter_ts_ns, TaskRef record) const {
    // A young entry's record, when it still holds the task, spares the look-up.
    const TaskState* task = record.record ? tasks_.resolve(record, key) : tasks_.find(key);
    return task && logical_state(*task) == CustodyState::InCustody &&
           task->enter_ts_ns == enter_ts_ns;
}

std::optional<OldestCustody> PairingEngine::oldest_custody() const {
    std::optional<TaskKey> oldest_key;
    uint64_t oldest_ts = 0;
    const std::optional<uint64_t> enter = held_.oldest_enter_ns(
        [this, &oldest_key, &oldest_ts](const TaskKey& key, uint64_t ts, TaskRef record) {
            const bool live = custody_live(key, ts, record);
            if (live && (!oldest_key || ts < oldest_ts)) {
                oldest_key = key;
                oldest_ts = ts;
            }
            return live;
        });
    if (!enter || !oldest_key)
        return std::nullopt;
    const TaskState* task = tasks_.find(*oldest_key);
    const std::size_t section = slots_[task->section_slot].section;
    return OldestCustody{section == kNoSection ? std::string_view() : sections_[section].name,
                         *enter};
}

void PairingEngine::follow_held(TaskState& task, const Event& event) {
    HeldCustody* held = held_.watched(task.key());
    if (!held) {
        // Its watched custody already ended (lost events, a new section).
        task.held_watched = false;
        return;
    }
    const CustodyState state = logical_state(task);
    held_.record(*held, {event.ts_ns, event.cpu, event.kind, event.dsq_id, event.flags, state});
    if (event.kind == EventKind::TaskExit || state != CustodyState::InCustody ||
        task.enter_ts_ns != held->enter_ts_ns) {
        held_.end(task.key(), event.ts_ns, to_string(event.kind));
        task.held_watched = false;
    }
}

void PairingEngine::promote_held(uint64_t now_ns) {
    held_.promote_due(
        now_ns, std::string_view(),
        [this](const TaskKey& key, uint64_t ts, TaskRef record) {
            return custody_live(key, ts, record);
        },
        [this](const TaskKey& key, HeldCustody* held) {
            if (!held)
                return;
            TaskState* task = tasks_.find(key);
            task->held_watched = true;
            held->comm = tasks_.comm(*task);
            if (const std::size_t section = slots_[task->section_slot].section;
                section != kNoSection)
                held->scheduler = sections_[section].name;
        },
        [this](TaskRef record) { tasks_.prefetch(record); });
}

// ---- sections ----------------------------------------------------------------

bool PairingEngine::any_section_open() const {
    return std::any_of(slots_.begin(), slots_.end(),
                       [](const Slot& slot) { return slot.section != kNoSection; });
}

std::optional<unsigned> PairingEngine::slot_of_owner(uint32_t owner) const {
    for (unsigned i = 0; i < slots_.size(); i++)
        if (slots_[i].section != kNoSection && slots_[i].owner == owner)
            return i;
    return std::nullopt;
}

std::optional<unsigned> PairingEngine::slot_of_instance(uint32_t instance_id) const {
    for (unsigned i = 0; i < slots_.size(); i++)
        if (slots_[i].section != kNoSection &&
            sections_[slots_[i].section].instance_id == instance_id)
            return i;
    return std::nullopt;
}

std::optional<unsigned> PairingEngine::ensure_slot(const Event& event, uint32_t owner) {
    if (auto slot = slot_of_owner(owner))
        return slot;
    if (!slot_available())
        return std::nullopt;
    return open_new_section(event, true, owner);
}

bool PairingEngine::slot_available() const {
    return slots_.size() < kMaxSlots ||
           std::any_of(slots_.begin(), slots_.end(),
                       [](const Slot& slot) { return slot.section == kNoSection; });
}

unsigned PairingEngine::open_new_section(const Event& event, bool implicit, uint32_t owner) {
    SchedulerSection section;
    if (implicit) {
        section.implements_dequeue = config_.assume_implements_dequeue;
        section.attach_observed = false;
    } else {
        section.name = event.sched_name;
        section.tree_path = event.tree_path;
        section.implements_dequeue = event.implements_dequeue;
        section.attach_observed = !event.tasks_start_indeterminate;
        section.instance_id = event.instance_id;
        section.traced = event.traced;
        section.enable_ts_ns = event.enable_ts_ns;
        section.traced_from_ns = event.traced_from_ns;
        section.found_by = event.found_by;
        section.note = event.note;
    }
    section.owner = owner;
    section.begin_ts_ns = event.ts_ns;
    sections_.push_back(std::move(section));
    // The root's slot is 0 whenever it is free: most records never change it.
    unsigned slot = 0;
    while (slot < slots_.size() && slots_[slot].section != kNoSection)
        slot++;
    if (slot == slots_.size())
        slots_.emplace_back();
    slots_[slot] = {sections_.size() - 1, owner, sections_.back().attach_observed};
    if (observer_)
        observer_->on_scheduler_attach(sections_.back());
    return slot;
}

void PairingEngine::close_slot(unsigned slot, uint64_t ts_ns, bool detach_observed,
                               std::optional<EventKind> trigger, bool own_detach) {
    const std::size_t index = slots_[slot].section;
    if (index == kNoSection)
        return;
    active_ = index;
    // A sub-scheduler's own detach is reported once its disable has moved
    // every task out, and its disable bypasses it first, which cycles each
    // runnable task through a dequeue (docs/SUBSCHEDULERS.md): a custody it
    // still holds then never got its ops.dequeue. The root's tasks are
    // switched away without one, by design.
    const bool owes_dequeue = own_detach && slots_[slot].owner != kRootOwner;
    std::vector<TaskKey> leaving;
    tasks_.for_each([&](const TaskState& task) {
        if (task.section_slot != slot)
            return;
        leaving.push_back(task.key());
        const CustodyState state = logical_state(task);
        switch (state) {
        case CustodyState::InCustody:
            if (owes_dequeue) {
                raise(ViolationKind::MissedDequeue, task,
                      {task.last_cpu, ts_ns, trigger, 0, task.left_dsq_id, state});
                break;
            }
            count(task.last_cpu, [](Counters& c) { ++c.custody_abandoned_at_unload; });
            if (observer_)
                observer_->on_custody_abandoned_at_unload(task.last_cpu, 1);
            break;
        case CustodyState::LeftWithoutDequeue:
        case CustodyState::RanWithoutDequeue:
            raise(ViolationKind::MissedDequeue, task,
                  {task.last_cpu, ts_ns, trigger, 0, task.left_dsq_id, state});
            break;
        case CustodyState::OutOfCustody:
        case CustodyState::Indeterminate:
            break;
        }
    });
    const char* reason = detach_observed ? "scheduler_detach" : "scheduler_attach";
    for (const TaskKey& key : leaving) {
        if (held_.watched(key))
            held_.end(key, ts_ns, reason);
        forget_task(key);
    }
    active_ = kNoSection;
    end_section(slot, ts_ns, detach_observed);
}

void PairingEngine::end_section(unsigned slot, uint64_t ts_ns, bool detach_observed) {
    SchedulerSection& section = sections_[slots_[slot].section];
    section.open = false;
    section.detach_observed = detach_observed;
    section.end_ts_ns = ts_ns;
    slots_[slot] = Slot{};
    if (observer_)
        observer_->on_scheduler_detach(section);
}

void PairingEngine::close_all_sections(uint64_t ts_ns, bool detach_observed,
                                       std::optional<EventKind> trigger) {
    // The sub-schedulers first: they stop before the root they run under.
    for (unsigned slot = static_cast<unsigned>(slots_.size()); slot-- > 0;)
        close_slot(slot, ts_ns, detach_observed, trigger);
    held_.end_all(ts_ns, detach_observed ? "scheduler_detach" : "scheduler_attach", false);
    forget_all_tasks();
}

// ---- owners ------------------------------------------------------------------

uint32_t PairingEngine::event_owner(const Event& event, const TaskState* task) const {
    if (event.owner != kOwnerUnknown)
        return event.owner;
    if (task && slots_[task->section_slot].section != kNoSection)
        return slots_[task->section_slot].owner;
    return kRootOwner;
}

bool PairingEngine::move_to_owner(TaskState& task, const Event& event) {
    const Slot& slot = slots_[task.section_slot];
    const uint32_t owner = event_owner(event, &task);
    const std::size_t current = slot.section;
    const std::optional<unsigned> to = ensure_slot(event, owner);
    if (!to) {
        ++unjudged_events_;
        return false;
    }
    if (current == kNoSection) {
        // Its section closed without dropping it (cannot happen: closing drops
        // a section's records); take it as newly seen.
        task.section_slot = *to;
        active_ = slots_[*to].section;
        return true;
    }
    hand_over(task, event, *to);
    return true;
}

void PairingEngine::hand_over(TaskState& task, const Event& event, unsigned to_slot) {
    active_ = slots_[task.section_slot].section;
    const CustodyState before = task.state;
    switch (before) {
    case CustodyState::InCustody:
    case CustodyState::LeftWithoutDequeue:
    case CustodyState::RanWithoutDequeue:
        // The kernel dequeues a task from its old scheduler before handing it on.
        if (judging_)
            raise(ViolationKind::MissedDequeue, task,
                  {event.cpu, event.ts_ns, event.kind, event.flags, task.left_dsq_id, before});
        break;
    case CustodyState::OutOfCustody:
    case CustodyState::Indeterminate:
        break;
    }
    // Counted only when judged: an event that may follow a hole still moves
    // the task, but proves no hand-over.
    if (judging_)
        ++sections_[active_].tasks_handed_out;
    task.section_slot = to_slot;
    active_ = slots_[to_slot].section;
    if (judging_)
        ++sections_[active_].tasks_handed_in;
    // Nothing carries over: the new instance's custody begins with its own enqueue.
    set_state(task, slots_[to_slot].history_complete && judging_ ? CustodyState::OutOfCustody
                                                                 : CustodyState::Indeterminate);
    task.dequeued_since_enter = false;
    task.mismatch_reported = false;
    task.left_dsq_id = kNoDsq;
}

// ---- task records ------------------------------------------------------------

CustodyState PairingEngine::logical_state(const TaskState& task) const {
    return task.epoch == epoch_ ? task.state : CustodyState::Indeterminate;
}

void PairingEngine::set_state(TaskState& task, CustodyState state) {
    --state_counts_[to_index(task.state)];
    ++state_counts_[to_index(state)];
    task.state = state;
}

TaskState* PairingEngine::lookup(const Event& event) {
    TaskState* task = tasks_.touch(event.task);
    if (!task) {
        const auto slot = slot_of_owner(event_owner(event, nullptr));
        active_ = slot ? slots_[*slot].section : kNoSection;
        return nullptr;
    }
    return route(task, event);
}

TaskState* PairingEngine::route(TaskState* task, const Event& event) {
    if (task->epoch != epoch_) {
        // Already counted as Indeterminate in state_counts_ by the Lost event.
        task->state = CustodyState::Indeterminate;
        task->epoch = epoch_;
        task->dequeued_since_enter = false;
        task->mismatch_reported = false;
        task->left_dsq_id = kNoDsq;
    }
    task->last_cpu = event.cpu;
    if (event.comm[0] != '\0')
        tasks_.set_comm(*task, event.comm);
    // A freed task names no owner: it stays where its record is.
    if (event.kind == EventKind::TaskExit) {
        active_ = slots_[task->section_slot].section;
        return task;
    }
    return follow_owner(*task, event) ? task : nullptr;
}

TaskState* PairingEngine::acquire(const Event& event) {
    if (TaskState* task = tasks_.touch(event.task))
        return route(task, event);
    const std::optional<unsigned> slot = ensure_slot(event, event_owner(event, nullptr));
    if (!slot) {
        ++unjudged_events_;
        return nullptr;
    }
    active_ = slots_[*slot].section;

    // Decided before a possible eviction: a task seen for the first time cannot be
    // the one evicted now.
    const CustodyState initial =
        slots_[*slot].history_complete ? CustodyState::OutOfCustody : CustodyState::Indeterminate;
    TaskTable::Inserted inserted = tasks_.insert(event.task);
    if (inserted.evicted) {
        --state_counts_[to_index(logical_state(*inserted.evicted))];
        for (Slot& open : slots_)
            open.history_complete = false;
        count(event.cpu, [](Counters& c) { ++c.evicted; });
        if (observer_)
            observer_->on_evicted(event.cpu);
    }
    TaskState& task = *inserted.task;
    task.state = initial;
    task.epoch = epoch_;
    task.last_cpu = event.cpu;
    task.section_slot = *slot;
    tasks_.set_comm(task, event.comm);
    ++state_counts_[to_index(initial)];
    return &task;
}

void PairingEngine::forget_task(const TaskKey& key) {
    if (const TaskState* task = tasks_.find(key)) {
        --state_counts_[to_index(logical_state(*task))];
        tasks_.erase(key);
    }
}

void PairingEngine::forget_all_tasks() {
    tasks_.clear();
    state_counts_ = {};
}

// ---- findings and counts -----------------------------------------------------

void PairingEngine::raise(ViolationKind kind, const TaskState& task, const FindingContext& context,
                          KernelCustodyFlag kernel_flag) {
    const SchedulerSection* section = active_section();
    const bool implements_dequeue =
        section ? section->implements_dequeue : config_.assume_implements_dequeue;
    if (!implements_dequeue && kind != ViolationKind::CustodyFlagMismatch)
        return;
    if (section && !section->traced)
        return;

    count(context.cpu, [kind](Counters& c) { ++c.violations[to_index(kind)]; });
    ++findings_total_;

    Finding finding;
    finding.kind = kind;
    finding.task = task.key();
    finding.comm = tasks_.comm(task);
    finding.cpu = context.cpu;
    finding.ts_ns = context.ts_ns;
    finding.trigger = context.trigger;
    finding.state_before = context.state_before;
    finding.flags = context.flags;
    finding.dsq_id = context.dsq_id;
    finding.custody_enter_ts_ns =
        kind == ViolationKind::DequeueOutsideCustody ? 0 : task.enter_ts_ns;
    finding.kernel_flag = kernel_flag;
    if (section) {
        finding.scheduler = section->name;
        finding.section = active_;
    }

    if (observer_)
        observer_->on_finding(finding);
    if (samples_.size() < config_.max_samples)
        samples_.push_back(std::move(finding));
}

void PairingEngine::enter_custody(TaskState& task, const Event& event, EnterPath path) {
    set_state(task, CustodyState::InCustody);
    task.enter_ts_ns = event.ts_ns;
    task.enter_path = path;
    task.left_dsq_id = kNoDsq;
    task.dequeued_since_enter = false;
    task.mismatch_reported = false;
    held_.on_enter(
        task.key(), tasks_.ref(task),
        {event.ts_ns, event.cpu, event.kind, event.dsq_id, event.flags, CustodyState::InCustody});
    held_.compact(tasks_in_custody(), [this](const TaskKey& key, uint64_t ts, TaskRef record) {
        return custody_live(key, ts, record);
    });
    if (SchedulerSection* section = active_section(); section && section->first_enter_ts_ns == 0)
        section->first_enter_ts_ns = event.ts_ns;
    count(event.cpu, [path](Counters& c) {
        ++c.custody_enter;
        ++c.custody_enter_by_path[to_index(path)];
    });
    if (observer_)
        observer_->on_custody_enter(event.cpu, path);
}

void PairingEngine::count_dequeue(TaskState& task, const Event& event, CustodyState before) {
    set_state(task, CustodyState::OutOfCustody);
    task.dequeued_since_enter = true;

    const DequeueReason reason = dequeue_reason(event.flags);
    count(event.cpu, [reason](Counters& c) { ++c.dequeue_by_reason[to_index(reason)]; });
    if (observer_)
        observer_->on_dequeue(event.cpu, reason);

    if (before == CustodyState::Indeterminate)
        count(event.cpu, [](Counters& c) { ++c.dequeue_after_indeterminate; });
    if (before != CustodyState::Indeterminate) {
        const uint64_t duration =
            event.ts_ns >= task.enter_ts_ns ? event.ts_ns - task.enter_ts_ns : 0;
        count(event.cpu, [duration](Counters& c) { c.custody_duration.add(duration); });
        if (observer_)
            observer_->on_custody_duration(event.cpu, duration);
    }

    if (dequeue_flags_wrong(event.flags, config_.kernel_has_core_sched)) {
        raise(ViolationKind::WrongDequeueFlags, task,
              {event.cpu, event.ts_ns, event.kind, event.flags, task.left_dsq_id, before});
    }
}

void PairingEngine::check_kernel_flag(TaskState& task, const Event& event, CustodyState before) {
    if (event.kernel_flag == KernelCustodyFlag::Unknown)
        return;
    if (task.state == CustodyState::Indeterminate || task.mismatch_reported)
        return;
    const bool expected_set = task.state == CustodyState::InCustody;
    const bool is_set = event.kernel_flag == KernelCustodyFlag::Set;
    if (expected_set == is_set)
        return;
    task.mismatch_reported = true;
    raise(ViolationKind::CustodyFlagMismatch, task,
          {event.cpu, event.ts_ns, event.kind, event.flags, event.dsq_id, before},
          event.kernel_flag);
}

// ---- events ------------------------------------------------------------------

[[gnu::flatten]] void PairingEngine::process(const Event& event) {
    if (finished_)
        return;
    const std::size_t kind = to_index(event.kind);
    if (kind >= kEventKindCount) {
        ++malformed_events_;
        return;
    }
    ++event_counts_[kind];
    if (event.cpu >= config_.max_cpus)
        ++unattributed_events_;

    // Custodies that lasted long by this event's time are watched first, so
    // that the event that ends one is its last recorded transition.
    if (held_.promotion_due(event.ts_ns))
        promote_held(event.ts_ns);
    active_ = kNoSection;
    if (!uncertain(event)) {
        TaskState* task = dispatch(event);
        if (task && task->held_watched)
            follow_held(*task, event);
    }
    publish_in_custody();
}

TaskState* PairingEngine::dispatch(const Event& event) {
    switch (event.kind) {
    case EventKind::SchedulerAttach:
        on_attach(event);
        break;
    case EventKind::SchedulerDetach:
        on_detach(event);
        break;
    case EventKind::Enqueue:
        return on_enqueue(event);
    case EventKind::DsqInsert:
        return on_insert(event);
    case EventKind::Dequeue:
        return on_dequeue(event);
    case EventKind::Running:
        return on_running(event);
    case EventKind::TaskExit:
        on_exit(event);
        break;
    case EventKind::Lost:
        on_lost(event);
        break;
    }
    return nullptr;
}

bool PairingEngine::take_if_uncertain(const Event& event) {
    switch (event.kind) {
    case EventKind::SchedulerAttach:
    case EventKind::SchedulerDetach:
    case EventKind::Lost:
        return false;
    case EventKind::Enqueue:
    case EventKind::DsqInsert:
    case EventKind::Dequeue:
    case EventKind::Running:
    case EventKind::TaskExit:
        break;
    }
    if (!any_section_open())
        return false;
    ++uncertain_events_;
    judging_ = false;
    if (event.kind == EventKind::TaskExit) {
        forget_task(event.task);
    } else {
        TaskState* task = event.kind == EventKind::Running ? lookup(event) : acquire(event);
        if (task && task->state != CustodyState::Indeterminate)
            set_state(*task, CustodyState::Indeterminate);
    }
    judging_ = true;
    return true;
}

void PairingEngine::on_attach(const Event& event) {
    const uint32_t owner = event.owner == kOwnerUnknown ? kRootOwner : event.owner;
    if (owner == kRootOwner)
        close_all_sections(event.ts_ns, false, event.kind);
    else if (auto slot = slot_of_owner(owner))
        close_slot(*slot, event.ts_ns, false, event.kind);
    if (slot_available()) // else its tasks' events are not judged (see acquire())
        open_new_section(event, false, owner);
}

void PairingEngine::on_detach(const Event& event) {
    std::optional<unsigned> slot;
    if (event.instance_id != 0)
        slot = slot_of_instance(event.instance_id);
    if (!slot) {
        const uint32_t owner = event.owner == kOwnerUnknown ? kRootOwner : event.owner;
        slot = slot_of_owner(owner);
        // A detach naming another instance than the owner's section is stale.
        if (slot && event.instance_id != 0 && sections_[slots_[*slot].section].instance_id != 0)
            return;
    }
    if (!slot)
        return;
    SchedulerSection& section = sections_[slots_[*slot].section];
    if (section.name.empty() && !event.sched_name.empty())
        section.name = event.sched_name;
    if (section.owner == kRootOwner)
        close_all_sections(event.ts_ns, true, event.kind);
    else
        close_slot(*slot, event.ts_ns, true, event.kind, true);
}

void PairingEngine::on_lost(const Event& event) {
    const uint64_t lost = event.count == 0 ? 1 : event.count;
    uncertain_until_ns_ = std::max(uncertain_until_ns_, event.ts_ns);
    // A loss is no one instance's: its counts go to the root's section.
    if (const auto root = slot_of_owner(kRootOwner))
        active_ = slots_[*root].section;
    count(event.cpu, [lost](Counters& c) { c.lost_events += lost; });
    held_.end_all(event.ts_ns, "events_lost", false);
    if (observer_)
        observer_->on_lost_events(event.cpu, lost);

    const uint64_t tracked = tasks_.size();
    const uint64_t newly_indeterminate =
        tracked - state_counts_[to_index(CustodyState::Indeterminate)];
    if (newly_indeterminate > 0) {
        count(event.cpu,
              [newly_indeterminate](Counters& c) { c.indeterminate += newly_indeterminate; });
        if (observer_)
            observer_->on_indeterminate(event.cpu, newly_indeterminate);
    }
    // Every record older than the new epoch reads as Indeterminate from now on.
    state_counts_ = {};
    state_counts_[to_index(CustodyState::Indeterminate)] = tracked;
    ++epoch_;
    for (Slot& slot : slots_)
        slot.history_complete = false;
}

TaskState* PairingEngine::on_enqueue(const Event& event) {
    TaskState* judged = acquire(event);
    if (!judged)
        return nullptr;
    TaskState& task = *judged;
    if (event.flags & kEnqReenq) {
        const std::size_t reason = to_index(event.reenq_reason);
        count(event.cpu, [reason](Counters& c) {
            ++c.kernel_reenqueues;
            ++c.kernel_reenqueues_by_reason[reason];
        });
    }
    if (is_terminal_dsq(event.dsq_id))
        return &task;

    const CustodyState before = task.state;
    const EnterPath path =
        event.dsq_id == kNoDsq ? EnterPath::EnqueueHeld : EnterPath::EnqueueUserDsq;
    switch (before) {
    case CustodyState::InCustody:
        count(event.cpu, [](Counters& c) { ++c.reenqueue_in_custody; });
        if (observer_)
            observer_->on_reenqueue_in_custody(event.cpu);
        return &task;
    case CustodyState::LeftWithoutDequeue:
    case CustodyState::RanWithoutDequeue:
        raise(ViolationKind::MissedDequeue, task,
              {event.cpu, event.ts_ns, event.kind, event.flags, task.left_dsq_id, before});
        break;
    case CustodyState::OutOfCustody:
    case CustodyState::Indeterminate:
        break;
    }
    enter_custody(task, event, path);
    return &task;
}

TaskState* PairingEngine::on_insert(const Event& event) {
    if (event.dsq_id == kNoDsq) {
        ++malformed_events_;
        return nullptr;
    }
    TaskState* judged = acquire(event);
    if (!judged)
        return nullptr;
    TaskState& task = *judged;
    const CustodyState before = task.state;

    // A built-in-DSQ insert is stamped with the time it began. One that began
    // before the task's latest custody cannot end that custody, and the
    // custody bit it read belongs to a later moment: its record was overtaken.
    if (!is_user_dsq(event.dsq_id) && task.enter_ts_ns != 0 && event.ts_ns < task.enter_ts_ns) {
        count(event.cpu, [](Counters& c) { ++c.inserts_overtaken; });
        return &task;
    }

    if (is_user_dsq(event.dsq_id)) {
        switch (before) {
        case CustodyState::InCustody:
            break;
        case CustodyState::LeftWithoutDequeue:
        case CustodyState::RanWithoutDequeue:
            raise(ViolationKind::MissedDequeue, task,
                  {event.cpu, event.ts_ns, event.kind, event.flags, task.left_dsq_id, before});
            enter_custody(task, event, EnterPath::InsertUserDsq);
            break;
        case CustodyState::OutOfCustody:
        case CustodyState::Indeterminate:
            enter_custody(task, event, EnterPath::InsertUserDsq);
            break;
        }
    } else {
        switch (before) {
        case CustodyState::InCustody:
            if (active_section()->implements_dequeue) {
                set_state(task, CustodyState::LeftWithoutDequeue);
                task.left_dsq_id = event.dsq_id;
            } else {
                set_state(task, CustodyState::OutOfCustody);
            }
            break;
        case CustodyState::Indeterminate:
            // A custody that began unseen may still owe its dequeue, and it
            // may come late: stay uncertain until a dequeue or a clean enter.
        case CustodyState::OutOfCustody:
        case CustodyState::LeftWithoutDequeue:
        case CustodyState::RanWithoutDequeue:
            break;
        }
    }
    check_kernel_flag(task, event, before);
    return &task;
}

TaskState* PairingEngine::on_dequeue(const Event& event) {
    TaskState* judged = acquire(event);
    if (!judged)
        return nullptr;
    TaskState& task = *judged;
    const CustodyState before = task.state;
    switch (before) {
    case CustodyState::InCustody:
    case CustodyState::Indeterminate:
        count_dequeue(task, event, before);
        break;
    case CustodyState::LeftWithoutDequeue:
    case CustodyState::RanWithoutDequeue:
        raise(ViolationKind::LateDequeue, task,
              {event.cpu, event.ts_ns, event.kind, event.flags, task.left_dsq_id, before});
        count_dequeue(task, event, before);
        break;
    case CustodyState::OutOfCustody:
        raise(task.dequeued_since_enter ? ViolationKind::DuplicateDequeue
                                        : ViolationKind::DequeueOutsideCustody,
              task, {event.cpu, event.ts_ns, event.kind, event.flags, kNoDsq, before});
        break;
    }
    // The kernel flag is not judged here: ops.dequeue runs while the kernel
    // flips it (7.1 clears it after the callback, 7.2+ before), so it is in
    // transition, not a statement about custody.
    return &task;
}

TaskState* PairingEngine::on_running(const Event& event) {
    TaskState* task = lookup(event);
    if (!task)
        return nullptr;
    switch (task->state) {
    case CustodyState::InCustody: {
        // A record exists only while its section is open.
        const bool implements_dequeue = active_section()->implements_dequeue;
        set_state(*task, implements_dequeue ? CustodyState::RanWithoutDequeue
                                            : CustodyState::OutOfCustody);
        break;
    }
    case CustodyState::LeftWithoutDequeue:
        set_state(*task, CustodyState::RanWithoutDequeue);
        break;
    case CustodyState::OutOfCustody:
    case CustodyState::RanWithoutDequeue:
    case CustodyState::Indeterminate:
        break;
    }
    return task;
}

void PairingEngine::on_exit(const Event& event) {
    TaskState* task = lookup(event);
    if (!task)
        return;
    const CustodyState before = task->state;
    switch (before) {
    case CustodyState::InCustody:
    case CustodyState::LeftWithoutDequeue:
    case CustodyState::RanWithoutDequeue:
        raise(ViolationKind::MissedDequeue, *task,
              {event.cpu, event.ts_ns, event.kind, event.flags, task->left_dsq_id, before});
        break;
    case CustodyState::OutOfCustody:
    case CustodyState::Indeterminate:
        break;
    }
    if (task->held_watched)
        follow_held(*task, event);
    forget_task(event.task);
}

void PairingEngine::finish(uint64_t ts_ns) {
    if (finished_)
        return;
    tasks_.for_each([&](const TaskState& task) {
        active_ = slots_[task.section_slot].section;
        const CustodyState state = logical_state(task);
        switch (state) {
        case CustodyState::RanWithoutDequeue:
            raise(ViolationKind::MissedDequeue, task,
                  {task.last_cpu, ts_ns, std::nullopt, 0, task.left_dsq_id, state});
            break;
        case CustodyState::LeftWithoutDequeue:
            count(task.last_cpu, [](Counters& c) { ++c.indeterminate; });
            if (observer_)
                observer_->on_indeterminate(task.last_cpu, 1);
            break;
        case CustodyState::InCustody:
            count(task.last_cpu, [](Counters& c) { ++c.in_custody_at_end; });
            if (observer_)
                observer_->on_in_custody_at_end(task.last_cpu, 1);
            break;
        case CustodyState::OutOfCustody:
        case CustodyState::Indeterminate:
            break;
        }
    });
    active_ = kNoSection;
    held_.end_all(ts_ns, "audit_end", true);
    forget_all_tasks();
    for (unsigned slot = static_cast<unsigned>(slots_.size()); slot-- > 0;)
        if (slots_[slot].section != kNoSection)
            end_section(slot, ts_ns, false);
    finished_ = true;
    publish_in_custody();
}

} // namespace scx_custody::pairing
