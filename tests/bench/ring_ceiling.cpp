// ring_ceiling: the BPF ring buffer's single-producer ceiling on this machine,
// the yardstick of the consumer's throughput targets (run-bench.py --targets
// divides the session's events per second by it, measured in the same run).
//
//   ring_ceiling [--seconds S] [--batch N] [--ring-bytes B]
//
// bpf/bench/ring_producer.bpf.c, run with BPF_PROG_TEST_RUN on CPU 0,
// reserves, fills and submits N tracer-sized records per run, waking the
// reader as the tracer does (once the ring is an eighth full). Two phases of
// S seconds of producing each:
//   alone       the reader drains the ring between runs, never during one (a
//               run stays below the wakeup fill): the producer's own ceiling
//               (`records_per_second`)
//   with_reader the daemon's reader (consumer::RingReader) runs on CPU 1 the
//               way the live loop runs it, poll(100) after poll(100), while the
//               producer runs: what sharing the ring with it costs
//               (`with_reader_records_per_second`; `ring_full` counts the
//               reservations refused when the reader fell behind)
// A rate is records submitted per second of the producer's runs. Prints one
// JSON object. Exit status: 0 measured; 1 the reader did not receive every
// record submitted; 2 bad arguments; 3 it cannot run here (not root, no BPF
// ring buffers, one CPU).
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "consumer/ring_reader.h"
#include "loader/tracer.h"
#include "ring_producer.skel.h"

namespace scx_custody::bench {
namespace {

constexpr const char* kUsage =
    "usage: ring_ceiling [--seconds S] [--batch N] [--ring-bytes B]\n"
    "  --seconds S     producing time of each phase (default 0.3)\n"
    "  --batch N       records per BPF_PROG_TEST_RUN, below an eighth of the ring\n"
    "                  (default 16384: 1.1 MiB of records)\n"
    "  --ring-bytes B  ring buffer size, a power of two (default: the tracer's, 16 MiB)\n"
    "Needs root (CAP_BPF and CAP_PERFMON) and at least 2 CPUs. Prints one JSON object.\n"
    "Exit status: 0 measured, 1 the reader missed records, 2 bad arguments,\n"
    "3 it cannot run here.\n";

// Exit status of a run that cannot happen on this host.
constexpr int kCannotRunHere = 3;

struct Options {
    double seconds = 0.3;
    uint64_t batch = 16384;
    uint32_t ring_bytes = loader::Tracer::Options{}.ringbuf_bytes;
};

// Same fields as struct ring_producer_args in ring_producer.bpf.c.
struct ProducerArgs {
    uint64_t count = 0;
    uint64_t submitted = 0;
    uint64_t full = 0;
};

struct SkeletonDeleter {
    void operator()(ring_producer* skel) const { ring_producer__destroy(skel); }
};
using Skeleton = std::unique_ptr<ring_producer, SkeletonDeleter>;

template <class T> bool parse_number(std::string_view text, T& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
}

// What is wrong with the arguments, or an empty string.
std::string parse_options(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "-h" || flag == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (i + 1 >= argc)
            return std::string(flag) + ": a value is missing";
        const std::string_view value = argv[++i];
        const bool ok = flag == "--seconds"      ? parse_number(value, options.seconds)
                        : flag == "--batch"      ? parse_number(value, options.batch)
                        : flag == "--ring-bytes" ? parse_number(value, options.ring_bytes)
                                                 : false;
        if (!ok)
            return std::string(flag) + " " + std::string(value) + ": not an option and its number";
    }
    const uint32_t ring = options.ring_bytes;
    if (ring < 4096 || (ring & (ring - 1)) != 0)
        return "--ring-bytes: a power of two of 4096 or more";
    if (options.seconds <= 0)
        return "--seconds: more than 0";
    // A run of the phase alone stays below the wakeup fill, so that it never
    // wakes the reader it does not have: 8 bytes of header and 64 of record each.
    const uint64_t max_batch = (loader::wakeup_fill_bytes(ring) - 1) / (8 + sizeof(custody_event));
    if (options.batch == 0 || options.batch > max_batch)
        return "--batch: 1 to " + std::to_string(max_batch) + " for this ring (an eighth of it)";
    return "";
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

Skeleton load(const Options& options) {
    Skeleton skel(ring_producer__open());
    if (!skel)
        return nullptr;
    skel->rodata->wakeup_fill_bytes = loader::wakeup_fill_bytes(options.ring_bytes);
    if (bpf_map__set_max_entries(skel->maps.records, options.ring_bytes) != 0 ||
        ring_producer__load(skel.get()) != 0)
        return nullptr;
    return skel;
}

struct Produced {
    uint64_t submitted = 0;
    uint64_t full = 0;
    double seconds = 0;
};

// Runs the producer program in batches on CPU 0 until options.seconds of
// producing have passed, calling between_runs() after each (untimed).
// Negative errno on a failed run.
template <class F>
int produce(const ring_producer& skel, const Options& options, Produced& out, F&& between_runs) {
    pin_to_cpu(0);
    const int prog_fd = bpf_program__fd(skel.progs.produce);
    while (out.seconds < options.seconds) {
        ProducerArgs args{options.batch, 0, 0};
        LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof args);
        const auto start = std::chrono::steady_clock::now();
        if (bpf_prog_test_run_opts(prog_fd, &run) != 0)
            return -errno;
        out.seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out.submitted += args.submitted;
        out.full += args.full;
        between_runs();
    }
    return 0;
}

// The phase "alone": the ring is drained between runs only.
int produce_alone(const ring_producer& skel, const Options& options, consumer::RingReader& reader,
                  Produced& out) {
    return produce(skel, options, out, [&reader] { reader.drain(); });
}

// The phase "with_reader": the reader polls on CPU 1 all along, with the live
// loop's timeout (live/live_audit.cpp).
int produce_with_reader(const ring_producer& skel, const Options& options,
                        consumer::RingReader& reader, Produced& out) {
    std::atomic<bool> producing{true};
    std::thread drain([&] {
        pin_to_cpu(1);
        while (producing.load(std::memory_order_relaxed))
            reader.poll(100);
    });
    const int error = produce(skel, options, out, [] {});
    producing = false;
    drain.join();
    reader.drain();
    return error;
}

void print_result(const Options& options, const Produced& alone, const Produced& with_reader,
                  uint64_t consumed) {
    std::printf("{\"records_per_second\": %.0f, \"with_reader_records_per_second\": %.0f, "
                "\"submitted\": %llu, \"ring_full\": %llu, \"consumed\": %llu, "
                "\"seconds\": %.4f, \"ring_bytes\": %u, \"batch\": %llu}\n",
                alone.submitted / alone.seconds, with_reader.submitted / with_reader.seconds,
                static_cast<unsigned long long>(alone.submitted + with_reader.submitted),
                static_cast<unsigned long long>(alone.full + with_reader.full),
                static_cast<unsigned long long>(consumed), alone.seconds + with_reader.seconds,
                options.ring_bytes, static_cast<unsigned long long>(options.batch));
}

int run(const Options& options) {
    if (std::thread::hardware_concurrency() < 2) {
        std::fputs("ring_ceiling: needs 2 CPUs (a producer and a reader)\n", stderr);
        return kCannotRunHere;
    }
    Skeleton skel = load(options);
    if (!skel) {
        std::fprintf(stderr,
                     "ring_ceiling: cannot load the producer program: %s (run as root "
                     "on a kernel with BPF ring buffers)\n",
                     std::strerror(errno));
        return kCannotRunHere;
    }
    uint64_t consumed = 0;
    auto reader =
        consumer::RingReader::open(bpf_map__fd(skel->maps.records), options.ring_bytes,
                                   [&consumed](std::span<const std::byte>) { ++consumed; });
    if (!reader) {
        std::fprintf(stderr, "ring_ceiling: %s\n", reader.error().message.c_str());
        return kCannotRunHere;
    }
    Produced alone;
    Produced with_reader;
    int error = produce_alone(*skel, options, *reader, alone);
    if (error == 0)
        error = produce_with_reader(*skel, options, *reader, with_reader);
    if (error != 0) {
        std::fprintf(stderr, "ring_ceiling: BPF_PROG_TEST_RUN failed: %s\n", std::strerror(-error));
        return kCannotRunHere;
    }
    print_result(options, alone, with_reader, consumed);
    if (consumed != alone.submitted + with_reader.submitted) {
        std::fputs("ring_ceiling: the reader did not receive every record submitted\n", stderr);
        return 1;
    }
    return 0;
}

} // namespace
} // namespace scx_custody::bench

int main(int argc, char** argv) {
    scx_custody::bench::Options options;
    if (const std::string error = scx_custody::bench::parse_options(argc, argv, options);
        !error.empty()) {
        std::fprintf(stderr, "ring_ceiling: %s\n%s", error.c_str(), scx_custody::bench::kUsage);
        return 2;
    }
    return scx_custody::bench::run(options);
}
