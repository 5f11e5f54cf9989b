// scx-custody-metrics-feed: the Prometheus exporter fed by a synthetic event stream.
//
// A test tool, not installed. It runs the real pairing engine, CustodyCollector,
// SelfMetrics and MetricsServer, and feeds the engine what the tracer would on a
// busy machine: custody cycles on several CPUs (dispatch, property change,
// core-sched pick, select_cpu inserts, long holds, direct local dispatches), every
// violation kind at a steady trickle (test_support::ScenarioStream, shared with the
// pairing engine's generated-stream tests), periodic lost events and scheduler
// restarts.
// Host-side tests scrape it with promtool and a real Prometheus server; the real
// daemon (`scx-custody run`) wires the same classes to the BPF tracer.
//
// Events are scheduled on a virtual clock that follows the wall clock: each 100 ms
// tick starts new scenarios at random times within the tick and processes, in
// timestamp order, every pending event due by the tick's end, so custody periods of
// different tasks overlap as they do on a real machine.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/counter_growth.h"
#include "exporters/prometheus/bpf_program_metrics.h"
#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/health.h"
#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/metrics_server.h"
#include "exporters/prometheus/self_metrics.h"
#include "pairing/event.h"
#include "pairing/kinds.h"
#include "pairing/pairing_engine.h"
#include "pairing/scx_constants.h"
#include "scenario_stream.h"
#include "util/result.h"

#ifndef SCX_CUSTODY_VERSION
#define SCX_CUSTODY_VERSION "unknown"
#endif

namespace scx_custody::prom {
namespace {

using namespace pairing;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kTool = "scx-custody-metrics-feed";
constexpr uint64_t kTickNs = 100'000'000;
constexpr std::string_view kUsage =
    "usage: scx-custody-metrics-feed [options]\n"
    "  --listen ADDR:PORT     serve /metrics and /healthz here (default 127.0.0.1:9476;\n"
    "                         port 0 picks a free port, printed on stdout)\n"
    "  --duration SECONDS     exit after this long (default 0: until SIGINT/SIGTERM)\n"
    "  --feed-for SECONDS     stop feeding events after this long, keep serving\n"
    "                         (default: the whole run)\n"
    "  --rate N               custody scenarios started per second (default 400)\n"
    "  --cpus N               CPUs of the synthetic machine (default 4)\n"
    "  --violation-every N    one injected violation per N scenarios (default 100)\n"
    "  --lost-every SECONDS   lost events, then a scheduler restart a second later\n"
    "                         (default 60; the first comes 2 s after start)\n"
    "  --seed N               random seed (default 1)\n"
    "  --list-metrics         print the metric catalog as TSV and exit\n"
    "  --help-stats           describe every metric and exit\n";

// What the attach plan would publish on a 7.3 kernel: one row per hook,
// named as `run` names them.
const std::vector<ProgramState> kPrograms = {
    {"dsq_insert", true},    {"local_move", true},    {"ops_dequeue", true},  {"remote_move", true},
    {"sched_dequeue", true}, {"sched_enqueue", true}, {"sched_switch", true}, {"task_exit", true},
    {"sched_reg", true},     {"sched_disable", true},
};

struct Options {
    std::string listen{kDefaultListen};
    double duration_s = 0;
    std::optional<double> feed_for_s;
    unsigned rate = 400;
    uint32_t cpus = 4;
    unsigned violation_every = 100;
    double lost_every_s = 60;
    uint64_t seed = 1;
    bool list_metrics = false;
    bool help_stats = false;
    bool help = false;
};

template <class T> std::optional<T> parse_number(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

Result<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--list-metrics") {
            options.list_metrics = true;
            continue;
        }
        if (arg == "--help-stats") {
            options.help_stats = true;
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            continue;
        }
        std::string_view name = arg;
        std::optional<std::string_view> value;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        }
        auto take = [&]() -> Result<std::string_view> {
            if (value)
                return *value;
            if (i + 1 >= argc)
                return Error::usage(std::string(name) + " needs a value");
            return std::string_view(argv[++i]);
        };
        auto number = [&]<class T>(T& out) -> Status {
            Result<std::string_view> text = take();
            if (!text)
                return text.error();
            const std::optional<T> parsed = parse_number<T>(text.value());
            if (!parsed || *parsed < T{0})
                return Error::usage(std::string(name) +
                                    ": not a valid number: " + std::string(text.value()));
            out = *parsed;
            return ok_status();
        };

        Status status = ok_status();
        if (name == "--listen") {
            Result<std::string_view> text = take();
            if (!text)
                return text.error();
            options.listen = std::string(text.value());
        } else if (name == "--duration") {
            status = number(options.duration_s);
        } else if (name == "--feed-for") {
            double seconds = 0;
            status = number(seconds);
            options.feed_for_s = seconds;
        } else if (name == "--rate") {
            status = number(options.rate);
        } else if (name == "--cpus") {
            status = number(options.cpus);
        } else if (name == "--violation-every") {
            status = number(options.violation_every);
        } else if (name == "--lost-every") {
            status = number(options.lost_every_s);
        } else if (name == "--seed") {
            status = number(options.seed);
        } else {
            return Error::usage("unknown option " + std::string(arg) + " (see --help)");
        }
        if (!status)
            return status.error();
    }
    if (options.cpus == 0 || options.cpus > 4096)
        return Error::usage("--cpus must be from 1 to 4096");
    if (options.violation_every == 0)
        return Error::usage("--violation-every must be at least 1");
    if (options.lost_every_s <= 0)
        return Error::usage("--lost-every must be positive");
    return options;
}

int fail(const Error& error) {
    std::cerr << kTool << ": " << error.message << '\n';
    return static_cast<int>(error.exit_code);
}

// What `run --bpf-stats` would read from the kernel: two tracer programs and
// two of the scheduler's, each run per custody at a plausible cost.
void feed_program_stats(BpfProgramMetrics& bpf, uint64_t custodies) {
    const std::vector<BpfProgramSample> programs = {
        {1, "custody_on_sched_enqueue", ProgramOwner::Tracer, custodies, custodies * 900},
        {2, "custody_on_sched_dequeue", ProgramOwner::Tracer, custodies, custodies * 800},
        {3, "feed_enqueue", ProgramOwner::Scheduler, custodies, custodies * 4'000},
        {4, "feed_dequeue", ProgramOwner::Scheduler, custodies, custodies * 2'500},
    };
    bpf.update(programs);
}

int run(const Options& options) {
    // SIGINT and SIGTERM are blocked before any thread starts (the HTTP threads
    // inherit the mask) and read synchronously by the tick loop.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0)
        return fail(Error::cannot_run("cannot block SIGINT/SIGTERM"));

    auto metrics = std::make_shared<MetricSet>();
    CustodyCollector collector(*metrics, options.cpus);
    SelfMetrics self(*metrics, options.cpus, SCX_CUSTODY_VERSION);
    BpfProgramMetrics bpf(metrics->shared_registry());
    ProcessCpuMetric process_cpu(metrics->shared_registry());
    HealthState health;

    EngineConfig config;
    config.kernel_has_core_sched = true;
    PairingEngine engine(config, &collector);
    test_support::ScenarioStream stream(
        [&](const Event& event) {
            engine.process(event);
            self.add_events(event.cpu);
        },
        test_support::ScenarioOptions{options.cpus, options.violation_every, options.seed});

    Result<MetricsServer> server = MetricsServer::start(options.listen, metrics, health.as_check());
    if (!server)
        return fail(server.error());
    std::cout << kTool << ": serving " << server->url() << std::endl;

    self.set_programs(kPrograms);
    health.set_attached(true);

    const auto started = Clock::now();
    const uint64_t origin_ns = 1'000'000'000;
    auto elapsed_s = [&](Clock::time_point now) {
        return std::chrono::duration<double>(now - started).count();
    };
    const double feed_for_s = options.feed_for_s.value_or(options.duration_s);
    const bool feed_forever = !options.feed_for_s && options.duration_s == 0;
    const unsigned per_tick = std::max(1u, options.rate / 10);
    double next_lost_s = 2.0;
    std::optional<double> restart_at_s;

    stream.attach(origin_ns);
    consumer::CounterGrowth malformed;
    for (uint64_t tick = 0;; ++tick) {
        const auto deadline = started + std::chrono::nanoseconds(kTickNs * (tick + 1));
        const auto now = Clock::now();
        if (deadline > now) {
            const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
            timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                             static_cast<long>(wait.count() % 1'000'000'000)};
            if (sigtimedwait(&stop_signals, nullptr, &timeout) > 0)
                break;
        }
        const double t = elapsed_s(Clock::now());
        if (options.duration_s > 0 && t >= options.duration_s)
            break;

        health.heartbeat();
        const uint64_t tick_start = origin_ns + tick * kTickNs;
        if (feed_forever || t < feed_for_s) {
            if (t >= next_lost_s) {
                stream.lose(tick_start, 1, 3);
                self.add_ringbuf_full(3);
                self.add_decode_errors(1);
                restart_at_s = t + 1.0;
                next_lost_s += options.lost_every_s;
            }
            if (restart_at_s && t >= *restart_at_s) {
                stream.detach(tick_start);
                stream.attach(tick_start + 1);
                restart_at_s.reset();
            }
            stream.tick(tick_start + 2, kTickNs - 2, per_tick);
        }
        collector.publish_oldest_custody(engine.oldest_custody(), tick_start + kTickNs);
        collector.publish_sections(engine.sections());
        self.set_ringbuf_fill_ratio(std::min(1.0, static_cast<double>(stream.pending()) / 4096));
        self.add_malformed_events(malformed.take(engine.malformed_events()));
        feed_program_stats(bpf, (tick + 1) * per_tick);
        timespec cpu{};
        if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
            process_cpu.set_total(static_cast<double>(cpu.tv_sec) + cpu.tv_nsec / 1e9);
    }
    server->stop();
    return 0;
}

} // namespace
} // namespace scx_custody::prom

int main(int argc, char** argv) {
    using namespace scx_custody::prom;
    scx_custody::Result<Options> options = parse_options(argc, argv);
    if (!options)
        return fail(options.error());
    if (options->help) {
        std::cout << kUsage;
        return 0;
    }
    if (options->list_metrics) {
        write_metric_table(std::cout);
        return 0;
    }
    if (options->help_stats) {
        write_metric_help(std::cout);
        return 0;
    }
    return run(options.value());
}
