#include "audit_fixtures.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "audit/report_sink.h"
#include "pairing/scx_constants.h"

namespace scx_custody::fixtures {

std::vector<std::byte> raw_event(const RawEvent& event) {
    custody_event e{};
    e.ts_ns = event.ts_ns;
    e.task_start_ns = event.task_start_ns;
    e.dsq_id = event.dsq_id;
    e.flags = event.flags;
    e.pid = event.pid;
    e.cpu = event.cpu;
    e.type = event.type;
    e.hook = event.hook;
    e.kernel_flag = event.kernel_flag;
    std::memcpy(e.comm, event.comm.data(), std::min(event.comm.size(), sizeof(e.comm)));
    std::vector<std::byte> out(sizeof(e));
    std::memcpy(out.data(), &e, sizeof(e));
    return out;
}

std::string comm_of(uint32_t pid) {
    return "task-" + std::to_string(pid);
}

Script& Script::event(uint16_t type, uint8_t hook, uint32_t pid, uint32_t cpu, uint64_t dsq_id,
                      uint64_t flags, uint8_t kernel_flag) {
    RawEvent raw;
    raw.ts_ns = ts_ns_;
    raw.task_start_ns = 5'000 + pid;
    raw.dsq_id = dsq_id;
    raw.flags = flags;
    raw.pid = pid;
    raw.cpu = cpu;
    raw.type = type;
    raw.hook = hook;
    raw.kernel_flag = kernel_flag;
    raw.comm = comm_of(pid);
    ts_ns_ += 10;
    return this->raw(raw_event(raw));
}

Script& Script::raw(std::vector<std::byte> bytes) {
    records_.emplace_back().body = record::EventRecord{std::move(bytes)};
    return *this;
}

Script& Script::task_named(const std::string& comm, uint32_t pid) {
    RawEvent raw;
    raw.type = kEvtEnqueue;
    raw.dsq_id = 0x100;
    raw.pid = pid;
    raw.comm = comm;
    this->raw(raw_event(raw));
    raw.type = kEvtTaskExit;
    return this->raw(raw_event(raw));
}

Script& Script::attach(const std::string& name, bool implements_dequeue,
                       bool tasks_start_indeterminate, uint32_t cpu) {
    record::ControlRecord control;
    control.ts_ns = ts_ns_;
    control.cpu = cpu;
    control.action = record::ControlAction::Attach;
    control.name = name;
    control.implements_dequeue = implements_dequeue;
    control.tasks_start_indeterminate = tasks_start_indeterminate;
    // As the live audit announces them: our own scheduler is traced before
    // it is enabled; one that was already running starts indeterminate.
    control.source = tasks_start_indeterminate ? record::ControlSource::RunningAtStart
                                               : record::ControlSource::Reference;
    control.traced_from_ns = ts_ns_;
    ts_ns_ += 10;
    records_.emplace_back().body = std::move(control);
    return *this;
}

Script& Script::control(record::ControlRecord control) {
    control.ts_ns = ts_ns_;
    ts_ns_ += 10;
    records_.emplace_back().body = std::move(control);
    return *this;
}

Script& Script::detach(const std::string& name, uint32_t cpu) {
    record::ControlRecord control;
    control.ts_ns = ts_ns_;
    control.cpu = cpu;
    control.action = record::ControlAction::Detach;
    control.name = name;
    ts_ns_ += 10;
    records_.emplace_back().body = std::move(control);
    return *this;
}

Script& Script::enqueue(uint32_t pid, uint64_t dsq_id, uint32_t cpu) {
    return event(kEvtEnqueue, kHookSchedEnqueue, pid, cpu, dsq_id, 0, kFlagUnknown);
}

Script& Script::insert(uint32_t pid, uint64_t dsq_id, uint32_t cpu, uint8_t kernel_flag) {
    return event(kEvtDsqInsert, kHookDsqInsert, pid, cpu, dsq_id, 0, kernel_flag);
}

Script& Script::dequeue(uint32_t pid, uint64_t deq_flags, uint32_t cpu, uint8_t kernel_flag) {
    return event(kEvtDequeue, kHookSchedDequeue, pid, cpu, pairing::kNoDsq, deq_flags, kernel_flag);
}

Script& Script::running(uint32_t pid, uint32_t cpu) {
    return event(kEvtRunning, kHookSchedSwitch, pid, cpu, pairing::kNoDsq, 0, kFlagUnknown);
}

Script& Script::exit(uint32_t pid, uint32_t cpu) {
    return event(kEvtTaskExit, kHookTaskExit, pid, cpu, pairing::kNoDsq, 0, kFlagUnknown);
}

Script& Script::lost(uint64_t count, uint32_t cpu, uint64_t known_ahead_ns) {
    record::LostRecord lost;
    lost.ts_ns = ts_ns_ + known_ahead_ns;
    lost.cpu = cpu;
    lost.count = count;
    records_.emplace_back().body = lost;
    ts_ns_ += 10;
    return *this;
}

Script& Script::clean_cycle(uint32_t pid, uint32_t cpu) {
    return enqueue(pid, pairing::kNoDsq, cpu)
        .dequeue(pid, 0, cpu)
        .insert(pid, pairing::dsq_local_on(cpu), cpu)
        .running(pid, cpu);
}

Script& Script::wait(uint64_t ns) {
    ts_ns_ += ns;
    return *this;
}

audit::StartMetadata start_metadata() {
    audit::StartMetadata start;
    start.producer = "scx-custody 0.1.0";
    start.kernel = "7.3.4";
    start.command_line = {"scx-custody", "audit", "--duration", "5", "--sched", "reference"};
    start.options = {{"duration_s", 5}, {"sched", "reference"}, {"format", "json"}};
    start.attach_plan = nlohmann::json::array({
        {{"hook", "dsq_insert"},
         {"target", "scx_dispatch_enqueue"},
         {"mechanism", "fentry"},
         {"attached", true},
         {"required", true}},
        {{"hook", "local_move"},
         {"target", "scx_move_local_task_to_local_dsq"},
         {"mechanism", "fentry"},
         {"attached", true},
         {"required", false}},
        {{"hook", "sched_dequeue"},
         {"target", "custody_ref_dequeue"},
         {"mechanism", "fentry (BPF program)"},
         {"attached", true},
         {"required", true}},
    });
    start.start_ts_ns = 1'000'000;
    return start;
}

audit::EndMetadata end_metadata(const Script& script, bool with_reference) {
    audit::EndMetadata end;
    end.duration_s = 5.25;
    end.finish_ts_ns = script.now();
    end.tracer = {{"events", 123}, {"dropped", {{"0", 0}, {"1", 0}}}};
    if (with_reference) {
        end.reference = {
            {"custody_enter", 3},
            {"dequeue", 3},
            {"counters",
             {{"dequeue_dispatch", 2}, {"dequeue_sched_change", 1}, {"dequeue_core_sched", 0}}}};
    }
    return end;
}

nlohmann::json run_live(const Script& script, const audit::StartMetadata& start,
                        const audit::EndMetadata& end,
                        std::unique_ptr<record::RecordingWriter> writer) {
    Result<audit::AuditSession> session = audit::AuditSession::create(start, std::move(writer));
    if (!session)
        throw std::runtime_error(session.error().message);
    for (const record::Record& record : script.records()) {
        if (Status status = session->feed(record); !status)
            throw std::runtime_error(status.error().message);
    }
    nlohmann::json report = session->finish(end);
    if (Status status = session->recording_status(); !status)
        throw std::runtime_error(status.error().message);
    return report;
}

std::vector<Scenario> scenarios() {
    std::vector<Scenario> out;
    const auto add = [&](std::string name, Script script, bool reference = false) {
        Scenario scenario{std::move(name), std::move(script), start_metadata(), {}};
        scenario.end = end_metadata(scenario.script, reference);
        out.push_back(std::move(scenario));
    };

    {
        Script s;
        s.attach("custody_ref")
            .clean_cycle(100, 0)
            .enqueue(101, kUserDsq, 1)
            .dequeue(101, 0, 1)
            .insert(101, pairing::dsq_local_on(1), 1)
            .running(101, 1)
            .enqueue(102, pairing::kNoDsq, 0)
            .dequeue(102, pairing::kDeqSchedChange, 0)
            .exit(100, 0)
            .detach("custody_ref");
        add("clean", std::move(s), true);
    }
    {
        Script s;
        s.attach("custody_ref")
            .enqueue(200, kUserDsq, 3)
            .insert(200, pairing::dsq_local_on(3), 3)
            .running(200, 3)
            .enqueue(201, pairing::kNoDsq, 2)
            .dequeue(201, 0, 2)
            .dequeue(201, 0, 2)
            .dequeue(202, 0, 1)
            .enqueue(203, kUserDsq, 0)
            .insert(203, pairing::dsq_local_on(0), 0)
            .dequeue(203, pairing::kDeqCoreSchedExec, 0)
            .enqueue(204, pairing::kNoDsq, 1)
            .dequeue(204, pairing::kDeqSchedChange | pairing::kDeqSleep, 1)
            .enqueue(205, pairing::kNoDsq, 2)
            .insert(205, kUserDsq, 2, kFlagClear);
        add("violations", std::move(s));
    }
    {
        Script s;
        s.attach("custody_ref").clean_cycle(300, 0).lost(7, 2).clean_cycle(301, 1);
        add("lost", std::move(s));
    }
    {
        Script s;
        s.attach("scx_simple", true, true)
            .dequeue(400, 0, 0)
            .insert(400, pairing::dsq_local_on(0), 0)
            .running(400, 0)
            .clean_cycle(400, 0)
            .detach("scx_simple")
            .attach("custody_ref")
            .clean_cycle(401, 1)
            .enqueue(402, kUserDsq, 1)
            .detach("custody_ref")
            .attach("no_dequeue", false)
            .enqueue(403, kUserDsq, 0)
            .running(403, 0);
        add("schedulers", std::move(s));
    }
    {
        Script s;
        RawEvent bad_type;
        bad_type.type = 99;
        RawEvent bad_hook;
        bad_hook.type = kEvtRunning;
        bad_hook.hook = 42;
        std::vector<std::byte> short_record(10, std::byte{0x5a});
        s.attach("custody_ref")
            .clean_cycle(500, 0)
            .raw(raw_event(bad_type))
            .raw(raw_event(bad_hook))
            .raw(std::move(short_record))
            .raw({})
            .clean_cycle(501, 0);
        add("decode_errors", std::move(s));
    }
    {
        // Three seconds on two CPUs: three 1 s timeline intervals, and a custody
        // that ends without its dequeue in the last one.
        Script s;
        s.attach("custody_ref").clean_cycle(600, 0).clean_cycle(601, 0).clean_cycle(602, 0);
        s.wait(1'500'000'000).clean_cycle(610, 1).clean_cycle(611, 0);
        s.wait(1'000'000'000)
            .enqueue(620, kUserDsq, 1)
            .insert(620, pairing::dsq_local_on(1), 1)
            .running(620, 1)
            .detach("custody_ref");
        add("timeline", std::move(s));
    }
    return out;
}

nlohmann::json record_scenario(const Scenario& scenario, const std::string& path) {
    Result<record::RecordingWriter> writer = record::RecordingWriter::create(path);
    if (!writer)
        throw std::runtime_error(writer.error().message);
    return run_live(scenario.script, scenario.start, scenario.end,
                    std::make_unique<record::RecordingWriter>(std::move(*writer)));
}

std::vector<std::byte> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    const std::vector<char> chars((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    return bytes;
}

void write_file(const std::string& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

std::string render_report(std::string_view format, const nlohmann::json& report) {
    std::ostringstream out;
    Result<std::unique_ptr<audit::ReportSink>> sink = audit::make_report_sink(format, out);
    if (!sink)
        throw std::invalid_argument("no report sink for format " + std::string(format));
    (*sink)->write(report);
    return out.str();
}

nlohmann::json scenario_report(const std::string& name) {
    for (const Scenario& scenario : scenarios()) {
        if (scenario.name == name)
            return run_live(scenario.script, scenario.start, scenario.end);
    }
    throw std::invalid_argument("no scenario " + name);
}

} // namespace scx_custody::fixtures
