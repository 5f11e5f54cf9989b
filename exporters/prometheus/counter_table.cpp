#include "counter_table.h"

#include <charconv>
#include <stdexcept>
#include <utility>

namespace scx_custody::prom {
namespace {

void append_count(std::string& out, uint64_t count) {
    char buffer[24];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, count);
    out.append(buffer, error == std::errc() ? end : buffer);
}

// One writer: a load and a store, not a locked read-modify-write.
void bump(std::atomic<uint64_t>& cell, uint64_t count) {
    cell.store(cell.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
}

// The catalog's names and values are plain identifiers and CPU numbers: nothing
// in them needs the format's escapes, which the constructor checks.
bool needs_escape(std::string_view text) {
    return text.find_first_of("\\\"\n") != std::string_view::npos;
}

} // namespace

// make_unique<T[]> value-initializes, and a value-initialized atomic holds 0.
CounterTable::Row::Row(std::string cpu_label, std::size_t columns)
    : cpu(std::move(cpu_label)), counts(std::make_unique<std::atomic<uint64_t>[]>(columns)) {}

CounterTable::CounterTable(const MetricInfo& info, uint32_t nr_cpus,
                           std::span<const std::string_view> values)
    : info_(info) {
    const auto labels = info.labels();
    if (info.type != MetricType::Counter || labels.empty() || labels[0] != "cpu" ||
        labels.size() != (values.empty() ? 1u : 2u))
        throw std::logic_error("CounterTable: " + std::string(info.name) +
                               " is not a counter labelled cpu and at most one more label");
    if (!values.empty())
        label_ = labels[1];
    for (std::string_view value : values) {
        if (needs_escape(value))
            throw std::logic_error("CounterTable: label value needs escaping");
        values_.emplace_back(value);
        suffixes_.push_back("\"," + label_ + "=\"" + std::string(value) + "\"} ");
    }
    if (values_.empty())
        suffixes_.emplace_back("\"} ");
    rows_.reserve(nr_cpus);
    for (uint32_t cpu = 0; cpu < nr_cpus; ++cpu)
        rows_.emplace_back(std::to_string(cpu), suffixes_.size());
}

void CounterTable::add(uint32_t cpu, std::size_t column, uint64_t count) {
    Row& row = cpu < rows_.size() ? rows_[cpu] : row_of(cpu);
    bump(row.counts[column], count);
}

void CounterTable::add_no_cpu(std::size_t column, uint64_t count) {
    if (!none_)
        none_ = &late_row("none");
    bump(none_->counts[column], count);
}

CounterTable::Row& CounterTable::row_of(uint32_t cpu) {
    if (auto it = extra_.find(cpu); it != extra_.end())
        return *it->second;
    if (extra_.size() < kMaxExtraCpus)
        return *extra_.emplace(cpu, &late_row(std::to_string(cpu))).first->second;
    if (!other_)
        other_ = &late_row("other");
    return *other_;
}

CounterTable::Row& CounterTable::late_row(std::string cpu_label) {
    std::lock_guard lock(late_mutex_);
    return late_rows_.emplace_back(std::move(cpu_label), suffixes_.size());
}

// Rows in the order they are exported: the possible CPUs, then the late ones as
// they came.
template <class Visit> void CounterTable::for_each_row(Visit&& visit) const {
    for (const Row& row : rows_)
        visit(row);
    std::lock_guard lock(late_mutex_);
    for (const Row& row : late_rows_)
        visit(row);
}

void CounterTable::append_row(std::string& out, const Row& row) const {
    for (std::size_t column = 0; column < suffixes_.size(); ++column) {
        out += info_.name;
        out += "{cpu=\"";
        out += row.cpu;
        out += suffixes_[column];
        append_count(out, row.counts[column].load(std::memory_order_relaxed));
        out += '\n';
    }
}

void CounterTable::append_text(std::string& out) const {
    out.reserve(out.size() + series() * (info_.name.size() + 48) + info_.help.size() + 128);
    out += "# HELP ";
    out += info_.name;
    out += ' ';
    out += info_.help;
    out += "\n# TYPE ";
    out += info_.name;
    out += " counter\n";
    for_each_row([&](const Row& row) { append_row(out, row); });
}

std::vector<prometheus::MetricFamily> CounterTable::Collect() const {
    prometheus::MetricFamily family;
    family.name = info_.name;
    family.help = info_.help;
    family.type = prometheus::MetricType::Counter;
    for_each_row([&](const Row& row) {
        for (std::size_t column = 0; column < suffixes_.size(); ++column) {
            prometheus::ClientMetric metric;
            metric.label.push_back({"cpu", row.cpu});
            if (!label_.empty())
                metric.label.push_back({label_, values_[column]});
            metric.counter.value =
                static_cast<double>(row.counts[column].load(std::memory_order_relaxed));
            family.metric.push_back(std::move(metric));
        }
    });
    return {std::move(family)};
}

std::size_t CounterTable::series() const {
    std::lock_guard lock(late_mutex_);
    return (rows_.size() + late_rows_.size()) * suffixes_.size();
}

} // namespace scx_custody::prom
