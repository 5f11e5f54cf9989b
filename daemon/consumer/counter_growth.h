// CounterGrowth: what a running total gained since it was last read. The
// tracer's per-CPU counters, the kernel's skipped runs and the engine's and the
// session's error totals are all read as totals and published as increments;
// this is the one place that turns the one into the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scx_custody::consumer {

class CounterGrowth {
  public:
    // The increase since the last call. A smaller total means the counter
    // started over (a new engine, a reloaded program): all of it is new.
    uint64_t take(uint64_t total) {
        const uint64_t grown = total >= last_ ? total - last_ : total;
        last_ = total;
        return grown;
    }
    uint64_t last() const { return last_; }

  private:
    uint64_t last_ = 0;
};

// One CounterGrowth per CPU.
class PerCpuGrowth {
  public:
    uint64_t take(std::size_t cpu, uint64_t total) {
        if (cpu >= per_cpu_.size())
            per_cpu_.resize(cpu + 1);
        return per_cpu_[cpu].take(total);
    }

  private:
    std::vector<CounterGrowth> per_cpu_;
};

} // namespace scx_custody::consumer
