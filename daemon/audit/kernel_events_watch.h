// KernelEventsWatch: the kernel's event counters of each scheduler section's
// instance, read when the section opens and refreshed at every poll of the
// live audit, so that its end reading is the last one taken while the
// instance still ran (when the kernel disables a scheduler its sysfs
// directory goes away before the record that closes the section is read).
//
// A reading belongs to the section's instance only if sched_ext is enabled
// (or disabling) with the same ops name and /sys/kernel/sched_ext/enable_seq
// as its first reading, and that first reading is of the instance the
// section opened for (enable_seq unchanged since, or the one enable that was
// under way then). Otherwise the reading is not used, and a section whose
// instance changed under it says its end reading is missing.
//
// A sub-scheduler's section (7.3) reads the instance's own directory,
// root/sub/sub-<cgroup id>/..., which has no enable_seq of its own: a reading
// belongs to it while its directory names the same ops as its first reading
// and no counter went down (a new instance on the same cgroup starts from 0).
// The sched_ext directory is a parameter so the watch works on any tree.
// Live only: a recording does not carry these readings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/kernel_events.h"

namespace scx_custody::audit {

struct KernelEventsSnapshot {
    uint64_t taken_ns = 0; // CLOCK_MONOTONIC, the clock of the section's times
    std::string ops;
    uint64_t enable_seq = 0;
    KernelEventsParse events;
};

struct SectionKernelEvents {
    uint32_t instance_id = 0;
    std::string dir;  // the instance's sysfs directory
    bool sub = false; // a sub-scheduler's (identity by ops and growth)
    uint64_t begin_ts_ns = 0;
    uint64_t end_ts_ns = 0;
    bool open = true;
    std::optional<KernelEventsSnapshot> start;
    std::optional<KernelEventsSnapshot> end; // the last reading of the same instance
    // Another instance ran before the section ended: the end reading is missing.
    bool end_missing = false;
    // Why there is no reading (or no end reading); the last cause seen.
    std::string note;
};

class KernelEventsWatch {
  public:
    explicit KernelEventsWatch(std::string sched_ext_dir = "/sys/kernel/sched_ext");

    // A root section opens (closing any still open at ts_ns): reads its start.
    void open(uint32_t instance_id, uint64_t ts_ns, uint64_t now_ns);
    // A sub-scheduler's section opens beside it; tree_path as in sysfs
    // ("root/sub/sub-28").
    void open_sub(uint32_t instance_id, const std::string& tree_path, uint64_t ts_ns,
                  uint64_t now_ns);
    // Every poll: a new end reading of every open section's instance.
    void refresh(uint64_t now_ns);
    // The root section ends at ts_ns, and every sub-scheduler's with it; an
    // end reading is the last one taken.
    void close(uint64_t ts_ns);
    void close_sub(uint32_t instance_id, uint64_t ts_ns);

    const std::vector<SectionKernelEvents>& sections() const { return sections_; }
    const std::string& instance_dir() const { return instance_dir_; }

  private:
    struct SysfsState {
        std::string state;
        std::optional<uint64_t> enable_seq;
    };
    SysfsState read_state() const;
    std::optional<KernelEventsSnapshot> take(SectionKernelEvents& section, uint64_t now_ns);
    std::optional<KernelEventsSnapshot> take_sub(SectionKernelEvents& section, uint64_t now_ns);
    bool same_instance(const SectionKernelEvents& section, const KernelEventsSnapshot& s) const;
    void refresh_root(SectionKernelEvents& section, uint64_t now_ns);
    void refresh_sub(SectionKernelEvents& section, uint64_t now_ns);
    // Keeps the reading, or says why the end reading is missing now.
    void accept(SectionKernelEvents& section, KernelEventsSnapshot snapshot, bool same,
                const std::string& other);

    std::string sched_ext_dir_;
    std::string instance_dir_;
    std::vector<SectionKernelEvents> sections_;
    std::optional<std::size_t> root_open_; // the open root section's index
    // enable_seq and state when the open section opened.
    SysfsState at_open_;
};

} // namespace scx_custody::audit
