#include "record/recording_writer.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <utility>

#include "custody_abi.h"
#include "record/crc32.h"

namespace scx_custody::record {
namespace {

constexpr std::size_t kBufferSize = RecordingWriter::kBufferSize;
static_assert(kBufferSize <= kMaxPayloadLength, "a batch fits in one record");

// put_u32()'s byte order (little-endian), into a fixed place.
void store_u32(std::byte* out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<std::byte>(value >> (8 * i));
}

// A record's frame header: its kind and its payload's length.
void store_frame_header(std::byte* out, RecordKind kind, std::size_t payload_size) {
    store_u32(out, static_cast<uint32_t>(kind));
    store_u32(out + 4, static_cast<uint32_t>(payload_size));
}

} // namespace

RecordingWriter::RecordingWriter(std::string path, int fd)
    : path_(std::move(path)), fd_(fd), buffer_(std::make_unique<std::byte[]>(kBufferSize)) {}

RecordingWriter::RecordingWriter(RecordingWriter&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)), buffered_(std::exchange(other.buffered_, 0)),
      batch_open_(std::exchange(other.batch_open_, false)), batch_begin_(other.batch_begin_),
      records_(other.records_), bytes_(other.bytes_), closed_(other.closed_),
      failed_(other.failed_), error_(std::move(other.error_)) {}

Result<RecordingWriter> RecordingWriter::create(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error::system("create recording " + path, errno);
    RecordingWriter writer(path, fd);
    FileHeader header;
    header.abi_version = CUSTODY_ABI_VERSION;
    header.event_size = sizeof(custody_event);
    const std::vector<std::byte> bytes = encode_header(header);
    if (Status status = writer.put(bytes); !status)
        return status.error();
    return writer;
}

RecordingWriter& RecordingWriter::operator=(RecordingWriter&& other) noexcept {
    if (this != &other) {
        (void)close();
        path_ = std::move(other.path_);
        fd_ = std::exchange(other.fd_, -1);
        buffer_ = std::move(other.buffer_);
        buffered_ = std::exchange(other.buffered_, 0);
        batch_open_ = std::exchange(other.batch_open_, false);
        batch_begin_ = other.batch_begin_;
        records_ = other.records_;
        bytes_ = other.bytes_;
        closed_ = other.closed_;
        failed_ = other.failed_;
        error_ = std::move(other.error_);
    }
    return *this;
}

RecordingWriter::~RecordingWriter() {
    (void)close();
}

Status RecordingWriter::fail(Error error) {
    batch_open_ = false; // nothing buffered is written after a failure
    if (!failed_) {
        failed_ = true;
        error_ = std::move(error);
    }
    return error_;
}

Status RecordingWriter::write_all(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(Error::system("write recording " + path_, errno));
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return ok_status();
}

// Room for `size` more bytes in the buffer, flushing it first if needed; false
// (with the error kept) when the writer has failed or is closed.
bool RecordingWriter::make_room(std::size_t size) {
    if (failed_)
        return false;
    if (closed_ || fd_ < 0) {
        (void)fail(Error::cannot_run("write recording " + path_ + ": already closed"));
        return false;
    }
    if (buffered_ + size > kBufferSize)
        return static_cast<bool>(flush());
    return true;
}

Status RecordingWriter::put(std::span<const std::byte> bytes) {
    if (!make_room(bytes.size()))
        return error_;
    if (bytes.size() >= kBufferSize) {
        if (Status status = write_all(bytes); !status)
            return status;
    } else {
        std::memcpy(buffer_.get() + buffered_, bytes.data(), bytes.size());
        buffered_ += bytes.size();
    }
    bytes_ += bytes.size();
    return ok_status();
}

Status RecordingWriter::append(RecordKind kind, std::span<const std::byte> payload) {
    if (failed_)
        return error_;
    close_batch();
    if (payload.size() > kMaxPayloadLength) {
        return fail(Error::cannot_run("write recording " + path_ + ": a " +
                                      std::string(to_string(kind)) + " record of " +
                                      std::to_string(payload.size()) + " bytes exceeds the " +
                                      std::to_string(kMaxPayloadLength) + "-byte limit"));
    }
    const std::size_t framed = kFrameHeaderSize + payload.size() + kFrameTrailerSize;
    if (framed <= kBufferSize)
        return append_buffered(kind, payload, framed);
    // Larger than the buffer (a metadata record can be): framed on the stack
    // and written in three pieces.
    std::array<std::byte, kFrameHeaderSize> frame;
    store_frame_header(frame.data(), kind, payload.size());
    std::array<std::byte, kFrameTrailerSize> trailer;
    store_u32(trailer.data(), crc32(payload, crc32(frame)));
    if (Status status = put(frame); !status)
        return status;
    if (Status status = put(payload); !status)
        return status;
    if (Status status = put(trailer); !status)
        return status;
    ++records_;
    return ok_status();
}

// The common case, once per ring-buffer record: framed in place in the buffer,
// the CRC taken over the frame header and payload in one pass.
Status RecordingWriter::append_buffered(RecordKind kind, std::span<const std::byte> payload,
                                        std::size_t framed) {
    if (!make_room(framed))
        return error_;
    std::byte* out = buffer_.get() + buffered_;
    store_frame_header(out, kind, payload.size());
    if (!payload.empty())
        std::memcpy(out + kFrameHeaderSize, payload.data(), payload.size());
    const std::size_t covered = kFrameHeaderSize + payload.size();
    store_u32(out + covered, crc32({out, covered}));
    buffered_ += framed;
    bytes_ += framed;
    ++records_;
    return ok_status();
}

Status RecordingWriter::write_event_framing(std::span<const std::byte> raw) {
    if (raw.size() != kBatchedEventSize)
        return append(RecordKind::Event, raw);
    if (failed_)
        return error_;
    const std::size_t room = kBatchedEventSize + kFrameTrailerSize;
    if (!batch_open_ || buffered_ + room > kBufferSize) {
        close_batch();
        if (!make_room(kFrameHeaderSize + room))
            return error_;
        open_batch();
    }
    return write_event(raw);
}

// The frame header's place is kept; close_batch() fills it in.
void RecordingWriter::open_batch() {
    batch_open_ = true;
    batch_begin_ = buffered_;
    buffered_ += kFrameHeaderSize;
    bytes_ += kFrameHeaderSize + kFrameTrailerSize;
}

void RecordingWriter::close_batch() {
    if (!batch_open_)
        return;
    batch_open_ = false;
    std::byte* frame = buffer_.get() + batch_begin_;
    const std::size_t covered = buffered_ - batch_begin_;
    store_frame_header(frame, RecordKind::EventBatch, covered - kFrameHeaderSize);
    store_u32(frame + covered, crc32({frame, covered}));
    buffered_ += kFrameTrailerSize;
}

Status RecordingWriter::write_control(const ControlRecord& control) {
    if (control.name.size() > kMaxSchedNameLength || control.note.size() > kMaxControlNoteLength) {
        return fail(Error::cannot_run("write recording " + path_ + ": scheduler name of " +
                                      std::to_string(control.name.size()) + " bytes or note of " +
                                      std::to_string(control.note.size()) + " bytes"));
    }
    return append(RecordKind::Control, encode_control(control));
}

Status RecordingWriter::write_lost(const LostRecord& lost) {
    return append(RecordKind::Lost, encode_lost(lost));
}

Status RecordingWriter::write_metadata(const nlohmann::json& document) {
    if (!document.is_object())
        return fail(Error::cannot_run("write recording " + path_ + ": metadata is not an object"));
    return append(RecordKind::Metadata, encode_metadata(document));
}

Status RecordingWriter::write(const Record& record) {
    struct Visitor {
        RecordingWriter& writer;
        Status operator()(const EventRecord& r) { return writer.write_event(r.bytes); }
        Status operator()(const ControlRecord& r) { return writer.write_control(r); }
        Status operator()(const LostRecord& r) { return writer.write_lost(r); }
        Status operator()(const MetadataRecord& r) { return writer.write_metadata(r.document); }
    };
    return std::visit(Visitor{*this}, record.body);
}

Status RecordingWriter::flush() {
    if (failed_)
        return error_;
    close_batch();
    if (buffered_ == 0)
        return ok_status();
    Status status = write_all({buffer_.get(), buffered_});
    buffered_ = 0;
    return status;
}

Status RecordingWriter::close() {
    if (closed_ || fd_ < 0)
        return failed_ ? Status(error_) : ok_status();
    Status status = flush();
    closed_ = true;
    // close() may report a write-back error (EIO, ENOSPC on NFS): the fd is gone
    // either way.
    const int result = ::close(std::exchange(fd_, -1));
    if (result != 0 && status)
        return fail(Error::system("close recording " + path_, errno));
    return status;
}

} // namespace scx_custody::record
