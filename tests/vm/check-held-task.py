#!/usr/bin/env python3
"""check-held-task --kernel VER --binary SCX_CUSTODY OUTDIR

Judges scenarios/held_task.sh: the reference scheduler held the task of comm
custody-held on its hold DSQ for HOLD_MS at a time.

  report   `held_longest` names the held pid with its comm, the scheduler
           custody_ref, the hold DSQ 0x5c0003 and a custody of at least
           HOLD_MS - 1 ms (the scheduler stamps the hold a few microseconds
           before the tracer stamps the enqueue), whose first transition is the
           enqueue onto that DSQ; the scheduler's own counters show holds and
           releases (its own report, sched.json); the recording replays to
           the identical report.
  metric   scx_custody_oldest_custody_age_seconds{scheduler="custody_ref"},
           read in a loop while the scheduler ran under `scx-custody run`
           (each read stamped with the guest's uptime), reached HOLD_MS minus
           the longest gap between two reads minus 0.2 s (the daemon updates
           it every 100 ms): some read falls in the last gap of every hold,
           which needs a hold longer than that gap. It never exceeded
           HOLD_MS + 2 s (nothing else was held that long).
  files    while `run` ran, nothing was created or modified on the guest's
           writable file systems (root, /tmp, /run, /dev/shm, bpffs) but the
           scenario's own four files: `run` writes no file.
"""
import argparse
import json
import pathlib
import re
import sys

import vmcheck

HOLD_DSQ = "0x00000000005c0003"
AGE = re.compile(r'^(\S+) scx_custody_oldest_custody_age_seconds\{scheduler="([^"]*)"\} (\S+)$')


def check_report(c, report, sched, pid, hold_ms):
    held = report.get("held_longest", [])
    mine = [h for h in held if h.get("pid") == pid]
    if not c.check(len(mine) == 1, f"held_longest does not name pid {pid} once: "
                   f"{[(h.get('pid'), h.get('comm'), h.get('held_ns')) for h in held]}"):
        return
    h = mine[0]
    c.check(h["comm"] == "custody-held", f"comm {h['comm']!r}")
    c.check(h["scheduler"] == "custody_ref", f"scheduler {h['scheduler']!r}")
    c.check(h["dsq_id"] == HOLD_DSQ, f"dsq_id {h['dsq_id']} is not the hold DSQ")
    c.check(h["held_ns"] >= (hold_ms - 1) * 1_000_000,
            f"held {h['held_ns'] / 1e6:.1f} ms < hold {hold_ms} ms")
    c.check(h["enter_ts_ns"] > 0 and h["end_ts_ns"] - h["enter_ts_ns"] == h["held_ns"],
            f"enter {h['enter_ts_ns']} / end {h['end_ts_ns']} do not span held_ns")
    first = h["transitions"][0] if h["transitions"] else {}
    c.check(first.get("event") == "enqueue" and first.get("dsq_id") == HOLD_DSQ and
            first.get("state_after") == "in_custody",
            f"first transition is not the enqueue onto the hold DSQ: {first}")
    counters = sched.get("stats", {}).get("counters", {})
    c.check(counters.get("enter_enqueue_hold", 0) > 0 and
            counters.get("dispatch_hold_release", 0) > 0,
            f"the scheduler counted no hold or release: {counters.get('enter_enqueue_hold')}, "
            f"{counters.get('dispatch_hold_release')}")


def check_metric(c, outdir, hold_ms):
    path = outdir / "export" / "oldest_age.txt"
    samples = []
    for line in path.read_text().splitlines() if path.exists() else []:
        m = AGE.match(line)
        if m and m.group(2) == "custody_ref":
            samples.append((float(m.group(1)), float(m.group(3))))
    if not c.check(len(samples) >= 2,
                   f"fewer than 2 samples of the age for custody_ref in {path}"):
        return
    gap = max(b[0] - a[0] for a, b in zip(samples, samples[1:]))
    hold_s = hold_ms / 1000
    if not c.check(gap < hold_s - 0.5, f"reads {gap:.2f} s apart: too slow to catch a "
                   f"{hold_ms} ms hold"):
        return
    top = max(age for _, age in samples)
    c.check(top >= hold_s - gap - 0.2, f"the oldest custody age peaked at {top:.3f} s < hold "
            f"{hold_s} s - gap {gap:.2f} s - 0.2 s ({len(samples)} samples)")
    c.check(top <= (hold_ms + 2000) / 1000, f"the oldest custody age reached {top:.3f} s, "
            f"more than the hold + 2 s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("outdir")
    args = ap.parse_args()
    outdir = pathlib.Path(args.outdir)
    lines = vmcheck.results(outdir)
    c = vmcheck.Checks()
    setup = [d for d in lines if "held_pid" in d]
    status = [d["held_task"] for d in lines if "held_task" in d]
    c.check(status == ["done"], f"scenario status {status}")
    if not setup:
        return c.finish(f"held_task {args.kernel}: no held pid reported")
    pid, hold_ms = setup[0]["held_pid"], setup[0]["hold_ms"]
    report, audit_exit = vmcheck.one_audit(lines)
    sched_path = outdir / "export" / "sched.json"
    sched = json.loads(sched_path.read_text()) if sched_path.exists() else {}
    check_report(c, report, sched, pid, hold_ms)
    vmcheck.replay_matches(c, args.binary, outdir, report, audit_exit)
    check_metric(c, outdir, hold_ms)
    # `run` has no output file: while it ran, only the scenario's own files
    # were written on the guest's writable file systems.
    written = [d["written_while_run"] for d in lines if "written_while_run" in d]
    want = ["/export/metrics.txt", "/export/oldest_age.txt", "/tmp/daemon.log", "/tmp/sched.log"]
    c.check(written == [want], f"written while run ran: {written}, want [{want}]")
    return c.finish(f"held_task {args.kernel}: pid {pid} held {hold_ms} ms, named in the report "
                    f"and the metric")


if __name__ == "__main__":
    sys.exit(main())
