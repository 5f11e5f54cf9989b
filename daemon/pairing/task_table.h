// Bounded map TaskKey -> TaskState with least-recently-touched eviction.
//
// All operations are O(1) (amortised, hashing); clear() and for_each() are linear.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <unordered_map>

#include "pairing/event.h"
#include "pairing/task_state.h"

namespace scx_custody::pairing {

class TaskTable {
  public:
    // capacity 0 is taken as 1.
    explicit TaskTable(std::size_t capacity);

    TaskTable(const TaskTable&) = delete;
    TaskTable& operator=(const TaskTable&) = delete;
    TaskTable(TaskTable&&) = default;
    TaskTable& operator=(TaskTable&&) = default;

    std::size_t size() const { return index_.size(); }
    std::size_t capacity() const { return capacity_; }

    // The record for key, now the most recently touched; nullptr when absent.
    TaskState* touch(const TaskKey& key);
    // The record for key without changing the eviction order; nullptr when absent.
    const TaskState* find(const TaskKey& key) const;

    struct Inserted {
        TaskState* task;
        // The least recently touched record, removed to make room.
        std::optional<TaskState> evicted;
    };
    // Adds a default record for key, which must be absent, as the most recent one.
    Inserted insert(const TaskKey& key);

    void erase(const TaskKey& key);
    void clear();

    // Visits every record, least recently touched first.
    template <class F> void for_each(F&& visit) const {
        for (auto it = lru_.rbegin(); it != lru_.rend(); ++it)
            visit(*it);
    }

  private:
    using List = std::list<TaskState>;

    std::size_t capacity_;
    List lru_; // front: most recently touched
    std::unordered_map<TaskKey, List::iterator, TaskKeyHash> index_;
};

} // namespace scx_custody::pairing
