#include "pairing/task_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace scx_custody::pairing {
namespace {

constexpr std::size_t kInitialSlots = 16;

} // namespace

// ---- CommPool ----------------------------------------------------------------

std::size_t CommPool::CommHash::operator()(const Comm& comm) const noexcept {
    uint64_t low = 0;
    uint64_t high = 0;
    std::memcpy(&low, comm.data(), sizeof low);
    std::memcpy(&high, comm.data() + sizeof low, sizeof high);
    return TaskKeyHash{}(TaskKey{static_cast<uint32_t>(high ^ (high >> 32)), low});
}

CommPool::CommPool() {
    clear();
}

uint32_t CommPool::acquire(const Comm& comm) {
    if (same_comm(comm, Comm{}))
        return 0;
    auto [it, added] = ids_.try_emplace(comm, 0);
    if (added) {
        if (free_ids_.empty() && entries_.size() >= (std::size_t{1} << kCommIdBits)) {
            // No id fits a record's comm field: this comm reads as empty (a
            // finding's comm is for people; the audit does not depend on it).
            ids_.erase(it);
            return 0;
        }
        if (free_ids_.empty()) {
            it->second = static_cast<uint32_t>(entries_.size());
            entries_.push_back(Entry{comm, 0});
        } else {
            it->second = free_ids_.back();
            free_ids_.pop_back();
            entries_[it->second].comm = comm;
        }
    }
    ++entries_[it->second].refs;
    return it->second;
}

void CommPool::release(uint32_t id) {
    if (id == 0 || --entries_[id].refs > 0)
        return;
    ids_.erase(entries_[id].comm);
    free_ids_.push_back(id);
}

void CommPool::clear() {
    entries_.assign(1, Entry{});
    free_ids_.clear();
    ids_.clear();
}

// ---- TaskTable: records and clock --------------------------------------------

TaskTable::TaskTable(std::size_t capacity)
    : capacity_(std::clamp<std::size_t>(capacity, 1, kMaxCapacity)),
      id_mask_((uint32_t{1} << std::bit_width(capacity_)) - 1), tag_mask_(~id_mask_) {
    reset_index(kInitialSlots);
}

uint32_t TaskTable::new_record() {
    uint32_t id = free_ids_;
    if (id != kNil) {
        free_ids_ = record(id).pid;
    } else {
        id = next_unused_++;
        if ((id >> kChunkShift) >= chunks_.size())
            chunks_.push_back(std::make_unique<TaskState[]>(kChunkRecords));
    }
    return id;
}

void TaskTable::free_record(uint32_t id) {
    TaskState& task = record(id);
    comms_.release(task.comm_id);
    task.comm_id = 0;
    task.in_use = false;
    task.pid = free_ids_;
    free_ids_ = id;
}

uint32_t TaskTable::clock_victim() {
    // size_ > 0 here, so a record in use is found within two turns of the hand.
    for (;;) {
        const uint32_t id = clock_hand_;
        clock_hand_ = id + 1 < next_unused_ ? id + 1 : 0;
        TaskState& task = record(id);
        if (!task.in_use)
            continue;
        if (!task.referenced)
            return id;
        task.referenced = false;
    }
}

// ---- TaskTable: index ----------------------------------------------------------

void TaskTable::reset_index(std::size_t slots) {
    index_.assign(slots, 0);
    index_mask_ = slots - 1;
}

void TaskTable::place(uint32_t id, uint64_t hash) {
    const std::size_t mask = index_mask_;
    std::size_t slot = hash & mask;
    while (index_[slot] != 0)
        slot = (slot + 1) & mask;
    index_[slot] = tag_of(hash) | (id + 1);
}

void TaskTable::grow_index() {
    reset_index(index_.size() * 2);
    for_each_id([this](uint32_t id, const TaskState& task) { place(id, hash_of(task.key())); });
}

// Backward-shift deletion: every later entry of the probe run that may move into
// the hole does, so that lookups can stop at the first empty slot.
void TaskTable::remove_slot(std::size_t hole) {
    const std::size_t mask = index_mask_;
    for (std::size_t slot = (hole + 1) & mask;; slot = (slot + 1) & mask) {
        const uint32_t entry = index_[slot];
        if (entry == 0)
            break;
        const std::size_t home = hash_of(record(entry_id(entry)).key()) & mask;
        // The entry may fill the hole when the hole lies on its probe path
        // (cyclically between its home slot and where it sits now).
        if (((slot - home) & mask) >= ((slot - hole) & mask)) {
            index_[hole] = entry;
            hole = slot;
        }
    }
    index_[hole] = 0;
}

// ---- TaskTable: operations -----------------------------------------------------

const TaskState* TaskTable::find(const TaskKey& key) const {
    const uint32_t id = probe(key).id;
    return id == kNil ? nullptr : &record(id);
}

TaskTable::Inserted TaskTable::insert(const TaskKey& key) {
    Inserted result{nullptr, std::nullopt};
    if (size_ >= capacity_) {
        result.evicted = record(clock_victim());
        erase(result.evicted->key());
    }
    if ((size_ + 1) * 4 > index_.size() * 3)
        grow_index();
    const uint32_t id = new_record();
    TaskState& task = record(id);
    task = TaskState{};
    task.pid = key.pid;
    task.start_time_ns = key.start_time_ns;
    task.in_use = true;
    task.referenced = true;
    place(id, hash_of(key));
    ++size_;
    result.task = &task;
    return result;
}

void TaskTable::erase(const TaskKey& key) {
    const Probe found = probe(key);
    if (found.id == kNil)
        return;
    remove_slot(found.slot);
    free_record(found.id);
    --size_;
}

void TaskTable::clear() {
    reset_index(kInitialSlots);
    index_.shrink_to_fit();
    chunks_.clear();
    ++generation_;
    size_ = 0;
    next_unused_ = 0;
    free_ids_ = kNil;
    clock_hand_ = 0;
    comms_.clear();
}

void TaskTable::change_comm(TaskState& task, const Comm& raw) {
    const Comm comm = canonical_comm(raw);
    if (same_comm(comms_.get(task.comm_id), comm))
        return; // only the bytes after the NUL differed
    const uint32_t id = comms_.acquire(comm);
    comms_.release(task.comm_id);
    task.comm_id = id;
}

} // namespace scx_custody::pairing
