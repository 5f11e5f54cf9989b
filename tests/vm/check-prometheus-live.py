#!/usr/bin/env python3
"""check-prometheus-live.py --expect MODE --kernel VER --dashboards DIR OUTDIR

Judges a scenarios/prometheus_live.sh run: a Prometheus server in the guest
scraped `scx-custody run --sched reference` every second through the standard
workload, then answered the queries in OUTDIR/export/ (queries.tsv, queries/*.json).

  every mode: the scenario finished and the daemon exited 0 on SIGTERM; /healthz
              answered 200 during the workload, after it and at the end; $instance
              resolves to the daemon's one address; the guest evaluated exactly the
              targets of DIR/custody.json (in order, Grafana's variables substituted
              as tests/prometheus/dashboard_queries.py does) and every one returned
              finite data (a heatmap at least 5 buckets); `promtool check metrics` is
              clean on the exported exposition, which carries every metric the
              dashboard shows; the scrape target is up, every BPF program attached,
              custody enters summed over CPUs > 1000 in Prometheus and no more than
              in the later exposition; dequeues per custody enter between 0.8 and
              1.2; every rule evaluated without error; ScxCustodyDaemonDown and
              ScxCustodyProgramDetached not active; the violation kinds
              Prometheus has are the ones the daemon exposes; no counter in
              Prometheus ahead of the later exposition; the daemon's final
              account (export/daemon.log, after the scheduler's unload) has as
              many dequeues as custody enters, as the reference scheduler's
              own books do on 7.1+ (vm.ref_sched: enters = dequeues, nothing
              abandoned), and the exposition's counts are no more than those;
  fixed       (7.3.4): no violation at all (exposed, in Prometheus and in the
              final verdict, which is clean), ScxCustodyViolations not active;
  remote-bug  (7.1.13): final verdict violations; late_dequeue > 0 in
              Prometheus, and ScxCustodyViolations firing for late_dequeue;
              missed_dequeue, duplicate_dequeue and dequeue_outside_custody 0.
"""
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys

import vmcheck

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "prometheus"))
import dashboard_queries  # noqa: E402

DAEMON_ADDRESS = "127.0.0.1:9476"
# run's last log line, after the scheduler's unload and the ring buffer's drain.
FINAL = re.compile(r"stopped: verdict (\w+) over \S+ s \((\d+) custody enters, (\d+) dequeues\)")
METRIC = re.compile(r"\bscx_custody_[a-z0-9_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def parse_exposition(text):
    """{family: {labels-string: value}} of the samples in a text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m:
            samples.setdefault(m.group(1), {})[m.group(2) or ""] = float(m.group(3))
    return samples


def label(labels, name):
    m = re.search(name + r'="([^"]*)"', labels)
    return m.group(1) if m else None


class Guest:
    """The exported files of one run, and the answers to its queries."""

    def __init__(self, c, outdir):
        self.c, self.export, self.results = c, outdir / "export", {}

    def read(self, name):
        path = self.export / name
        if not self.c.check(path.exists(), f"{name} was not exported from the guest"):
            return None
        return path.read_text(errors="replace")

    def queries(self):
        """queries.tsv rows (n, source, status, expr); answers into self.results."""
        rows = [l.split("\t", 3) for l in (self.read("queries.tsv") or "").splitlines()]
        for bad in [r for r in rows if len(r) != 4]:
            self.c.failures.append(f"malformed queries.tsv line: {bad}")
        rows = [r for r in rows if len(r) == 4]
        for n, source, status, expr in rows:
            body = self.export / "queries" / f"{n}.json"
            try:
                reply = json.loads(body.read_text()) if status == "ok" else None
            except (OSError, ValueError) as error:
                status, reply = f"unreadable answer: {error}", None
            if reply is None:
                self.results[(source, expr)] = None
                self.c.failures.append(f"query {n} ({expr}) failed in the guest: {status}")
                continue
            self.c.check(reply.get("status") == "success", f"query {n} ({expr}): {reply}")
            self.results[(source, expr)] = reply.get("data", {}).get("result", [])
        return rows

    def scalar(self, expr, default=math.nan):
        values = dashboard_queries.finite_values(self.results.get(("check", expr)) or [])
        return values[0] if len(values) == 1 else default

    def by_label(self, expr, name):
        return {s["metric"].get(name): float(s["value"][1])
                for s in self.results.get(("check", expr)) or []}


def scenario_account(c, g, outdir, kernel):
    run = vmcheck.only(vmcheck.results(outdir), "prometheus_live result line",
                       lambda d: "prometheus_live" in d)
    c.check(run["prometheus_live"] == "done", f"scenario status: {run['prometheus_live']}")
    c.check(vmcheck.kernel_matches(run.get("kernel", ""), kernel), f"guest kernel {run.get('kernel')}")
    c.check(run["daemon_exit"] == 0, f"the daemon exited {run['daemon_exit']} on SIGTERM")
    answers = dict(l.split("\t", 1) for l in (g.read("healthz.txt") or "").splitlines() if "\t" in l)
    for when in ("during_workload", "after_workload", "end"):
        c.check(answers.get(when) == "200", f"/healthz {when}: {answers.get(when, 'not asked')}")


def resolved_instance(c, g):
    """$instance as Grafana's variable query resolves it."""
    text = g.read("instance.json")
    if text:
        values = json.loads(text).get("data")
        if c.check(values == [DAEMON_ADDRESS], f"$instance resolves to {values}"):
            return values[0]
    return None


def dashboard_answered(c, g, dashboards, instance, rows):
    """The guest evaluated exactly the dashboard's targets, each with data.
    Returns [(panel, target, expr)] and how many had data."""
    dashboard = dashboard_queries.load(dashboards / "custody.json")
    variables = dashboard_queries.variables_for(instance or DAEMON_ADDRESS)
    expected = []
    for panel, target in dashboard_queries.targets(dashboard):
        try:
            expected.append((panel, target, dashboard_queries.substitute(target["expr"], variables)))
        except dashboard_queries.UndefinedVariable as error:
            c.failures.append(f"panel {panel['title']!r}: {error}")
    evaluated = [expr for _, source, _, expr in rows if source == "dashboard"]
    c.check(evaluated == [e for _, _, e in expected],
            "the guest's dashboard queries differ from custody.json's targets (only one side):\n    "
            + "\n    ".join(sorted(set(evaluated) ^ {e for _, _, e in expected})))
    panels_ok = 0
    for panel, target, expr in expected:
        result = g.results.get(("dashboard", expr))
        where = f"panel {panel['title']!r} ({target['refId']})"
        if result is None:
            c.failures.append(f"{where}: not evaluated in the guest: {expr}")
        elif not dashboard_queries.finite_values(result):
            c.failures.append(f"{where}: no data for {expr}")
        elif target.get("format") == "heatmap" and len(result) < 5:
            c.failures.append(f"{where}: only {len(result)} heatmap buckets")
        else:
            panels_ok += 1
    return expected, panels_ok


def exposition_clean(c, text, promtool_name, expected):
    """promtool accepts the exposition, which carries every metric the dashboard shows."""
    promtool = shutil.which(promtool_name)
    if not promtool:
        c.failures.append(f"{promtool_name} not found (Debian package prometheus)")
    elif text:
        lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=60)
        c.check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
                f"promtool check metrics: exit {lint.returncode}\n{lint.stdout}{lint.stderr}")
    shown = set()
    for _, target, _ in expected:
        for name in METRIC.findall(target["expr"]):
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix):
                    name = name[: -len(suffix)]
            shown.add(name)
    missing = sorted(n for n in shown if f"# TYPE {n} " not in text)
    c.check(not missing, f"/metrics lacks {missing}")


def exposed_sum(exposition, family, **where):
    return sum(v for labels, v in exposition.get(family, {}).items()
               if all(label(labels, k) == want for k, want in where.items()))


def custody_counted(c, g, exposition, expected):
    """Scrape and tracer alive; custody counted, Prometheus not ahead of the daemon."""
    up = g.scalar('up{job="scx-custody"}')
    c.check(up == 1, f"up = {up}")
    attached = g.scalar("min(scx_custody_program_attached)")
    c.check(attached == 1, f"min(scx_custody_program_attached) = {attached}")
    c.check(g.scalar("count(scx_custody_program_attached)", 0) >= 1, "no BPF program listed")
    enters = g.scalar("sum(scx_custody_custody_enter_total)")
    exposed_enters = exposed_sum(exposition, "scx_custody_custody_enter_total")
    c.check(enters > 1000, f"sum(scx_custody_custody_enter_total) = {enters} in Prometheus")
    c.check(enters <= exposed_enters,
            f"Prometheus has {enters} custody enters, the later exposition {exposed_enters}")
    ratio_panel = [e for p, t, e in expected if p["title"] == "Dequeues per custody enter"]
    ratio = (dashboard_queries.finite_values(g.results.get(("dashboard", ratio_panel[0])) or [])
             if ratio_panel else [])
    c.check(ratio and 0.8 <= ratio[0] <= 1.2, f"dequeues per custody enter over 30 s: {ratio}")
    return enters, ratio


def final_account(c, g, exposition, expect):
    """The daemon's own last word, after the scheduler's unload: exact books."""
    found = FINAL.findall(g.read("daemon.log") or "")
    if not c.check(len(found) == 1, f"daemon.log has {len(found)} final 'stopped: verdict' lines"):
        return None
    verdict, enters, dequeues = found[0][0], int(found[0][1]), int(found[0][2])
    want = "clean" if expect == "fixed" else "violations"
    lost = exposed_sum(exposition, "scx_custody_lost_events_total")
    c.check(verdict == want or (verdict == "inconclusive" and lost and expect == "fixed"),
            f"final verdict {verdict}, want {want}")
    # Every custody ends with a dequeue by the end of the unload (the kernel
    # dequeues what the scheduler still holds), as the scheduler's own books
    # show on these kernels (vm.ref_sched.*: enters = dequeues + 0 abandoned).
    c.equal("final custody enters vs dequeues", enters, dequeues)
    for family, final in (("scx_custody_custody_enter_total", enters),
                          ("scx_custody_dequeue_total", dequeues)):
        c.check(exposed_sum(exposition, family) <= final,
                f"{family}: exposition {exposed_sum(exposition, family)} > final {final}")
    return verdict, enters


def violations_match(c, g, exposition, expect):
    """Kinds as the daemon exposes them; Prometheus never ahead; exact per kernel."""
    kinds = sorted({label(l, "kind") for l in exposition.get("scx_custody_violations_total", {})})
    c.check(kinds, "the exposition has no scx_custody_violations_total series")
    violations = g.by_label("sum by (kind) (scx_custody_violations_total)", "kind")
    c.check(sorted(violations) == kinds,
            f"violation kinds in Prometheus {sorted(violations)}, exposed {kinds}")
    exposed = {k: exposed_sum(exposition, "scx_custody_violations_total", kind=k) for k in kinds}
    for kind in kinds:
        c.check(violations.get(kind, 0) <= exposed[kind],
                f"{kind}: Prometheus {violations.get(kind)} > exposition {exposed[kind]}")
    if expect == "fixed":
        c.check(not vmcheck.nonzero(exposed), f"violations on a fixed kernel: "
                f"{vmcheck.nonzero(exposed)} (see export/daemon.log)")
    else:
        c.check(violations.get("late_dequeue", 0) > 0,
                f"late_dequeue = {violations.get('late_dequeue')} in Prometheus")
        for kind in ("missed_dequeue", "duplicate_dequeue", "dequeue_outside_custody"):
            c.equal(f"exposed {kind}", exposed.get(kind), 0)
    return violations


def rules_and_alerts(c, g, expect):
    text = g.read("rules.json")
    if text:
        rules = [r for grp in json.loads(text)["data"]["groups"] for r in grp["rules"]]
        c.check(len(rules) >= 1, "Prometheus loaded no rules")
        bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
        c.check(not bad, f"rules not healthy: {bad}")
    text = g.read("alerts.json")
    active = {}
    if text:
        for a in json.loads(text)["data"]["alerts"]:
            active.setdefault(a["labels"]["alertname"], []).append((a["labels"].get("kind"), a["state"]))
        for alert in ("ScxCustodyDaemonDown", "ScxCustodyProgramDetached"):
            c.check(alert not in active, f"{alert} is active: {active.get(alert)}")
        violations = active.get("ScxCustodyViolations", [])
        if expect == "fixed":
            c.check(not violations, f"ScxCustodyViolations active on a fixed kernel: {violations}")
        else:
            c.check(("late_dequeue", "firing") in violations,
                    f"ScxCustodyViolations not firing for late_dequeue: {violations}")
    return active


def main():
    ap = vmcheck.arguments(__doc__, expect=["fixed", "remote-bug"])
    ap.add_argument("--dashboards", required=True, type=pathlib.Path)
    ap.add_argument("--promtool", default="promtool")
    args = ap.parse_args()
    c = vmcheck.Checks()
    g = Guest(c, args.outdir)

    scenario_account(c, g, args.outdir, args.kernel)
    instance = resolved_instance(c, g)
    rows = g.queries()
    expected, panels_ok = dashboard_answered(c, g, args.dashboards, instance, rows)
    text = g.read("metrics.txt") or ""
    exposition = parse_exposition(text)
    exposition_clean(c, text, args.promtool, expected)
    enters, ratio = custody_counted(c, g, exposition, expected)
    final = final_account(c, g, exposition, args.expect)
    violations = violations_match(c, g, exposition, args.expect)
    active = rules_and_alerts(c, g, args.expect)

    timings = dict(l.split("\t", 1) for l in (g.read("timings.txt") or "").splitlines() if "\t" in l)
    parts = [f"{panels_ok}/{len(expected)} panel queries with data", f"enters={enters:.0f}",
             f"dequeues/enter={ratio[0] if ratio else math.nan:.3f}",
             f"lost={g.scalar('sum(scx_custody_lost_events_total)'):.0f}",
             f"final={final}", f"violations={vmcheck.nonzero(violations)}",
             f"alerts={sorted(active)}",
             f"(guest: prometheus ready at {timings.get('prometheus /-/ready', '?')} s, "
             f"done at {timings.get('stopped', '?')} s)"]
    return c.finish(f"{args.kernel}: " + " ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
