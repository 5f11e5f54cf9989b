#include "live/sched_watcher.h"

#include "util/kernel_env.h"

namespace scx_custody::live {

std::optional<SchedChange> SchedWatcher::poll() {
    auto status = sched_ext_status();
    std::string now;
    if (status && status->state == "enabled")
        now = status->scheduler;
    if (now == current_)
        return std::nullopt;
    if (!current_.empty()) {
        // Report the stop first; a replacement is reported by the next call.
        SchedChange change{SchedChange::Kind::Stopped, current_};
        current_.clear();
        return change;
    }
    current_ = now;
    return SchedChange{SchedChange::Kind::Started, now};
}

} // namespace scx_custody::live
