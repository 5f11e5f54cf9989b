#include "record/recording_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

#include "custody_abi.h"
#include "record/crc32.h"
#include "util/unique_fd.h"

namespace scx_custody::record {

class RecordingReader::Source {
  public:
    virtual ~Source() = default;
    // Up to out.size() bytes, 0 at end of file.
    virtual Result<std::size_t> read_some(std::span<std::byte> out) = 0;
};

namespace {

constexpr std::size_t kReadBufferSize = std::size_t{64} << 10;

class MemorySource final : public RecordingReader::Source {
  public:
    explicit MemorySource(std::span<const std::byte> data) : data_(data) {}

    Result<std::size_t> read_some(std::span<std::byte> out) override {
        const std::size_t n = std::min(out.size(), data_.size());
        std::copy_n(data_.begin(), n, out.begin());
        data_ = data_.subspan(n);
        return n;
    }

  private:
    std::span<const std::byte> data_;
};

class FileSource final : public RecordingReader::Source {
  public:
    FileSource(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {
        buffer_.resize(kReadBufferSize);
    }

    Result<std::size_t> read_some(std::span<std::byte> out) override {
        if (begin_ == end_) {
            Result<std::size_t> filled = fill();
            if (!filled)
                return filled;
            if (begin_ == end_)
                return std::size_t{0};
        }
        const std::size_t n = std::min(out.size(), end_ - begin_);
        std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_), n, out.begin());
        begin_ += n;
        return n;
    }

  private:
    Result<std::size_t> fill() {
        for (;;) {
            const ssize_t n = ::read(fd_.get(), buffer_.data(), buffer_.size());
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return Error::system("read recording " + path_, errno, ExitCode::Usage);
            }
            begin_ = 0;
            end_ = static_cast<std::size_t>(n);
            return end_;
        }
    }

    UniqueFd fd_;
    std::string path_;
    std::vector<std::byte> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

std::string hex32(uint32_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "0x";
    for (int shift = 28; shift >= 0; shift -= 4)
        out.push_back(kDigits[(value >> shift) & 0xf]);
    return out;
}

} // namespace

RecordingReader::RecordingReader(std::unique_ptr<Source> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {}

RecordingReader::RecordingReader(RecordingReader&&) noexcept = default;
RecordingReader& RecordingReader::operator=(RecordingReader&&) noexcept = default;
RecordingReader::~RecordingReader() = default;

Result<RecordingReader> RecordingReader::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Error::system("open recording " + path, errno, ExitCode::Usage);
    RecordingReader reader(std::make_unique<FileSource>(UniqueFd(fd), path), path);
    if (Status status = reader.read_header(); !status)
        return status.error();
    return reader;
}

Result<RecordingReader> RecordingReader::from_memory(std::span<const std::byte> data,
                                                     std::string name) {
    RecordingReader reader(std::make_unique<MemorySource>(data), std::move(name));
    if (Status status = reader.read_header(); !status)
        return status.error();
    return reader;
}

Error RecordingReader::fail(uint64_t at, const std::string& what) {
    error_ = Error::usage(name_ + ": " + what + " at byte offset " + std::to_string(at));
    return *error_;
}

Result<std::size_t> RecordingReader::read(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        Result<std::size_t> n = source_->read_some(out.subspan(done));
        if (!n) {
            Error error = n.error();
            error.message += " at byte offset " + std::to_string(offset_ + done);
            error_ = error;
            return error;
        }
        if (*n == 0)
            break;
        done += *n;
    }
    offset_ += done;
    return done;
}

Status RecordingReader::read_header() {
    std::vector<std::byte> bytes(kHeaderSize);
    Result<std::size_t> n = read(bytes);
    if (!n)
        return n.error();
    if (*n == 0)
        return fail(0, "empty file, not an scx-custody recording");
    if (std::memcmp(bytes.data(), kMagic.data(), std::min(*n, kMagic.size())) != 0)
        return fail(0, "not an scx-custody recording (bad magic)");
    if (*n < kHeaderSize) {
        return fail(*n, "truncated header (" + std::to_string(*n) + " of " +
                            std::to_string(kHeaderSize) + " bytes)");
    }
    const std::span<const std::byte> header(bytes);
    header_.format_version = get_u32(header, 8);
    header_.abi_version = get_u32(header, 12);
    header_.event_size = get_u32(header, 16);
    const uint32_t header_size = get_u32(header, 20);
    if (header_.format_version < kOldestReadableFormatVersion ||
        header_.format_version > kFormatVersion) {
        return fail(8, "recording format version " + std::to_string(header_.format_version) +
                           ", this build reads versions " +
                           std::to_string(kOldestReadableFormatVersion) + " to " +
                           std::to_string(kFormatVersion));
    }
    const uint32_t stored_crc = get_u32(header, 28);
    const uint32_t crc = crc32(header.first(28));
    if (stored_crc != crc) {
        return fail(28, "header CRC mismatch (stored " + hex32(stored_crc) + ", computed " +
                            hex32(crc) + ")");
    }
    if (header_size != kHeaderSize) {
        return fail(20, "header size " + std::to_string(header_size) + ", expected " +
                            std::to_string(kHeaderSize));
    }
    if (header_.abi_version != CUSTODY_ABI_VERSION) {
        return fail(12, "event ABI version " + std::to_string(header_.abi_version) +
                            ", this build decodes version " + std::to_string(CUSTODY_ABI_VERSION));
    }
    if (header_.event_size != sizeof(custody_event)) {
        return fail(16, "event size " + std::to_string(header_.event_size) + ", expected " +
                            std::to_string(sizeof(custody_event)));
    }
    return ok_status();
}

Status RecordingReader::take_batch(uint64_t start, std::vector<std::byte> payload) {
    if (header_.format_version < kFirstEventBatchFormatVersion) {
        return fail(start, "event batch record in a format version " +
                               std::to_string(header_.format_version) +
                               " recording (batches came with version " +
                               std::to_string(kFirstEventBatchFormatVersion) + ")");
    }
    const std::size_t event_size = header_.event_size;
    if (payload.empty() || payload.size() % event_size != 0) {
        return fail(start, "event batch of " + std::to_string(payload.size()) +
                               " bytes, not a whole number of " + std::to_string(event_size) +
                               "-byte events");
    }
    batch_ = std::move(payload);
    batch_next_ = 0;
    batch_offset_ = start;
    return ok_status();
}

Record RecordingReader::next_batched_event() {
    const auto first = batch_.begin() + static_cast<std::ptrdiff_t>(batch_next_);
    batch_next_ += header_.event_size;
    Record record;
    record.offset = batch_offset_;
    record.body = EventRecord{
        std::vector<std::byte>(first, first + static_cast<std::ptrdiff_t>(header_.event_size))};
    if (batch_next_ == batch_.size()) {
        batch_.clear();
        batch_next_ = 0;
    }
    return record;
}

Result<std::optional<Record>> RecordingReader::next() {
    if (error_)
        return *error_;
    if (batch_next_ < batch_.size())
        return std::optional<Record>(next_batched_event());
    const uint64_t start = offset_;

    std::array<std::byte, kFrameHeaderSize> frame{};
    Result<std::size_t> n = read(frame);
    if (!n)
        return n.error();
    if (*n == 0)
        return std::optional<Record>();
    if (*n < frame.size()) {
        return fail(start, "truncated record header (" + std::to_string(*n) + " of " +
                               std::to_string(frame.size()) + " bytes)");
    }
    const uint32_t kind = get_u32(frame, 0);
    const uint32_t length = get_u32(frame, 4);
    if (length > kMaxPayloadLength) {
        return fail(start, "record length " + std::to_string(length) + " exceeds the " +
                               std::to_string(kMaxPayloadLength) + "-byte limit (corrupt)");
    }

    std::vector<std::byte> payload(length);
    n = read(payload);
    if (!n)
        return n.error();
    if (*n < length) {
        return fail(start, "truncated record (payload " + std::to_string(*n) + " of " +
                               std::to_string(length) + " bytes)");
    }
    std::array<std::byte, kFrameTrailerSize> trailer{};
    n = read(trailer);
    if (!n)
        return n.error();
    if (*n < trailer.size())
        return fail(start, "truncated record (CRC missing)");

    const uint32_t stored_crc = get_u32(trailer, 0);
    const uint32_t crc = crc32(payload, crc32(frame));
    if (stored_crc != crc) {
        return fail(start, "record CRC mismatch (stored " + hex32(stored_crc) + ", computed " +
                               hex32(crc) + ")");
    }

    Record record;
    record.offset = start;
    switch (static_cast<RecordKind>(kind)) {
    case RecordKind::Event:
        record.body = EventRecord{std::move(payload)};
        break;
    case RecordKind::EventBatch:
        if (Status status = take_batch(start, std::move(payload)); !status)
            return status.error();
        return std::optional<Record>(next_batched_event());
    case RecordKind::Control: {
        Result<ControlRecord> control = decode_control(payload);
        if (!control)
            return fail(start, control.error().message);
        record.body = std::move(*control);
        break;
    }
    case RecordKind::Lost: {
        Result<LostRecord> lost = decode_lost(payload);
        if (!lost)
            return fail(start, lost.error().message);
        record.body = *lost;
        break;
    }
    case RecordKind::Metadata: {
        Result<MetadataRecord> metadata = decode_metadata(payload);
        if (!metadata)
            return fail(start, metadata.error().message);
        record.body = std::move(*metadata);
        break;
    }
    default:
        return fail(start, "unknown record kind " + std::to_string(kind));
    }
    return std::optional<Record>(std::move(record));
}

} // namespace scx_custody::record
