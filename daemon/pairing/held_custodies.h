// HeldCustodies: which tasks a scheduler has held longest, and what happened to them.
//
// The question behind many sched_ext stall reports is "this task sat QUEUED on a
// DSQ, why?". Keeping a transition history in every task record would break the
// task table's memory budget, so the history lives here, for few tasks only:
//
//   young    every custody period that began, in the order it began (events
//            arrive in timestamp order), as one entry of a FifoRing. Entries whose
//            custody already ended are dropped lazily: at the front once they
//            are due, and by compact() when stale ones outnumber the live ones.
//            At most HeldConfig::max_young entries; custodies beyond are not
//            followed (untracked()).
//   watched  custodies that lasted long_held_ns: the engine promotes a young
//            entry once it is due and still live, and from then on records every
//            transition of its task (the entering one and the last few). At most
//            HeldConfig::max_watched.
//   longest  when a watched custody ends, the HeldConfig::max_listed longest
//            ones, one per task, kept for the report.
//
// Pure: the engine says which custodies are still live (IsLive) and which task
// records to mark; nothing here reads the task table. A young entry keeps a
// TaskRef to its task's record, which IsLive receives (an empty one for a
// watched custody): the engine checks most entries without a look-up by key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pairing/event.h"
#include "pairing/fifo_ring.h"
#include "pairing/kinds.h"
#include "pairing/task_state.h"

namespace scx_custody::pairing {

struct HeldConfig {
    // A custody this old becomes watched (its transitions are recorded).
    uint64_t long_held_ns = 100'000'000;
    std::size_t max_young = std::size_t{1} << 14;
    std::size_t max_watched = 256;
    // Held custodies kept for the report, one per task.
    std::size_t max_listed = 10;
    // Transitions kept per watched custody: the entering one and the latest ones.
    std::size_t max_transitions = 8;
};

// One event of a watched task, and the model's state after it.
struct CustodyTransition {
    uint64_t ts_ns = 0;
    uint32_t cpu = 0;
    EventKind kind = EventKind::Enqueue;
    uint64_t dsq_id = kNoDsq;
    uint64_t flags = 0;
    CustodyState state_after = CustodyState::InCustody;
};

// A custody that lasted at least long_held_ns.
struct HeldCustody {
    TaskKey task{};
    Comm comm{};
    std::string scheduler;
    // The user DSQ the task was last put on in this custody; kNoDsq: held by the
    // scheduler's BPF code, on no DSQ.
    uint64_t dsq_id = kNoDsq;
    uint64_t enter_ts_ns = 0;
    uint64_t end_ts_ns = 0;
    // Still in custody when the audit ended (end_ts_ns is the end of the audit).
    bool still_held = false;
    // What ended it: an event kind ("dequeue", "dsq_insert", "running",
    // "task_exit", ...) or "scheduler_detach", "events_lost", "audit_end".
    std::string ended_by;
    // The entering transition first, then the latest ones, oldest first.
    std::vector<CustodyTransition> transitions;
    // Transitions left out between the first and the latest ones.
    uint64_t transitions_omitted = 0;

    uint64_t duration_ns() const { return end_ts_ns >= enter_ts_ns ? end_ts_ns - enter_ts_ns : 0; }
};

class HeldCustodies {
  public:
    explicit HeldCustodies(HeldConfig config = {}) : config_(config) {}

    const HeldConfig& config() const { return config_; }

    // A custody period of the task in `record` began with `entering` (its
    // ts_ns is the enter time).
    void on_enter(const TaskKey& task, TaskRef record, const CustodyTransition& entering);

    // The oldest young custody has been held long_held_ns by now_ns.
    // Asked for every event: a compare with the front entry's due time.
    bool promotion_due(uint64_t now_ns) const {
        return now_ns >= front_due_ns_ && front_due_ns_ != kNever;
    }
    // Pops every due young entry; a live one (is_live(task, enter_ts, record))
    // is watched from now on: mark(task, held) lets the engine mark its record
    // and fill in the comm (held is null when max_watched custodies are watched
    // already). After each pop, ahead(record) is told the record of the entry
    // kPrefetchAhead places on, which falls due a few pops later: with many
    // tasks, its record would otherwise be a cache miss then.
    template <class IsLive, class Mark, class Ahead>
    void promote_due(uint64_t now_ns, std::string_view scheduler, IsLive&& is_live, Mark&& mark,
                     Ahead&& ahead) {
        while (promotion_due(now_ns)) {
            // Neither is_live nor mark touches young_: the entry is read in place.
            const Young& entry = young_.front();
            if (is_live(entry.task, entry.entering.ts_ns, entry.record))
                mark(entry.task, watch(entry, scheduler));
            young_.pop_front();
            front_changed();
            if (young_.size() > kPrefetchAhead)
                ahead(young_[kPrefetchAhead].record);
        }
    }
    // Drops the young entries whose custody ended, when they are many more than
    // the live_custodies that can still be live.
    template <class IsLive> void compact(uint64_t live_custodies, IsLive&& is_live) {
        if (young_.size() <= 2 * live_custodies + kCompactSlack)
            return;
        young_.erase_if(
            [&](const Young& e) { return !is_live(e.task, e.entering.ts_ns, e.record); });
        front_changed();
    }

    // The watched custody of task, if any.
    HeldCustody* watched(const TaskKey& task);
    // One more transition of a watched task.
    void record(HeldCustody& held, const CustodyTransition& transition);
    // The watched custody ends at ts_ns (ended_by: see HeldCustody).
    void end(const TaskKey& task, uint64_t ts_ns, std::string_view ended_by);
    // Every custody followed ends (a detach, lost events, the end of the audit);
    // the young ones are forgotten, the watched ones are listed.
    void end_all(uint64_t ts_ns, std::string_view ended_by, bool still_held);

    // Enter time of the oldest live custody followed (watched or young).
    template <class IsLive> std::optional<uint64_t> oldest_enter_ns(IsLive&& is_live) const {
        std::optional<uint64_t> oldest;
        for (const auto& [task, held] : watched_) {
            if (is_live(task, held.enter_ts_ns, TaskRef{}) &&
                (!oldest || held.enter_ts_ns < *oldest))
                oldest = held.enter_ts_ns;
        }
        for (std::size_t i = 0; i < young_.size(); ++i) {
            const Young& e = young_[i];
            if (!is_live(e.task, e.entering.ts_ns, e.record))
                continue;
            if (!oldest || e.entering.ts_ns < *oldest)
                oldest = e.entering.ts_ns;
            break; // the first live young entry is the oldest young one
        }
        return oldest;
    }

    // The longest custodies that ended as watched ones, longest first.
    const std::vector<HeldCustody>& longest() const { return longest_; }
    std::size_t young_size() const { return young_.size(); }
    std::size_t watched_size() const { return watched_.size(); }
    // Custodies not followed: young ones beyond max_young, due ones beyond
    // max_watched.
    uint64_t untracked() const { return untracked_; }
    // Custodies that became watched.
    uint64_t promoted() const { return promoted_; }

  private:
    static constexpr std::size_t kCompactSlack = 64;
    // Young entries fall due about one per four events when most custodies
    // are short; four places ahead gives a prefetch some sixteen events.
    static constexpr std::size_t kPrefetchAhead = 4;
    static constexpr uint64_t kNever = UINT64_MAX;

    struct Young {
        TaskKey task;
        TaskRef record;
        CustodyTransition entering;
    };

    // Recomputes front_due_ns_ after the front entry changed.
    void front_changed() {
        front_due_ns_ = young_.empty() ? kNever : due_ns(young_.front().entering.ts_ns);
    }
    // kNever when the sum does not fit below it: such an entry never falls due.
    uint64_t due_ns(uint64_t enter_ts_ns) const {
        return enter_ts_ns >= kNever - config_.long_held_ns ? kNever
                                                            : enter_ts_ns + config_.long_held_ns;
    }

    HeldCustody* watch(const Young& entry, std::string_view scheduler);
    void list(HeldCustody&& held);

    HeldConfig config_;
    FifoRing<Young> young_;
    // When the front young entry falls due; kNever when there is none (or it
    // never does).
    uint64_t front_due_ns_ = kNever;
    std::unordered_map<TaskKey, HeldCustody, TaskKeyHash> watched_;
    std::vector<HeldCustody> longest_;
    uint64_t untracked_ = 0;
    uint64_t promoted_ = 0;
};

} // namespace scx_custody::pairing
