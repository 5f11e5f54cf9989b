// The clock bpf_ktime_get_ns() reads, so control records sort with events.
#pragma once

#include <cstdint>
#include <ctime>

namespace scx_custody::live {

inline uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace scx_custody::live
