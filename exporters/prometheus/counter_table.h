// CounterTable: one counter family labelled by cpu, times the values of at most
// one more label (reason, kind), kept as integers and written straight into the
// text exposition format. Internal to the exporter.
//
// A 1,024-CPU machine exports over 12,000 such series. Kept in a prometheus-cpp
// Registry, every scrape copied each of them into a ClientMetric with its label
// strings before a line was written: 35 M of a scrape's 49.6 M instructions.
// The table writes each line from a label prefix built once and its integer.
//
// Series for CPUs 0..nr_cpus-1 exist from construction, so every counter is
// exported from 0 (a series that appears with its first increase hides that
// increase from rate()). A CPU at or above nr_cpus cannot come from the
// kernel when nr_cpus is the number of possible CPUs; should one appear anyway it
// gets its series on first use, up to kMaxExtraCpus of them, and any further ones
// are counted under cpu="other" rather than dropped. What belongs to no CPU is
// counted under cpu="none", created on first use.
//
// Threading: add() from one writer thread; append_text() and Collect() from any
// thread at the same time (the counts are relaxed atomics; rows created late are
// published under a lock).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metric_catalog.h"

namespace scx_custody::prom {

inline constexpr std::size_t kMaxExtraCpus = 256;

class CounterTable final : public prometheus::Collectable {
  public:
    // info: a counter of the catalog labelled "cpu" and, when `values` is not
    // empty, one more label whose values are the table's columns.
    CounterTable(const MetricInfo& info, uint32_t nr_cpus,
                 std::span<const std::string_view> values = {});

    CounterTable(const CounterTable&) = delete;
    CounterTable& operator=(const CounterTable&) = delete;

    void add(uint32_t cpu, std::size_t column = 0, uint64_t count = 1);
    void add_no_cpu(std::size_t column = 0, uint64_t count = 1);

    // The family in the text exposition format, appended to `out`: byte for byte
    // what to_text_format(Collect()) writes (for counts below 10^15, which that
    // writes from a double).
    void append_text(std::string& out) const;

    // The same family the prometheus-cpp way, for callers that read families.
    std::vector<prometheus::MetricFamily> Collect() const override;

    std::size_t series() const;

  private:
    struct Row {
        Row(std::string cpu_label, std::size_t columns);
        std::string cpu;
        std::unique_ptr<std::atomic<uint64_t>[]> counts;
    };

    Row& row_of(uint32_t cpu);
    Row& late_row(std::string cpu_label);
    void append_row(std::string& out, const Row& row) const;
    template <class Visit> void for_each_row(Visit&& visit) const;

    const MetricInfo& info_;
    std::string label_;                 // the column label's name, "" for none
    std::vector<std::string> values_;   // the column label's values
    std::vector<std::string> suffixes_; // per column: `",reason="dispatch"} `
    std::vector<Row> rows_;             // CPUs 0..nr_cpus-1, never resized

    // Rows made after construction: extra CPUs, "other", "none". The writer
    // indexes them without the lock (only it changes the index); the deque is
    // grown under the lock, which scrapes take to walk it.
    mutable std::mutex late_mutex_;
    std::deque<Row> late_rows_;
    std::map<uint32_t, Row*> extra_;
    Row* other_ = nullptr;
    Row* none_ = nullptr;
};

} // namespace scx_custody::prom
