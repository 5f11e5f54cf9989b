#!/usr/bin/env python3
"""check-run-losses.py [--expect MODE] --kernel VER OUTDIR

`scx-custody run --sched reference --ringbuf-mb 1` stopped for 15 s under a
heavy context-switch load, with a real Prometheus evaluating the project's
rules (scenarios/run_losses.sh). Required:
  - the daemon kept running: the scenario finished, /healthz 200 afterwards,
    exit 0 on SIGTERM;
  - the losses are counted: scx_custody_lost_events_total grew across the
    stop, and tasks whose history the losses broke were made indeterminate;
  - the ScxCustodyEventsLost alert fired (Prometheus's /api/v1/alerts);
  - no finding the losses could have invented: scx_custody_violations_total
    of kinds duplicate_dequeue and dequeue_outside_custody stayed 0, and on a
    fixed kernel every kind stayed 0.
"""
import json
import pathlib
import re
import sys

import vmcheck

def violations_by_kind(samples):
    """scx_custody_violations_total summed over CPUs, by its kind label (the
    kinds are the daemon's own: every kind is exported, at 0 when none)."""
    kinds = {}
    for (name, labels), value in samples.items():
        kind = re.search(r'kind="([^"]*)"', labels)
        if name == "scx_custody_violations_total" and kind:
            kinds[kind.group(1)] = kinds.get(kind.group(1), 0) + value
    return kinds


def main():
    args = vmcheck.arguments(__doc__).parse_args()
    export = pathlib.Path(args.outdir) / "export"
    checks = vmcheck.Checks()
    done = [r for r in vmcheck.results(args.outdir) if "run_losses" in r]
    if not checks.check(len(done) == 1 and done[0]["run_losses"] == "done",
                        f"scenario did not finish: {done}"):
        return checks.finish(f"run_losses on {args.kernel}")
    checks.check(done[0]["daemon_exit"] == 0, f"daemon exit {done[0]['daemon_exit']} on SIGTERM")
    checks.check((export / "healthz.txt").read_text().split() == ["after", "200"],
                 f"/healthz after the stop: {(export / 'healthz.txt').read_text().strip()}")
    before = vmcheck.exposition(export / "metrics-before.txt")
    after = vmcheck.exposition(export / "metrics-after.txt")
    lost = (vmcheck.metric_total(after, "scx_custody_lost_events_total") -
            vmcheck.metric_total(before, "scx_custody_lost_events_total"))
    indeterminate = vmcheck.metric_total(after, "scx_custody_indeterminate_total")
    checks.check(lost > 0, "no events lost across the stop: the ring buffer did not overflow")
    checks.check(indeterminate > 0, "losses made no task indeterminate")
    alerts = json.loads((export / "alerts.json").read_text())["data"]["alerts"]
    firing = sorted(a["labels"]["alertname"] for a in alerts if a["state"] == "firing")
    checks.check("ScxCustodyEventsLost" in firing, f"ScxCustodyEventsLost not firing: {firing}")
    kinds = violations_by_kind(after)
    for k in ("duplicate_dequeue", "dequeue_outside_custody"):
        checks.check(kinds.get(k) == 0, f"{kinds.get(k)} {k} after losses: a finding nothing proved")
    if args.expect == "fixed":
        checks.check(sum(kinds.values()) == 0, f"violations on a fixed kernel: {kinds}")
    enters = vmcheck.metric_total(after, "scx_custody_custody_enter_total")
    return checks.finish(
        f"run_losses on {args.kernel}: lost {lost:.0f}, indeterminate {indeterminate:.0f}, "
        f"custody enters {enters:.0f}, alerts firing {firing}, violations {kinds}")


if __name__ == "__main__":
    sys.exit(main())
