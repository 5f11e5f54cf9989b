// RefScheduler: the reference custody scheduler's BPF side, loaded and
// attached through its skeleton, with its counters and exit info readable.
#pragma once

#include "loader/ref_knobs.h"
#include "loader/ref_stats.h"
#include "loader/sched_programs.h"
#include "util/result.h"

#include <memory>
#include <optional>
#include <string>

struct custody_ref;
struct bpf_link;

namespace scx_custody::loader {

struct RefExitInfo {
    int64_t exit_code = 0;
    uint32_t kind = 0;
    std::string reason;
    std::string msg;

    // SCX_EXIT_ERROR and above: the kernel ejected the scheduler.
    bool is_error() const { return kind >= 1024; }
};

// Which optional paths this kernel let the scheduler drive (valid after
// attach: ops.init records them).
struct RefCaps {
    bool dsq_iterator = false;
    bool dsq_reenq = false;
    bool enq_immed = false; // SCX_ENQ_IMMED inserts (7.3)

    nlohmann::json to_json() const;
};

class RefScheduler {
  public:
    // Opens and loads the BPF object with `knobs` (nothing is attached yet).
    static Result<RefScheduler> load(const RefKnobs& knobs);

    RefScheduler(RefScheduler&&) noexcept;
    RefScheduler& operator=(RefScheduler&&) noexcept;
    ~RefScheduler();

    // Registers the scheduler with sched_ext: from here on it runs every
    // task on the machine.
    Status attach();
    // Unregisters it; the kernel has switched every task back to the fair
    // class when this returns. Idempotent.
    void detach();
    bool attached() const { return link_ != nullptr; }

    Result<RefStats> read_stats() const;
    RefCaps caps() const;
    // Set once ops.exit() ran: after detach(), or when the kernel ejected us.
    std::optional<RefExitInfo> exit_info() const;
    // Our ops.dequeue/ops.enqueue programs, for the tracer.
    Result<loader::SchedulerPrograms> programs() const;
    // The struct_ops map's id, for tracers that attach to our programs.
    uint32_t struct_ops_map_id() const;

  private:
    struct SkelDeleter {
        void operator()(custody_ref* skel) const;
    };
    explicit RefScheduler(std::unique_ptr<custody_ref, SkelDeleter> skel);

    std::unique_ptr<custody_ref, SkelDeleter> skel_;
    bpf_link* link_ = nullptr; // owned: destroyed by detach()
};

} // namespace scx_custody::loader
