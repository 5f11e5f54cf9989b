// The reference scheduler's own counters, summed over CPUs, with the
// totals that the audit and the guest tests compare against.
#pragma once

#include "custody_ref_abi.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace scx_custody::loader {

struct RefStatInfo {
    std::string_view name;
    std::string_view help;
};

// One entry per CUSTODY_REF_STATS() row, in enum order.
const std::array<RefStatInfo, CUSTODY_REF_NR_STATS>& ref_stat_table();

struct RefStats {
    std::array<uint64_t, CUSTODY_REF_NR_STATS> values{};

    uint64_t operator[](custody_ref_stat s) const { return values[s]; }

    uint64_t custody_enter() const;
    uint64_t dequeue() const;
    // Tasks in custody at the moment of reading (the per-CPU deltas summed).
    int64_t in_custody() const;
    // Custody periods that ended without any ops.dequeue (late ones excluded).
    int64_t ended_without_dequeue() const;
    // enters - (every way a custody can end) - in_custody: 0 when the
    // scheduler's own bookkeeping is consistent.
    int64_t balance() const;

    nlohmann::json to_json() const;
    std::string one_line() const;
};

} // namespace scx_custody::loader
