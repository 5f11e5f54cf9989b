// Throughput and memory of the audit's hot path, on synthetic streams
// (synthetic_stream.h) generated before any measured loop:
//   decode             consumer::decode_event() on raw 64-byte records
//   engine             PairingEngine::process() on decoded events
//   session            AuditSession::on_event_bytes(): decode + engine + statistics
//   session_recording  the same with a RecordingWriter to a temporary file
//   table_memory       resident and heap bytes per tracked task, 1M-task table
// The measured loop replays its stream from the start as often as needed; every
// pass begins with a new engine or session warmed up to the stream's number of
// live tasks, outside the measured time (see run_stream()).
//
// tests/bench/run-bench runs this binary and turns the results into ratios
// measured side by side in one run; absolute times are never judged.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "audit/audit_meta.h"
#include "audit/audit_session.h"
#include "consumer/event_decode.h"
#include "pairing/event.h"
#include "pairing/pairing_engine.h"
#include "record/recording_format.h"
#include "record/recording_writer.h"
#include "synthetic_stream.h"

#ifndef SCX_BENCH_BUILD_TYPE
#define SCX_BENCH_BUILD_TYPE "unknown"
#endif

namespace scx_custody::bench {
namespace {

static_assert(kRecordSize == consumer::kCustodyEventSize);

// Records handled per benchmark iteration: keeps the loop's own cost negligible.
constexpr std::size_t kBatch = 1024;
// A stream holds at least this many records, and at least kRecordsPerTask
// records per live task, so that a pass spreads over the whole table (a 100k-task
// pass touches about half of the tasks, in random order).
constexpr std::size_t kMinStreamRecords = std::size_t{1} << 17;
constexpr std::size_t kRecordsPerTask = 5;

StreamShape shape_of(const benchmark::State& state) {
    return StreamShape{static_cast<uint32_t>(state.range(0)),
                       static_cast<uint32_t>(state.range(1))};
}

// The stream of the benchmark running now, raw and decoded. One at a time: the
// benchmarks of a shape are registered next to each other.
struct PreparedStream {
    Stream stream;
    std::vector<pairing::Event> events;
};

// Null when the stream does not decode (a generator bug).
const PreparedStream* prepared_stream(StreamShape shape) {
    static std::unique_ptr<PreparedStream> cached;
    if (cached && cached->stream.shape == shape)
        return cached.get();
    cached.reset();
    auto prepared = std::make_unique<PreparedStream>();
    prepared->stream =
        make_stream(shape, std::max(kMinStreamRecords, std::size_t{shape.tasks} * kRecordsPerTask));
    prepared->events.reserve(prepared->stream.records());
    for (std::size_t i = 0; i < prepared->stream.records(); ++i) {
        Result<pairing::Event> event = consumer::decode_event(prepared->stream.record(i));
        if (!event)
            return nullptr;
        prepared->events.push_back(std::move(*event));
    }
    cached = std::move(prepared);
    return cached.get();
}

bool prepare(benchmark::State& state, const PreparedStream*& out) {
    out = prepared_stream(shape_of(state));
    if (!out)
        state.SkipWithError("the synthetic stream does not decode");
    return out != nullptr;
}

constexpr const char* kSchedName = "bench_sched";

pairing::Event attach_event() {
    pairing::Event event;
    event.kind = pairing::EventKind::SchedulerAttach;
    event.ts_ns = 999'000;
    event.sched_name = kSchedName;
    event.implements_dequeue = true;
    return event;
}

record::ControlRecord attach_record() {
    record::ControlRecord control;
    control.ts_ns = 999'000;
    control.action = record::ControlAction::Attach;
    control.name = kSchedName;
    return control;
}

audit::StartMetadata start_metadata() {
    audit::StartMetadata start;
    start.producer = "scx-custody bench";
    start.kernel = "7.1.0";
    start.command_line = {"engine_bench"};
    start.start_ts_ns = 1'000'000;
    return start;
}

// An engine holding shape.tasks live tasks, all out of custody.
void warm_up(pairing::PairingEngine& engine, StreamShape shape) {
    engine.process(attach_event());
    for_each_warmup_record(shape, [&](std::span<const std::byte> raw) {
        Result<pairing::Event> event = consumer::decode_event(raw);
        if (event)
            engine.process(*event);
    });
}

void warm_up(audit::AuditSession& session, StreamShape shape) {
    session.on_control(attach_record());
    for_each_warmup_record(shape,
                           [&](std::span<const std::byte> raw) { session.on_event_bytes(raw); });
}

void engine_counters(benchmark::State& state, const pairing::PairingEngine& engine) {
    state.counters["tracked_tasks"] = static_cast<double>(engine.tracked_tasks());
    state.counters["findings"] = static_cast<double>(engine.findings_total());
    state.counters["malformed"] = static_cast<double>(engine.malformed_events());
}

// The measured loop: kBatch records per iteration, replaying the stream's n
// records from the start as often as needed. subject.reset() (outside the measured
// time) starts the subject afresh before each pass: a replayed pass would meet the
// table's LRU list in the order the previous pass left it, which makes a large
// table look cheaper than in any real, unrepeated event order.
template <class Subject> void run_stream(benchmark::State& state, std::size_t n, Subject& subject) {
    Status status = subject.reset();
    if (!status) {
        state.SkipWithError(status.error().message.c_str());
        return;
    }
    std::size_t i = 0;
    for (auto _ : state) {
        for (std::size_t k = 0; k < kBatch; ++k) {
            subject.handle(i);
            if (++i < n)
                continue;
            i = 0;
            state.PauseTiming();
            status = subject.reset();
            state.ResumeTiming();
            if (!status)
                break;
        }
        if (!status) {
            state.SkipWithError(status.error().message.c_str());
            break;
        }
    }
    const auto items = static_cast<int64_t>(state.iterations() * kBatch);
    state.SetItemsProcessed(items);
    state.SetBytesProcessed(items * static_cast<int64_t>(kRecordSize));
}

// ---- subjects ----------------------------------------------------------------

struct DecodeSubject {
    const Stream* stream = nullptr;
    uint64_t errors = 0;

    Status reset() { return ok_status(); }
    void handle(std::size_t i) {
        Result<pairing::Event> event = consumer::decode_event(stream->record(i));
        benchmark::DoNotOptimize(event);
        errors += event ? 0 : 1;
    }
};

struct EngineSubject {
    StreamShape shape;
    const std::vector<pairing::Event>* events = nullptr;
    std::unique_ptr<pairing::PairingEngine> engine;

    Status reset() {
        engine.reset();
        engine = std::make_unique<pairing::PairingEngine>();
        warm_up(*engine, shape);
        return ok_status();
    }
    void handle(std::size_t i) { engine->process((*events)[i]); }
};

// In $TMPDIR (else /tmp); a directory that does not exist fails the benchmark
// when the recording is created.
std::string recording_path() {
    std::error_code error;
    std::filesystem::path directory = std::filesystem::temp_directory_path(error);
    if (error)
        directory = "/tmp";
    return (directory / ("scx-custody-bench-" + std::to_string(::getpid()) + ".rec")).string();
}

// An AuditSession, with a RecordingWriter to a new temporary file at each reset()
// when `recording` is set.
struct SessionSubject {
    StreamShape shape;
    const Stream* stream = nullptr;
    bool recording = false;
    std::string path = recording_path();
    std::optional<audit::AuditSession> session;
    // Owned by the session, which keeps it while recording succeeds.
    record::RecordingWriter* writer = nullptr;
    uint64_t warm_up_bytes = 0;
    // Recording bytes written in the measured loops.
    uint64_t recorded_bytes = 0;

    ~SessionSubject() {
        (void)close();
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }

    Status reset() {
        if (Status closed = close(); !closed)
            return closed;
        std::unique_ptr<record::RecordingWriter> owned;
        if (recording) {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
            Result<record::RecordingWriter> created = record::RecordingWriter::create(path);
            if (!created)
                return created.error();
            owned = std::make_unique<record::RecordingWriter>(std::move(*created));
            writer = owned.get();
        }
        Result<audit::AuditSession> created =
            audit::AuditSession::create(start_metadata(), std::move(owned));
        if (!created)
            return created.error();
        session.emplace(std::move(*created));
        warm_up(*session, shape);
        if (Status status = session->recording_status(); !status)
            return status;
        warm_up_bytes = writer ? writer->bytes_written() : 0;
        return ok_status();
    }

    void handle(std::size_t i) { session->on_event_bytes(stream->record(i)); }

    // Ends the session, and its recording when there is one.
    Status close() {
        if (!session)
            return ok_status();
        Status status = session->recording_status();
        if (status && writer) {
            recorded_bytes += writer->bytes_written() - warm_up_bytes;
            status = writer->close();
        }
        session.reset();
        writer = nullptr;
        return status;
    }
};

// ---- benchmarks ------------------------------------------------------------

void bm_decode(benchmark::State& state) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    DecodeSubject subject{&prepared->stream};
    run_stream(state, prepared->stream.records(), subject);
    state.counters["decode_errors"] = static_cast<double>(subject.errors);
}

void bm_engine(benchmark::State& state) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    EngineSubject subject{shape_of(state), &prepared->events, nullptr};
    run_stream(state, prepared->events.size(), subject);
    if (subject.engine)
        engine_counters(state, *subject.engine);
}

void run_session(benchmark::State& state, bool recording) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    SessionSubject subject;
    subject.shape = shape_of(state);
    subject.stream = &prepared->stream;
    subject.recording = recording;
    run_stream(state, prepared->stream.records(), subject);
    if (!subject.session)
        return;
    engine_counters(state, subject.session->engine());
    if (!recording)
        return;
    if (Status status = subject.close(); !status) {
        state.SkipWithError(status.error().message.c_str());
        return;
    }
    state.counters["recorded_bytes_per_second"] = benchmark::Counter(
        static_cast<double>(subject.recorded_bytes), benchmark::Counter::kIsRate);
}

void bm_session(benchmark::State& state) {
    run_session(state, false);
}

void bm_session_recording(benchmark::State& state) {
    run_session(state, true);
}

uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t size_pages = 0;
    uint64_t resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Bytes handed out by malloc (main arena and mmapped chunks).
uint64_t heap_bytes() {
    const struct mallinfo2 info = ::mallinfo2();
    return info.uordblks + info.hblkhd;
}

void bm_table_memory(benchmark::State& state) {
    const StreamShape shape = shape_of(state);
    double rss_per_task = 0;
    double heap_per_task = 0;
    std::size_t tracked = 0;
    uint64_t events = 0;
    for (auto _ : state) {
        // Freed memory of earlier benchmarks goes back to the kernel first, so that
        // the table's pages are new resident pages.
        state.PauseTiming();
        ::malloc_trim(0);
        const uint64_t rss_before = resident_bytes();
        const uint64_t heap_before = heap_bytes();
        state.ResumeTiming();

        auto engine = std::make_unique<pairing::PairingEngine>();
        engine->process(attach_event());
        for_each_warmup_record(shape, [&](std::span<const std::byte> raw) {
            Result<pairing::Event> event = consumer::decode_event(raw);
            if (event)
                engine->process(*event);
            ++events;
        });

        state.PauseTiming();
        tracked = engine->tracked_tasks();
        const uint64_t rss_after = resident_bytes();
        const uint64_t heap_after = heap_bytes();
        if (tracked > 0) {
            rss_per_task =
                static_cast<double>(rss_after - std::min(rss_before, rss_after)) / tracked;
            heap_per_task =
                static_cast<double>(heap_after - std::min(heap_before, heap_after)) / tracked;
        }
        engine.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<int64_t>(events));
    state.counters["tracked_tasks"] = static_cast<double>(tracked);
    state.counters["rss_bytes_per_task"] = rss_per_task;
    state.counters["heap_bytes_per_task"] = heap_per_task;
}

void register_benchmarks() {
    const std::vector<std::string> arg_names = {"tasks", "cpus"};

    benchmark::RegisterBenchmark("table_memory", bm_table_memory)
        ->Args({1'000'000, 64})
        ->ArgNames(arg_names)
        ->Iterations(1)
        ->Repetitions(1)
        ->Unit(benchmark::kMillisecond);

    // Side by side per shape: run-bench divides these by each other.
    for (const int64_t tasks : {1'000, 100'000}) {
        benchmark::RegisterBenchmark("engine", bm_engine)->Args({tasks, 2})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("decode", bm_decode)->Args({tasks, 64})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("engine", bm_engine)->Args({tasks, 64})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("session", bm_session)->Args({tasks, 64})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("session_recording", bm_session_recording)
            ->Args({tasks, 64})
            ->ArgNames(arg_names);
    }
}

} // namespace
} // namespace scx_custody::bench

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::AddCustomContext("scx_custody_build_type", SCX_BENCH_BUILD_TYPE);
    scx_custody::bench::register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
