// bench_icount: one benchmark stage, run once, for counting its instructions
// under callgrind (tests/bench/run-bench.py does this):
//
//   valgrind --tool=callgrind --toggle-collect='*measured_loop*'
//            bench_icount STAGE [TASKS CPUS EVENTS]
//
// Everything but measured_loop() (stream generation, warm-up, the registry of a
// scrape) runs uncounted. Instruction counts do not depend on the machine's speed
// or load, so run-bench.py holds them to budgets that fail on a regression.
// STAGE: copy, decode, decode_result, engine, session, session_recording (EVENTS
// records of a stream of TASKS live tasks on CPUS CPUs), or scrape (EVENTS scrapes
// of a CPUS-CPU registry). Prints one JSON object: stage, events, and for scrape
// the series and bytes of one scrape. Exit status 2 on bad arguments.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "bench_subjects.h"
#include "scrape_fixture.h"

namespace scx_custody::bench {
namespace {

constexpr const char* kUsage =
    "usage: bench_icount STAGE [TASKS CPUS EVENTS]\n"
    "  STAGE  copy | decode | decode_result | engine | session | session_recording | scrape\n"
    "  TASKS  live tasks of the synthetic stream (default 1000)\n"
    "  CPUS   CPUs of the stream, or of the scraped registry (default 64)\n"
    "  EVENTS records handled, or scrapes made (default 50000; at most the stream's\n"
    "         length, 2^17 records or 5 per task)\n"
    "Run it under callgrind with --toggle-collect='*measured_loop*'.\n";

// The only code callgrind counts: handle() of records 0..n-1.
template <class Subject> [[gnu::noinline]] void measured_loop(Subject& subject, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        subject.handle(i);
}

struct ScrapeSubject {
    const ScrapeFixture* fixture = nullptr;
    std::size_t bytes = 0;

    void handle(std::size_t) { bytes = fixture->scrape().size(); }
};

bool parse(const char* text, uint32_t& out) {
    const std::string_view view(text);
    const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), out);
    return error == std::errc() && end == view.data() + view.size() && out > 0;
}

int fail(const std::string& message) {
    std::fprintf(stderr, "bench_icount: %s\n%s", message.c_str(), kUsage);
    return 2;
}

int run_scrape(uint32_t cpus, uint32_t scrapes) {
    const ScrapeFixture fixture(cpus);
    ScrapeSubject subject{&fixture};
    measured_loop(subject, scrapes);
    std::printf("{\"stage\": \"scrape\", \"events\": %u, \"series\": %zu, \"bytes\": %zu}\n",
                scrapes, fixture.series(), subject.bytes);
    return 0;
}

template <class Subject> int run(const char* stage, Subject& subject, std::size_t events) {
    if (Status status = subject.reset(); !status) {
        std::fprintf(stderr, "bench_icount: %s\n", status.error().message.c_str());
        return 1;
    }
    measured_loop(subject, events);
    std::printf("{\"stage\": \"%s\", \"events\": %zu}\n", stage, events);
    return 0;
}

int run_stream_stage(std::string_view stage, StreamShape shape, uint32_t events) {
    const std::unique_ptr<PreparedStream> prepared = prepare_stream(shape);
    if (!prepared) {
        std::fprintf(stderr, "bench_icount: the synthetic stream does not decode\n");
        return 1;
    }
    if (events > prepared->stream.records())
        return fail("EVENTS " + std::to_string(events) + " exceeds the stream's " +
                    std::to_string(prepared->stream.records()) + " records");
    const Stream* stream = &prepared->stream;
    if (stage == "copy") {
        CopySubject subject{stream};
        return run("copy", subject, events);
    }
    if (stage == "decode") {
        DecodeSubject subject;
        subject.stream = stream;
        return run("decode", subject, events);
    }
    if (stage == "decode_result") {
        DecodeResultSubject subject{stream};
        return run("decode_result", subject, events);
    }
    if (stage == "engine") {
        EngineSubject subject{shape, &prepared->events, nullptr};
        return run("engine", subject, events);
    }
    if (stage == "session" || stage == "session_recording") {
        SessionSubject subject(shape, stream, stage == "session_recording");
        return run(stage == "session" ? "session" : "session_recording", subject, events);
    }
    return fail("unknown stage \"" + std::string(stage) + "\"");
}

int icount_main(int argc, char** argv) {
    if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (argc != 2 && argc != 5)
        return fail("expected a stage, optionally followed by TASKS CPUS EVENTS");
    uint32_t tasks = 1000;
    uint32_t cpus = 64;
    uint32_t events = 50'000;
    if (argc == 5 && (!parse(argv[2], tasks) || !parse(argv[3], cpus) || !parse(argv[4], events)))
        return fail("TASKS, CPUS and EVENTS must be positive integers");
    const std::string_view stage(argv[1]);
    if (stage == "scrape")
        return run_scrape(cpus, events);
    return run_stream_stage(stage, StreamShape{tasks, cpus}, events);
}

} // namespace
} // namespace scx_custody::bench

int main(int argc, char** argv) {
    return scx_custody::bench::icount_main(argc, argv);
}
