#include "metric_set.h"

#include <iterator>

#include "text_format.h"

namespace scx_custody::prom {

MetricSet::MetricSet() : registry_(std::make_shared<prometheus::Registry>()) {}

CounterTable& MetricSet::add_table(const MetricInfo& info, uint32_t nr_cpus,
                                   std::span<const std::string_view> values) {
    return tables_.emplace_back(info, nr_cpus, values);
}

std::vector<prometheus::MetricFamily> MetricSet::Collect() const {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (const CounterTable& table : tables_) {
        std::vector<prometheus::MetricFamily> own = table.Collect();
        families.insert(families.end(), std::make_move_iterator(own.begin()),
                        std::make_move_iterator(own.end()));
    }
    return families;
}

std::string MetricSet::render_text() const {
    std::string out = to_text_format(registry_->Collect());
    for (const CounterTable& table : tables_)
        table.append_text(out);
    return out;
}

} // namespace scx_custody::prom
