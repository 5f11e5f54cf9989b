#!/usr/bin/env python3
"""End-to-end test of the exporter, the dashboard and the rules with a real Prometheus.

1. starts scx-custody-metrics-feed on a free loopback port and waits for /healthz;
2. lints one scrape with `promtool check metrics`; every catalog metric must be there;
3. starts `prometheus` (temporary directory, loopback port, 1 s scrape and rule
   evaluation, the scx-custody rules loaded) and waits until it holds samples and
   the feed has produced every violation kind and a lost event;
4. evaluates every target of every panel of dashboards/custody.json through the HTTP
   API (template variables substituted, $instance resolved from the server like
   Grafana would) and requires data for each; then every recording rule; and checks
   that the rules evaluate cleanly, ScxCustodyViolations fires and ScxCustodyDaemonDown
   does not;
5. runs `promtool check rules` and `promtool test rules`.
Every wait has a deadline; every process is stopped on exit. Exit 77 (skipped) when
prometheus or promtool is missing. Binds only to 127.0.0.1.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from dashboard_queries import UndefinedVariable, finite_values, substitute, targets, variables_for

SKIP = 77
# The violation kinds come from the exporter itself (its first scrape lists
# every kind at 0), never from a list kept here.
VIOLATION_SERIES = re.compile(r'^scx_custody_violations_total\{[^}]*kind="([^"]+)"', re.M)


class Failure(Exception):
    pass


def log(message):
    print(message, flush=True)


def http_get(url, timeout=5):
    """(status, body); status 0 when the server cannot be reached."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, ""


def wait_for(what, predicate, deadline_s, interval_s=0.25):
    """Polls predicate() until it returns a true value, at most deadline_s seconds."""
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise Failure(f"timed out after {deadline_s} s waiting for {what} (last: {last!r})")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Children started by the test, stopped (TERM, then KILL) on exit."""

    def __init__(self):
        self.children = []

    def start(self, name, argv, **kwargs):
        log(f"starting {name}: {' '.join(argv)}")
        child = subprocess.Popen(argv, **kwargs)
        self.children.append((name, child))
        return child

    def stop(self, child, timeout=10):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=timeout)
        return child.returncode

    def stop_all(self):
        for _, child in reversed(self.children):
            self.stop(child)


class Prometheus:
    def __init__(self, url):
        self.url = url

    def api(self, path, **params):
        query = urllib.parse.urlencode(params, doseq=True)
        status, body = http_get(f"{self.url}/api/v1/{path}?{query}")
        if status != 200:
            raise Failure(f"GET /api/v1/{path} {params}: HTTP {status}: {body[:300]}")
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise Failure(f"/api/v1/{path} {params}: {reply}")
        return reply["data"]

    def query(self, expr):
        return self.api("query", query=expr)

    def vector(self, expr):
        data = self.query(expr)
        return data["result"] if data["resultType"] == "vector" else []


def read_line(stream, deadline_s):
    end = time.monotonic() + deadline_s
    line = b""
    while time.monotonic() < end and not line.endswith(b"\n"):
        ready, _, _ = select.select([stream], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            break
        line += chunk
    return line.decode()


def run(args, processes, tmp):
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            log(f"{tool} not found: skipped")
            return SKIP
    dashboard_path = os.path.join(args.dashboards, "custody.json")
    rules_path = os.path.join(args.dashboards, "rules", "scx_custody_rules.yml")
    rules_test_path = os.path.join(args.dashboards, "rules", "scx_custody_rules_test.yml")

    # 1. The feed, on a port the kernel picks; it prints the URL it serves.
    catalog = subprocess.run([args.feed, "--list-metrics"], check=True, capture_output=True,
                             text=True, timeout=30).stdout.splitlines()
    metric_names = [line.split("\t")[0] for line in catalog]
    feed_log = open(os.path.join(tmp, "feed.stderr"), "w")
    feed = processes.start(
        "feed", [args.feed, "--listen", "127.0.0.1:0", "--rate", "400", "--violation-every",
                 "40", "--lost-every", "4", "--duration", "600"],
        stdout=subprocess.PIPE, stderr=feed_log)
    line = read_line(feed.stdout, 15)
    match = re.search(r"http://(127\.0\.0\.1:\d+)/metrics", line)
    if not match:
        raise Failure(f"feed did not report its address: {line!r}")
    target = match.group(1)
    base = f"http://{target}"
    wait_for("/healthz to answer 200", lambda: http_get(f"{base}/healthz")[0] == 200, 15)
    log(f"feed serving on {target}, /healthz ok")

    # 2. One scrape, linted.
    status, text = http_get(f"{base}/metrics")
    if status != 200:
        raise Failure(f"/metrics: HTTP {status}")
    lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)
    if lint.returncode != 0 or lint.stdout.strip() or lint.stderr.strip():
        raise Failure(f"promtool check metrics: exit {lint.returncode}\n{lint.stdout}{lint.stderr}")
    missing = [n for n in metric_names if f"# TYPE {n} " not in text]
    if missing:
        raise Failure(f"/metrics lacks {missing}")
    kinds = set(VIOLATION_SERIES.findall(text))
    if not kinds:
        raise Failure("/metrics has no scx_custody_violations_total series with a kind label")
    log(f"promtool check metrics: clean ({len(metric_names)} metric families, "
        f"{len(kinds)} violation kinds)")

    # 3. A real Prometheus scraping the feed every second, with the rules loaded.
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {json.dumps(os.path.abspath(rules_path))}\n"
            "scrape_configs:\n  - job_name: scx-custody\n"
            f"    static_configs:\n      - targets: [\"{target}\"]\n")
    prometheus = None
    for attempt in range(3):
        port = free_port()
        prom_log = open(os.path.join(tmp, f"prometheus-{attempt}.log"), "w")
        child = processes.start(
            "prometheus",
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(tmp, f'data-{attempt}')}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=prom_log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for("prometheus /-/ready",
                     lambda: child.poll() is not None or http_get(f"{url}/-/ready")[0] == 200, 30)
        except Failure:
            processes.stop(child)
            raise
        if child.poll() is None:
            prometheus = Prometheus(url)
            break
        log(f"prometheus exited ({child.returncode}), port {port} taken? retrying")
    if prometheus is None:
        raise Failure("prometheus did not start; see its log in the temporary directory")

    up = 'up{job="scx-custody"}'
    wait_for("4 successful scrapes",
             lambda: prometheus.vector(f"sum_over_time({up}[1m]) >= 4"), 30)
    wait_for(f"every violation kind ({', '.join(sorted(kinds))}) counted in Prometheus",
             lambda: {s["metric"].get("kind") for s in prometheus.vector(
                 "sum by (kind) (scx_custody_violations_total) > 0")} == kinds, 60)
    wait_for("a lost event in Prometheus",
             lambda: prometheus.vector("sum(scx_custody_lost_events_total) > 0"), 60)
    log("prometheus has samples of every violation kind and a lost event")

    # 4a. Every dashboard query returns data.
    with open(dashboard_path, encoding="utf-8") as f:
        dashboard = json.load(f)
    instances = prometheus.api("label/instance/values", **{"match[]": "scx_custody_build_info"})
    if instances != [target]:
        raise Failure(f"$instance resolves to {instances}, expected [{target!r}]")
    variables = variables_for(instances[0])
    checked = 0
    for panel, t in targets(dashboard):
        try:
            expr = substitute(t["expr"], variables)
        except UndefinedVariable as error:
            raise Failure(str(error)) from None
        result = prometheus.vector(expr)
        if not finite_values(result):
            raise Failure(f"panel {panel['title']!r} ({t['refId']}): no data for {expr}")
        if t.get("format") == "heatmap" and len(result) < 5:
            raise Failure(f"panel {panel['title']!r}: only {len(result)} heatmap buckets")
        checked += 1
    log(f"dashboard: all {checked} panel queries return data")

    # 4b. Recording rules have data; alerting rules evaluate; the right alerts fire.
    groups = prometheus.api("rules")["groups"]
    if not groups:
        raise Failure("prometheus loaded no rule groups")
    recording = [r["name"] for g in groups for r in g["rules"] if r["type"] == "recording"]
    for name in recording:
        wait_for(f"recording rule {name}", lambda: finite_values(prometheus.vector(name)), 30)
    bad = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"]
           if r.get("health") == "err"]
    if bad:
        raise Failure(f"rules failing to evaluate: {bad}")

    def alert_states():
        alerts = prometheus.api("alerts")["alerts"]
        return {a["labels"]["alertname"]: a["state"] for a in alerts}

    for alert in ("ScxCustodyViolations", "ScxCustodyEventsLost"):
        wait_for(f"{alert} to fire", lambda: alert_states().get(alert) == "firing", 30)
    states = alert_states()
    if "ScxCustodyDaemonDown" in states:
        raise Failure(f"ScxCustodyDaemonDown is {states['ScxCustodyDaemonDown']}")
    log(f"rules: {len(recording)} recording rules have data; alerts: {states}")

    # 5. promtool on the rules.
    for argv in (["promtool", "check", "rules", rules_path],
                 ["promtool", "test", "rules", rules_test_path]):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                cwd=os.path.dirname(rules_path))
        if result.returncode != 0:
            raise Failure(f"{' '.join(argv)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    log("promtool check rules, promtool test rules: ok")

    # The feed stops cleanly on SIGTERM.
    code = processes.stop(feed)
    if code != 0:
        raise Failure(f"feed exited {code} on SIGTERM")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feed", required=True, help="scx-custody-metrics-feed binary")
    parser.add_argument("--dashboards", required=True, help="the dashboards/ directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    # SIGTERM (ctest's timeout) unwinds through the finally below like SIGINT.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes = Processes()
    tmp = tempfile.mkdtemp(prefix="scx-custody-prometheus-")
    started = time.monotonic()
    try:
        code = run(args, processes, tmp)
        log(f"passed in {time.monotonic() - started:.1f} s" if code == 0 else "skipped")
        return code
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        for name in sorted(os.listdir(tmp)):
            if name.endswith((".log", ".stderr")):
                with open(os.path.join(tmp, name), errors="replace") as f:
                    tail = f.read()[-2000:]
                if tail:
                    print(f"--- {name} (tail)\n{tail}", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
