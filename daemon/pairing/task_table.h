// Bounded map TaskKey -> TaskState with clock (second-chance) eviction, at
// about 57 bytes per task for a million tasks (48-byte record + index).
//
// Layout, all indices instead of pointers:
//   records  TaskState in fixed chunks of kChunkRecords (never moved, so a
//            TaskState* stays valid until its task is erased, evicted or cleared);
//            a record's id is its position; freed ids are reused first
//   clock    a touch sets the record's `referenced` bit; to make room, a hand
//            sweeps the ids in order, clearing set bits, and evicts the first
//            record in use whose bit is clear: a record not touched since the
//            hand last passed it. Unlike an exact LRU list, a touch writes only
//            the record the engine is about to write anyway
//   index    open addressing (linear probing, at most 3/4 full) of 32-bit
//            entries: id + 1 in the low bits, a tag of the key's hash in the high
//            bits so that most probes never read a record; deletion shifts
//            entries back (no tombstones)
//   comms    one copy per distinct comm, reference-counted (CommPool)
// All operations are O(1) (amortised: the index doubles when 3/4 full, and a
// sweep clears at most one bit per touch or insert since the last sweep);
// clear() and for_each() are linear. Capacity is at most kMaxCapacity.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pairing/event.h"
#include "pairing/task_state.h"

namespace scx_custody::pairing {

// Two 8-byte compares: this runs for every event, and every event carries a comm.
inline bool same_comm(const Comm& a, const Comm& b) {
    uint64_t a_words[2];
    uint64_t b_words[2];
    std::memcpy(a_words, a.data(), sizeof a_words);
    std::memcpy(b_words, b.data(), sizeof b_words);
    return ((a_words[0] ^ b_words[0]) | (a_words[1] ^ b_words[1])) == 0;
}

// Distinct comms, each stored once with a reference count. Id 0 is the all-zero
// (empty) comm, never counted.
class CommPool {
  public:
    CommPool();

    const Comm& get(uint32_t id) const { return entries_[id].comm; }
    // An id for comm, counted once more.
    uint32_t acquire(const Comm& comm);
    // One reference fewer; the last one frees the id.
    void release(uint32_t id);
    void clear();

    // Distinct non-empty comms held.
    std::size_t size() const { return ids_.size(); }

  private:
    struct Entry {
        Comm comm{};
        uint32_t refs = 0;
    };
    struct CommHash {
        std::size_t operator()(const Comm& comm) const noexcept;
    };

    std::vector<Entry> entries_;
    std::vector<uint32_t> free_ids_;
    std::unordered_map<Comm, uint32_t, CommHash> ids_;
};

class TaskTable {
  public:
    // Records whose ids fit kTaskIdBits (268 million tasks).
    static constexpr std::size_t kMaxCapacity = (std::size_t{1} << kTaskIdBits) - 1;

    // capacity 0 is taken as 1, more than kMaxCapacity as kMaxCapacity.
    explicit TaskTable(std::size_t capacity);

    TaskTable(const TaskTable&) = delete;
    TaskTable& operator=(const TaskTable&) = delete;
    // A moved table keeps its records, so the references taken from it stay
    // valid. Assignment would free the target's records under references
    // that carry its generation: there is none.
    TaskTable(TaskTable&&) = default;
    TaskTable& operator=(TaskTable&&) = delete;

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }

    // The record for key, marked as touched; nullptr when absent. Inline: it
    // runs for almost every event.
    TaskState* touch(const TaskKey& key) {
        const uint32_t id = probe(key).id;
        if (id == kNil)
            return nullptr;
        TaskState& task = record(id);
        task.referenced = true;
        return &task;
    }
    // The record for key, not marked as touched; nullptr when absent.
    const TaskState* find(const TaskKey& key) const;
    TaskState* find(const TaskKey& key) {
        return const_cast<TaskState*>(std::as_const(*this).find(key));
    }

    // Prefetch hints for a key looked up a few events from now; they change
    // nothing. With 100k tasks a lookup misses the cache twice (the index slot,
    // then the record it names), one after the other; a batch issues these
    // steps a few lookups apart, the second once the line the first fetched
    // has arrived, so the misses overlap:
    //   prefetch_slot(key) -> hash        its index slot
    //   prefetch_record(hash)             the record the slot names (none when
    //                                     the slot is empty or holds another key)
    // Inline: they run for every record of a batch when the table is large.
    uint64_t prefetch_slot(const TaskKey& key) const {
        const uint64_t hash = hash_of(key);
        __builtin_prefetch(&index_[hash & index_mask_]);
        return hash;
    }
    // The first kPrefetchProbe slots of the key's probe run (the slot step
    // fetched the first's line): the first entry whose tag matches names the
    // record. A key further along is not prefetched, and a run that ends
    // before a match has no record for it. True when a record was prefetched.
    bool prefetch_record(uint64_t hash) const {
        const std::size_t mask = index_mask_;
        const uint32_t tag = tag_of(hash);
        std::size_t slot = hash & mask;
        for (unsigned n = 0; n < kPrefetchProbe; ++n, slot = (slot + 1) & mask) {
            const uint32_t entry = index_[slot];
            if (entry == 0)
                return false;
            if (entry_tag(entry) == tag) {
                prefetch_for_write(record(entry_id(entry)));
                return true;
            }
        }
        return false;
    }

    // A reference to task's record, which must be in this table.
    TaskRef ref(const TaskState& task) const { return TaskRef{&task, generation_}; }
    // The record ref names when it still holds key, not marked as touched;
    // nullptr when the task was erased, evicted or cleared since. Reads the
    // record only: no hash, no probe.
    const TaskState* resolve(TaskRef ref, const TaskKey& key) const {
        if (!current(ref))
            return nullptr;
        const TaskState& task = *ref.record;
        return task.in_use && task.key() == key ? &task : nullptr;
    }
    // Prefetch hint for a resolve() a few events from now; changes nothing.
    void prefetch(TaskRef ref) const {
        if (current(ref))
            prefetch_for_write(*ref.record);
    }

    struct Inserted {
        TaskState* task;
        // The record the clock chose, removed to make room (its comm is no
        // longer held: read it with comm() before, not from this copy).
        std::optional<TaskState> evicted;
    };
    // Adds a default record for key, which must be absent, marked as touched.
    Inserted insert(const TaskKey& key);

    void erase(const TaskKey& key);
    void clear();

    // The task's last non-empty comm (all zero when none was seen).
    const Comm& comm(const TaskState& task) const { return comms_.get(task.comm_id); }
    // `comm` as an Event carries it: raw bytes after the name's NUL are ignored.
    // A stored comm is canonical, so bytes equal to it are too: the common case
    // costs one compare, and only a different comm is made canonical.
    void set_comm(TaskState& task, const Comm& comm) {
        if (!same_comm(comms_.get(task.comm_id), comm))
            change_comm(task, comm);
    }

    // Visits every record, in the order of their ids.
    template <class F> void for_each(F&& visit) const {
        for_each_id([&](uint32_t, const TaskState& task) { visit(task); });
    }

  private:
    // At 100k tasks the index is 0.38 full: 19 % of the keys are not in their
    // home slot, 1.2 % beyond the next three (linear probing, simulated).
    static constexpr unsigned kPrefetchProbe = 4;
    static constexpr uint32_t kNil = (uint32_t{1} << kTaskIdBits) - 1;
    static constexpr unsigned kChunkShift = 10;
    static constexpr uint32_t kChunkRecords = uint32_t{1} << kChunkShift;

    // Where a key is (or would go): its index slot, and its record id when found.
    struct Probe {
        std::size_t slot;
        uint32_t id; // kNil: absent, `slot` is the empty slot ending the probe
    };

    TaskState& record(uint32_t id) { return chunks_[id >> kChunkShift][id & (kChunkRecords - 1)]; }
    const TaskState& record(uint32_t id) const {
        return chunks_[id >> kChunkShift][id & (kChunkRecords - 1)];
    }

    // A record is 48 bytes at 4-byte alignment: it may straddle two cache lines.
    // The empty asm that takes the address keeps the hints: without it GCC 12
    // at -O2/-O3 deletes a prefetch whose branch otherwise only returns, and
    // prefetch_record() vanished whenever its result went unused (the live
    // audit and the benchmarks issued the slot step only).
    // tests/bench/check-prefetch.py checks the compiled loops.
    static void prefetch_for_write(const TaskState& task) {
        const char* first = reinterpret_cast<const char*>(&task);
        __builtin_prefetch(first, 1);
        __builtin_prefetch(first + sizeof task - 1, 1);
        asm volatile("" : : "r"(first));
    }

    // Visits every record in use with its id, in the order of the ids.
    template <class F> void for_each_id(F&& visit) const {
        for (uint32_t id = 0; id < next_unused_; ++id)
            if (const TaskState& task = record(id); task.in_use)
                visit(id, task);
    }

    static uint64_t hash_of(const TaskKey& key) { return TaskKeyHash{}(key); }
    Probe probe(const TaskKey& key) const {
        const uint64_t hash = hash_of(key);
        const uint32_t tag = tag_of(hash);
        const std::size_t mask = index_mask_;
        for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
            const uint32_t entry = index_[slot];
            if (entry == 0)
                return Probe{slot, kNil};
            if (entry_tag(entry) != tag)
                continue;
            const uint32_t id = entry_id(entry);
            const TaskState& task = record(id);
            if (task.key() == key)
                return Probe{slot, id};
        }
    }
    // An index entry is `tag | (id + 1)`: the id's bits (id_mask_) low, and
    // above them the same bits of the hash's upper half, the tag, kept where
    // they are. Masks only, no shift by a count read from memory: these run
    // in every probe and prefetch.
    uint32_t tag_of(uint64_t hash) const { return static_cast<uint32_t>(hash >> 32) & tag_mask_; }
    // A non-empty index entry, as place() writes it: its tag, and its record id.
    uint32_t entry_tag(uint32_t entry) const { return entry & tag_mask_; }
    uint32_t entry_id(uint32_t entry) const { return (entry & id_mask_) - 1; }
    // ref was taken from this table since its last clear(), so its record's
    // memory is the table's: resolve() may read it.
    bool current(TaskRef ref) const {
        return ref.record != nullptr && ref.generation == generation_;
    }
    // index_ as `slots` empty slots (a power of two), and index_mask_ to match.
    void reset_index(std::size_t slots);
    void grow_index();
    void place(uint32_t id, uint64_t hash);
    void remove_slot(std::size_t slot);

    void change_comm(TaskState& task, const Comm& raw);

    uint32_t new_record();
    void free_record(uint32_t id);
    // The id the clock evicts: the next record in use from the hand on whose
    // `referenced` bit is clear (the bits it passes are cleared).
    uint32_t clock_victim();

    std::size_t capacity_;
    // Index entries hold id + 1 (0: empty slot) in the bits of id_mask_, which
    // ids up to capacity_ fill, and a hash tag above (tag_of()).
    uint32_t id_mask_;
    uint32_t tag_mask_;           // ~id_mask_
    std::vector<uint32_t> index_; // its size is a power of two
    std::size_t index_mask_;      // index_.size() - 1, kept: every probe needs it
    std::size_t size_ = 0;

    std::vector<std::unique_ptr<TaskState[]>> chunks_;
    uint32_t next_unused_ = 0; // ids from here on were never handed out
    uint32_t free_ids_ = kNil; // freed records, linked through their `pid`
    uint32_t clock_hand_ = 0;  // the id clock_victim() looks at first
    uint64_t generation_ = 0;  // clear() frees the records: TaskRef's check
    CommPool comms_;
};

} // namespace scx_custody::pairing
