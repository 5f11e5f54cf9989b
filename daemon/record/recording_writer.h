// Writes a recording (recording_format.h): buffered, flushed on close() and on
// destruction. Every method returns the first error met, and keeps returning it:
// a failed recording stays failed.
//
// Consecutive events of the ABI's size share one EventBatch record: each event
// costs a copy into the buffer, and the frame and its CRC are paid once per
// batch. A batch closes before any other record, at flush() and when the buffer
// is full, so a batch never spans two writes to the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "custody_abi.h"
#include "record/recording_format.h"
#include "util/result.h"

namespace scx_custody::record {

class RecordingWriter {
  public:
    // Creates (or truncates) path, mode 0644, and writes the header for this
    // build's event ABI. Errors: exit code CannotRun, with errno.
    static Result<RecordingWriter> create(const std::string& path);

    RecordingWriter(RecordingWriter&& other) noexcept;
    RecordingWriter& operator=(RecordingWriter&& other) noexcept;
    RecordingWriter(const RecordingWriter&) = delete;
    RecordingWriter& operator=(const RecordingWriter&) = delete;
    // Flushes and closes; errors are lost (call close() to see them).
    ~RecordingWriter();

    // Raw ring-buffer bytes (normally one custody_event), at most kMaxPayloadLength.
    // The common case, one more event in the open batch, is inline.
    Status write_event(std::span<const std::byte> raw) {
        if (raw.size() == kBatchedEventSize && batch_open_ &&
            buffered_ + kBatchedEventSize + kFrameTrailerSize <= kBufferSize) {
            std::memcpy(buffer_.get() + buffered_, raw.data(), kBatchedEventSize);
            buffered_ += kBatchedEventSize;
            bytes_ += kBatchedEventSize;
            ++records_;
            return ok_status();
        }
        return write_event_framing(raw);
    }
    Status write_control(const ControlRecord& control);
    Status write_lost(const LostRecord& lost);
    // A JSON object.
    Status write_metadata(const nlohmann::json& document);
    Status write(const Record& record);

    // Hands buffered records to the kernel (a crash after this keeps them).
    Status flush();
    // Flushes and closes the file. Idempotent; later writes fail.
    Status close();

    const std::string& path() const { return path_; }
    // Records given to the writer (each event of a batch counts as one).
    uint64_t records_written() const { return records_; }
    // Header and records, buffered ones and the open batch's CRC included.
    uint64_t bytes_written() const { return bytes_; }

    static constexpr std::size_t kBufferSize = std::size_t{256} << 10;
    static constexpr std::size_t kBatchedEventSize = sizeof(custody_event);

  private:
    RecordingWriter(std::string path, int fd);

    // write_event() when the event does not go into the open batch as it is.
    Status write_event_framing(std::span<const std::byte> raw);
    void open_batch();
    // Writes the open batch's frame header and CRC; no-op without one.
    void close_batch();
    Status append(RecordKind kind, std::span<const std::byte> payload);
    Status append_buffered(RecordKind kind, std::span<const std::byte> payload, std::size_t framed);
    bool make_room(std::size_t size);
    Status put(std::span<const std::byte> bytes);
    Status fail(Error error);
    Status write_all(std::span<const std::byte> bytes);

    std::string path_;
    int fd_ = -1;
    std::unique_ptr<std::byte[]> buffer_; // kBufferSize bytes
    std::size_t buffered_ = 0;
    // The open batch's frame starts at buffer_[batch_begin_].
    bool batch_open_ = false;
    std::size_t batch_begin_ = 0;
    uint64_t records_ = 0;
    uint64_t bytes_ = 0;
    bool closed_ = false;
    bool failed_ = false;
    Error error_;
};

} // namespace scx_custody::record
