#include "pairing/held_custodies.h"

#include <algorithm>
#include <utility>

#include "pairing/scx_constants.h"

namespace scx_custody::pairing {

void HeldCustodies::on_enter(const TaskKey& task, TaskRef record,
                             const CustodyTransition& entering) {
    if (young_.size() >= config_.max_young) {
        ++untracked_;
        return;
    }
    young_.push_back(Young{task, record, entering});
    if (young_.size() == 1)
        front_changed();
}

HeldCustody* HeldCustodies::watch(const Young& entry, std::string_view scheduler) {
    if (watched_.size() >= config_.max_watched) {
        ++untracked_;
        return nullptr;
    }
    HeldCustody held;
    held.task = entry.task;
    held.scheduler = scheduler;
    held.dsq_id = is_user_dsq(entry.entering.dsq_id) ? entry.entering.dsq_id : kNoDsq;
    held.enter_ts_ns = entry.entering.ts_ns;
    held.transitions.push_back(entry.entering);
    ++promoted_;
    auto [it, inserted] = watched_.insert_or_assign(entry.task, std::move(held));
    return &it->second;
}

HeldCustody* HeldCustodies::watched(const TaskKey& task) {
    auto it = watched_.find(task);
    return it == watched_.end() ? nullptr : &it->second;
}

void HeldCustodies::record(HeldCustody& held, const CustodyTransition& transition) {
    // A move between user DSQs (or a re-enqueue onto one) within the custody.
    if (transition.state_after == CustodyState::InCustody && is_user_dsq(transition.dsq_id))
        held.dsq_id = transition.dsq_id;
    const std::size_t limit = std::max<std::size_t>(config_.max_transitions, 2);
    if (held.transitions.size() >= limit) {
        // Keep the entering transition (index 0); drop the oldest of the rest.
        held.transitions.erase(held.transitions.begin() + 1);
        ++held.transitions_omitted;
    }
    held.transitions.push_back(transition);
}

void HeldCustodies::end(const TaskKey& task, uint64_t ts_ns, std::string_view ended_by) {
    auto it = watched_.find(task);
    if (it == watched_.end())
        return;
    HeldCustody held = std::move(it->second);
    watched_.erase(it);
    held.end_ts_ns = ts_ns;
    held.ended_by = ended_by;
    list(std::move(held));
}

void HeldCustodies::end_all(uint64_t ts_ns, std::string_view ended_by, bool still_held) {
    young_.clear();
    front_changed();
    for (auto& [task, held] : watched_) {
        held.end_ts_ns = ts_ns;
        held.ended_by = ended_by;
        held.still_held = still_held;
        list(std::move(held));
    }
    watched_.clear();
}

// Keeps the max_listed longest custodies, at most one per task, longest first.
void HeldCustodies::list(HeldCustody&& held) {
    auto same_task = std::find_if(longest_.begin(), longest_.end(),
                                  [&](const HeldCustody& h) { return h.task == held.task; });
    if (same_task != longest_.end()) {
        if (same_task->duration_ns() >= held.duration_ns())
            return;
        longest_.erase(same_task);
    }
    auto longer = [](const HeldCustody& a, const HeldCustody& b) {
        return a.duration_ns() > b.duration_ns();
    };
    longest_.insert(std::upper_bound(longest_.begin(), longest_.end(), held, longer),
                    std::move(held));
    if (longest_.size() > config_.max_listed)
        longest_.resize(config_.max_listed);
}

} // namespace scx_custody::pairing
