#include "loader/ref_knobs.h"

#include <string>

namespace scx_custody::loader {

Status RefKnobs::validate() const {
    uint32_t select_sum = select_user_pct + select_local_pct;
    if (select_sum > 100)
        return Error::usage("--select-user-pct + --select-local-pct = " +
                            std::to_string(select_sum) + ", more than 100");
    uint32_t enqueue_sum = enqueue_local_pct + enqueue_local_on_pct + enqueue_global_pct +
                           enqueue_vtime_pct + enqueue_held_pct;
    if (enqueue_sum > 100)
        return Error::usage("the --enqueue-*-pct knobs add up to " + std::to_string(enqueue_sum) +
                            ", more than 100 (the rest goes to the FIFO DSQ)");
    if (slice_us == 0 || slice_us > 1000 * 1000)
        return Error::usage("--slice-us must be between 1 and 1000000, got " +
                            std::to_string(slice_us));
    if (hold_ms > kMaxHoldMs)
        return Error::usage("--hold-ms " + std::to_string(hold_ms) + " is more than " +
                            std::to_string(kMaxHoldMs) +
                            ": the kernel's watchdog would eject the scheduler (30 s)");
    if ((hold_ms > 0) != !hold_comm.empty())
        return Error::usage("--hold-comm and --hold-ms go together: name the comm of the tasks "
                            "to hold and for how many ms");
    if (hold_comm.size() > 15)
        return Error::usage("--hold-comm \"" + hold_comm +
                            "\" is longer than a comm (15 characters)");
    return ok_status();
}

} // namespace scx_custody::loader
