#!/usr/bin/env python3
"""check-losses.py --expect MODE --kernel VER --binary SCX_CUSTODY OUTDIR

The audit was stopped (SIGSTOP) with a 16 KiB ring buffer under heavy load,
so the ring buffer overflowed (scenarios/audit_losses.sh). Required:
  - losses happened, and every one is counted: the report's lost_events
    equal the records the BPF side failed to reserve (details.tracer.dropped)
    plus the program runs the kernel skipped (details.tracer.missed_runs);
  - no finding the losses could have invented: duplicate_dequeue and
    dequeue_outside_custody are 0 on every kernel, missed_dequeue 0 on fixed
    kernels;
  - fixed (7.2.12, 7.3.4): every violation 0, verdict inconclusive (exit 4);
  - remote-bug (7.1.13): the late dequeues the kernel really makes are still
    found (late_dequeue > 0, at most the scheduler's own SCX_DEQ_CORE_SCHED_EXEC
    plus SCX_DEQ_SCHED_CHANGE count), verdict violations;
  - pre-fix (7.0.13): missed dequeues still found outside the blind window;
and the recording replays on the host to the identical report.
"""
import sys

import vmcheck


def main():
    args = vmcheck.arguments(__doc__, binary=True).parse_args()
    c, _, r, rc = vmcheck.audit_run(args.outdir)
    tracer = r["details"]["tracer"]
    v = r["violations"]
    lost = r["lost_events"]
    c.check(tracer["dropped"] > 0, f"no record was dropped: {tracer['dropped']}")
    c.check(lost == tracer["dropped"] + tracer["missed_runs"],
            f"lost_events {lost} != dropped {tracer['dropped']} + missed runs "
            f"{tracer['missed_runs']}")
    c.check(v["duplicate_dequeue"] == 0 and v["dequeue_outside_custody"] == 0,
            f"findings the losses could have invented: {v}")
    ref = r.get("reference", {}).get("counters", {})
    if args.expect == "fixed":
        c.check(all(n == 0 for n in v.values()), f"violations {v}")
        c.check((r["verdict"], rc) == ("inconclusive", 4), f"verdict {r['verdict']} exit {rc}")
    elif args.expect == "remote-bug":
        allowed = ref.get("dequeue_core_sched", 0) + ref.get("dequeue_sched_change", 0)
        c.check(v["missed_dequeue"] == 0, f"violations {v}")
        c.check(0 < v["late_dequeue"] <= allowed,
                f"late_dequeue {v['late_dequeue']}, the scheduler's own core-sched + "
                f"sched-change dequeues {allowed}")
        c.check((r["verdict"], rc) == ("violations", 1), f"verdict {r['verdict']} exit {rc}")
    else:
        c.check(v["missed_dequeue"] > 0, f"no missed dequeue found: {v}")
        c.check((r["verdict"], rc) == ("violations", 1), f"verdict {r['verdict']} exit {rc}")
    vmcheck.replay_matches(c, args.binary, args.outdir, r, rc)
    return c.finish(f"{args.kernel}: verdict={r['verdict']} lost={lost} "
                    f"(dropped {tracer['dropped']}, missed runs {tracer['missed_runs']}) "
                    f"indeterminate={r['indeterminate']} enters={r['counts']['custody_enter']} "
                    f"violations={ {k: n for k, n in v.items() if n} }")


if __name__ == "__main__":
    sys.exit(main())
