#!/usr/bin/env python3
"""docs/METRICS.md and the exporter's metric catalog must agree exactly.

The catalog comes from `scx-custody-metrics-feed --list-metrics` (one line per
metric: name, type, comma-separated labels, help; tab-separated). The document's
tables have one row per metric: | `name` | type | `label`, `label` (or —) | meaning |.
Every scx_custody_* name the document mentions elsewhere must exist too (histogram
series suffixes allowed).
"""
import argparse
import re
import subprocess
import sys

ROW = re.compile(r"^\|\s*`(scx_custody_[a-z0-9_]+)`\s*\|([^|]*)\|([^|]*)\|(.*)\|\s*$")
# A metric name, not a file name such as scx_custody_rules.yml.
NAME = re.compile(r"\bscx_custody_[a-z0-9_]+\b(?![.\w])")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def catalog(feed):
    out = subprocess.run([feed, "--list-metrics"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    metrics = {}
    for line in out.splitlines():
        name, kind, labels, help_text = line.split("\t")
        metrics[name] = (kind, tuple(l for l in labels.split(",") if l), help_text)
    return metrics


def documented(path):
    metrics, problems = {}, []
    with open(path, encoding="utf-8") as doc:
        text = doc.read()
    for number, line in enumerate(text.splitlines(), 1):
        match = ROW.match(line)
        if not match:
            continue
        name, kind, labels, meaning = (g.strip() for g in match.groups())
        label_names = tuple(re.findall(r"`([a-z_]+)`", labels))
        if not label_names and labels not in ("—", "-", ""):
            problems.append(f"{path}:{number}: labels of {name} unreadable: {labels!r}")
        if not meaning:
            problems.append(f"{path}:{number}: {name} has no meaning")
        if name in metrics:
            problems.append(f"{path}:{number}: {name} documented twice")
        metrics[name] = (kind, label_names)
    return metrics, set(NAME.findall(text)), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feed", required=True, help="scx-custody-metrics-feed binary")
    parser.add_argument("--doc", required=True, help="docs/METRICS.md")
    args = parser.parse_args()

    code = catalog(args.feed)
    doc, mentioned, problems = documented(args.doc)

    for name in sorted(code.keys() - doc.keys()):
        problems.append(f"{name}: exported but not documented in {args.doc}")
    for name in sorted(doc.keys() - code.keys()):
        problems.append(f"{name}: documented but not exported")
    for name in sorted(code.keys() & doc.keys()):
        kind, labels, help_text = code[name]
        doc_kind, doc_labels = doc[name]
        if kind != doc_kind:
            problems.append(f"{name}: type is {kind}, documented as {doc_kind}")
        if labels != doc_labels:
            problems.append(f"{name}: labels are {list(labels)}, documented as {list(doc_labels)}")
        if not help_text.strip():
            problems.append(f"{name}: no help text")
    for name in sorted(mentioned):
        base = name
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in code:
                base = name[: -len(suffix)]
        if base not in code:
            problems.append(f"{args.doc} mentions {name}, which is not exported")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(code)} metrics: docs/METRICS.md and the catalog agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
