#include "consumer/ring_reader.h"

#include <bpf/libbpf.h>
#include <sys/epoll.h>

#include <cerrno>

namespace scx_custody::consumer {
namespace {

// Records delivered by one poll() at most. A reader that cannot outpace the
// producers would otherwise stay inside one unbounded consume for as long as
// records keep coming, and the live loop (its heartbeat, the loss counters
// read after each poll, sysfs polling) would stall: `run` once answered
// /healthz with 503 for a minute under load. 65,536 records (4 MiB) take a
// few milliseconds to hand over.
constexpr size_t kMaxRecordsPerPoll = size_t{1} << 16;

// The smallest record the ring buffer holds: an 8-byte header and the
// custody_event (64 bytes).
constexpr size_t kMinRecordBytes = 8 + 64;

} // namespace

struct RingReader::Impl {
    struct RingBufferDeleter {
        void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
    };
    std::unique_ptr<ring_buffer, RingBufferDeleter> rb;
    RecordHandler handler;
    uint32_t ringbuf_bytes = 0;
    // The last poll stopped at its bound with records left: do not wait.
    bool backlog = false;

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
    // Wait for a wakeup or the timeout, then consume what is there (bounded).
    // The tracer submits most records without a wakeup (only at 1/8 of the
    // ring, or for lifecycle records), so the consume runs after a timeout
    // too: otherwise a quiet machine would hold records back until the ring
    // fills.
    epoll_event ready{};
    const int wait = impl_->backlog ? 0 : timeout_ms;
    if (epoll_wait(ring_buffer__epoll_fd(impl_->rb.get()), &ready, 1, wait) < 0 && errno != EINTR)
        return -errno;
    const int n = ring_buffer__consume_n(impl_->rb.get(), kMaxRecordsPerPoll);
    impl_->backlog = n >= static_cast<int>(kMaxRecordsPerPoll);
    return n;
}

int RingReader::drain() {
    // Everything already there: at most as many records as the ring holds.
    return ring_buffer__consume_n(impl_->rb.get(), impl_->ringbuf_bytes / kMinRecordBytes + 1);
}

double RingReader::fill() const {
    ring* r = ring_buffer__ring(impl_->rb.get(), 0);
    if (!r || impl_->ringbuf_bytes == 0)
        return 0;
    return static_cast<double>(ring__avail_data_size(r)) / impl_->ringbuf_bytes;
}

} // namespace scx_custody::consumer
