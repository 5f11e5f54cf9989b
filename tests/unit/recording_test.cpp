// Unit tests of the recording format: round trips and every kind of damage.
#include "custody_abi.h"
#include "record/recording_reader.h"
#include "record/recording_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "audit_fixtures.h"
#include "record/crc32.h"
#include "record/recording_format.h"

namespace scx_custody::record {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
    return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

class RecordingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("scx-custody-recording-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // A recording of every record kind; returns the records written.
    std::vector<Record> write_sample(const std::string& file) {
        std::vector<Record> records;
        records.push_back({0, MetadataRecord{{{"phase", "start"}, {"kernel", "7.3.4"}}}});
        fixtures::RawEvent raw;
        for (uint32_t i = 0; i < 5; ++i) {
            raw.pid = 100 + i;
            raw.ts_ns = 1000 + i;
            records.push_back({0, EventRecord{fixtures::raw_event(raw)}});
        }
        ControlRecord attach;
        attach.ts_ns = 1010;
        attach.cpu = 3;
        attach.name = "custody_ref";
        attach.implements_dequeue = false;
        attach.tasks_start_indeterminate = true;
        attach.traced = false;
        attach.instance_id = 42;
        attach.enable_ts_ns = 1005;
        attach.traced_from_ns = 1008;
        attach.source = ControlSource::KernelHook;
        attach.note = "a note";
        records.push_back({0, attach});
        ControlRecord detach;
        detach.ts_ns = 1020;
        detach.cpu = 1;
        detach.action = ControlAction::Detach;
        detach.instance_id = 42;
        detach.source = ControlSource::RegistrationFailed;
        records.push_back({0, detach});
        records.push_back({0, LostRecord{1030, 2, 17}});
        records.push_back({0, EventRecord{{std::byte{1}, std::byte{2}, std::byte{3}}}});
        records.push_back({0, EventRecord{}});
        records.push_back({0, MetadataRecord{{{"phase", "end"}, {"duration_s", 1.5}}}});

        Result<RecordingWriter> writer = RecordingWriter::create(file);
        EXPECT_TRUE(writer) << writer.error().message;
        for (const Record& record : records)
            EXPECT_TRUE(writer->write(record));
        EXPECT_EQ(writer->records_written(), records.size());
        EXPECT_TRUE(writer->close());
        return records;
    }

    // Reads until the end or an error; returns the error (or none).
    static std::optional<Error> read_all(RecordingReader& reader, std::size_t* count = nullptr) {
        std::size_t n = 0;
        for (;;) {
            Result<std::optional<Record>> record = reader.next();
            if (!record)
                return record.error();
            if (!*record)
                break;
            ++n;
        }
        if (count)
            *count = n;
        return std::nullopt;
    }

    // The error of reading `bytes` as a recording, header or records.
    static std::optional<Error> error_of(const std::vector<std::byte>& bytes) {
        Result<RecordingReader> reader = RecordingReader::from_memory(bytes, "damaged");
        if (!reader)
            return reader.error();
        return read_all(*reader);
    }

    static void expect_error_at(const std::vector<std::byte>& bytes, uint64_t offset,
                                const std::string& what) {
        const std::optional<Error> error = error_of(bytes);
        ASSERT_TRUE(error.has_value()) << "no error, expected: " << what;
        EXPECT_EQ(error->exit_code, ExitCode::Usage);
        EXPECT_NE(error->message.find(what), std::string::npos) << error->message;
        EXPECT_NE(error->message.find("at byte offset " + std::to_string(offset)),
                  std::string::npos)
            << error->message;
    }

    std::filesystem::path dir_;
};

TEST(Crc32, MatchesTheStandardCheckValue) {
    EXPECT_EQ(crc32(bytes_of("123456789")), 0xcbf43926u);
    EXPECT_EQ(crc32({}), 0u);
    EXPECT_EQ(crc32(bytes_of("56789"), crc32(bytes_of("1234"))), 0xcbf43926u);
}

TEST(Crc32, BitwiseReferenceMatchesTheStandardCheckValue) {
    EXPECT_EQ(crc32_bitwise(bytes_of("123456789")), 0xcbf43926u);
    EXPECT_EQ(crc32_bitwise({}), 0u);
}

// The fast CRC (ISA-L's) must equal the bit-at-a-time definition for every length
// (its folded blocks and its tails), every start alignment and every split of the
// input into a continued CRC: recordings stay byte-identical.
TEST(Crc32, EqualsTheBitwiseReferenceOnRandomLengthsAndAlignments) {
    std::mt19937_64 random(20250611);
    std::vector<std::byte> buffer(4096 + 16);
    for (std::byte& b : buffer)
        b = static_cast<std::byte>(random());
    const std::span<const std::byte> all(buffer);
    for (int round = 0; round < 2000; ++round) {
        const std::size_t offset = random() % 16;
        const std::size_t length = round < 200 ? static_cast<std::size_t>(round) : random() % 4096;
        const std::span<const std::byte> data = all.subspan(offset, length);
        const auto seed = static_cast<uint32_t>(random());
        ASSERT_EQ(crc32(data, seed), crc32_bitwise(data, seed))
            << "offset " << offset << ", length " << length;
        const std::size_t split = length == 0 ? 0 : random() % (length + 1);
        ASSERT_EQ(crc32(data.subspan(split), crc32(data.first(split))), crc32_bitwise(data))
            << "offset " << offset << ", length " << length << ", split " << split;
    }
}

TEST_F(RecordingTest, RoundTripsEveryRecordKind) {
    const std::string file = path("sample.rec");
    const std::vector<Record> written = write_sample(file);

    Result<RecordingReader> reader = RecordingReader::open(file);
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ(reader->header().format_version, kFormatVersion);
    EXPECT_EQ(reader->header().abi_version, uint32_t{CUSTODY_ABI_VERSION});
    EXPECT_EQ(reader->header().event_size, 64u);
    EXPECT_EQ(reader->offset(), kHeaderSize);

    uint64_t previous_offset = 0;
    for (const Record& expected : written) {
        Result<std::optional<Record>> record = reader->next();
        ASSERT_TRUE(record) << record.error().message;
        ASSERT_TRUE(record->has_value());
        const Record& got = **record;
        EXPECT_EQ(got.kind(), expected.kind());
        EXPECT_EQ(got.body, expected.body);
        EXPECT_GE(got.offset, kHeaderSize);
        EXPECT_GE(got.offset, previous_offset);
        previous_offset = got.offset;
    }
    for (int i = 0; i < 2; ++i) {
        Result<std::optional<Record>> end = reader->next();
        ASSERT_TRUE(end);
        EXPECT_FALSE(end->has_value());
    }
    EXPECT_EQ(reader->offset(), std::filesystem::file_size(file));
}

// (kind, payload length) of each record frame of a recording's bytes.
std::vector<std::pair<uint32_t, uint32_t>> frames_of(const std::vector<std::byte>& bytes) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (std::size_t at = kHeaderSize; at + kFrameHeaderSize <= bytes.size();) {
        const uint32_t length = get_u32(bytes, at + 4);
        out.emplace_back(get_u32(bytes, at), length);
        at += kFrameHeaderSize + length + kFrameTrailerSize;
    }
    return out;
}

// Consecutive 64-byte events share an EventBatch record; any other record, an
// event of another size and a flush() close the batch.
TEST_F(RecordingTest, ConsecutiveEventsShareOneBatchRecord) {
    const std::string file = path("batches.rec");
    const auto event = [](uint32_t pid) {
        fixtures::RawEvent raw;
        raw.pid = pid;
        return fixtures::raw_event(raw);
    };
    {
        Result<RecordingWriter> writer = RecordingWriter::create(file);
        ASSERT_TRUE(writer);
        for (uint32_t pid = 1; pid <= 3; ++pid)
            ASSERT_TRUE(writer->write_event(event(pid)));
        ASSERT_TRUE(writer->write_lost({5, 1, 2}));
        ASSERT_TRUE(writer->write_event(event(4)));
        ASSERT_TRUE(writer->write_event(std::vector<std::byte>(3)));
        ASSERT_TRUE(writer->write_event(event(5)));
        ASSERT_TRUE(writer->flush());
        ASSERT_TRUE(writer->write_event(event(6)));
        EXPECT_EQ(writer->records_written(), 8u);
        ASSERT_TRUE(writer->close());
    }
    const std::vector<std::pair<uint32_t, uint32_t>> expected = {{5, 3 * 64}, {3, 24}, {5, 64},
                                                                 {1, 3},      {5, 64}, {5, 64}};
    EXPECT_EQ(frames_of(fixtures::read_file(file)), expected);

    Result<RecordingReader> reader = RecordingReader::open(file);
    ASSERT_TRUE(reader);
    std::vector<uint32_t> pids;
    std::vector<uint64_t> offsets;
    for (;;) {
        Result<std::optional<Record>> record = reader->next();
        ASSERT_TRUE(record) << record.error().message;
        if (!*record)
            break;
        offsets.push_back((*record)->offset);
        const auto* read = std::get_if<EventRecord>(&(*record)->body);
        pids.push_back(read && read->bytes.size() == 64 ? get_u32(read->bytes, 32) : 0);
    }
    EXPECT_EQ(pids, (std::vector<uint32_t>{1, 2, 3, 0, 4, 0, 5, 6}));
    // The batch's events carry the batch's offset.
    ASSERT_EQ(offsets.size(), 8u);
    EXPECT_EQ(offsets[0], kHeaderSize);
    EXPECT_EQ(offsets[1], kHeaderSize);
    EXPECT_EQ(offsets[2], kHeaderSize);
    EXPECT_EQ(offsets[3], kHeaderSize + 12 + 3 * 64);
}

TEST_F(RecordingTest, LargeRecordingCrossesTheBuffers) {
    const std::string file = path("large.rec");
    constexpr uint32_t kEvents = 20'000; // ~1.5 MB, many 64 KiB buffers
    {
        Result<RecordingWriter> writer = RecordingWriter::create(file);
        ASSERT_TRUE(writer);
        fixtures::RawEvent raw;
        for (uint32_t i = 0; i < kEvents; ++i) {
            raw.pid = i;
            ASSERT_TRUE(writer->write_event(fixtures::raw_event(raw)));
        }
        // A payload larger than the write buffer goes straight to the file.
        std::vector<std::byte> big(200'000, std::byte{0x42});
        ASSERT_TRUE(writer->write_event(big));
        // The events went into batches of at most one buffer each, 12 bytes of
        // frame and CRC per batch.
        const uint64_t framing =
            writer->bytes_written() - (kHeaderSize + kEvents * 64 + (big.size() + 12));
        EXPECT_EQ(framing % 12, 0u);
        EXPECT_GE(framing / 12, kEvents * 64 / RecordingWriter::kBufferSize + 1);
        EXPECT_LE(framing / 12, kEvents * 64 / (RecordingWriter::kBufferSize - 12 - 64) + 1);
        EXPECT_TRUE(writer->close());
        EXPECT_EQ(writer->bytes_written(), std::filesystem::file_size(file));
    }
    Result<RecordingReader> reader = RecordingReader::open(file);
    ASSERT_TRUE(reader);
    for (uint32_t i = 0; i < kEvents; ++i) {
        Result<std::optional<Record>> record = reader->next();
        ASSERT_TRUE(record && record->has_value()) << i;
        const auto& event = std::get<EventRecord>((*record)->body);
        ASSERT_EQ(event.bytes.size(), 64u);
        EXPECT_EQ(get_u32(event.bytes, 32), i);
    }
    Result<std::optional<Record>> big = reader->next();
    ASSERT_TRUE(big && big->has_value());
    EXPECT_EQ(std::get<EventRecord>((*big)->body).bytes.size(), 200'000u);
    Result<std::optional<Record>> end = reader->next();
    ASSERT_TRUE(end);
    EXPECT_FALSE(end->has_value());
}

TEST_F(RecordingTest, EmptyRecordingHasOnlyAHeader) {
    const std::string file = path("empty.rec");
    {
        Result<RecordingWriter> writer = RecordingWriter::create(file);
        ASSERT_TRUE(writer);
    }
    EXPECT_EQ(std::filesystem::file_size(file), kHeaderSize);
    Result<RecordingReader> reader = RecordingReader::open(file);
    ASSERT_TRUE(reader);
    std::size_t count = 99;
    EXPECT_FALSE(read_all(*reader, &count));
    EXPECT_EQ(count, 0u);
}

TEST_F(RecordingTest, DamagedHeaders) {
    const std::string file = path("sample.rec");
    write_sample(file);
    const std::vector<std::byte> good = fixtures::read_file(file);
    ASSERT_FALSE(error_of(good));

    expect_error_at({}, 0, "empty file");
    expect_error_at({good.begin(), good.begin() + 20}, 20, "truncated header");
    expect_error_at({good.begin(), good.begin() + 5}, 5, "truncated header");

    std::vector<std::byte> bytes = good;
    bytes[3] = std::byte{'X'};
    expect_error_at(bytes, 0, "bad magic");

    bytes = good;
    bytes[8] = std::byte{1}; // format version 1 (before instance-aware control records)
    expect_error_at(bytes, 8, "recording format version 1, this build reads versions 2 to 4");
    bytes = good;
    bytes[8] = std::byte{5}; // a newer writer's
    expect_error_at(bytes, 8, "recording format version 5");

    const auto reseal = [](std::vector<std::byte>& header) {
        std::vector<std::byte> crc;
        put_u32(crc, crc32(std::span<const std::byte>(header).first(28)));
        std::copy(crc.begin(), crc.end(), header.begin() + 28);
    };
    bytes = good;
    bytes[12] = std::byte{9};
    reseal(bytes);
    expect_error_at(bytes, 12, "event ABI version 9");

    bytes = good;
    bytes[16] = std::byte{48};
    reseal(bytes);
    expect_error_at(bytes, 16, "event size 48");

    bytes = good;
    bytes[20] = std::byte{40};
    reseal(bytes);
    expect_error_at(bytes, 20, "header size 40");

    bytes = good;
    bytes[29] ^= std::byte{0x01};
    expect_error_at(bytes, 28, "header CRC mismatch");

    bytes = good;
    bytes[13] ^= std::byte{0x80}; // an ABI version bit, caught by the header CRC
    expect_error_at(bytes, 28, "header CRC mismatch");
}

TEST_F(RecordingTest, DamagedRecords) {
    const std::string file = path("sample.rec");
    write_sample(file);
    const std::vector<std::byte> good = fixtures::read_file(file);

    // Offsets of the first two records: the start metadata, the five events' batch.
    const uint64_t first = kHeaderSize;
    const uint32_t first_length = get_u32(good, first + 4);
    const uint64_t second = first + kFrameHeaderSize + first_length + kFrameTrailerSize;
    const uint32_t length = get_u32(good, second + 4);
    ASSERT_EQ(get_u32(good, second), uint32_t(RecordKind::EventBatch));
    ASSERT_EQ(length, 5u * 64);
    const auto cut = [&](uint64_t end) {
        return std::vector<std::byte>(good.begin(), good.begin() + static_cast<long>(end));
    };

    // Cut inside each record's frame header, payload, and CRC.
    for (const uint64_t at : {first, second}) {
        const uint32_t size = get_u32(good, at + 4);
        expect_error_at(cut(at + 3), at, "truncated record header (3 of 8 bytes)");
        expect_error_at(cut(at + 8 + 10), at,
                        "truncated record (payload 10 of " + std::to_string(size) + " bytes)");
        expect_error_at(cut(at + 8 + size + 2), at, "truncated record (CRC missing)");
    }
    // Cut right after a whole record: the framing is fine (the replay reports the
    // missing end metadata).
    EXPECT_FALSE(error_of(cut(second)));

    std::vector<std::byte> bytes = good;
    bytes[second + 8 + length + 1] ^= std::byte{0x10}; // a CRC byte
    expect_error_at(bytes, second, "record CRC mismatch");

    bytes = good;
    bytes[second + 8 + 4 * 64 + 3] ^= std::byte{0x01}; // the batch's last event
    expect_error_at(bytes, second, "record CRC mismatch");

    bytes = good;
    bytes[second + 8 + 20] ^= std::byte{0x01}; // a payload byte
    expect_error_at(bytes, second, "record CRC mismatch");

    bytes = good;
    bytes[second] ^= std::byte{0x04}; // the kind
    expect_error_at(bytes, second, "record CRC mismatch");

    bytes = good;
    bytes[second + 4] = std::byte{0xf0}; // length 0xf0 .. : giant
    bytes[second + 7] = std::byte{0xff};
    expect_error_at(bytes, second, "exceeds the 1048576-byte limit");

    bytes = good;
    bytes[second + 6] = std::byte{0x10}; // length 1 MiB + 320: just over
    expect_error_at(bytes, second, "exceeds");
}

// A well-framed record (valid CRC) whose content is wrong.
std::vector<std::byte> framed(uint32_t kind, std::span<const std::byte> payload) {
    std::vector<std::byte> out = encode_header({kFormatVersion, CUSTODY_ABI_VERSION, 64});
    std::vector<std::byte> frame;
    put_u32(frame, kind);
    put_u32(frame, static_cast<uint32_t>(payload.size()));
    out.insert(out.end(), frame.begin(), frame.end());
    out.insert(out.end(), payload.begin(), payload.end());
    put_u32(out, crc32(payload, crc32(frame)));
    return out;
}

TEST_F(RecordingTest, WellFramedButInvalidRecords) {
    expect_error_at(framed(7, {}), kHeaderSize, "unknown record kind 7");
    expect_error_at(framed(6, {}), kHeaderSize, "unknown record kind 6");
    expect_error_at(framed(0, {}), kHeaderSize, "unknown record kind 0");

    expect_error_at(framed(5, {}), kHeaderSize,
                    "event batch of 0 bytes, not a whole number of 64-byte events");
    expect_error_at(framed(5, std::vector<std::byte>(64 * 3 + 5)), kHeaderSize,
                    "event batch of 197 bytes, not a whole number of 64-byte events");
    std::vector<std::byte> version3 = framed(5, std::vector<std::byte>(64));
    const std::vector<std::byte> header3 = encode_header({3, CUSTODY_ABI_VERSION, 64});
    std::copy(header3.begin(), header3.end(), version3.begin());
    expect_error_at(version3, kHeaderSize,
                    "event batch record in a format version 3 recording (batches came with "
                    "version 4)");

    ControlRecord attach;
    attach.ts_ns = 1;
    attach.cpu = 2;
    attach.name = "x";
    std::vector<std::byte> control = encode_control(attach);
    expect_error_at(framed(2, std::span(control).first(10)), kHeaderSize, "at least 48");
    std::vector<std::byte> bad = control;
    bad[12] = std::byte{3};
    expect_error_at(framed(2, bad), kHeaderSize, "unknown action 3");
    bad = control;
    bad[13] = std::byte{2};
    expect_error_at(framed(2, bad), kHeaderSize, "flag byte");
    bad = control;
    bad[16] = std::byte{10}; // name length 10, payload holds 1 (+ 8 of owner)
    expect_error_at(framed(2, bad), kHeaderSize, "its name and note need 58");
    bad = control;
    bad[16] = std::byte{5}; // the name eats into the owner field
    expect_error_at(framed(2, bad), kHeaderSize, "a truncated owner field");
    bad = control;
    bad[control.size() - 4] = std::byte{3}; // a tree path of 3 bytes, none there
    expect_error_at(framed(2, bad), kHeaderSize, "3-byte tree path");
    bad = control;
    bad[40] = std::byte{9};
    expect_error_at(framed(2, bad), kHeaderSize, "unknown source 9");
    bad = control;
    bad[17] = std::byte{0x10}; // name length 4097
    expect_error_at(framed(2, bad), kHeaderSize, "scheduler name");

    expect_error_at(framed(3, std::vector<std::byte>(23)), kHeaderSize, "lost record of 23 bytes");

    expect_error_at(framed(4, bytes_of("{\"phase\": ")), kHeaderSize, "not valid JSON");
    expect_error_at(framed(4, bytes_of("[1, 2]")), kHeaderSize, "not a JSON object");
    expect_error_at(framed(4, bytes_of("\"\xff\xfe\"")), kHeaderSize, "not valid JSON");
    const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
    expect_error_at(framed(4, bytes_of(deep)), kHeaderSize, "nests deeper than 64");
    // A million brackets: refused without recursion.
    const std::string deeper(1'000'000, '[');
    expect_error_at(framed(4, bytes_of(deeper)), kHeaderSize, "metadata record");
}

// Version 3 control records carry the instance's owner key and tree path; a
// version 2 record (no trailer) still reads, as the root's.
TEST(RecordingControl, OwnerAndTreePathRoundTripAndVersion2ReadsAsTheRoot) {
    ControlRecord attach;
    attach.ts_ns = 5;
    attach.name = "qmap";
    attach.note = "n";
    attach.instance_id = 41;
    attach.owner = 28;
    attach.tree_path = "root/sub/sub-28";
    const std::vector<std::byte> v3 = encode_control(attach);
    Result<ControlRecord> back = decode_control(v3);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, attach);

    const std::size_t trailer = 8 + attach.tree_path.size();
    Result<ControlRecord> v2 = decode_control(std::span(v3).first(v3.size() - trailer));
    ASSERT_TRUE(v2) << v2.error().message;
    EXPECT_EQ(v2->owner, 0u);
    EXPECT_EQ(v2->tree_path, "");
    EXPECT_EQ(v2->name, "qmap");
    EXPECT_EQ(v2->instance_id, 41u);

    std::vector<std::byte> long_path = v3;
    long_path[v3.size() - trailer + 5] = std::byte{0x10}; // a 4,096-byte path
    EXPECT_FALSE(decode_control(long_path));
}

TEST_F(RecordingTest, ErrorsAreSticky) {
    std::vector<std::byte> bytes = framed(7, {});
    Result<RecordingReader> reader = RecordingReader::from_memory(bytes);
    ASSERT_TRUE(reader);
    Result<std::optional<Record>> first = reader->next();
    ASSERT_FALSE(first);
    Result<std::optional<Record>> second = reader->next();
    ASSERT_FALSE(second);
    EXPECT_EQ(first.error().message, second.error().message);
}

TEST_F(RecordingTest, OpenAndCreateErrors) {
    Result<RecordingReader> reader = RecordingReader::open(path("missing.rec"));
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().exit_code, ExitCode::Usage);
    EXPECT_NE(reader.error().message.find("missing.rec"), std::string::npos);

    Result<RecordingReader> directory = RecordingReader::open(dir_.string());
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().exit_code, ExitCode::Usage);

    Result<RecordingWriter> writer = RecordingWriter::create(path("no/such/dir/x.rec"));
    ASSERT_FALSE(writer);
    EXPECT_EQ(writer.error().exit_code, ExitCode::CannotRun);
    EXPECT_EQ(writer.error().err, ENOENT);
}

TEST_F(RecordingTest, WriterRefusesOversizeRecordsAndStaysFailed) {
    Result<RecordingWriter> writer = RecordingWriter::create(path("x.rec"));
    ASSERT_TRUE(writer);
    std::vector<std::byte> huge(kMaxPayloadLength + 1);
    Status status = writer->write_event(huge);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find("exceeds"), std::string::npos);
    EXPECT_FALSE(writer->write_lost({1, 2, 3}));
    EXPECT_FALSE(writer->close());

    ControlRecord control;
    control.name = std::string(kMaxSchedNameLength + 1, 'n');
    Result<RecordingWriter> other = RecordingWriter::create(path("y.rec"));
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->write_control(control));
    Result<RecordingWriter> third = RecordingWriter::create(path("z.rec"));
    ASSERT_TRUE(third);
    EXPECT_FALSE(third->write_metadata(nlohmann::json::array()));
}

TEST_F(RecordingTest, WriterReportsAFullDisk) {
    if (!std::filesystem::exists("/dev/full"))
        GTEST_SKIP() << "no /dev/full";
    Result<RecordingWriter> writer = RecordingWriter::create("/dev/full");
    ASSERT_TRUE(writer); // the header is still in the buffer
    Status status = writer->close();
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().err, ENOSPC);
    EXPECT_FALSE(writer->write_lost({1, 2, 3}));
}

TEST_F(RecordingTest, CloseIsIdempotentAndWritesAfterItFail) {
    Result<RecordingWriter> writer = RecordingWriter::create(path("x.rec"));
    ASSERT_TRUE(writer);
    EXPECT_TRUE(writer->write_lost({1, 2, 3}));
    EXPECT_TRUE(writer->close());
    EXPECT_TRUE(writer->close());
    EXPECT_FALSE(writer->write_lost({1, 2, 3}));

    RecordingWriter moved = std::move(*writer);
    EXPECT_FALSE(moved.write_lost({1, 2, 3}));
}

} // namespace
} // namespace scx_custody::record
