"""The guest checks' one library: arguments, result loading, assertions, replay.

A guest scenario prints result lines ("@@R {json}") that tests/vm/run-guest
collects in OUTDIR/results.jsonl, and files from the guest's /export land in
OUTDIR/export. Each check-*.py script collects failures with Checks.check()
and ends with Checks.finish(), which prints one summary line and returns the
exit status (0 passed, 1 failed; a result set too broken to judge raises
SystemExit with a FAIL line).

The violation kinds are never listed here: they are the keys of the daemon's
own report (violation_kinds()), so a kind added to the daemon is checked
everywhere without editing a list.
"""
import argparse
import copy
import json
import pathlib
import re
import subprocess

AUDIT_SCHEMA = "scx-custody/audit/v1"
REF_SCHEMA = "scx-custody/ref-stats/v1"
# The audit's exit status for each verdict (docs/CONTRACT.md).
EXIT = {"clean": 0, "violations": 1, "inconclusive": 4}
# What each kernel's custody semantics are called on the command line
# (tests/vm/CMakeLists.txt passes --expect).
SEMANTICS = ["pre-fix", "remote-bug", "fixed"]


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    def equal(self, name, got, want):
        """got == want, reported as 'name got != want'."""
        return self.check(got == want, f"{name} {got} != {want}")

    def finish(self, summary):
        if self.failures:
            print(f"FAIL {summary}")
            for f in self.failures:
                print(f"  - {f}")
            return 1
        print(f"ok {summary}")
        return 0


def arguments(doc, expect=SEMANTICS, binary=False, modes=None):
    """The usual command line: [MODE] [--expect SEMANTICS] --kernel VER [--binary FILE] OUTDIR."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    if expect:
        ap.add_argument("--expect", required=True, choices=expect,
                        help="the kernel's custody semantics")
    ap.add_argument("--kernel", required=True, help="guest kernel version, e.g. 7.3.4")
    if binary:
        ap.add_argument("--binary", required=True, help="the host's scx-custody, for replay")
    if modes:
        ap.add_argument("mode", choices=modes)
    ap.add_argument("outdir", type=pathlib.Path, help="run-guest output directory")
    return ap


def results(outdir):
    """OUTDIR/results.jsonl as a list of JSON objects."""
    path = pathlib.Path(outdir) / "results.jsonl"
    if not path.is_file():
        raise SystemExit(f"FAIL: {path} missing: the guest printed no result")
    docs = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except ValueError as error:
            raise SystemExit(f"FAIL: {path}:{n} is not JSON: {error}")
    return [d for d in docs if isinstance(d, dict)]


def only(docs, what, pred):
    """The one document matching pred, or raise."""
    found = [d for d in docs if pred(d)]
    if len(found) != 1:
        raise SystemExit(f"FAIL: want one {what}, got {len(found)}")
    return found[0]


def with_schema(docs, schema):
    return only(docs, f"{schema} document", lambda d: d.get("schema") == schema)


def one_audit(docs):
    """The run's single audit report and its exit status, or raise."""
    report = with_schema(docs, AUDIT_SCHEMA)
    return report, only(docs, "audit exit status", lambda d: "audit_exit" in d)["audit_exit"]


def audit_run(outdir):
    """(Checks, result documents, the audit report, its exit status) of a run."""
    docs = results(outdir)
    report, audit_exit = one_audit(docs)
    return Checks(), docs, report, audit_exit


def scenario_rc(outdir):
    """The scenario's exit status as run-guest wrote it to OUTDIR/rc ('missing' if absent)."""
    path = pathlib.Path(outdir) / "rc"
    return path.read_text().strip() if path.is_file() else "missing"


def kernel_matches(release, version):
    """'7.3.4+deb13-amd64' is version 7.3.4; '7.3.40' is not."""
    return re.fullmatch(re.escape(version) + r"([^0-9.].*)?", str(release)) is not None


def violation_kinds(report):
    """Every kind the daemon judges, as its report lists them."""
    return list(report["violations"])


def nonzero(counts):
    return {k: n for k, n in counts.items() if n}


def verdict_is(c, report, rc, verdict):
    """The report's verdict and the audit's exit status are verdict's."""
    return c.check((report["verdict"], rc) == (verdict, EXIT[verdict]),
                   f"verdict {report['verdict']} exit {rc}, want {verdict}: "
                   f"{report['details'].get('verdict_reasons')}")


def clean_unless_lost(c, report, rc):
    """A fixed kernel: clean with every violation 0; a counted loss may make it
    inconclusive (tasks it touched become indeterminate), never a violation."""
    verdict = "inconclusive" if report["lost_events"] and report["verdict"] != "clean" else "clean"
    verdict_is(c, report, rc, verdict)
    c.check(not nonzero(report["violations"]), f"violations {nonzero(report['violations'])}")


def skipped_runs_only(c, report, most=2):
    """No record dropped; every lost event a tracer run the kernel skipped
    (details.tracer.missed_runs: seen only on 7.0.13, once in 6,000-10,000
    custodies), at most `most`. Returns the lost events: the counts may
    differ by as many (each hides one record)."""
    tracer = report["details"]["tracer"]
    lost = report["lost_events"]
    c.check(tracer["dropped"] == 0, f"{tracer['dropped']} records dropped")
    c.check(lost <= most and lost == tracer.get("missed_runs", 0),
            f"{lost} events lost ({tracer.get('missed_runs')} skipped runs)")
    return lost


def books_balance(c, part, name="audit"):
    """Every custody period the audit opened (report or section `part`) ended
    exactly once: by a dequeue (not one of a custody begun unseen), as a missed
    dequeue, abandoned at unload, still open at the end, or left on a terminal
    DSQ at the end with its dequeue unknown (indeterminate; only without
    losses, which make other tasks indeterminate too)."""
    if part["lost_events"]:
        return
    d, counts = part["details"], part["counts"]
    ends = {"dequeues": counts["dequeue"],
            "- after indeterminate": -d["dequeue_after_indeterminate"],
            "missed": part["violations"]["missed_dequeue"],
            "abandoned": d["custody_abandoned_at_unload"],
            "open at end": d["in_custody_at_end"],
            "indeterminate": part["indeterminate"]}
    c.check(counts["custody_enter"] == sum(ends.values()),
            f"{name}: custody_enter {counts['custody_enter']} != "
            + " + ".join(f"{k} {v}" for k, v in ends.items()))


def replay_matches(c, binary, outdir, report, audit_exit, recording="audit.rec"):
    """The exported recording replays on the host to the identical report."""
    path = pathlib.Path(outdir) / "export" / recording
    if not c.check(path.is_file(), f"no recording {recording} exported from the guest"):
        return
    try:
        out = subprocess.run([binary, "replay", str(path), "--format", "json"],
                             capture_output=True, text=True)
    except OSError as error:
        c.failures.append(f"cannot run {binary} (build scx-custody first): {error}")
        return
    c.check(out.returncode == audit_exit,
            f"replay exit {out.returncode} != {audit_exit}: {out.stderr.strip()[:300]}")
    try:
        replay_equals(c, json.loads(out.stdout), report, "replayed report differs from the live one")
    except json.JSONDecodeError:
        c.failures.append(f"replay printed no JSON: {out.stderr.strip()[:300]}")


def replay_equals(c, replayed, live, message):
    """A replay's report equals the live one, but for schedulers[].kernel_events:
    the kernel's own event counters are read by the live audit only and a
    recording does not carry them, so the replay must say they were not
    recorded (and everything else must be identical)."""
    for section in replayed.get("schedulers", []):
        events = section.get("kernel_events", {})
        c.check(events.get("available") is False and
                "not recorded" in events.get("note", ""),
                f"replayed kernel_events should say not recorded: {events}")
    c.check(without_kernel_events(replayed) == without_kernel_events(live), message)


def without_kernel_events(report):
    stripped = copy.deepcopy(report)
    for section in stripped.get("schedulers", []):
        section.pop("kernel_events", None)
    return stripped


def instances(report):
    return report.get("coverage", {}).get("instances", [])


def sections_text(report):
    return ",".join(f"{s['name']}#{s.get('instance_id')}(found_by={s.get('found_by')}, "
                    f"enter={s['counts']['custody_enter']}, deq={s['counts']['dequeue']})"
                    for s in report["schedulers"])


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")


def exposition(path):
    """A /metrics scrape as {(metric name, label text): value}."""
    out = {}
    for line in pathlib.Path(path).read_text().splitlines():
        m = _SAMPLE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def metric_total(samples, name, label=""):
    """Sum of the samples of metric `name` whose label text contains `label`."""
    return sum(v for (n, labels), v in samples.items() if n == name and label in labels)
