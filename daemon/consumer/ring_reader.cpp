#include "consumer/ring_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>

namespace scx_custody::consumer {

struct RingReader::Impl {
    struct RingBufferDeleter {
        void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
    };
    std::unique_ptr<ring_buffer, RingBufferDeleter> rb;
    RecordHandler handler;
    uint32_t ringbuf_bytes = 0;

    static int on_record(void* ctx, void* data, size_t size) {
        auto* self = static_cast<Impl*>(ctx);
        self->handler(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
        return 0;
    }
};

RingReader::RingReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RingReader::RingReader(RingReader&&) noexcept = default;
RingReader& RingReader::operator=(RingReader&&) noexcept = default;
RingReader::~RingReader() = default;

Result<RingReader> RingReader::open(int ringbuf_fd, uint32_t ringbuf_bytes, RecordHandler handler) {
    auto impl = std::make_unique<Impl>();
    impl->handler = std::move(handler);
    impl->ringbuf_bytes = ringbuf_bytes;
    impl->rb.reset(ring_buffer__new(ringbuf_fd, &Impl::on_record, impl.get(), nullptr));
    if (!impl->rb)
        return Error::system("open the ring buffer", errno);
    return RingReader(std::move(impl));
}

int RingReader::poll(int timeout_ms) {
    // The tracer submits most records without a wakeup (only at 1/8 of the
    // ring, or for lifecycle records): ring_buffer__poll() returns after the
    // timeout without reading them, so every poll also consumes what is there.
    // Otherwise a quiet machine would hold records back until the ring fills.
    const int woken = ring_buffer__poll(impl_->rb.get(), timeout_ms);
    if (woken < 0)
        return woken;
    const int rest = ring_buffer__consume(impl_->rb.get());
    return rest < 0 ? rest : woken + rest;
}

int RingReader::drain() {
    return ring_buffer__consume(impl_->rb.get());
}

double RingReader::fill() const {
    ring* r = ring_buffer__ring(impl_->rb.get(), 0);
    if (!r || impl_->ringbuf_bytes == 0)
        return 0;
    return static_cast<double>(ring__avail_data_size(r)) / impl_->ringbuf_bytes;
}

} // namespace scx_custody::consumer
