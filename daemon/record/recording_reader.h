// Reads a recording (recording_format.h) one record at a time.
//
// Every defect is an error naming the byte offset where it was found, with exit
// code Usage: a short or unreadable header, bad magic, another format version,
// event ABI or event size, a header or record CRC mismatch, a record cut short, a
// length above kMaxPayloadLength, an unknown record kind, a payload that does not
// decode, an EventBatch that is not a whole number of events. Nothing larger than
// kMaxPayloadLength is ever allocated. After an error the reader keeps returning
// it. An EventBatch record is read back as its events, one Event record each,
// every one with the batch's offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "record/recording_format.h"
#include "util/result.h"

namespace scx_custody::record {

class RecordingReader {
  public:
    // Opens path and checks its header against this build's event ABI.
    static Result<RecordingReader> open(const std::string& path);
    // Reads from memory (which must outlive the reader); `name` is used in errors.
    static Result<RecordingReader> from_memory(std::span<const std::byte> data,
                                               std::string name = "<memory>");

    RecordingReader(RecordingReader&&) noexcept;
    RecordingReader& operator=(RecordingReader&&) noexcept;
    ~RecordingReader();

    const FileHeader& header() const { return header_; }
    const std::string& name() const { return name_; }
    // Offset of the next unread byte (past the whole batch while its events are
    // handed out).
    uint64_t offset() const { return offset_; }

    // The next record; empty at a clean end of file (right after a whole record).
    Result<std::optional<Record>> next();

    class Source;

  private:
    RecordingReader(std::unique_ptr<Source> source, std::string name);

    Status read_header();
    // Reads up to out.size() bytes; fewer only at end of file.
    Result<std::size_t> read(std::span<std::byte> out);
    Error fail(uint64_t at, const std::string& what);
    // Takes an EventBatch payload whose frame began at `start`.
    Status take_batch(uint64_t start, std::vector<std::byte> payload);
    // The next event of the batch being handed out.
    Record next_batched_event();

    std::unique_ptr<Source> source_;
    std::string name_;
    FileHeader header_;
    uint64_t offset_ = 0;
    std::optional<Error> error_;
    // The EventBatch being handed out: its payload, the next event's place in
    // it, and the batch frame's offset.
    std::vector<std::byte> batch_;
    std::size_t batch_next_ = 0;
    uint64_t batch_offset_ = 0;
};

} // namespace scx_custody::record
