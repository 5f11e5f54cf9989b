// Per-CPU counter series of one metric family, times the values of at most one more
// label (reason, kind). Internal to the exporter.
//
// Series for CPUs 0..nr_cpus-1 are created up front, so every counter is exported
// from 0 (STYLE habit 8). A CPU at or above nr_cpus cannot come from the kernel
// when nr_cpus is the number of possible CPUs; should one appear anyway it gets
// its series on first use, up to kMaxExtraCpus of them, and any further ones are
// counted under cpu="other" rather than dropped.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_custody::prom::detail {

inline constexpr std::size_t kMaxExtraCpus = 256;

template <std::size_t N> class CpuCounterGrid {
  public:
    using Row = std::array<prometheus::Counter*, N>;

    // label is empty for a family labelled by cpu only (then N is 1).
    CpuCounterGrid(prometheus::Family<prometheus::Counter>& family, uint32_t nr_cpus,
                   std::string_view label = {}, std::array<std::string_view, N> values = {})
        : family_(family), label_(label), values_(values) {
        rows_.reserve(nr_cpus);
        for (uint32_t cpu = 0; cpu < nr_cpus; ++cpu)
            rows_.push_back(make_row(std::to_string(cpu)));
    }

    // Not thread-safe: one writer thread (prometheus-cpp makes the counters
    // themselves safe to read while they are incremented).
    prometheus::Counter& at(uint32_t cpu, std::size_t column = 0) {
        if (cpu < rows_.size())
            return *rows_[cpu][column];
        return *extra_row(cpu)[column];
    }

    // The series of what belongs to no CPU (cpu="none"), created on first use.
    prometheus::Counter& no_cpu(std::size_t column = 0) {
        if (!none_)
            none_ = make_row("none");
        return *(*none_)[column];
    }

  private:
    Row make_row(const std::string& cpu) {
        Row row{};
        for (std::size_t i = 0; i < N; ++i) {
            prometheus::Labels labels{{"cpu", cpu}};
            if (!label_.empty())
                labels.emplace(std::string(label_), std::string(values_[i]));
            row[i] = &family_.Add(labels);
        }
        return row;
    }

    const Row& extra_row(uint32_t cpu) {
        if (auto it = extra_.find(cpu); it != extra_.end())
            return it->second;
        if (extra_.size() < kMaxExtraCpus)
            return extra_.emplace(cpu, make_row(std::to_string(cpu))).first->second;
        if (!other_)
            other_ = make_row("other");
        return *other_;
    }

    prometheus::Family<prometheus::Counter>& family_;
    std::string_view label_;
    std::array<std::string_view, N> values_;
    std::vector<Row> rows_;
    std::map<uint32_t, Row> extra_;
    std::optional<Row> other_;
    std::optional<Row> none_;
};

} // namespace scx_custody::prom::detail
