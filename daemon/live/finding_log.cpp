#include "live/finding_log.h"

#include "pairing/finding.h"
#include "pairing/kinds.h"

#include <spdlog/spdlog.h>

namespace scx_custody::live {

void FindingLog::on_finding(const pairing::Finding& f) {
    seen_++;
    if (seen_ > 100 && seen_ % 1000 != 0)
        return;
    spdlog::warn("violation #{}: {} pid {} ({}) cpu {} ts {} dsq {:#x} flags {:#x} state {} "
                 "trigger {} kernel flag {}",
                 seen_, pairing::to_string(f.kind), f.task.pid, pairing::comm_view(f.comm), f.cpu,
                 f.ts_ns, f.dsq_id, f.flags, pairing::to_string(f.state_before),
                 f.trigger ? std::string(pairing::to_string(*f.trigger)) : "finish",
                 pairing::to_string(f.kernel_flag));
}

} // namespace scx_custody::live
