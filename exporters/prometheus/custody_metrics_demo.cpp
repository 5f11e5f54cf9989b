// scx-custody-metrics-feed: the Prometheus exporter fed by a synthetic event stream.
//
// A test tool, not installed. It runs the real pairing engine, CustodyCollector,
// SelfMetrics and MetricsServer, and feeds the engine what the tracer would on a
// busy machine: custody cycles on several CPUs (dispatch, property change,
// core-sched pick, select_cpu inserts, long holds, direct local dispatches), every
// violation kind at a steady trickle, periodic lost events and scheduler restarts.
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
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/registry.h>

#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/health.h"
#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/metrics_server.h"
#include "exporters/prometheus/self_metrics.h"
#include "pairing/event.h"
#include "pairing/kinds.h"
#include "pairing/pairing_engine.h"
#include "pairing/scx_constants.h"
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

// What the attach plan would publish on a 7.3 kernel.
const std::vector<ProgramState> kPrograms = {
    {"custody_on_dispatch_enqueue", true},
    {"custody_on_ops_dequeue", true},
    {"custody_on_move_local_task_to_local_dsq", true},
    {"custody_on_sched_switch", true},
    {"custody_on_task_exit", true},
    {"custody_on_scheduler_enable", true},
    {"custody_on_scheduler_disable", true},
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

// The synthetic machine: a pool of tasks, scenarios that script their custody
// cycles, and a queue of events due in timestamp order.
class SyntheticStream {
  public:
    SyntheticStream(PairingEngine& engine, SelfMetrics& self, uint32_t cpus,
                    unsigned violation_every, uint64_t seed)
        : engine_(engine), self_(self), cpus_(cpus), violation_every_(violation_every),
          random_(seed), pool_(std::max<std::size_t>(64, 32 * std::size_t{cpus})) {
        for (PoolTask& task : pool_)
            task.key = fresh_key(0);
    }

    void attach(uint64_t ts_ns) {
        Event event = base(EventKind::SchedulerAttach, ts_ns, 0);
        event.sched_name = "custody_ref";
        event.implements_dequeue = true;
        process(event);
    }

    // A scheduler unload: the kernel drops what was queued, so pending scripts end.
    void detach(uint64_t ts_ns) {
        drain(ts_ns);
        Event event = base(EventKind::SchedulerDetach, ts_ns, 0);
        event.sched_name = "custody_ref";
        process(event);
        pending_ = {};
        for (PoolTask& task : pool_)
            task.busy = false;
    }

    void lose(uint64_t ts_ns, uint32_t cpu, uint64_t count) {
        drain(ts_ns);
        Event event = base(EventKind::Lost, ts_ns, cpu % cpus_);
        event.count = count;
        process(event);
    }

    // Starts `scenarios` scripts in [start, start + length) and processes every event
    // due before the window's end.
    void tick(uint64_t start_ns, uint64_t length_ns, unsigned scenarios) {
        std::uniform_int_distribution<uint64_t> when(start_ns, start_ns + length_ns - 1);
        std::vector<uint64_t> starts(scenarios);
        for (uint64_t& ts : starts)
            ts = when(random_);
        std::sort(starts.begin(), starts.end());
        for (uint64_t ts : starts)
            start_scenario(ts);
        drain(start_ns + length_ns);
    }

    void drain(uint64_t until_ns) {
        while (!pending_.empty() && pending_.top().event.ts_ns < until_ns) {
            Pending next = pending_.top();
            pending_.pop();
            process(next.event);
            if (next.release)
                pool_[next.slot].busy = false;
        }
    }

    std::size_t pending() const { return pending_.size(); }

  private:
    struct PoolTask {
        TaskKey key;
        bool busy = false;
    };
    struct Pending {
        Event event;
        uint64_t seq = 0;
        std::size_t slot = 0;
        bool release = false;
        bool operator>(const Pending& other) const {
            return event.ts_ns != other.event.ts_ns ? event.ts_ns > other.event.ts_ns
                                                    : seq > other.seq;
        }
    };

    // One scenario being written: its task, CPU, a cursor in time and its events.
    struct Script {
        std::size_t slot;
        uint32_t cpu;
        uint64_t ts_ns;
        std::vector<Pending> events;
    };

    void process(const Event& event) {
        engine_.process(event);
        self_.add_events(event.cpu);
    }

    Event base(EventKind kind, uint64_t ts_ns, uint32_t cpu) const {
        Event event;
        event.kind = kind;
        event.ts_ns = ts_ns;
        event.cpu = cpu;
        return event;
    }

    TaskKey fresh_key(uint64_t ts_ns) { return TaskKey{next_pid_++, ts_ns + next_pid_}; }

    uint64_t user_dsq(uint32_t cpu) const { return 0x100 + cpu % 4; }

    // Custody durations: mostly microseconds to milliseconds, a tail to seconds.
    uint64_t custody_ns() {
        std::uniform_real_distribution<double> exponent(std::log(2e3), std::log(2e7));
        return static_cast<uint64_t>(std::exp(exponent(random_)));
    }
    uint64_t long_hold_ns() {
        std::uniform_real_distribution<double> seconds(0.2, 3.0);
        return static_cast<uint64_t>(seconds(random_) * 1e9);
    }
    uint64_t gap_ns() { return std::uniform_int_distribution<uint64_t>(500, 20'000)(random_); }

    void add(Script& script, EventKind kind, uint64_t after_ns, uint64_t dsq_id = kNoDsq,
             uint64_t flags = 0, KernelCustodyFlag kernel_flag = KernelCustodyFlag::Unknown,
             std::optional<uint32_t> cpu = std::nullopt) {
        script.ts_ns += after_ns;
        Event event = base(kind, script.ts_ns, cpu.value_or(script.cpu));
        event.task = pool_[script.slot].key;
        event.comm = make_comm("feed-" + std::to_string(event.task.pid % 1000));
        event.dsq_id = dsq_id;
        event.flags = flags;
        event.kernel_flag = kernel_flag;
        script.events.push_back(Pending{std::move(event), next_seq_++, script.slot, false});
    }

    // Queues the script's events; the last one frees its task.
    void commit(Script& script) {
        if (script.events.empty()) {
            pool_[script.slot].busy = false;
            return;
        }
        script.events.back().release = true;
        for (Pending& pending : script.events)
            pending_.push(std::move(pending));
    }

    std::optional<std::size_t> take_task() {
        std::uniform_int_distribution<std::size_t> pick(0, pool_.size() - 1);
        for (int attempt = 0; attempt < 8; ++attempt) {
            const std::size_t slot = pick(random_);
            if (!pool_[slot].busy) {
                pool_[slot].busy = true;
                return slot;
            }
        }
        return std::nullopt;
    }

    void start_scenario(uint64_t ts_ns) {
        const std::optional<std::size_t> slot = take_task();
        if (!slot)
            return;
        const uint32_t cpu = std::uniform_int_distribution<uint32_t>(0, cpus_ - 1)(random_);
        Script script{*slot, cpu, ts_ns, {}};
        if (++scenarios_ % violation_every_ == 0) {
            const ViolationKind kind = kAllViolationKinds[next_violation_++ % kViolationKindCount];
            violation(script, kind);
        } else {
            clean(script);
        }
        commit(script);
    }

    void clean(Script& s) {
        const uint32_t other_cpu = (s.cpu + 1) % cpus_;
        const unsigned roll = std::uniform_int_distribution<unsigned>(0, 99)(random_);
        if (roll < 55) { // ops.enqueue() keeps the task or queues it; dispatched later
            const bool held = roll < 25;
            add(s, EventKind::Enqueue, 0, held ? kNoDsq : user_dsq(s.cpu), kEnqWakeup);
            if (roll % 10 == 0)
                add(s, EventKind::Enqueue, custody_ns() / 2, kNoDsq, kEnqReenq);
            add(s, EventKind::Dequeue, custody_ns());
            const uint64_t target = roll % 7 == 0 ? dsq_local_on(other_cpu) : kDsqLocal;
            add(s, EventKind::DsqInsert, gap_ns(), target);
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown,
                target == kDsqLocal ? s.cpu : other_cpu);
        } else if (roll < 67) { // a property change while queued, then dispatched
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq,
                kDeqSchedChange | kCoreDequeueSave | kCoreDequeueMove | kCoreDequeueNoclock);
            add(s, EventKind::Enqueue, gap_ns(), user_dsq(s.cpu));
            add(s, EventKind::Dequeue, custody_ns());
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
        } else if (roll < 72) { // core-sched pick
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, kDeqCoreSchedExec);
            add(s, EventKind::Running, gap_ns());
        } else if (roll < 86) { // select_cpu() inserts into a user DSQ
            add(s, EventKind::DsqInsert, 0, user_dsq(s.cpu), 0, KernelCustodyFlag::Set);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, 0, KernelCustodyFlag::Clear);
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
        } else if (roll < 97) { // direct dispatch to the local DSQ: no custody
            add(s, EventKind::Enqueue, 0, kDsqLocal, kEnqWakeup);
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
        } else { // held for a long time
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            add(s, EventKind::Dequeue, long_hold_ns());
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
        }
    }

    void violation(Script& s, ViolationKind kind) {
        switch (kind) {
        case ViolationKind::MissedDequeue: // ran and came back with no ops.dequeue()
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::DsqInsert, custody_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
            add(s, EventKind::Enqueue, custody_ns(), kNoDsq, kEnqWakeup);
            add(s, EventKind::Dequeue, custody_ns());
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
            break;
        case ViolationKind::DuplicateDequeue:
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::Dequeue, custody_ns());
            add(s, EventKind::Dequeue, gap_ns());
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
            break;
        case ViolationKind::DequeueOutsideCustody: // a task never seen in custody
            add(s, EventKind::TaskExit, 0);
            pool_[s.slot].key = fresh_key(s.ts_ns);
            add(s, EventKind::Dequeue, gap_ns());
            add(s, EventKind::Running, gap_ns());
            break;
        case ViolationKind::LateDequeue: // remote local-DSQ arrival, dequeue at pick
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::DsqInsert, custody_ns(), dsq_local_on((s.cpu + 1) % cpus_));
            add(s, EventKind::Dequeue, gap_ns());
            add(s, EventKind::Running, gap_ns(), kNoDsq, 0, KernelCustodyFlag::Unknown,
                (s.cpu + 1) % cpus_);
            break;
        case ViolationKind::WrongDequeueFlags: // SCHED_CHANGE on a sleep
            add(s, EventKind::Enqueue, 0, user_dsq(s.cpu), kEnqWakeup);
            add(s, EventKind::Dequeue, custody_ns(), kNoDsq, kDeqSchedChange | kDeqSleep);
            break;
        case ViolationKind::CustodyFlagMismatch: // the kernel's bit is clear in custody
            add(s, EventKind::Enqueue, 0, kNoDsq, kEnqWakeup);
            add(s, EventKind::DsqInsert, custody_ns(), user_dsq(s.cpu), 0,
                KernelCustodyFlag::Clear);
            add(s, EventKind::Dequeue, custody_ns());
            add(s, EventKind::DsqInsert, gap_ns(), kDsqLocal);
            add(s, EventKind::Running, gap_ns());
            break;
        }
    }

    PairingEngine& engine_;
    SelfMetrics& self_;
    uint32_t cpus_;
    unsigned violation_every_;
    std::mt19937_64 random_;
    std::vector<PoolTask> pool_;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
    uint64_t next_seq_ = 0;
    uint32_t next_pid_ = 1000;
    uint64_t scenarios_ = 0;
    std::size_t next_violation_ = 0;
};

int fail(const Error& error) {
    std::cerr << kTool << ": " << error.message << '\n';
    return static_cast<int>(error.exit_code);
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

    auto registry = std::make_shared<prometheus::Registry>();
    CustodyCollector collector(registry, options.cpus);
    SelfMetrics self(registry, options.cpus, SCX_CUSTODY_VERSION);
    HealthState health;

    EngineConfig config;
    config.kernel_has_core_sched = true;
    PairingEngine engine(config, &collector);
    SyntheticStream stream(engine, self, options.cpus, options.violation_every, options.seed);

    Result<MetricsServer> server =
        MetricsServer::start(options.listen, registry, health.as_check());
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
        self.set_pairing_backlog(stream.pending());
        self.set_ringbuf_fill_ratio(std::min(1.0, static_cast<double>(stream.pending()) / 4096));
        self.sync_malformed_events(engine.malformed_events());
        collector.publish_oldest_custody(engine.oldest_custody(), tick_start + kTickNs);
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
