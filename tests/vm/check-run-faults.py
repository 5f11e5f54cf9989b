#!/usr/bin/env python3
"""check-run-faults.py --kernel VER OUTDIR

`scx-custody run --sched attached` under a restarting supervisor while
schedulers come and go (scenarios/run_faults.sh). Required:
  - least privilege: the daemon's main thread holds exactly CAP_BPF,
    CAP_PERFMON and CAP_SYS_ADMIN once attached (it was started with the
    full root set), every other thread (HTTP) holds none;
  - every step answered: the daemon alive, /healthz 200, /metrics scraped;
  - the SIGKILLed daemon was replaced once (pids: first for start and qmap,
    another one from `restarted` on, the same to the end), and the second one
    survived qmap's SIGKILL, the swap, the hotplug and the ejection, and
    exited 0 on SIGTERM;
  - custody was audited: enters counted under qmap by each daemon and under
    the reference scheduler;
  - no finding on this fixed kernel: every violation counter 0 in every
    scrape (a restart, a killed scheduler, an ejection with tasks in custody
    abandon custody or make it unknown; none of them is a violation).
"""
import pathlib
import sys

import vmcheck

STEPS = ["start", "qmap", "restarted", "qmap_killed", "ref", "swapped", "hotplug", "ejected"]
CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN = 39, 38, 21
KEPT = (1 << CAP_BPF) | (1 << CAP_PERFMON) | (1 << CAP_SYS_ADMIN)
def check_capabilities(checks, export, first_pid):
    parent = int((export / "capeff-parent.txt").read_text().strip(), 16)
    threads = [line.split("\t") for line in (export / "capabilities.tsv").read_text().splitlines()]
    main = [int(t[2], 16) for t in threads if t[0] == str(first_pid)]
    others = {f"{t[0]} {t[1]}": int(t[2], 16) for t in threads if t[0] != str(first_pid)}
    checks.check(parent & KEPT == KEPT and parent != KEPT,
                 f"the daemon was started with CapEff {parent:016x}: want a superset of {KEPT:016x}")
    checks.check(main == [KEPT], f"main thread CapEff {[f'{c:016x}' for c in main]} != {KEPT:016x}")
    checks.check(len(others) > 0, "no thread besides the main one (the HTTP server's)")
    held = {name: f"{c:016x}" for name, c in others.items() if c != 0}
    checks.check(not held, f"threads holding capabilities: {held}")
    return parent, main, others


def check_steps(checks, export, first, second):
    rows = [line.split("\t") for line in (export / "steps.tsv").read_text().splitlines()]
    names = [r[0] for r in rows]
    checks.check(names == STEPS, f"steps {names} != {STEPS}")
    for name, pid, alive, healthz, _state in rows:
        want = first if name in ("start", "qmap") else second
        checks.check(pid == str(want), f"{name}: daemon pid {pid}, want {want}")
        checks.check(alive == "1" and healthz == "200", f"{name}: alive={alive} /healthz {healthz}")
    checks.check(first != second, "the SIGKILLed daemon was not replaced")
    exits = [line.split("\t") for line in (export / "daemon-exits.tsv").read_text().splitlines()]
    checks.check(exits == [[str(first), "137"], [str(second), "0"]],
                 f"daemon exits {exits}: want the first killed (137), the second 0 on SIGTERM")


def check_metrics(checks, export):
    sums = {}
    for name in STEPS:
        path = export / f"metrics-{name}.txt"
        if checks.check(path.is_file(), f"no /metrics scrape after {name}"):
            samples = vmcheck.exposition(path)
            sums[name] = {n: vmcheck.metric_total(samples, n) for n, _labels in samples}
    for name, s in sums.items():
        checks.check("scx_custody_violations_total" in s or name == "start",
                     f"{name}: no scx_custody_violations_total series")
        checks.check(s.get("scx_custody_violations_total", 0) == 0,
                     f"{name}: {s.get('scx_custody_violations_total')} violations on a fixed kernel")
    enters = {n: s.get("scx_custody_custody_enter_total", 0) for n, s in sums.items()}
    checks.check(enters.get("qmap", 0) > 0, f"no custody counted under qmap: {enters}")
    checks.check(enters.get("restarted", 0) > 0, f"the restarted daemon counted no custody: {enters}")
    checks.check(enters.get("ref", 0) > enters.get("qmap_killed", 0),
                 f"no custody counted under the reference scheduler: {enters}")
    return sums, enters


def main():
    args = vmcheck.arguments(__doc__, expect=None).parse_args()
    export = pathlib.Path(args.outdir) / "export"
    done = [r for r in vmcheck.results(args.outdir) if "run_faults" in r]
    if len(done) != 1 or done[0]["run_faults"] != "done":
        print(f"FAIL run_faults on {args.kernel}: scenario did not finish: {done}")
        return 1
    first, second = done[0]["first"], done[0]["second"]
    checks = vmcheck.Checks()
    parent, main_caps, others = check_capabilities(checks, export, first)
    check_steps(checks, export, first, second)
    sums, enters = check_metrics(checks, export)
    last = sums.get("ejected", {})
    return checks.finish(
        f"run_faults on {args.kernel}: CapEff {parent:016x} -> main "
        f"{','.join(f'{c:016x}' for c in main_caps)}, {len(others)} other threads at 0; "
        f"custody enters per step {enters}; lost {last.get('scx_custody_lost_events_total', 0):.0f}, "
        f"indeterminate {last.get('scx_custody_indeterminate_total', 0):.0f}, abandoned "
        f"{last.get('scx_custody_custody_abandoned_at_unload_total', 0):.0f}")


if __name__ == "__main__":
    sys.exit(main())
