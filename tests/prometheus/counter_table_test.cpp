// CounterTable: the per-CPU counter families written without a registry. Its text
// must be what prometheus-cpp writes for the same family, every CPU must be
// exported from 0, late CPUs must be bounded, and a scrape must be safe while the
// writer adds rows.
#include "exporters/prometheus/counter_table.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "exporters/prometheus/metric_catalog.h"
#include "exporters/prometheus/text_format.h"

namespace scx_custody::prom {
namespace {

constexpr std::array<std::string_view, 3> kReasons = {"dispatch", "sched_change", "core_sched"};

std::string serializer_text(const CounterTable& table) {
    return prometheus::TextSerializer().Serialize(table.Collect());
}

std::string text_of(const CounterTable& table) {
    std::string out;
    table.append_text(out);
    return out;
}

TEST(CounterTable, EveryPossibleCpuStartsAtZero) {
    CounterTable table(kDequeueTotal, 2, kReasons);
    EXPECT_EQ(table.series(), 6u);
    const std::string text = text_of(table);
    EXPECT_NE(text.find("\nscx_custody_dequeue_total{cpu=\"1\",reason=\"core_sched\"} 0\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.rfind("# HELP scx_custody_dequeue_total ", 0), 0u);
    EXPECT_NE(text.find("\n# TYPE scx_custody_dequeue_total counter\n"), std::string::npos);
}

TEST(CounterTable, TextIsTheSerializersForEveryRowKind) {
    CounterTable table(kDequeueTotal, 4, kReasons);
    table.add(0, 0);
    table.add(3, 2, 123'456'789'012ull);
    table.add(9, 1, 5);     // a CPU above the possible ones: a late row
    table.add_no_cpu(2, 7); // cpu="none"
    table.add(9, 1, 1);
    EXPECT_EQ(table.series(), 18u);
    EXPECT_EQ(text_of(table), serializer_text(table));
    EXPECT_EQ(text_of(table), to_text_format(table.Collect()));
    EXPECT_NE(text_of(table).find("{cpu=\"9\",reason=\"sched_change\"} 6\n"), std::string::npos);
}

TEST(CounterTable, SingleColumnFamilyHasOnlyTheCpuLabel) {
    CounterTable table(kCustodyEnterTotal, 3);
    table.add(2, 0, 4);
    EXPECT_EQ(text_of(table), serializer_text(table));
    EXPECT_NE(text_of(table).find("\nscx_custody_custody_enter_total{cpu=\"2\"} 4\n"),
              std::string::npos);
}

TEST(CounterTable, LateCpusAreBoundedAndTheRestCountedAsOther) {
    CounterTable table(kCustodyEnterTotal, 1);
    for (uint32_t cpu = 1; cpu <= kMaxExtraCpus + 10; ++cpu)
        table.add(cpu);
    // 1 possible + kMaxExtraCpus late + "other"
    EXPECT_EQ(table.series(), 1 + kMaxExtraCpus + 1);
    EXPECT_NE(text_of(table).find("{cpu=\"other\"} 10\n"), std::string::npos);
    EXPECT_EQ(text_of(table), serializer_text(table));
}

TEST(CounterTable, RejectsAFamilyItCannotWrite) {
    EXPECT_THROW(CounterTable(kTasksInCustody, 2), std::logic_error); // a gauge
    EXPECT_THROW(CounterTable(kCustodyEnterTotal, 2, kReasons), std::logic_error);
    EXPECT_THROW(CounterTable(kDequeueTotal, 2), std::logic_error); // no column values
}

// The sample lines of one family's text: their count and the sum of their
// values; false when a line is not `name{cpu="..."} <integer>`.
bool sum_samples(const std::string& text, std::size_t& lines, uint64_t& sum) {
    lines = 0;
    sum = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with('#'))
            continue;
        const std::size_t space = line.rfind(' ');
        if (!line.starts_with("scx_custody_custody_enter_total{cpu=\"") ||
            space == std::string::npos || line[space - 1] != '}')
            return false;
        sum += std::stoull(line.substr(space + 1));
        ++lines;
    }
    return true;
}

// Scrapes while the writer adds late rows and counts: every scrape is well
// formed, and neither its rows nor its total ever go down.
TEST(CounterTable, ScrapesWhileTheWriterAddsRows) {
    constexpr uint64_t kAdds = 20'000;
    CounterTable table(kCustodyEnterTotal, 2);
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (uint64_t round = 0; round < kAdds; ++round)
            table.add(static_cast<uint32_t>(round % 300), 0, 1);
        done = true;
    });
    // No ASSERT while the writer runs: returning early would destroy a
    // joinable thread.
    bool well_formed = true;
    std::size_t last_lines = 0;
    uint64_t last_sum = 0;
    do {
        std::size_t lines = 0;
        uint64_t sum = 0;
        well_formed = sum_samples(text_of(table), lines, sum);
        EXPECT_GE(lines, last_lines);
        EXPECT_GE(sum, last_sum);
        last_lines = lines;
        last_sum = sum;
    } while (well_formed && !done.load());
    writer.join();
    ASSERT_TRUE(well_formed);
    std::size_t lines = 0;
    uint64_t sum = 0;
    ASSERT_TRUE(sum_samples(text_of(table), lines, sum));
    EXPECT_EQ(sum, kAdds);
    EXPECT_EQ(lines, 2 + kMaxExtraCpus + 1); // CPUs 0-1, 256 late ones, "other"
    EXPECT_EQ(text_of(table), serializer_text(table));
}

} // namespace
} // namespace scx_custody::prom
