// `run`'s self-metrics wiring, end to end on this host: what the consumer
// accounts for after a poll (the tracer's counters, records that do not
// decode, skipped program runs) goes through DaemonStatus and the audit
// session to the exporter, and a scrape of /metrics over HTTP shows it once.
// No BPF: the tracer's counters are given as the loader would read them.
#include "commands/daemon_status.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "audit/audit_session.h"
#include "consumer/loss_gate.h"
#include "exporters/prometheus/custody_collector.h"
#include "exporters/prometheus/metrics_server.h"
#include "http_client.h"

namespace scx_custody::commands {
namespace {

class SelfMetricsWiring : public ::testing::Test {
  protected:
    void SetUp() override {
        auto started = prom::MetricsServer::start("127.0.0.1:0", metrics_, health_.as_check());
        ASSERT_TRUE(started.ok()) << started.error().message;
        server_.emplace(std::move(started.value()));
        auto session = audit::AuditSession::create(audit::StartMetadata{}, nullptr, &collector_);
        ASSERT_TRUE(session.ok()) << session.error().message;
        session_.emplace(std::move(session.value()));
    }

    // One poll as LiveAudit::process_delivered() runs it: losses first, then
    // the records, then the tick.
    void poll(const std::vector<custody_cpu_counters>& counters, uint64_t missed_runs,
              std::span<const std::byte> record) {
        consumer::PollCounts counts = gate_.take(counters, missed_runs);
        for (const record::LostRecord& lost : consumer::LossGate::lost_records(counts, ++ts_))
            session_->on_lost(lost);
        if (!record.empty())
            session_->on_event_bytes(record);
        gate_.take_consumer_totals(counts, session_->stats().decode_errors,
                                   session_->engine().malformed_events());
        counts.ringbuf_fill = 0.5;
        status_.on_tick(counts, session_->engine());
    }

    std::string scrape() {
        const auto response = test_support::http(server_->address().port, "GET", "/metrics");
        EXPECT_EQ(response.status, 200);
        return response.body;
    }

    static bool has_line(const std::string& body, const std::string& line) {
        return body.find("\n" + line + "\n") != std::string::npos;
    }

    std::shared_ptr<prom::MetricSet> metrics_ = std::make_shared<prom::MetricSet>();
    prom::CustodyCollector collector_{*metrics_, 2};
    prom::SelfMetrics self_{*metrics_, 2, "test"};
    prom::HealthState health_;
    DaemonStatus status_{self_, health_, 0};
    std::optional<prom::MetricsServer> server_;
    std::optional<audit::AuditSession> session_;
    consumer::LossGate gate_;
    uint64_t ts_ = 1000;
};

TEST_F(SelfMetricsWiring, DecodeErrorsAndLostEventsReachMetrics) {
    std::vector<custody_cpu_counters> counters(2);
    counters[0].events = 7;
    counters[0].pending_overwritten = 1;
    counters[1].events = 5;
    counters[1].ringbuf_full = 3;
    const std::array<std::byte, 10> truncated{}; // not a 64-byte custody_event
    poll(counters, 2, truncated);

    std::string body = scrape();
    EXPECT_TRUE(has_line(body, "scx_custody_decode_errors_total 1")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_events_total{cpu=\"0\"} 7")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_events_total{cpu=\"1\"} 5")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_tracer_drops_total{cause=\"ringbuf_full\"} 3")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_tracer_drops_total{cause=\"pending_overwritten\"} 1"))
        << body;
    // Lost events, as the engine saw them: per CPU, the skipped runs of no
    // CPU, and the record that did not decode (one lost event of CPU 0).
    EXPECT_TRUE(has_line(body, "scx_custody_lost_events_total{cpu=\"1\"} 3")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_lost_events_total{cpu=\"0\"} 2")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_lost_events_total{cpu=\"none\"} 2")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_ringbuf_fill_ratio 0.5")) << body;

    // A poll that adds nothing changes nothing: totals are not counted twice.
    counters[0].events = 9;
    poll(counters, 2, {});
    body = scrape();
    EXPECT_TRUE(has_line(body, "scx_custody_events_total{cpu=\"0\"} 9")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_decode_errors_total 1")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_tracer_drops_total{cause=\"ringbuf_full\"} 3")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_lost_events_total{cpu=\"1\"} 3")) << body;
}

TEST_F(SelfMetricsWiring, ProgramLabelIsTheHookName) {
    loader::AttachPlan plan;
    loader::HookPlan insert;
    insert.hook = "dsq_insert";
    insert.mechanism = loader::Mechanism::Fexit;
    insert.attached = true;
    loader::HookPlan dequeue;
    dequeue.hook = "ops_dequeue";
    dequeue.mechanism = loader::Mechanism::Fentry;
    dequeue.required = false;
    loader::HookPlan absent; // no target on this kernel: not a program at all
    absent.hook = "sched_reg_cid";
    absent.required = false;
    plan.hooks() = {insert, dequeue, absent};
    status_.on_plan(plan);

    const std::string body = scrape();
    EXPECT_TRUE(has_line(body, "scx_custody_program_attached{program=\"dsq_insert\"} 1")) << body;
    EXPECT_TRUE(has_line(body, "scx_custody_program_attached{program=\"ops_dequeue\"} 0")) << body;
    EXPECT_EQ(body.find("sched_reg_cid"), std::string::npos) << body;
}

} // namespace
} // namespace scx_custody::commands
