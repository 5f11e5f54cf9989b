// RecordBatch: the records of one ring-buffer poll, copied out of the ring
// and held back until the losses counted after the poll are known (see
// loss_gate.h). Records keep their bytes exactly as delivered.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace scx_custody::consumer {

class RecordBatch {
  public:
    void add(std::span<const std::byte> record) {
        ends_.push_back(bytes_.size() + record.size());
        bytes_.insert(bytes_.end(), record.begin(), record.end());
    }
    std::size_t size() const { return ends_.size(); }
    bool empty() const { return ends_.empty(); }
    std::span<const std::byte> operator[](std::size_t i) const {
        const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
        return std::span<const std::byte>(bytes_).subspan(begin, ends_[i] - begin);
    }
    // Keeps the capacity: a batch is reused poll after poll.
    void clear() {
        bytes_.clear();
        ends_.clear();
    }

  private:
    std::vector<std::byte> bytes_;
    std::vector<std::size_t> ends_;
};

} // namespace scx_custody::consumer
