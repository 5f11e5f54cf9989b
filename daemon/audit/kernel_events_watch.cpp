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
    section.dir = instance_dir_;
    section.begin_ts_ns = ts_ns;
    root_open_ = sections_.size() - 1;
    at_open_ = read_state();
    refresh_root(section, now_ns);
}

void KernelEventsWatch::open_sub(uint32_t instance_id, const std::string& tree_path, uint64_t ts_ns,
                                 uint64_t now_ns) {
    close_sub(instance_id, ts_ns);
    SectionKernelEvents& section = sections_.emplace_back();
    section.instance_id = instance_id;
    section.dir = sched_ext_dir_ + "/" + tree_path;
    section.sub = true;
    section.begin_ts_ns = ts_ns;
    refresh_sub(section, now_ns);
}

void KernelEventsWatch::close(uint64_t ts_ns) {
    for (SectionKernelEvents& section : sections_) {
        if (!section.open)
            continue;
        section.open = false;
        section.end_ts_ns = ts_ns;
    }
    root_open_.reset();
}

void KernelEventsWatch::close_sub(uint32_t instance_id, uint64_t ts_ns) {
    for (SectionKernelEvents& section : sections_) {
        if (!section.open || !section.sub || section.instance_id != instance_id)
            continue;
        section.open = false;
        section.end_ts_ns = ts_ns;
    }
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
    for (SectionKernelEvents& section : sections_) {
        if (!section.open)
            continue;
        if (section.sub)
            refresh_sub(section, now_ns);
        else
            refresh_root(section, now_ns);
    }
}

void KernelEventsWatch::refresh_root(SectionKernelEvents& section, uint64_t now_ns) {
    if (section.end_missing)
        return;
    auto snapshot = take(section, now_ns);
    if (!snapshot)
        return;
    const bool same = same_instance(section, *snapshot);
    const std::string other = "another instance (\"" + snapshot->ops + "\", enable_seq " +
                              std::to_string(snapshot->enable_seq) + ")";
    accept(section, std::move(*snapshot), same, other);
}

void KernelEventsWatch::accept(SectionKernelEvents& section, KernelEventsSnapshot snapshot,
                               bool same, const std::string& other) {
    if (!same) {
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
        section.start = snapshot;
    section.end = std::move(snapshot);
}

namespace {

// A counter of the instance's own went down: another instance's file.
bool went_down(const KernelEventsParse& before, const KernelEventsParse& now) {
    for (const auto& was : before.counts)
        if (const KernelEventCount* is = now.find(was.name); is && is->value < was.value)
            return true;
    return false;
}

} // namespace

void KernelEventsWatch::refresh_sub(SectionKernelEvents& section, uint64_t now_ns) {
    if (section.end_missing)
        return;
    auto snapshot = take_sub(section, now_ns);
    if (!snapshot)
        return;
    const KernelEventsSnapshot* last = section.end ? &*section.end : nullptr;
    const bool same =
        !last || (snapshot->ops == last->ops && !went_down(last->events, snapshot->events));
    const std::string other = "another instance (\"" + snapshot->ops + "\") in " + section.dir;
    accept(section, std::move(*snapshot), same, other);
}

// A reading of the sub-scheduler's directory, or why there is none. Its
// directory goes when it is disabled, before the record that closes its
// section is read: the end reading then stays the last one taken.
std::optional<KernelEventsSnapshot> KernelEventsWatch::take_sub(SectionKernelEvents& section,
                                                                uint64_t now_ns) {
    if (lacks_events_file(section.dir)) {
        section.note = "this kernel has no " + section.dir + "/events";
        return std::nullopt;
    }
    auto reading = read_kernel_events(section.dir);
    if (!reading) {
        if (!section.start)
            section.note = reading.error().message;
        return std::nullopt;
    }
    return KernelEventsSnapshot{now_ns, std::move(reading->ops), 0, std::move(reading->events)};
}

} // namespace scx_custody::audit
