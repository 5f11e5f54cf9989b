#include "pairing/task_table.h"

#include <algorithm>
#include <utility>

namespace scx_custody::pairing {

TaskTable::TaskTable(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

TaskState* TaskTable::touch(const TaskKey& key) {
    auto found = index_.find(key);
    if (found == index_.end())
        return nullptr;
    lru_.splice(lru_.begin(), lru_, found->second);
    return &*found->second;
}

const TaskState* TaskTable::find(const TaskKey& key) const {
    auto found = index_.find(key);
    return found == index_.end() ? nullptr : &*found->second;
}

TaskTable::Inserted TaskTable::insert(const TaskKey& key) {
    Inserted result{nullptr, std::nullopt};
    if (index_.size() >= capacity_) {
        auto oldest = std::prev(lru_.end());
        index_.erase(oldest->key);
        result.evicted = std::move(*oldest);
        lru_.erase(oldest);
    }
    lru_.emplace_front();
    lru_.front().key = key;
    index_.emplace(key, lru_.begin());
    result.task = &lru_.front();
    return result;
}

void TaskTable::erase(const TaskKey& key) {
    auto found = index_.find(key);
    if (found == index_.end())
        return;
    lru_.erase(found->second);
    index_.erase(found);
}

void TaskTable::clear() {
    index_.clear();
    lru_.clear();
}

} // namespace scx_custody::pairing
