// Unit tests of the ring-buffer record decoder.
#include "consumer/event_decode.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "audit_fixtures.h"
#include "pairing/kinds.h"
#include "pairing/scx_constants.h"

namespace scx_custody::consumer {
namespace {

using fixtures::raw_event;
using fixtures::RawEvent;
using pairing::EventKind;
using pairing::KernelCustodyFlag;
using pairing::ReenqReason;

TEST(EventDecode, DecodesEveryField) {
    RawEvent raw;
    raw.ts_ns = 0x1122334455667788ull;
    raw.task_start_ns = 987'654'321;
    raw.dsq_id = pairing::dsq_local_on(7);
    raw.flags = pairing::kDeqSchedChange | pairing::kCoreDequeueSave;
    raw.pid = 4242;
    raw.cpu = 7;
    raw.type = fixtures::kEvtDequeue;
    raw.hook = fixtures::kHookSchedDequeue;
    raw.kernel_flag = fixtures::kFlagClear;
    raw.comm = "stress-ng";

    Result<pairing::Event> event = decode_event(raw_event(raw));
    ASSERT_TRUE(event) << event.error().message;
    EXPECT_EQ(event->kind, EventKind::Dequeue);
    EXPECT_EQ(event->ts_ns, raw.ts_ns);
    EXPECT_EQ(event->task.pid, 4242u);
    EXPECT_EQ(event->task.start_time_ns, 987'654'321u);
    EXPECT_EQ(event->dsq_id, raw.dsq_id);
    EXPECT_EQ(event->flags, raw.flags);
    EXPECT_EQ(event->cpu, 7u);
    EXPECT_EQ(event->hook, fixtures::kHookSchedDequeue);
    EXPECT_EQ(event->kernel_flag, KernelCustodyFlag::Clear);
    EXPECT_EQ(pairing::comm_view(event->comm), "stress-ng");
}

TEST(EventDecode, MapsEveryTypeAndKernelFlag) {
    const std::vector<std::pair<uint16_t, EventKind>> types = {
        {fixtures::kEvtEnqueue, EventKind::Enqueue},
        {fixtures::kEvtDsqInsert, EventKind::DsqInsert},
        {fixtures::kEvtDequeue, EventKind::Dequeue},
        {fixtures::kEvtRunning, EventKind::Running},
        {fixtures::kEvtTaskExit, EventKind::TaskExit},
    };
    for (const auto& [type, kind] : types) {
        RawEvent raw;
        raw.type = type;
        Result<pairing::Event> event = decode_event(raw_event(raw));
        ASSERT_TRUE(event) << type;
        EXPECT_EQ(event->kind, kind) << type;
    }
    const std::vector<std::pair<uint8_t, KernelCustodyFlag>> flags = {
        {fixtures::kFlagUnknown, KernelCustodyFlag::Unknown},
        {fixtures::kFlagSet, KernelCustodyFlag::Set},
        {fixtures::kFlagClear, KernelCustodyFlag::Clear},
    };
    for (const auto& [value, flag] : flags) {
        RawEvent raw;
        raw.kernel_flag = value;
        Result<pairing::Event> event = decode_event(raw_event(raw));
        ASSERT_TRUE(event);
        EXPECT_EQ(event->kernel_flag, flag);
    }
}

// The comm's bytes are kept as copied (the engine makes them canonical), and
// read as a name they stop at the first NUL or after 15 characters.
TEST(EventDecode, CommBytesAreKeptAsCopied) {
    RawEvent raw;
    raw.comm = "0123456789abcdefXYZ"; // fills all 16 bytes, no NUL
    Result<pairing::Event> event = decode_event(raw_event(raw));
    ASSERT_TRUE(event);
    EXPECT_EQ(std::string_view(event->comm.data(), event->comm.size()), "0123456789abcdef");
    EXPECT_EQ(pairing::comm_view(event->comm), "0123456789abcde");

    raw.comm = "";
    event = decode_event(raw_event(raw));
    ASSERT_TRUE(event);
    EXPECT_EQ(pairing::comm_view(event->comm), "");
}

TEST(EventDecode, RejectsWrongSizesAndUnknownValues) {
    const std::vector<std::byte> good = raw_event(RawEvent{});
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{65}}) {
        std::vector<std::byte> bytes(size);
        std::copy_n(good.begin(), std::min(size, good.size()), bytes.begin());
        Result<pairing::Event> event = decode_event(bytes);
        ASSERT_FALSE(event) << size;
        EXPECT_EQ(event.error().exit_code, ExitCode::Usage);
        EXPECT_NE(event.error().message.find("expected 64"), std::string::npos);
    }

    RawEvent raw;
    for (uint16_t type : {uint16_t{0}, uint16_t{6}, uint16_t{0xffff}}) {
        raw.type = type;
        Result<pairing::Event> event = decode_event(raw_event(raw));
        ASSERT_FALSE(event) << type;
        EXPECT_NE(event.error().message.find("unknown type"), std::string::npos);
    }
    raw = RawEvent{};
    raw.hook = static_cast<uint8_t>(consumer::kHookCount);
    EXPECT_FALSE(decode_event(raw_event(raw)));
    raw = RawEvent{};
    raw.kernel_flag = 3;
    EXPECT_FALSE(decode_event(raw_event(raw)));
    raw = RawEvent{};
    raw.kernel_flag = 5 << 4; // no re-enqueue reason 5
    EXPECT_FALSE(decode_event(raw_event(raw)));
}

// The high four bits of kernel_flag: the kernel's re-enqueue reason (7.3).
TEST(EventDecode, ReenqReasonSharesTheKernelFlagByte) {
    RawEvent raw;
    raw.type = fixtures::kEvtEnqueue;
    raw.hook = fixtures::kHookSchedEnqueue;
    const std::pair<uint8_t, ReenqReason> reasons[] = {{0, ReenqReason::None},
                                                       {1, ReenqReason::Kfunc},
                                                       {2, ReenqReason::Immed},
                                                       {3, ReenqReason::Preempted},
                                                       {4, ReenqReason::Cap}};
    for (const auto& [bits, reason] : reasons) {
        raw.kernel_flag = static_cast<uint8_t>(bits << 4 | fixtures::kFlagSet);
        Result<pairing::Event> event = decode_event(raw_event(raw));
        ASSERT_TRUE(event) << event.error().message;
        EXPECT_EQ(event->reenq_reason, reason);
        EXPECT_EQ(event->kernel_flag, KernelCustodyFlag::Set);
    }
}

// decode_event_into() is decode_event() without the Result: same fields, same
// faults, on records with random values in every field.
TEST(EventDecode, IntoAgreesWithDecodeEventOnRandomRecords) {
    std::mt19937_64 random(11);
    pairing::Event reused;
    for (int round = 0; round < 4000; ++round) {
        std::vector<std::byte> bytes(kCustodyEventSize);
        for (std::byte& b : bytes)
            b = static_cast<std::byte>(random());
        // Mostly valid type, hook and flag values, so that both paths are taken.
        if (round % 4 != 0) {
            bytes[40] = static_cast<std::byte>(random() % 7);
            bytes[41] = std::byte{0};
            bytes[42] = static_cast<std::byte>(random() % (kHookCount + 1));
            bytes[43] = static_cast<std::byte>(random() % 4);
        }
        Result<pairing::Event> event = decode_event(bytes);
        const DecodeFault fault = decode_event_into(bytes, reused);
        ASSERT_EQ(fault == DecodeFault::None, static_cast<bool>(event)) << "round " << round;
        if (!event) {
            EXPECT_EQ(decode_error(bytes, fault).message, event.error().message);
            continue;
        }
        EXPECT_EQ(reused.kind, event->kind);
        EXPECT_EQ(reused.ts_ns, event->ts_ns);
        EXPECT_EQ(reused.cpu, event->cpu);
        EXPECT_EQ(reused.task, event->task);
        EXPECT_EQ(reused.comm, event->comm);
        EXPECT_EQ(reused.dsq_id, event->dsq_id);
        EXPECT_EQ(reused.flags, event->flags);
        EXPECT_EQ(reused.kernel_flag, event->kernel_flag);
        EXPECT_EQ(reused.hook, event->hook);
    }
    std::vector<std::byte> short_record(10);
    EXPECT_EQ(decode_event_into(short_record, reused), DecodeFault::Size);
}

TEST(EventDecode, HookNames) {
    EXPECT_EQ(hook_name(0), "dsq_insert");
    EXPECT_EQ(hook_name(3), "sched_dequeue");
    EXPECT_EQ(hook_name(7), "remote_move");
    EXPECT_EQ(hook_name(8), "dsq_move");
    EXPECT_EQ(hook_name(static_cast<uint8_t>(consumer::kHookCount)), "invalid");
    EXPECT_EQ(hook_name(pairing::kNoHook), "invalid");
}

} // namespace
} // namespace scx_custody::consumer
