// Throughput and memory of the audit's hot path, on synthetic streams of raw
// records (bench_subjects.h: a test_support::ScenarioStream, encoded) generated
// before any measured loop. The stages are the subjects of bench_subjects.h:
//   copy               memcpy of each raw 64-byte record (the floor for decode)
//   decode             consumer::decode_event_into() on raw records
//   decode_result      consumer::decode_event() (the Result-returning form)
//   engine             PairingEngine::process() on decoded events
//   session            AuditSession::on_event_bytes(): decode + engine + statistics
//   session_recording  the same with a RecordingWriter to a temporary file
//   table_memory       resident and heap bytes per tracked task, 1M-task table
// The measured loop replays its stream from the start as often as needed; every
// pass begins with a new engine or session warmed up to the stream's number of
// live tasks, outside the measured time (see run_stream()).
//
// tests/bench/run-bench.py runs this binary and turns the results into ratios
// measured side by side in one run; absolute rates are printed next to the
// targets, the gates are the ratios (and bench_icount's instruction counts).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_subjects.h"
#include "pairing/pairing_engine.h"

#ifndef SCX_BENCH_BUILD_TYPE
#define SCX_BENCH_BUILD_TYPE "unknown"
#endif

namespace scx_custody::bench {
namespace {

// Records handled per benchmark iteration: keeps the loop's own cost negligible.
constexpr std::size_t kBatch = 1024;

StreamShape shape_of(const benchmark::State& state) {
    return StreamShape{static_cast<uint32_t>(state.range(0)),
                       static_cast<uint32_t>(state.range(1))};
}

// The stream of the benchmark running now. One at a time: the benchmarks of a
// shape are registered next to each other.
const PreparedStream* prepared_stream(StreamShape shape) {
    static std::unique_ptr<PreparedStream> cached;
    if (cached && cached->stream.shape == shape)
        return cached.get();
    cached.reset();
    cached = prepare_stream(shape);
    return cached.get();
}

bool prepare(benchmark::State& state, const PreparedStream*& out) {
    out = prepared_stream(shape_of(state));
    if (!out)
        state.SkipWithError("the synthetic stream does not decode");
    return out != nullptr;
}

void engine_counters(benchmark::State& state, const pairing::PairingEngine& engine) {
    state.counters["tracked_tasks"] = static_cast<double>(engine.tracked_tasks());
    state.counters["findings"] = static_cast<double>(engine.findings_total());
    state.counters["malformed"] = static_cast<double>(engine.malformed_events());
}

// The measured loop: kBatch records per iteration, replaying the stream's n
// records from the start as often as needed. subject.reset() (outside the measured
// time) starts the subject afresh before each pass: a replayed pass would meet the
// table as the previous pass left it, its lines cached in that order, which
// makes a large table look cheaper than in any real, unrepeated event order.
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

// ---- benchmarks ------------------------------------------------------------

void bm_copy(benchmark::State& state) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    CopySubject subject{&prepared->stream};
    run_stream(state, prepared->stream.records(), subject);
}

void bm_decode(benchmark::State& state) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    DecodeSubject subject;
    subject.stream = &prepared->stream;
    run_stream(state, prepared->stream.records(), subject);
    state.counters["decode_errors"] = static_cast<double>(subject.errors);
}

void bm_decode_result(benchmark::State& state) {
    const PreparedStream* prepared = nullptr;
    if (!prepare(state, prepared))
        return;
    DecodeResultSubject subject{&prepared->stream};
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
    SessionSubject subject(shape_of(state), &prepared->stream, recording);
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

        auto engine = std::make_unique<pairing::PairingEngine>(engine_config());
        warm_up(*engine, shape);
        events += 5 * uint64_t{shape.tasks};

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

    // Side by side per shape: run-bench.py divides these by each other.
    for (const int64_t tasks : {1'000, 100'000}) {
        benchmark::RegisterBenchmark("engine", bm_engine)->Args({tasks, 2})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("copy", bm_copy)->Args({tasks, 64})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("decode", bm_decode)->Args({tasks, 64})->ArgNames(arg_names);
        benchmark::RegisterBenchmark("decode_result", bm_decode_result)
            ->Args({tasks, 64})
            ->ArgNames(arg_names);
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
