// FifoRing: a first-in first-out queue in one power-of-two array that doubles
// when full. A push is a store and a pop an index step. HeldCustodies pushes
// one entry per custody period, for every custody; as a std::deque that cost
// a block allocation and a free every few entries and several loads per access.
// The array keeps its largest size until the ring is destroyed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace scx_custody::pairing {

template <class T> class FifoRing {
  public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }

    // The oldest entry first; i < size().
    const T& operator[](std::size_t i) const { return slots_[(head_ + i) & mask()]; }
    // Not empty().
    const T& front() const { return slots_[head_]; }

    void push_back(const T& value) {
        if (size_ == slots_.size())
            grow();
        slots_[(head_ + size_) & mask()] = value;
        ++size_;
    }
    // Not empty().
    void pop_front() {
        head_ = (head_ + 1) & mask();
        --size_;
    }
    void clear() {
        head_ = 0;
        size_ = 0;
    }

    // Removes every entry for which drop(entry) is true; the rest keep their order.
    template <class Drop> void erase_if(Drop&& drop) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < size_; ++i) {
            T& entry = slots_[(head_ + i) & mask()];
            if (drop(std::as_const(entry)))
                continue;
            if (kept != i)
                slots_[(head_ + kept) & mask()] = std::move(entry);
            ++kept;
        }
        size_ = kept;
    }

  private:
    static constexpr std::size_t kFirstCapacity = 16;

    std::size_t mask() const { return slots_.size() - 1; }

    // Out of line: it runs once per doubling.
    [[gnu::noinline]] void grow() {
        std::vector<T> bigger(std::max(kFirstCapacity, 2 * slots_.size()));
        for (std::size_t i = 0; i < size_; ++i)
            bigger[i] = std::move(slots_[(head_ + i) & mask()]);
        slots_ = std::move(bigger);
        head_ = 0;
    }

    std::vector<T> slots_; // size 0 or a power of two
    std::size_t head_ = 0; // the oldest entry's slot
    std::size_t size_ = 0;
};

} // namespace scx_custody::pairing
