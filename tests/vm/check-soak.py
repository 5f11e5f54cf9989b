#!/usr/bin/env python3
"""check-soak.py --kernel VER OUTDIR

`scx-custody run` for ten minutes under a high event rate with task churn
(scenarios/soak.sh). Required:
  - the daemon ran to the end and exited 0 on SIGTERM;
  - resident memory flat: after the first WARMUP_S seconds (the task table,
    the ring-buffer reader's buffers and the Prometheus families reach their
    working size while the first tasks are seen), VmRSS never exceeds the
    value at WARMUP_S by more than 10 %;
  - the task table bounded by the live tasks: every `tasks tracked` in the
    daemon's summaries is at most the largest number of threads alive in the
    guest (samples every 10 s), although stress-ng forks thousands of tasks:
    exited tasks leave the table.
"""
import pathlib
import re
import sys

import vmcheck

WARMUP_S = 60
RSS_GROWTH = 1.10  # "flat within 10 %" (the claim in docs/ARCHITECTURE.md)


def main():
    args = vmcheck.arguments(__doc__, expect=None).parse_args()
    export = pathlib.Path(args.outdir) / "export"
    checks = vmcheck.Checks()
    done = [r for r in vmcheck.results(args.outdir) if "soak" in r]
    if not checks.check(len(done) == 1 and done[0]["soak"] == "done", f"soak did not finish: {done}"):
        return checks.finish(f"soak on {args.kernel}")
    checks.check(done[0]["daemon_alive"] == 1 and done[0]["daemon_exit"] == 0,
                 f"daemon alive={done[0]['daemon_alive']} exit={done[0]['daemon_exit']}")
    samples = [tuple(map(int, line.split("\t")))
               for line in (export / "samples.tsv").read_text().splitlines()]
    after = [s for s in samples if s[0] >= WARMUP_S]
    if not checks.check(len(after) >= 2, f"too few samples after {WARMUP_S} s: {len(after)}"):
        return checks.finish(f"soak on {args.kernel}")
    base, peak = after[0][1], max(s[1] for s in after)
    checks.check(peak <= base * RSS_GROWTH,
                 f"VmRSS grew from {base} kB at {after[0][0]} s to {peak} kB (> {RSS_GROWTH:.2f}x)")
    live_max = max(s[2] for s in samples)
    log = (export / "daemon.log").read_text()
    tracked = [int(n) for n in re.findall(r"tasks tracked (\d+)", log)]
    checks.check(len(tracked) >= len(samples) // 2, f"only {len(tracked)} summaries in the log")
    checks.check(max(tracked, default=0) <= live_max,
                 f"task table reached {max(tracked, default=0)} > {live_max} live threads")
    forks = re.findall(r"custody enters (\d+)", log)
    return checks.finish(
        f"soak on {args.kernel}: {samples[-1][0]} s, VmRSS {base} -> {samples[-1][1]} kB "
        f"(peak {peak}), task table max {max(tracked, default=0)} (live threads max {live_max}), "
        f"custody enters {forks[-1] if forks else '?'}")


if __name__ == "__main__":
    sys.exit(main())
