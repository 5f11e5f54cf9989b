// Reads a recording (recording_format.h) one record at a time.
//
// Every defect is an error naming the byte offset where it was found, with exit
// code Usage: a short or unreadable header, bad magic, another format version,
// event ABI or event size, a header or record CRC mismatch, a record cut short, a
// length above kMaxPayloadLength, an unknown record kind, a payload that does not
// decode. Nothing larger than kMaxPayloadLength is ever allocated. After an error
// the reader keeps returning it.
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
    // Offset of the next unread byte.
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

    std::unique_ptr<Source> source_;
    std::string name_;
    FileHeader header_;
    uint64_t offset_ = 0;
    std::optional<Error> error_;
};

} // namespace scx_custody::record
