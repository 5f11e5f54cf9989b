#include "live/live_audit.h"

#include "audit/audit_session.h"
#include "consumer/event_decode.h"
#include "live/child_process.h"
#include "live/sched_watcher.h"
#include "loader/attach_plan.h"
#include "loader/kernel_btf.h"
#include "loader/sched_programs.h"
#include "loader/tracer.h"
#include "sched/ref_scheduler.h"
#include "util/kernel_env.h"
#include "util/signals.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

namespace scx_custody::live {
namespace {

using Clock = std::chrono::steady_clock;

// The clock bpf_ktime_get_ns() reads, so control records sort with events.
uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

record::ControlRecord attach_record(const std::string& name, bool implements_dequeue,
                                    bool before_audit) {
    record::ControlRecord c;
    c.ts_ns = monotonic_ns();
    c.action = record::ControlAction::Attach;
    c.name = name;
    c.implements_dequeue = implements_dequeue;
    c.attached_before_audit = before_audit;
    return c;
}

record::ControlRecord detach_record(const std::string& name) {
    record::ControlRecord c;
    c.ts_ns = monotonic_ns();
    c.action = record::ControlAction::Detach;
    c.name = name;
    return c;
}

// Turns growth of the tracer's per-CPU drop counters, and of the runs the
// kernel skipped (on no CPU in particular), into Lost records.
class LossTracker {
  public:
    void update(const std::vector<custody_cpu_counters>& now, uint64_t missed_runs,
                audit::AuditSession& session) {
        if (missed_runs > last_missed_) {
            record::LostRecord lost;
            lost.ts_ns = monotonic_ns();
            lost.cpu = pairing::kNoCpu;
            lost.count = missed_runs - last_missed_;
            session.on_lost(lost);
            last_missed_ = missed_runs;
        }
        last_.resize(now.size(), 0);
        for (size_t cpu = 0; cpu < now.size(); cpu++) {
            if (now[cpu].dropped > last_[cpu]) {
                record::LostRecord lost;
                lost.ts_ns = monotonic_ns();
                lost.cpu = static_cast<uint32_t>(cpu);
                lost.count = now[cpu].dropped - last_[cpu];
                session.on_lost(lost);
                last_[cpu] = now[cpu].dropped;
            }
        }
    }

  private:
    std::vector<uint64_t> last_;
    uint64_t last_missed_ = 0;
};

nlohmann::json tracer_summary(const std::vector<custody_cpu_counters>& counters,
                              double ringbuf_fill, uint64_t missed_runs) {
    nlohmann::json hooks = nlohmann::json::object();
    uint64_t events = 0, dropped = 0, in_custody = 0, overtaken = 0;
    nlohmann::json per_cpu_lost = nlohmann::json::array();
    for (int h = 0; h < CUSTODY_NR_HOOKS; h++) {
        uint64_t sum = 0;
        for (const auto& c : counters)
            sum += c.hook_hits[h];
        hooks[std::string(consumer::hook_name(static_cast<uint8_t>(h)))] = sum;
    }
    for (const auto& c : counters) {
        events += c.events;
        dropped += c.dropped;
        in_custody += c.kernel_dequeue_in_custody;
        overtaken += c.user_insert_overtaken;
        per_cpu_lost.push_back(c.dropped);
    }
    return {{"events", events},
            {"dropped", dropped},
            {"lost_per_cpu", per_cpu_lost},
            {"hook_hits", hooks},
            {"kernel_dequeue_in_custody", in_custody},
            {"user_insert_overtaken", overtaken},
            {"missed_runs", missed_runs},
            {"ringbuf_fill_at_end", ringbuf_fill}};
}

struct Scheduler {
    std::string name;
    bool traced = false;
};

} // namespace

Result<nlohmann::json> run_live_audit(const LiveAuditOptions& opts) {
    auto log = spdlog::default_logger();
    const bool reference = opts.sched == "reference";
    if (auto root = require_root("auditing"); !root)
        return root.error();
    auto status = sched_ext_status();
    if (!status)
        return status.error();
    if (reference && status->state != "disabled")
        return Error::cannot_run("--sched reference needs sched_ext idle, but \"" +
                                 status->scheduler + "\" is running: stop it first");
    if (!reference && opts.command.empty() && !opts.wait_for_scheduler &&
        status->state != "enabled")
        return Error::cannot_run("no sched_ext scheduler is running: start one, use --sched "
                                 "reference, or give -- COMMAND that loads one");

    auto btf = loader::KernelBtf::load();
    if (!btf)
        return btf.error();
    auto plan = loader::AttachPlan::for_kernel(*btf, loader::KernelSymbols::load(), opts.attach);

    // The caller's signalfd if it has one: a second one would race it for
    // the same SIGINT/SIGTERM.
    std::optional<StopSignals> own_signals;
    StopSignals* signals = opts.signals;
    if (!signals) {
        auto installed = StopSignals::install();
        if (!installed)
            return installed.error();
        own_signals.emplace(std::move(installed.value()));
        signals = &*own_signals;
    }

    std::optional<sched::RefScheduler> ref;
    if (reference) {
        auto loaded = sched::RefScheduler::load(opts.knobs);
        if (!loaded)
            return loaded.error();
        ref.emplace(std::move(loaded.value()));
    }

    // Records reach the session only while a scheduler is announced to it:
    // with no scheduler there is no custody, and the stragglers of an unload
    // that arrive after its section closed are counted, not audited.
    // Records older than the announcement are dropped too: they were emitted
    // before the scheduler's own programs were traced, so their dequeues
    // were not seen.
    audit::AuditSession* session_ptr = nullptr;
    bool accepting = false;
    uint64_t accept_from_ns = 0;
    uint64_t outside_scheduler = 0;
    loader::Tracer::Options tracer_opts;
    tracer_opts.ringbuf_bytes = opts.ringbuf_bytes;
    tracer_opts.test_insert_return_delay_ns = opts.test_insert_return_delay_us * 1000;
    auto tracer = loader::Tracer::start(plan, tracer_opts, [&](std::span<const std::byte> rec) {
        uint64_t ts = 0;
        if (rec.size() >= sizeof(ts))
            std::memcpy(&ts, rec.data(), sizeof(ts)); // custody_event.ts_ns comes first
        if (accepting && ts >= accept_from_ns)
            session_ptr->on_event_bytes(rec);
        else
            outside_scheduler++;
    });
    if (!tracer)
        return tracer.error();
    if (opts.strict && !tracer->plan().complete()) {
        std::string missing;
        for (const auto& h : tracer->plan().hooks())
            if (h.required && !h.attached)
                missing += (missing.empty() ? "" : ", ") + h.hook;
        return Error::cannot_run("--strict: required hooks not attached: " + missing +
                                 " (scx-custody probe shows why)");
    }

    // What was attached to each scheduler's own programs while it ran: the
    // final plan no longer shows it (untracing clears those rows).
    nlohmann::json scheduler_hooks = nlohmann::json::array();
    auto note_scheduler_hooks = [&](const std::string& name) {
        nlohmann::json hooks = nlohmann::json::array();
        for (const char* hook : {"sched_dequeue", "sched_enqueue"})
            if (const auto* h = tracer->plan().find(hook))
                hooks.push_back({{"hook", h->hook},
                                 {"target", h->target},
                                 {"attached", h->attached},
                                 {"note", h->note}});
        scheduler_hooks.push_back({{"scheduler", name}, {"hooks", hooks}});
    };
    // Our own scheduler is traced before the plan is recorded, so the report's
    // plan shows its hooks; schedulers found later are added as they come.
    std::optional<loader::SchedulerPrograms> ref_progs;
    if (reference) {
        auto progs = ref->programs();
        if (!progs)
            return progs.error();
        if (auto traced = tracer->trace_scheduler(*progs); !traced)
            return traced.error();
        note_scheduler_hooks(progs->name);
        ref_progs.emplace(std::move(progs.value()));
    }

    audit::StartMetadata start;
    start.producer = std::string("scx-custody ") + SCX_CUSTODY_VERSION;
    start.kernel = kernel_release();
    start.command_line = opts.argv;
    start.options = {{"sched", opts.sched},
                     {"duration_s", opts.duration_s},
                     {"command", opts.command},
                     {"strict", opts.strict}};
    start.strict = opts.strict;
    start.attach_plan = tracer->plan().to_json();
    start.coverage_complete = tracer->plan().complete();
    for (const auto& h : tracer->plan().hooks())
        if (h.required && !h.attached)
            start.coverage_notes.push_back(h.hook + " not attached: " + h.note);
    start.engine.kernel_has_core_sched = btf->has_func("sched_core_get");
    start.start_ts_ns = monotonic_ns();

    std::unique_ptr<record::RecordingWriter> writer;
    if (!opts.record_path.empty()) {
        auto w = record::RecordingWriter::create(opts.record_path);
        if (!w)
            return w.error();
        writer = std::make_unique<record::RecordingWriter>(std::move(w.value()));
    }
    auto session = audit::AuditSession::create(start, std::move(writer), opts.observer);
    if (!session)
        return session.error();
    session_ptr = &session.value();

    LossTracker losses;
    SchedWatcher watcher;
    Scheduler current;
    auto announce = [&](const loader::SchedulerPrograms& progs, bool before_audit) {
        auto control = attach_record(progs.name, progs.implements_dequeue(), before_audit);
        session->on_control(control);
        accepting = true;
        accept_from_ns = control.ts_ns;
        current = {progs.name, true};
        log->info(
            "auditing scheduler {}{}", progs.name,
            progs.implements_dequeue() ? "" : " (no ops.dequeue: custody auditing does not apply)");
    };
    auto trace = [&](const loader::SchedulerPrograms& progs, bool before_audit) {
        if (auto traced = tracer->trace_scheduler(progs); !traced)
            log->warn("cannot trace {}'s programs: {}", progs.name, traced.error().message);
        note_scheduler_hooks(progs.name);
        announce(progs, before_audit);
        if (opts.hooks.on_plan)
            opts.hooks.on_plan(tracer->plan());
    };
    auto untrace = [&] {
        if (!current.traced)
            return;
        tracer->drain();
        session->on_control(detach_record(current.name));
        accepting = false;
        tracer->untrace_scheduler();
        if (opts.hooks.on_plan)
            opts.hooks.on_plan(tracer->plan());
        log->info("scheduler {} stopped", current.name);
        current = {};
    };

    if (opts.hooks.on_plan)
        opts.hooks.on_plan(tracer->plan());
    if (reference) {
        announce(*ref_progs, false);
        if (auto attached = ref->attach(); !attached)
            return attached.error();
    }

    // A scheduler already running is announced before the first poll, so
    // the records already waiting belong to its section.
    auto follow_schedulers = [&] {
        while (auto change = watcher.poll()) {
            if (change->kind == SchedChange::Kind::Stopped) {
                untrace();
                continue;
            }
            auto progs = loader::find_scheduler_programs(*btf, change->name);
            if (!progs) {
                log->warn("{}", progs.error().message);
                continue;
            }
            // Seen after it started: its first custodies may predate us.
            trace(*progs, true);
        }
    };
    if (!reference)
        follow_schedulers();

    std::optional<ChildProcess> child;
    if (!opts.command.empty()) {
        auto spawned = ChildProcess::spawn(opts.command);
        if (!spawned)
            return spawned.error();
        child.emplace(std::move(spawned.value()));
        log->info("running {} (pid {})", opts.command.front(), child->pid());
    }

    const auto started = Clock::now();
    const auto deadline = started + std::chrono::duration<double>(opts.duration_s);
    std::optional<int> child_status;
    bool ejected = false;
    for (;;) {
        int n = tracer->poll(100);
        if (n < 0 && n != -EINTR)
            log->warn("ring buffer poll: {}", strerror(-n));
        if (auto counters = tracer->read_counters()) {
            losses.update(*counters, tracer->missed_runs(), *session);
            if (opts.hooks.on_tick)
                opts.hooks.on_tick(*counters, tracer->ringbuf_fill(), session->engine());
        }
        if (auto sig = signals->wait(std::chrono::milliseconds(0))) {
            log->info("signal {}: stopping", *sig);
            break;
        }
        if (opts.duration_s > 0 && Clock::now() >= deadline)
            break;
        if (child && (child_status = child->poll())) {
            log->info("{} exited with {}", opts.command.front(), *child_status);
            break;
        }
        if (reference) {
            if (auto exit = ref->exit_info()) {
                ejected = true;
                log->error("the kernel ejected custody_ref: {} {}", exit->reason, exit->msg);
                break;
            }
            continue;
        }
        follow_schedulers();
    }

    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    audit::EndMetadata end;
    end.duration_s = elapsed;
    if (reference) {
        ref->detach();
        tracer->drain();
        untrace();
        auto stats = ref->read_stats();
        if (stats) {
            auto caps = ref->caps();
            end.reference = stats->to_json();
            end.reference["caps"] = {{"dsq_iterator", caps.dsq_iterator},
                                     {"dsq_reenq", caps.dsq_reenq}};
            if (auto exit = ref->exit_info())
                end.reference["exit"] = {
                    {"kind", exit->kind}, {"reason", exit->reason}, {"msg", exit->msg}};
        }
    } else {
        untrace();
    }
    if (child && !child_status)
        child_status = child->terminate(std::chrono::milliseconds(3000));
    tracer->drain();
    auto counters = tracer->read_counters();
    if (counters) {
        const uint64_t missed_runs = tracer->missed_runs();
        losses.update(*counters, missed_runs, *session);
        end.tracer = tracer_summary(*counters, tracer->ringbuf_fill(), missed_runs);
    }
    end.tracer["attach_plan_final"] = tracer->plan().to_json();
    end.tracer["scheduler_hooks"] = scheduler_hooks;
    end.tracer["events_outside_scheduler"] = outside_scheduler;
    if (child_status)
        end.tracer["command_exit_status"] = *child_status;
    if (ejected)
        end.tracer["reference_ejected"] = true;
    end.finish_ts_ns = monotonic_ns();
    nlohmann::json report = session->finish(end);
    if (auto rec = session->recording_status(); !rec)
        log->error("recording incomplete: {}", rec.error().message);
    return report;
}

} // namespace scx_custody::live
