#include "live/live_audit.h"

#include "audit/audit_session.h"
#include "audit/kernel_events_report.h"
#include "audit/kernel_events_watch.h"
#include "consumer/event_decode.h"
#include "consumer/loss_gate.h"
#include "consumer/record_batch.h"
#include "consumer/ring_reader.h"
#include "live/child_process.h"
#include "live/monotonic.h"
#include "live/scheduler_follower.h"
#include "loader/attach_plan.h"
#include "loader/kernel_btf.h"
#include "loader/ref_scheduler.h"
#include "loader/sched_programs.h"
#include "loader/tracer.h"
#include "util/kernel_env.h"
#include "util/signals.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

namespace scx_custody::live {
namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json tracer_summary(const std::vector<custody_cpu_counters>& counters,
                              double ringbuf_fill, uint64_t missed_runs) {
    nlohmann::json hooks = nlohmann::json::object();
    uint64_t events = 0, ringbuf_full = 0, overwritten = 0, lifecycle_dropped = 0, in_custody = 0,
             overtaken = 0;
    nlohmann::json per_cpu_lost = nlohmann::json::array();
    for (int h = 0; h < CUSTODY_NR_HOOKS; h++) {
        uint64_t sum = 0;
        for (const auto& c : counters)
            sum += c.hook_hits[h];
        hooks[std::string(consumer::hook_name(static_cast<uint8_t>(h)))] = sum;
    }
    for (const auto& c : counters) {
        events += c.events;
        ringbuf_full += c.ringbuf_full;
        overwritten += c.pending_overwritten;
        lifecycle_dropped += c.lifecycle_dropped;
        in_custody += c.kernel_dequeue_in_custody;
        overtaken += c.user_insert_overtaken;
        per_cpu_lost.push_back(CUSTODY_RECORDS_LOST(c));
    }
    // dropped: every record lost, whatever the cause (the sum of the two after it).
    return {{"events", events},
            {"dropped", ringbuf_full + overwritten},
            {"ringbuf_full", ringbuf_full},
            {"pending_overwritten", overwritten},
            {"lifecycle_dropped", lifecycle_dropped},
            {"lost_per_cpu", per_cpu_lost},
            {"hook_hits", hooks},
            {"kernel_dequeue_in_custody", in_custody},
            {"user_insert_overtaken", overtaken},
            {"missed_runs", missed_runs},
            {"ringbuf_fill_at_end", ringbuf_fill}};
}

// One audit on this machine, phase by phase: preflight, tracer, session,
// following the schedulers, the loop, the end.
class LiveAudit {
  public:
    explicit LiveAudit(const LiveAuditOptions& opts)
        : opts_(opts), reference_(opts.sched == "reference") {}

    Result<nlohmann::json> run() {
        for (Status (LiveAudit::*phase)() :
             {&LiveAudit::preflight, &LiveAudit::install_signals, &LiveAudit::load_reference,
              &LiveAudit::start_tracer, &LiveAudit::open_session, &LiveAudit::start_following,
              &LiveAudit::start_command}) {
            if (Status done = (this->*phase)(); !done)
                return done.error();
        }
        loop();
        return finish();
    }

  private:
    Status preflight();
    Status install_signals();
    Status load_reference();
    Status start_tracer();
    Status open_session();
    Status start_following();
    Status start_command();
    void loop();
    bool should_stop();
    // The records of one poll: losses first, then the records in ring order.
    void process_delivered();
    nlohmann::json finish();
    audit::StartMetadata start_metadata() const;

    const LiveAuditOptions& opts_;
    const bool reference_;
    std::optional<SchedExtStatus> status_;
    std::optional<loader::KernelBtf> btf_;
    std::optional<StopSignals> own_signals_;
    StopSignals* signals_ = nullptr;
    std::optional<loader::RefScheduler> ref_;
    std::optional<loader::Tracer> tracer_;
    std::optional<consumer::RingReader> reader_; // after tracer_: closed before it
    std::optional<SchedulerFollower> follower_;
    std::optional<audit::AuditSession> session_;
    consumer::RecordBatch batch_;
    // The kernel's event counters of each section's instance (live only).
    audit::KernelEventsWatch kernel_events_;
    consumer::LossGate losses_;
    std::optional<ChildProcess> child_;
    std::optional<int> child_status_;
    bool ejected_ = false;
    Clock::time_point started_;
};

Status LiveAudit::preflight() {
    if (auto root = require_root("auditing"); !root)
        return root.error();
    auto status = sched_ext_status();
    if (!status)
        return status.error();
    status_ = *status;
    if (reference_ && status->state != "disabled")
        return Error::cannot_run("--sched reference needs sched_ext idle, but \"" +
                                 status->scheduler + "\" is running: stop it first");
    if (!reference_ && opts_.command.empty() && !opts_.wait_for_scheduler &&
        status->state != "enabled")
        return Error::cannot_run("no sched_ext scheduler is running: start one, use --sched "
                                 "reference, or give -- COMMAND that loads one");
    auto btf = loader::KernelBtf::load();
    if (!btf)
        return btf.error();
    btf_.emplace(std::move(btf.value()));
    return ok_status();
}

// The caller's signalfd if it has one: a second one would race it for the
// same SIGINT/SIGTERM.
Status LiveAudit::install_signals() {
    signals_ = opts_.signals;
    if (signals_)
        return ok_status();
    auto installed = StopSignals::install();
    if (!installed)
        return installed.error();
    own_signals_.emplace(std::move(installed.value()));
    signals_ = &*own_signals_;
    return ok_status();
}

Status LiveAudit::load_reference() {
    if (!reference_)
        return ok_status();
    auto loaded = loader::RefScheduler::load(opts_.knobs);
    if (!loaded)
        return loaded.error();
    ref_.emplace(std::move(loaded.value()));
    return ok_status();
}

Status LiveAudit::start_tracer() {
    auto plan = loader::AttachPlan::for_kernel(*btf_, loader::KernelSymbols::load(), opts_.attach);
    loader::Tracer::Options tracer_opts;
    tracer_opts.ringbuf_bytes = opts_.ringbuf_bytes;
    tracer_opts.test_insert_return_delay_ns = opts_.test_insert_return_delay_us * 1000;
    tracer_opts.sched_ext_value_type_ids = loader::sched_ext_value_type_ids(*btf_);
    tracer_opts.hold_registrations = opts_.hold_registrations;
    auto tracer = loader::Tracer::start(plan, tracer_opts);
    if (!tracer)
        return tracer.error();
    tracer_.emplace(std::move(tracer.value()));
    // Delivered records are held back until the poll's losses are known; a
    // scheduler's registration is acted upon at once (see SchedulerFollower).
    auto reader = consumer::RingReader::open(tracer_->ringbuf_fd(), tracer_->ringbuf_bytes(),
                                             [this](std::span<const std::byte> rec) {
                                                 batch_.add(rec);
                                                 follower_->on_delivered(rec);
                                             });
    if (!reader)
        return reader.error();
    reader_.emplace(std::move(reader.value()));
    if (opts_.strict && !tracer_->plan().complete()) {
        std::string missing;
        for (const auto& h : tracer_->plan().hooks())
            if (h.required && !h.attached)
                missing += (missing.empty() ? "" : ", ") + h.hook;
        return Error::cannot_run("--strict: required hooks not attached: " + missing +
                                 " (scx-custody probe shows why)");
    }
    follower_.emplace(*tracer_, *btf_, opts_.hold_registrations);
    follower_->on_plan = opts_.hooks.on_plan;
    follower_->on_section_open = [this](uint32_t instance_id, uint64_t ts_ns) {
        kernel_events_.open(instance_id, ts_ns, monotonic_ns());
    };
    follower_->on_section_close = [this](uint64_t ts_ns) { kernel_events_.close(ts_ns); };
    follower_->on_sub_section_open = [this](uint32_t instance_id, const std::string& tree_path,
                                            uint64_t ts_ns) {
        kernel_events_.open_sub(instance_id, tree_path, ts_ns, monotonic_ns());
    };
    follower_->on_sub_section_close = [this](uint32_t instance_id, uint64_t ts_ns) {
        kernel_events_.close_sub(instance_id, ts_ns);
    };
    // Our own scheduler is traced before the plan is recorded, so the
    // report's plan shows its hooks.
    if (reference_) {
        auto progs = ref_->programs();
        if (!progs)
            return progs.error();
        return follower_->trace_reference(*progs);
    }
    return ok_status();
}

audit::StartMetadata LiveAudit::start_metadata() const {
    audit::StartMetadata start;
    start.producer = std::string("scx-custody ") + SCX_CUSTODY_VERSION;
    start.kernel = kernel_release();
    start.command_line = opts_.argv;
    start.options = {{"sched", opts_.sched},
                     {"duration_s", opts_.duration_s},
                     {"command", opts_.command},
                     {"strict", opts_.strict}};
    start.strict = opts_.strict;
    start.attach_plan = tracer_->plan().to_json();
    start.coverage_complete = tracer_->plan().complete();
    for (const auto& h : tracer_->plan().hooks())
        if (h.required && !h.attached)
            start.coverage_notes.push_back(h.hook + " not attached: " + h.note);
    start.engine.kernel_has_core_sched = btf_->has_func("sched_core_get");
    start.start_ts_ns = monotonic_ns();
    return start;
}

Status LiveAudit::open_session() {
    std::unique_ptr<record::RecordingWriter> writer;
    if (!opts_.record_path.empty()) {
        auto w = record::RecordingWriter::create(opts_.record_path);
        if (!w)
            return w.error();
        writer = std::make_unique<record::RecordingWriter>(std::move(w.value()));
    }
    auto session = audit::AuditSession::create(start_metadata(), std::move(writer), opts_.observer);
    if (!session)
        return session.error();
    session_.emplace(std::move(session.value()));
    follower_->attach_session(*session_);
    return ok_status();
}

// A scheduler already running is announced before the first poll, so the
// records already waiting belong to its section.
Status LiveAudit::start_following() {
    if (opts_.hooks.on_plan)
        opts_.hooks.on_plan(tracer_->plan());
    if (reference_) {
        follower_->announce_reference(monotonic_ns());
        return ref_->attach();
    }
    if (status_->state == "enabled")
        follower_->adopt_running(status_->scheduler, monotonic_ns());
    if (!follower_->lifecycle_hooks())
        spdlog::warn("the scheduler lifecycle hooks are not attached: schedulers are found by "
                     "polling sysfs, and their sections start unwitnessed");
    return ok_status();
}

Status LiveAudit::start_command() {
    started_ = Clock::now();
    if (opts_.command.empty())
        return ok_status();
    auto spawned = ChildProcess::spawn(opts_.command);
    if (!spawned)
        return spawned.error();
    child_.emplace(std::move(spawned.value()));
    spdlog::info("running {} (pid {})", opts_.command.front(), child_->pid());
    return ok_status();
}

void LiveAudit::process_delivered() {
    auto counters = tracer_->read_counters();
    const uint64_t now = monotonic_ns();
    consumer::PollCounts counts;
    if (counters) {
        counts = losses_.take(*counters, tracer_->missed_runs());
        for (const record::LostRecord& lost : consumer::LossGate::lost_records(counts, now))
            session_->on_lost(lost);
        follower_->after_poll(*counters, now);
    }
    // With the task table's lines of the records a few places ahead
    // prefetched: with many tasks, their cache misses are most of the cost.
    session_->visit_prefetched(batch_, batch_.size(), [this](std::span<const std::byte> record) {
        follower_->on_record(record);
    });
    batch_.clear();
    // After the records: a section they closed keeps its last reading, one
    // they opened gets its own.
    kernel_events_.refresh(monotonic_ns());
    if (!counters || !opts_.hooks.on_tick)
        return;
    losses_.take_consumer_totals(counts, session_->stats().decode_errors,
                                 session_->engine().malformed_events());
    counts.ringbuf_fill = reader_->fill();
    opts_.hooks.on_tick(counts, session_->engine());
}

bool LiveAudit::should_stop() {
    if (auto sig = signals_->wait(std::chrono::milliseconds(0))) {
        spdlog::info("signal {}: stopping", *sig);
        return true;
    }
    if (opts_.duration_s > 0 &&
        Clock::now() >= started_ + std::chrono::duration<double>(opts_.duration_s))
        return true;
    if (child_ && (child_status_ = child_->poll())) {
        spdlog::info("{} exited with {}", opts_.command.front(), *child_status_);
        return true;
    }
    if (reference_) {
        if (auto exit = ref_->exit_info()) {
            ejected_ = true;
            spdlog::error("the kernel ejected custody_ref: {} {}", exit->reason, exit->msg);
            return true;
        }
    }
    return false;
}

void LiveAudit::loop() {
    for (;;) {
        if (int n = reader_->poll(100); n < 0 && n != -EINTR)
            spdlog::warn("ring buffer poll: {}", strerror(-n));
        process_delivered();
        if (should_stop())
            return;
        follower_->poll_sysfs(monotonic_ns());
    }
}

nlohmann::json LiveAudit::finish() {
    audit::EndMetadata end;
    end.duration_s = std::chrono::duration<double>(Clock::now() - started_).count();
    // The last reading of the kernel's counters before our scheduler goes.
    const uint64_t stop_begin_ns = monotonic_ns();
    kernel_events_.refresh(stop_begin_ns);
    if (reference_) {
        ref_->detach();
        // How long the kernel took to disable it, the last reading included.
        const double stop_ms = static_cast<double>(monotonic_ns() - stop_begin_ns) / 1e6;
        if (auto stats = ref_->read_stats()) {
            end.reference = stats->to_json();
            end.reference["caps"] = ref_->caps().to_json();
            end.reference["stop_begin_ts_ns"] = stop_begin_ns;
            end.reference["stop_ms"] = std::round(stop_ms * 10) / 10;
            if (auto exit = ref_->exit_info())
                end.reference["exit"] = {
                    {"kind", exit->kind}, {"reason", exit->reason}, {"msg", exit->msg}};
        }
    }
    // A command still running is stopped first: its scheduler's unload is
    // part of the audit.
    reader_->drain();
    process_delivered();
    if (child_ && !child_status_)
        child_status_ = child_->terminate(std::chrono::milliseconds(3000));
    reader_->drain();
    process_delivered();
    follower_->finish(monotonic_ns());

    const uint64_t missed_runs = tracer_->missed_runs();
    if (auto counters = tracer_->read_counters())
        end.tracer = tracer_summary(*counters, reader_->fill(), missed_runs);
    end.tracer["attach_plan_final"] = tracer_->plan().to_json();
    end.tracer.update(follower_->summary());
    end.coverage_gaps = follower_->coverage_gaps();
    if (child_status_)
        end.tracer["command_exit_status"] = *child_status_;
    if (ejected_)
        end.tracer["reference_ejected"] = true;
    end.finish_ts_ns = monotonic_ns();
    nlohmann::json report = session_->finish(end);
    audit::attach_kernel_events(report, kernel_events_);
    if (auto rec = session_->recording_status(); !rec)
        spdlog::error("recording incomplete: {}", rec.error().message);
    return report;
}

} // namespace

Result<nlohmann::json> run_live_audit(const LiveAuditOptions& opts) {
    LiveAudit audit(opts);
    return audit.run();
}

} // namespace scx_custody::live
