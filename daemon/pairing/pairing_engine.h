// The pairing engine: observed sched_ext events in, custody verdicts out.
//
// Pure: no I/O, no clock, no threads, standard library only. Feed it events in one
// global order (the ring buffer's: records in the order the CPUs reserved them,
// not sorted by timestamp) with process(), call finish() at
// the end of the audit, then read totals(), per_cpu(), sections() and samples().
// An EngineObserver sees the same facts live.
//
// ---------------------------------------------------------------------------
// Per-task custody state machine (the contract)
// ---------------------------------------------------------------------------
// States (CustodyState): Out = OutOfCustody, In = InCustody, Left =
// LeftWithoutDequeue, Ran = RanWithoutDequeue, Indet = Indeterminate.
// "user DSQ" = id without bit 63; "terminal" = built-in DSQ (local, LOCAL_ON|cpu,
// global, bypass); kNoDsq = "no direct dispatch". "enter" = a custody period
// begins: custody_enter++ (by path), the period's start time is recorded.
//
// Enqueue, dsq_id kNoDsq or user DSQ (path enqueue_held / enqueue_user_dsq):
//   Out, Indet -> In (enter).        In -> In (reenqueue_in_custody++, no enter).
//   Every Enqueue whose flags carry SCX_ENQ_REENQ counts kernel_reenqueues.
//   Left, Ran  -> missed_dequeue for the old period, then In (enter).
// Enqueue, terminal dsq_id: no change (the DsqInsert that follows decides).
// DsqInsert, user DSQ (path insert_user_dsq when it enters):
//   Out, Indet -> In (enter).        In -> In (move between user DSQs, no count).
//   Left, Ran  -> missed_dequeue, then In (enter).
// DsqInsert, terminal DSQ, stamped before the task's current custody began
//   (ts_ns < the period's start; an overtaken insert): no change, counted as
//   inserts_overtaken. The insert began before the custody it would end, and
//   its record reached the ring after the custody's own (the global DSQ's lock
//   is released before the insert's record is made): it cannot end that
//   custody, and the custody bit it read belongs to a later moment.
// DsqInsert, terminal DSQ, otherwise:
//   In -> Left (the kernel should have dequeued before this insert).
//   Indet: no change (its unseen custody may still owe a dequeue). Out, Left,
//   Ran: no change.
// Dequeue (ops.dequeue ran):
//   In         -> Out: counted dequeue, custody duration recorded.
//   Left, Ran  -> Out: late_dequeue, and still a counted dequeue with a duration.
//   Indet      -> Out: counted dequeue (resynchronised), no duration, no finding.
//   Out        -> Out: duplicate_dequeue if a counted dequeue happened and no
//                 custody began since, else dequeue_outside_custody. Not counted.
//   Every counted dequeue is counted by reason (SCHED_CHANGE -> sched_change,
//   else CORE_SCHED_EXEC -> core_sched, else dispatch) and its flags are checked:
//   wrong_dequeue_flags per dequeue_flags_wrong() in kinds.h.
// Running:  In, Left -> Ran.  Others: no change.
// TaskExit: In, Left, Ran -> missed_dequeue; the task's record is freed.
// Kernel flag: on DsqInsert with kernel_flag != Unknown, after the event: Set
//   expected iff the state is In (not judged while Indet). A disagreement is
//   custody_flag_mismatch, at most once per custody period. Not judged on
//   Dequeue: the kernel flips the flag around ops.dequeue (after the callback
//   on 7.1, before it on 7.2+), so there it is in transition.
//
// Sections and uncertainty
//   A section is one scheduler instance's time in the audit. Several can be
//     open at once (a 7.3 sub-scheduler tree): each is keyed by the owner of
//     its tasks (Event::owner: the root, or a sub-scheduler's cgroup id), and
//     each task event goes to the section of the instance that owns the task
//     at that moment. A task's record belongs to one section at a time.
//   Hand-over: a task event naming another owner than the section the task's
//     record belongs to (TaskExit and kOwnerUnknown name none) moves the task
//     there. The kernel dequeues a task from the old instance, with
//     SCX_DEQ_SCHED_CHANGE, before it changes the owner (docs/SUBSCHEDULERS.md):
//     In, Left, Ran -> missed_dequeue in the old section. Then the task starts
//     Out in the new one (nothing carries over), or Indet when that section's
//     history is incomplete. Counted per section: tasks_handed_in/_out (not
//     for an event that may follow a hole: see Lost).
//   Lost events are no one instance's: lost_events and the tasks they make
//     indeterminate (of every section) count in the root's section.
//   SchedulerAttach of the root opens its section and forgets every task,
//     closing every open section first (as a detach would): at a genuine attach
//     nothing is in custody, so tasks first seen afterwards start Out. With
//     tasks_start_indeterminate they start Indet instead. A sub-scheduler's
//     attach (another owner) opens its section beside the others and forgets
//     nothing; an attach for an owner whose section is open closes that one
//     first.
//   A section whose instance is not traced (traced = false) raises no finding:
//     without its ops.dequeue calls nothing can be judged (the verdict says so).
//   SchedulerDetach closes the open section of its instance (by instance id,
//     else by owner); one naming no open section is stale and ignored. For
//     that section's tasks: In -> custody_abandoned_at_unload (counted, no
//     finding) for the root, missed_dequeue for a sub-scheduler (its detach
//     comes once its disable has cycled every task it held through a
//     dequeue: docs/SUBSCHEDULERS.md); Left, Ran -> missed_dequeue; then
//     their records are dropped. The root's detach closes every open section
//     (their In tasks abandoned at unload).
//   An Enqueue, DsqInsert or Dequeue of an owner with no open section, or any
//     event moving a task there, opens an unnamed section for it (attach_observed = false,
//     implements_dequeue = EngineConfig::assume_implements_dequeue) whose tasks start Indet; a
//     later SchedulerDetach carrying a name names it. Beyond 255 sections open at once, a new
//     owner's task events are not judged (unjudged_events(): the verdict says so).
//   The tracer reports SchedulerDetach when the kernel starts disabling the
//     scheduler: what the kernel does to tasks after that is not custody.
//   Lost: lost_events += count (0 is taken as 1); every tracked task not already Indet becomes
//   Indet. The Lost event's ts_ns is when the loss was known (the tracer's
//     counters were read): the hole lies somewhere before it, and a task
//     event stamped before it may come after the hole. Such an event only
//     makes its task Indet (created Indet if new; TaskExit forgets it); it is
//     neither counted nor judged (uncertain_events()). Indet
//     (indeterminate++ each, attributed to the Lost event's CPU). Until the next
//     attach, newly seen tasks start Indet too, as they do after an eviction
//     (in every section).
//   Indet leaves on any custody enter (a clean cycle begins: enter counted) and on
//     a Dequeue (-> Out, no finding). A terminal DsqInsert leaves it Indet: a
//     custody that began unseen may still owe its dequeue, possibly a late one.
//   A scheduler without ops.dequeue (implements_dequeue = false): enters are
//     counted, a custody period ends without a finding at a terminal DsqInsert or
//     at Running (In -> Out), and no finding other than custody_flag_mismatch is
//     raised in its section.
//
// finish(ts): Ran -> missed_dequeue (the period certainly ended); Left ->
//   indeterminate++ (its dequeue may still come); In -> in_custody_at_end++.
//   Every open section is closed. Later process() calls are ignored.
//
// Memory: a record exists only for tasks seen in Enqueue, DsqInsert or Dequeue
//   events (Running and TaskExit never create one). Records are freed at TaskExit,
//   at detach, attach and finish(). Beyond EngineConfig::max_tracked_tasks the
//   task table's clock evicts a record not touched since its hand last passed
//   (evicted++); since it might come back, newly seen tasks start Indet for the
//   rest of the section.
//
// Held custodies (HeldCustodies, held_custodies.h): every custody enter is
//   noted in a bounded side structure; one still live after
//   EngineConfig::held.long_held_ns becomes watched (checked at each event's
//   time) and its task's later transitions are recorded there, until the task
//   leaves InCustody (any event that changes its state or starts a new custody,
//   TaskExit), its section closes, events are lost, or finish(). The longest
//   watched custodies, one per task, are held().longest(); the oldest custody
//   still held is oldest_custody(). Task records carry one bit for this
//   (TaskState::held_watched): no history lives in the task table.
//
// Attribution: each count goes to the totals, to the section of the task's
//   owner (for a hand-over's missed_dequeue, the old one) and to the CPU
//   of the event that proves it; findings and counts made at detach or finish()
//   go to the CPU of the task's last event. Lost events arriving with no open
//   section count in the totals and per CPU only, so the totals equal the sum of
//   the sections except for those.
//
// Cost: O(1) amortised per event (hashing); detach, attach and finish() visit the
//   records that exist, each created by an earlier event.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pairing/counters.h"
#include "pairing/event.h"
#include "pairing/finding.h"
#include "pairing/held_custodies.h"
#include "pairing/kinds.h"
#include "pairing/observer.h"
#include "pairing/task_table.h"

namespace scx_custody::pairing {

struct EngineConfig {
    // The audited kernel can do core-sched picks (CONFIG_SCHED_CORE): without it a
    // SCX_DEQ_CORE_SCHED_EXEC dequeue is wrong_dequeue_flags.
    bool kernel_has_core_sched = false;
    // Bound on task records (0 is taken as 1).
    std::size_t max_tracked_tasks = std::size_t{1} << 20;
    // Findings kept as samples; all are counted.
    std::size_t max_samples = 20;
    // Per-CPU figures are kept for CPUs below this bound; events from a CPU at or
    // above it count in the totals and sections only (see unattributed_events()).
    uint32_t max_cpus = 4096;
    // implements_dequeue of a section opened without an observed attach.
    bool assume_implements_dequeue = true;
    // Which custodies count as long-held and how many are followed.
    HeldConfig held;
};

// The oldest custody the model holds now, in any open section.
struct OldestCustody {
    std::string_view scheduler; // its section's name (may be empty)
    uint64_t enter_ts_ns = 0;
};

struct SchedulerSection {
    std::string name; // empty when the attach was not observed and no name was given
    // The owner key of its tasks (Event::owner; kRootOwner for the root) and
    // its place in the tree ("root", "root/sub/sub-28"; may be empty).
    uint32_t owner = kRootOwner;
    std::string tree_path;
    bool implements_dequeue = true;
    // The attach itself was observed (not tasks_start_indeterminate, not implicit).
    bool attach_observed = false;
    bool open = true;
    // Closed by an observed SchedulerDetach (not by a later attach or finish()).
    bool detach_observed = false;
    uint64_t begin_ts_ns = 0;
    uint64_t end_ts_ns = 0;
    // The instance, from its SchedulerAttach (see Event).
    uint32_t instance_id = 0;
    bool traced = true;
    uint64_t enable_ts_ns = 0;
    uint64_t traced_from_ns = 0;
    std::string found_by;
    std::string note;
    // The first custody period judged in the section (0: none).
    uint64_t first_enter_ts_ns = 0;
    // Tasks that came from another instance's section, and that left for one.
    uint64_t tasks_handed_in = 0;
    uint64_t tasks_handed_out = 0;
    Counters counts;
};

class PairingEngine {
  public:
    // observer may be null; when set it must outlive the engine.
    explicit PairingEngine(EngineConfig config = {}, EngineObserver* observer = nullptr);

    PairingEngine(const PairingEngine&) = delete;
    PairingEngine& operator=(const PairingEngine&) = delete;
    PairingEngine(PairingEngine&&) = default;
    // As TaskTable's: the held custodies' TaskRefs name the table's records.
    PairingEngine& operator=(PairingEngine&&) = delete;

    // Flattened: the handlers of task events and what they call are inlined
    // into it, so that an event pays for one call frame, not six. What is
    // rare (sections, losses, findings, held custodies, a hand-over to another
    // owner, an event that may follow a loss) is [[gnu::noinline]] and stays
    // out.
    void process(const Event& event);
    // For prefetch hints (TaskTable::prefetch_slot() and the steps after it).
    const TaskTable& task_table() const { return tasks_; }
    // Ends the audit at ts_ns. Idempotent.
    void finish(uint64_t ts_ns);

    const EngineConfig& config() const { return config_; }
    bool finished() const { return finished_; }

    const Counters& totals() const { return totals_; }
    // Indexed by CPU; sized to the highest CPU seen + 1 (entries for CPUs not seen
    // are zero).
    const std::vector<Counters>& per_cpu() const { return per_cpu_; }
    // Counters of one CPU (zero when never seen).
    Counters cpu_counters(uint32_t cpu) const;
    const std::vector<SchedulerSection>& sections() const { return sections_; }
    // The first max_samples findings, in the order found.
    const std::vector<Finding>& samples() const { return samples_; }
    uint64_t findings_total() const { return findings_total_; }

    // Events processed, by kind (before finish()).
    uint64_t events(EventKind kind) const { return event_counts_[to_index(kind)]; }
    // DsqInsert events with dsq_id kNoDsq (not a DSQ) and events of an unknown kind:
    // ignored.
    uint64_t malformed_events() const { return malformed_events_; }
    // Events whose CPU is at or above EngineConfig::max_cpus.
    uint64_t unattributed_events() const { return unattributed_events_; }
    // Task events stamped before the last Lost event's time: they may follow
    // the hole, so they are not judged (see "Lost" in the contract above).
    uint64_t uncertain_events() const { return uncertain_events_; }
    // Task events of an owner for which no section could be opened (more
    // than 255 open at once): not judged.
    uint64_t unjudged_events() const { return unjudged_events_; }

    std::size_t tracked_tasks() const { return tasks_.size(); }
    // Tasks the model currently holds in custody (InCustody).
    uint64_t tasks_in_custody() const { return state_counts_[to_index(CustodyState::InCustody)]; }
    uint64_t tasks_in_state(CustodyState state) const { return state_counts_[to_index(state)]; }
    // The model's state of a task; empty when it has no record.
    std::optional<CustodyState> state_of(const TaskKey& key) const;

    // Long-held custodies: the longest ones (held().longest()) and their counts.
    const HeldCustodies& held() const { return held_; }
    // The oldest custody still held (InCustody) in an open section; empty when
    // none is or no section is open. Cost: the watched custodies plus the young
    // entries that ended before the oldest live one (see HeldCustodies).
    std::optional<OldestCustody> oldest_custody() const;

  private:
    static constexpr std::size_t kNoSection = SIZE_MAX;
    static constexpr unsigned kMaxSlots = 1u << kSectionSlotBits;
    // An open section, by the slot its tasks' records name.
    struct Slot {
        std::size_t section = kNoSection; // index into sections_; kNoSection: free
        uint32_t owner = kRootOwner;      // its section's owner key
        // Newly seen tasks of this section start OutOfCustody: its attach was
        // observed and no event was lost and no record evicted since.
        bool history_complete = false;
    };

    // The section this event's counts and findings go to (null: none).
    SchedulerSection* active_section() {
        return active_ == kNoSection ? nullptr : &sections_[active_];
    }
    bool any_section_open() const;
    std::optional<unsigned> slot_of_owner(uint32_t owner) const;
    std::optional<unsigned> slot_of_instance(uint32_t instance_id) const;
    // The slot of owner's open section, opened (unnamed) if there is none;
    // empty when every slot is taken.
    std::optional<unsigned> ensure_slot(const Event& event, uint32_t owner);
    bool slot_available() const;
    [[gnu::noinline]] unsigned open_new_section(const Event& event, bool implicit, uint32_t owner);
    // Detach semantics for the section's tasks, then closes it.
    // own_detach: closed by the instance's own SchedulerDetach.
    [[gnu::noinline]] void close_slot(unsigned slot, uint64_t ts_ns, bool detach_observed,
                                      std::optional<EventKind> trigger, bool own_detach = false);
    [[gnu::noinline]] void close_all_sections(uint64_t ts_ns, bool detach_observed,
                                              std::optional<EventKind> trigger);
    // Marks the slot's section closed at ts_ns and frees the slot.
    void end_section(unsigned slot, uint64_t ts_ns, bool detach_observed);
    // The owner an event names for a task (its record's when it names none).
    uint32_t event_owner(const Event& event, const TaskState* task) const;
    // Moves the task to the section of `owner` when the event names another.
    // False when that section cannot be opened (the event is not judged).
    // Inline: the common case, an event naming the owner of the task's section.
    bool follow_owner(TaskState& task, const Event& event) {
        const Slot& slot = slots_[task.section_slot];
        if (slot.section != kNoSection &&
            (event.owner == kOwnerUnknown || event.owner == slot.owner)) [[likely]] {
            active_ = slot.section;
            return true;
        }
        return move_to_owner(task, event);
    }
    // The rest of follow_owner(), out of line so that its fast path stays small.
    [[gnu::noinline]] bool move_to_owner(TaskState& task, const Event& event);
    [[gnu::noinline]] void hand_over(TaskState& task, const Event& event, unsigned to_slot);

    // The task's record, routed to its owner's section (created, starting Out
    // or Indet, by acquire()); null when the event is not to be judged.
    TaskState* acquire(const Event& event);
    TaskState* lookup(const Event& event);
    // A found record brought to the current epoch and routed (see acquire()).
    TaskState* route(TaskState* task, const Event& event);
    CustodyState logical_state(const TaskState& task) const;
    void set_state(TaskState& task, CustodyState state);
    void forget_task(const TaskKey& key);
    void forget_all_tasks();

    [[gnu::noinline]] void on_attach(const Event& event);
    [[gnu::noinline]] void on_detach(const Event& event);
    [[gnu::noinline]] void on_lost(const Event& event);
    // The task handlers return the task's record (null when it has none).
    TaskState* on_enqueue(const Event& event);
    TaskState* on_insert(const Event& event);
    TaskState* on_dequeue(const Event& event);
    TaskState* on_running(const Event& event);
    void on_exit(const Event& event);
    TaskState* dispatch(const Event& event);
    // A task event that may follow a hole in the stream (see on_lost).
    // Inline: only an event stamped before the last loss's time can be.
    bool uncertain(const Event& event) {
        return event.ts_ns < uncertain_until_ns_ && take_if_uncertain(event);
    }
    // The rest of uncertain(), out of line: takes the event in without
    // judging it when it may follow the hole.
    [[gnu::noinline]] bool take_if_uncertain(const Event& event);

    void enter_custody(TaskState& task, const Event& event, EnterPath path);
    void count_dequeue(TaskState& task, const Event& event, CustodyState before);
    void check_kernel_flag(TaskState& task, const Event& event, CustodyState before);

    // The custody that began at enter_ts_ns is still the task's current one.
    // record: where the task's record was (TaskTable::ref()), or empty.
    bool custody_live(const TaskKey& key, uint64_t enter_ts_ns, TaskRef record) const;
    // Records the event in the task's watched custody, ending it when the
    // task left custody or began another one.
    [[gnu::noinline]] void follow_held(TaskState& task, const Event& event);
    [[gnu::noinline]] void promote_held(uint64_t now_ns);

    struct FindingContext {
        uint32_t cpu;
        uint64_t ts_ns;
        std::optional<EventKind> trigger;
        uint64_t flags;
        uint64_t dsq_id;
        CustodyState state_before;
    };
    [[gnu::noinline]] void raise(ViolationKind kind, const TaskState& task,
                                 const FindingContext& context,
                                 KernelCustodyFlag kernel_flag = KernelCustodyFlag::Unknown);

    // The counters of cpu: nullptr at or above EngineConfig::max_cpus. Inline,
    // since every count() asks; new CPUs go through add_cpu_slots().
    Counters* cpu_slot(uint32_t cpu) {
        return cpu < per_cpu_.size() ? &per_cpu_[cpu] : add_cpu_slots(cpu);
    }
    [[gnu::noinline]] Counters* add_cpu_slots(uint32_t cpu);
    template <class Update> void count(uint32_t cpu, Update&& update);
    void publish_in_custody();

    EngineConfig config_;
    EngineObserver* observer_;
    TaskTable tasks_;
    HeldCustodies held_;

    Counters totals_;
    std::vector<Counters> per_cpu_;
    std::vector<SchedulerSection> sections_;
    std::vector<Finding> samples_;
    uint64_t findings_total_ = 0;

    std::array<uint64_t, kEventKindCount> event_counts_{};
    uint64_t malformed_events_ = 0;
    uint64_t unattributed_events_ = 0;
    uint64_t uncertain_events_ = 0;
    uint64_t unjudged_events_ = 0;
    // Events stamped before this time may come after a hole in the stream.
    uint64_t uncertain_until_ns_ = 0;

    // Logical states of the records (stale-epoch records count as Indeterminate).
    std::array<uint64_t, kCustodyStateCount> state_counts_{};
    uint64_t published_in_custody_ = 0;
    uint64_t epoch_ = 0;
    std::vector<Slot> slots_;
    std::size_t active_ = kNoSection;
    // Findings are raised (false while an event that may follow a hole in
    // the stream is taken in without being judged).
    bool judging_ = true;
    bool finished_ = false;
};

} // namespace scx_custody::pairing
