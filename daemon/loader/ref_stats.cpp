#include "loader/ref_stats.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scx_custody::loader {

const std::array<RefStatInfo, CUSTODY_REF_NR_STATS>& ref_stat_table() {
#define CUSTODY_REF_STAT_INFO(name, help) RefStatInfo{#name, help},
    static const std::array<RefStatInfo, CUSTODY_REF_NR_STATS> table{
        {CUSTODY_REF_STATS(CUSTODY_REF_STAT_INFO)}};
#undef CUSTODY_REF_STAT_INFO
    return table;
}

uint64_t RefStats::custody_enter() const {
    return values[CUSTODY_REF_STAT_enter_select_user] +
           values[CUSTODY_REF_STAT_enter_enqueue_fifo] +
           values[CUSTODY_REF_STAT_enter_enqueue_vtime] +
           values[CUSTODY_REF_STAT_enter_enqueue_held] +
           values[CUSTODY_REF_STAT_enter_enqueue_hold];
}

uint64_t RefStats::dequeue() const {
    return values[CUSTODY_REF_STAT_dequeue_dispatch] +
           values[CUSTODY_REF_STAT_dequeue_sched_change] +
           values[CUSTODY_REF_STAT_dequeue_core_sched];
}

int64_t RefStats::in_custody() const {
    return static_cast<int64_t>(values[CUSTODY_REF_STAT_in_custody]);
}

int64_t RefStats::ended_without_dequeue() const {
    return static_cast<int64_t>(values[CUSTODY_REF_STAT_ran_in_custody] +
                                values[CUSTODY_REF_STAT_missed_at_enqueue] +
                                values[CUSTODY_REF_STAT_exit_in_custody]) -
           static_cast<int64_t>(values[CUSTODY_REF_STAT_dequeue_late]);
}

int64_t RefStats::balance() const {
    int64_t closed_by_dequeue =
        static_cast<int64_t>(dequeue()) -
        static_cast<int64_t>(values[CUSTODY_REF_STAT_dequeue_late]) -
        static_cast<int64_t>(values[CUSTODY_REF_STAT_dequeue_outside_custody]);
    int64_t ended_otherwise = static_cast<int64_t>(values[CUSTODY_REF_STAT_ran_in_custody] +
                                                   values[CUSTODY_REF_STAT_missed_at_enqueue] +
                                                   values[CUSTODY_REF_STAT_exit_in_custody]);
    return static_cast<int64_t>(custody_enter()) - closed_by_dequeue - ended_otherwise -
           in_custody();
}

nlohmann::json RefStats::to_json() const {
    nlohmann::json counters = nlohmann::json::object();
    const auto& table = ref_stat_table();
    for (size_t i = 0; i < table.size(); i++) {
        if (i == CUSTODY_REF_STAT_in_custody)
            counters[std::string(table[i].name)] = in_custody();
        else
            counters[std::string(table[i].name)] = values[i];
    }
    return {
        {"counters", counters},
        {"custody_enter", custody_enter()},
        {"dequeue", dequeue()},
        {"in_custody", in_custody()},
        {"ended_without_dequeue", ended_without_dequeue()},
        {"balance", balance()},
    };
}

std::string RefStats::one_line() const {
    return fmt::format("enter={} dequeue={} (dispatch={} sched_change={} core_sched={}) "
                       "in_custody={} ended_without_dequeue={} late={} outside={}",
                       custody_enter(), dequeue(), values[CUSTODY_REF_STAT_dequeue_dispatch],
                       values[CUSTODY_REF_STAT_dequeue_sched_change],
                       values[CUSTODY_REF_STAT_dequeue_core_sched], in_custody(),
                       ended_without_dequeue(), values[CUSTODY_REF_STAT_dequeue_late],
                       values[CUSTODY_REF_STAT_dequeue_outside_custody]);
}

} // namespace scx_custody::loader
