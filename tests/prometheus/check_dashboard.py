#!/usr/bin/env python3
"""Static checks of dashboards/: the Grafana dashboard and its provisioning files.

- custody.json: uid "scx-custody"; a `datasource` variable of type datasource
  (prometheus) and an `instance` query variable; every panel has a unit, uses the
  ${datasource} variable, a unique id and a grid position inside 24 columns without
  overlapping another; every target has an expression whose variables are defined;
  every scx_custody_* name is a metric of the exporter's catalog, and every catalog
  metric is shown by some panel.
- provisioning/*.yml parse and point at the dashboard (when PyYAML is installed).
"""
import argparse
import json
import os
import re
import subprocess
import sys

METRIC = re.compile(r"\bscx_custody_[a-z0-9_]+")
VARIABLE = re.compile(r"\$\{?(\w+)")
GRAFANA_BUILTINS = {"__range", "__rate_interval", "__interval", "__range_s", "__interval_ms"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def catalog(feed):
    out = subprocess.run([feed, "--list-metrics"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return {line.split("\t")[0] for line in out.splitlines()}


def base_metric(name, known):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in known:
            return name[: -len(suffix)]
    return name


def check_dashboard(path, known, problems):
    with open(path, encoding="utf-8") as f:
        dashboard = json.load(f)
    if dashboard.get("uid") != "scx-custody":
        problems.append(f"uid is {dashboard.get('uid')!r}, expected 'scx-custody'")

    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource for prometheus")
    inst = variables.get("instance")
    if not inst or inst.get("type") != "query":
        problems.append("no `instance` query variable")
    defined = set(variables) | GRAFANA_BUILTINS

    used_metrics = set()
    ids = set()
    cells = {}
    for panel in dashboard.get("panels", []):
        title = panel.get("title", "?")
        pid = panel.get("id")
        if pid in ids:
            problems.append(f"panel {title!r}: duplicate id {pid}")
        ids.add(pid)
        grid = panel.get("gridPos", {})
        if not all(k in grid for k in ("h", "w", "x", "y")) or grid["x"] + grid["w"] > 24:
            problems.append(f"panel {title!r}: bad gridPos {grid}")
        else:
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    if (x, y) in cells:
                        problems.append(f"panel {title!r} overlaps {cells[(x, y)]!r}")
                        break
                    cells[(x, y)] = title
                else:
                    continue
                break
        if panel.get("type") == "row":
            continue

        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            problems.append(f"panel {title!r}: no unit")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"panel {title!r}: datasource is not ${{datasource}}")
        if not panel.get("description"):
            problems.append(f"panel {title!r}: no description")
        targets = panel.get("targets", [])
        if not targets:
            problems.append(f"panel {title!r}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            problems.append(f"panel {title!r}: duplicate refId")
        for target in targets:
            expr = target.get("expr", "")
            if not expr:
                problems.append(f"panel {title!r}: target {target.get('refId')} has no expr")
            if target.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"panel {title!r}: target datasource is not ${{datasource}}")
            for var in VARIABLE.findall(expr):
                if var not in defined:
                    problems.append(f"panel {title!r}: undefined variable ${var}")
            for name in METRIC.findall(expr):
                base = base_metric(name, known)
                if base not in known:
                    problems.append(f"panel {title!r}: {name} is not an exported metric")
                used_metrics.add(base)
    for name in sorted(known - used_metrics):
        problems.append(f"metric {name} is shown by no panel")
    return dashboard


def check_provisioning(directory, problems):
    try:
        import yaml
    except ImportError:
        print("PyYAML not installed: provisioning files not parsed", file=sys.stderr)
        return
    for name in ("datasource.yml", "dashboards.yml"):
        path = os.path.join(directory, "provisioning", name)
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if doc.get("apiVersion") != 1:
            problems.append(f"{path}: apiVersion is not 1")
        if name == "datasource.yml":
            sources = doc.get("datasources") or []
            if not any(s.get("type") == "prometheus" for s in sources):
                problems.append(f"{path}: no prometheus data source")
        else:
            providers = doc.get("providers") or []
            if not any(p.get("type") == "file" and p.get("options", {}).get("path")
                       for p in providers):
                problems.append(f"{path}: no file provider with a path")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dashboards", required=True, help="the dashboards/ directory")
    parser.add_argument("--feed", required=True, help="scx-custody-metrics-feed binary")
    args = parser.parse_args()

    problems = []
    known = catalog(args.feed)
    dashboard = check_dashboard(os.path.join(args.dashboards, "custody.json"), known, problems)
    check_provisioning(args.dashboards, problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    print(f"custody.json: {len(panels)} panels, every one of {len(known)} metrics shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
