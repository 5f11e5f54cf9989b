// RingReader: the consumer's end of the tracer's ring buffer. The loader
// attaches the BPF programs and owns the ring buffer map; the reader maps it
// and delivers each record, in ring order (the order the CPUs reserved them),
// to one handler. Nothing is decoded here.
#pragma once

#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace scx_custody::consumer {

using RecordHandler = std::function<void(std::span<const std::byte>)>;

class RingReader {
  public:
    // ringbuf_fd: the BPF_MAP_TYPE_RINGBUF map; ringbuf_bytes: its size.
    static Result<RingReader> open(int ringbuf_fd, uint32_t ringbuf_bytes, RecordHandler handler);

    RingReader(RingReader&&) noexcept;
    RingReader& operator=(RingReader&&) noexcept;
    ~RingReader();

    // Delivers ready records to the handler, at most 65,536 per call (the
    // caller's loop must keep ticking under any load); waits up to
    // timeout_ms, or not at all while the last call left records behind.
    // Returns the number of records or a negative errno.
    int poll(int timeout_ms);
    // Delivers everything already in the ring buffer.
    int drain();
    // How full the ring buffer is now, 0..1.
    double fill() const;

  private:
    struct Impl;
    explicit RingReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace scx_custody::consumer
