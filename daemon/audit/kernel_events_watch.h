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
// Only root instances are read (sub-schedulers are not audited per
// scheduler); the directory is a parameter so the watch works on any tree.
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

    // A section opens (closing any still open at ts_ns): reads its start.
    void open(uint32_t instance_id, uint64_t ts_ns, uint64_t now_ns);
    // Every poll: a new end reading of the open section's instance.
    void refresh(uint64_t now_ns);
    // The open section ends at ts_ns; its end reading is the last one taken.
    void close(uint64_t ts_ns);

    const std::vector<SectionKernelEvents>& sections() const { return sections_; }
    const std::string& instance_dir() const { return instance_dir_; }

  private:
    struct SysfsState {
        std::string state;
        std::optional<uint64_t> enable_seq;
    };
    SysfsState read_state() const;
    std::optional<KernelEventsSnapshot> take(SectionKernelEvents& section, uint64_t now_ns);
    bool same_instance(const SectionKernelEvents& section, const KernelEventsSnapshot& s) const;

    std::string sched_ext_dir_;
    std::string instance_dir_;
    std::vector<SectionKernelEvents> sections_;
    // enable_seq and state when the open section opened.
    SysfsState at_open_;
};

} // namespace scx_custody::audit
