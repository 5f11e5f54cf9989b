// The prefetch hints of a batch (AuditSession::visit_prefetched, TaskTable's
// prefetch steps) change nothing: the same records give the same report with
// and without them, on a table large enough for the hints to be issued, with
// evictions and exits leaving stale ids behind. Run under the sanitizers, the
// same cases show that no hint reads outside the table.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <span>
#include <vector>

#include "audit/audit_session.h"
#include "audit/task_prefetch.h"
#include "audit_fixtures.h"
#include "event_record.h"
#include "pairing/task_table.h"
#include "scenario_stream.h"

namespace scx_custody::audit {
namespace {

using pairing::TaskKey;
using pairing::TaskTable;

constexpr uint32_t kTasks = 3 * TaskPrefetch::kMinTasks;
constexpr uint32_t kCpus = 8;

struct RecordStream {
    std::vector<custody_event> records;

    std::size_t size() const { return records.size(); }
    std::span<const std::byte> operator[](std::size_t i) const {
        return std::as_bytes(std::span(&records[i], 1));
    }
};

// A violation in one scenario of 40; tasks exit and are replaced as they go.
RecordStream scenario_records() {
    RecordStream stream;
    test_support::ScenarioOptions options;
    options.cpus = kCpus;
    options.tasks = kTasks;
    options.violation_every = 40;
    options.kernel_has_core_sched = true;
    test_support::ScenarioStream generator(
        [&](const pairing::Event& event) {
            if (const std::optional<custody_event> record = test_support::encode_event(event))
                stream.records.push_back(*record);
        },
        options);
    uint64_t ts_ns = generator.warm_up(1'000'000'000);
    for (int tick = 0; tick < 40; ++tick, ts_ns += 50'000'000)
        generator.tick(ts_ns, 50'000'000, 4 * kCpus);
    generator.drain_all();
    return stream;
}

// A table bound below the stream's tasks: records are evicted as it runs.
AuditSession new_session() {
    StartMetadata start = fixtures::start_metadata();
    start.engine.kernel_has_core_sched = true;
    start.engine.max_tracked_tasks = kTasks / 2 + TaskPrefetch::kMinTasks;
    Result<AuditSession> session = AuditSession::create(start);
    EXPECT_TRUE(session);
    record::ControlRecord attach;
    attach.ts_ns = 999'000;
    attach.action = record::ControlAction::Attach;
    attach.name = "custody_ref";
    attach.implements_dequeue = true;
    session->on_control(attach);
    return std::move(*session);
}

nlohmann::json finish(AuditSession& session, uint64_t end_ts_ns) {
    EndMetadata end;
    end.finish_ts_ns = end_ts_ns;
    return session.finish(end);
}

TEST(TaskPrefetch, HintsChangeNoReport) {
    const RecordStream stream = scenario_records();
    ASSERT_GT(stream.size(), std::size_t{4} * kTasks);
    const uint64_t end_ts_ns = stream.records.back().ts_ns + 1;

    AuditSession plain = new_session();
    for (std::size_t i = 0; i < stream.size(); ++i)
        plain.on_event_bytes(stream[i]);

    // Fed in polls of uneven sizes, as the ring buffer delivers them.
    AuditSession hinted = new_session();
    std::mt19937 random(7);
    std::size_t polls_hinted = 0;
    for (std::size_t begin = 0; begin < stream.size();) {
        const std::size_t n = std::min<std::size_t>(random() % 200 + 1, stream.size() - begin);
        const std::span<const custody_event> poll(stream.records.data() + begin, n);
        RecordStream part{{poll.begin(), poll.end()}};
        hinted.visit_prefetched(
            part, n, [&](std::span<const std::byte> raw) { hinted.on_event_bytes(raw); });
        polls_hinted += hinted.engine().task_table().size() >= TaskPrefetch::kMinTasks ? 1 : 0;
        begin += n;
    }
    ASSERT_GT(polls_hinted, 100u) << "the table never grew large enough for the hints";

    const nlohmann::json expected = finish(plain, end_ts_ns);
    ASSERT_EQ(expected["verdict"], "violations");
    ASSERT_GT(plain.engine().totals().evicted, 0u);
    EXPECT_EQ(finish(hinted, end_ts_ns), expected);
}

std::vector<TaskKey> id_order(const TaskTable& table) {
    std::vector<TaskKey> order;
    table.for_each([&](const pairing::TaskState& task) { order.push_back(task.key()); });
    return order;
}

// 6,000 tasks into 5,000 records (the first 1,000 evicted), then every third
// key erased: stale keys, free ids and a clock hand part way round.
TaskTable evicted_and_erased(std::vector<TaskKey>& keys) {
    TaskTable table(5'000);
    std::mt19937_64 random(11);
    keys.clear();
    for (uint32_t pid = 1; pid <= 6'000; ++pid) {
        keys.push_back(TaskKey{pid, random()});
        table.insert(keys.back());
    }
    for (std::size_t i = 0; i < keys.size(); i += 3)
        table.erase(keys[i]);
    return table;
}

TEST(TaskPrefetch, StepsLeaveTheTableAsItWas) {
    std::vector<TaskKey> keys;
    TaskTable table = evicted_and_erased(keys);
    TaskTable unhinted = evicted_and_erased(keys);
    const std::vector<TaskKey> before = id_order(table);

    std::size_t found = 0;
    for (const TaskKey& key : keys)
        found += table.prefetch_record(table.prefetch_slot(key)) ? 1 : 0;
    EXPECT_EQ(id_order(table), before);
    // Most live keys sit in their home slot (the index is at most 3/4 full).
    EXPECT_GT(found, before.size() / 2);
    EXPECT_LE(found, before.size());

    // The clock evicts the same records, in the same order, as in the table
    // that was never hinted (the first inserts fill it, the rest evict).
    const std::size_t room = table.capacity() - table.size();
    std::size_t evictions = 0;
    for (uint32_t pid = 10'001; pid <= 13'000; ++pid) {
        const TaskTable::Inserted hinted = table.insert(TaskKey{pid, 1});
        const TaskTable::Inserted plain = unhinted.insert(TaskKey{pid, 1});
        ASSERT_EQ(hinted.evicted.has_value(), plain.evicted.has_value()) << pid;
        if (!hinted.evicted)
            continue;
        ASSERT_EQ(hinted.evicted->key(), plain.evicted->key()) << pid;
        ++evictions;
    }
    EXPECT_EQ(evictions, 3'000 - room);
    EXPECT_GT(evictions, 1'000u);

    table.clear();
    for (const TaskKey& key : keys)
        EXPECT_FALSE(table.prefetch_record(table.prefetch_slot(key)));
    EXPECT_EQ(table.size(), 0u);
}

} // namespace
} // namespace scx_custody::audit
