#include "audit/kernel_events_watch.h"

#include "util/sysfs_text.h"

namespace scx_custody::audit {

KernelEventsWatch::KernelEventsWatch(std::string sched_ext_dir)
    : sched_ext_dir_(std::move(sched_ext_dir)), instance_dir_(sched_ext_dir_ + "/root") {}

KernelEventsWatch::SysfsState KernelEventsWatch::read_state() const {
    return {read_first_line(sched_ext_dir_ + "/state"),
            parse_u64(read_first_line(sched_ext_dir_ + "/enable_seq"))};
}

void KernelEventsWatch::open(uint32_t instance_id, uint64_t ts_ns, uint64_t now_ns) {
    close(ts_ns);
    SectionKernelEvents& section = sections_.emplace_back();
    section.instance_id = instance_id;
    section.begin_ts_ns = ts_ns;
    at_open_ = read_state();
    refresh(now_ns);
}

void KernelEventsWatch::close(uint64_t ts_ns) {
    if (sections_.empty() || !sections_.back().open)
        return;
    sections_.back().open = false;
    sections_.back().end_ts_ns = ts_ns;
}

// A reading of whatever instance runs now, or why there is none.
std::optional<KernelEventsSnapshot> KernelEventsWatch::take(SectionKernelEvents& section,
                                                            uint64_t now_ns) {
    const SysfsState before = read_state();
    if (before.state != "enabled" && before.state != "disabling") {
        section.note = "no scheduler instance ran when it was read (sched_ext " +
                       (before.state.empty() ? std::string("state unreadable") : before.state) +
                       ")";
        return std::nullopt;
    }
    if (!before.enable_seq) {
        section.note = sched_ext_dir_ + "/enable_seq cannot be read: readings cannot be tied "
                                        "to the instance";
        return std::nullopt;
    }
    if (lacks_events_file(instance_dir_)) {
        section.note = "this kernel has no " + instance_dir_ +
                       "/events: its sched_ext does not export event counters";
        return std::nullopt;
    }
    auto reading = read_kernel_events(instance_dir_);
    if (!reading) {
        section.note = reading.error().message;
        return std::nullopt;
    }
    if (read_state().enable_seq != before.enable_seq) {
        section.note = "another instance was enabled while the counters were read";
        return std::nullopt;
    }
    // A start reading needs the enable finished (enable_seq counts it when done).
    if (!section.start && before.state != "enabled") {
        section.note = "the instance was never read while enabled";
        return std::nullopt;
    }
    return KernelEventsSnapshot{now_ns, std::move(reading->ops), *before.enable_seq,
                                std::move(reading->events)};
}

bool KernelEventsWatch::same_instance(const SectionKernelEvents& section,
                                      const KernelEventsSnapshot& s) const {
    if (section.start)
        return s.ops == section.start->ops && s.enable_seq == section.start->enable_seq;
    // The first reading: the instance running when the section opened, or
    // the one whose enable was under way then (enable_seq counts an enable
    // once it is done).
    if (!at_open_.enable_seq)
        return true;
    const uint64_t expected = *at_open_.enable_seq + (at_open_.state == "enabled" ? 0 : 1);
    return s.enable_seq == expected;
}

void KernelEventsWatch::refresh(uint64_t now_ns) {
    if (sections_.empty() || !sections_.back().open || sections_.back().end_missing)
        return;
    SectionKernelEvents& section = sections_.back();
    auto snapshot = take(section, now_ns);
    if (!snapshot)
        return;
    if (!same_instance(section, *snapshot)) {
        const std::string other = "another instance (\"" + snapshot->ops + "\", enable_seq " +
                                  std::to_string(snapshot->enable_seq) + ")";
        if (section.start) {
            section.end_missing = true;
            section.end.reset();
            section.note = other + " replaced it before the section ended: the end reading "
                                   "is missing";
        } else {
            section.note = other + " ran instead of the section's: not read";
        }
        return;
    }
    section.note.clear();
    if (!section.start)
        section.start = *snapshot;
    section.end = std::move(*snapshot);
}

} // namespace scx_custody::audit
