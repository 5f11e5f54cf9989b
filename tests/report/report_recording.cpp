// Writes a deterministic recording that looks like a real audit, for the HTML
// report's browser test: two CPUs for 12 s at a varying rate, custody periods
// from a few µs to a few ms on all three enter paths, dequeues of every reason,
// a few violations (one by a task whose comm is "<script>alert()"), and the
// reference scheduler's counters equal to the audit's.
//
//   report_recording OUT.rec
#include <cstdio>
#include <exception>
#include <string>

#include "audit_fixtures.h"

namespace {

using namespace scx_custody;
using fixtures::Script;

constexpr uint64_t kMs = 1'000'000;

// A small deterministic generator (the numbers only need to look irregular).
class Lcg {
  public:
    uint64_t next(uint64_t bound) {
        state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
        return (state_ >> 33) % bound;
    }

  private:
    uint64_t state_ = 42;
};

// One custody period of pid on cpu, of about duration_ns, by path and reason.
void custody(Script& s, Lcg& rng, uint32_t pid, uint32_t cpu) {
    const uint64_t duration = 2'000 + rng.next(4) * rng.next(400'000) + rng.next(3'000);
    const uint64_t pick = rng.next(10);
    if (pick < 6)
        s.enqueue(pid, pairing::kNoDsq, cpu);
    else if (pick < 9)
        s.enqueue(pid, fixtures::kUserDsq, cpu);
    else
        s.insert(pid, fixtures::kUserDsq, cpu);
    s.wait(duration);
    const uint64_t flags = rng.next(8) == 0 ? pairing::kDeqSchedChange : 0;
    s.dequeue(pid, flags, cpu);
    if (flags == 0)
        s.insert(pid, pairing::dsq_local_on(cpu), cpu).running(pid, cpu);
}

// Violations at fixed points: a missed dequeue by a task with a hostile comm,
// a late dequeue, a dequeue with wrong flags.
void violations(Script& s, int second) {
    if (second == 4) {
        // Every event of this task carries the comm (and the same task identity).
        const auto hostile = [&](uint16_t type, uint8_t hook, uint64_t dsq_id) {
            fixtures::RawEvent event;
            event.ts_ns = s.now();
            event.task_start_ns = 31337;
            event.pid = 31337;
            event.cpu = 1;
            event.type = type;
            event.hook = hook;
            event.dsq_id = dsq_id;
            event.comm = "<script>alert()";
            s.raw(fixtures::raw_event(event)).wait(10);
        };
        hostile(fixtures::kEvtEnqueue, fixtures::kHookSchedEnqueue, fixtures::kUserDsq);
        hostile(fixtures::kEvtDsqInsert, fixtures::kHookDsqInsert, pairing::dsq_local_on(1));
        hostile(fixtures::kEvtRunning, fixtures::kHookSchedSwitch, pairing::kNoDsq);
        hostile(fixtures::kEvtTaskExit, fixtures::kHookTaskExit, pairing::kNoDsq);
    } else if (second == 7 || second == 9) {
        s.enqueue(4000 + second, fixtures::kUserDsq, 0)
            .insert(4000 + second, pairing::dsq_local_on(0), 0)
            .running(4000 + second, 0)
            .dequeue(4000 + second, 0, 0);
    } else if (second == 10) {
        s.enqueue(4100, pairing::kNoDsq, 1)
            .dequeue(4100, pairing::kDeqSchedChange | pairing::kDeqSleep, 1);
    }
}

Script twelve_seconds() {
    Script s;
    Lcg rng;
    s.attach("custody_ref");
    for (int second = 0; second < 12; ++second) {
        // A load that ramps up, dips in the middle and differs per CPU.
        const int per_cpu[2] = {40 + 12 * (second % 6) + static_cast<int>(rng.next(15)),
                                25 + (second > 5 ? 45 : 8 * second) +
                                    static_cast<int>(rng.next(15))};
        for (int i = 0; i < per_cpu[0] + per_cpu[1]; ++i) {
            const uint32_t cpu = i < per_cpu[0] ? 0 : 1;
            custody(s, rng, 1000 + static_cast<uint32_t>(rng.next(60)), cpu);
        }
        violations(s, second);
        s.wait(1'000 * kMs - 7 * kMs);
    }
    return s.detach("custody_ref");
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT.rec\n", argv[0]);
        return 2;
    }
    try {
        const Script script = twelve_seconds();
        audit::StartMetadata start = fixtures::start_metadata();
        start.command_line = {"scx-custody", "audit", "--sched", "reference", "--duration", "12"};
        audit::EndMetadata end = fixtures::end_metadata(script);
        end.duration_s = 12.0;
        // The reference scheduler's own view: first the audit's figures, then the
        // same run recorded with them.
        const nlohmann::json first = fixtures::run_live(script, start, end);
        const nlohmann::json& counts = first["counts"];
        end.reference = {{"custody_enter", counts["custody_enter"]},
                         {"dequeue", counts["dequeue"]},
                         {"counters",
                          {{"dequeue_dispatch", counts["dequeue_dispatch"]},
                           {"dequeue_sched_change", counts["dequeue_sched_change"]},
                           {"dequeue_core_sched", counts["dequeue_core_sched"]}}}};
        fixtures::record_scenario({"report", script, start, end}, argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "report_recording: %s\n", e.what());
        return 1;
    }
    return 0;
}
