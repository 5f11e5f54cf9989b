"""Shared helpers for the guest checks: result loading, assertions, replay.

A guest scenario prints result lines ("@@R {json}") that tests/vm/run-guest
collects in OUTDIR/results.jsonl, and files from the guest's /export land in
OUTDIR/export. Each check script collects failures with Checks.check() and
ends with Checks.finish(), which prints one summary line and returns the exit
status.
"""
import json
import pathlib
import subprocess

KINDS = ["missed_dequeue", "duplicate_dequeue", "dequeue_outside_custody", "late_dequeue",
         "wrong_dequeue_flags", "custody_flag_mismatch"]
AUDIT_SCHEMA = "scx-custody/audit/v1"


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    def finish(self, summary):
        if self.failures:
            print(f"FAIL {summary}")
            for f in self.failures:
                print(f"  - {f}")
            return 1
        print(f"ok {summary}")
        return 0


def results(outdir):
    path = pathlib.Path(outdir) / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def one_audit(lines):
    """The run's single audit report and its exit status, or raise."""
    reports = [d for d in lines if d.get("schema") == AUDIT_SCHEMA]
    exits = [d["audit_exit"] for d in lines if "audit_exit" in d]
    if len(reports) != 1 or len(exits) != 1:
        raise SystemExit(f"FAIL: want one audit report and exit code, got {len(reports)}, {exits}")
    return reports[0], exits[0]


def replay_matches(checks, binary, outdir, report, audit_exit, recording="audit.rec"):
    """The exported recording replays on the host to the identical report."""
    out = subprocess.run([binary, "replay", str(pathlib.Path(outdir) / "export" / recording),
                          "--format", "json"], capture_output=True, text=True)
    checks.check(out.returncode == audit_exit,
                 f"replay exit {out.returncode} != {audit_exit}: {out.stderr.strip()[:300]}")
    try:
        checks.check(json.loads(out.stdout) == report, "replayed report differs from the live one")
    except json.JSONDecodeError:
        checks.failures.append(f"replay printed no JSON: {out.stderr.strip()[:300]}")


def instances(report):
    return report.get("coverage", {}).get("instances", [])


def sections_text(report):
    return ",".join(f"{s['name']}#{s.get('instance_id')}(found_by={s.get('found_by')}, "
                    f"enter={s['counts']['custody_enter']}, deq={s['counts']['dequeue']})"
                    for s in report["schedulers"])
