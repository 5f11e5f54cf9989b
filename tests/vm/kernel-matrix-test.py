#!/usr/bin/env python3
"""tests/vm/kernel-matrix-test.py --matrix SCRIPT --binary FILE --out DIR

Runs scripts/kernel-matrix on 7.1.13 and 7.3.4 (8 s each, both guests at once)
and checks what it printed and wrote against each guest's own JSON report:
  - the exit status follows the documented mapping from the verdicts (7.1.13
    must show violations, so 1);
  - both guests were booting before either finished (they ran in parallel);
  - the table has one row per kernel with the report's verdict, custody periods
    and every violation kind's count (its legend names a column for each kind
    the daemon's report lists, no more);
  - junit.xml parses, has one testcase per kernel, a <failure> exactly for
    "violations", <skipped> for "inconclusive", nothing for "clean";
  - index.html links each kernel's report.html, which exists and carries the
    same verdict.
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

KERNELS = ["7.1.13", "7.3.4"]
EXIT = {"violations": 1, "inconclusive": 4, "clean": 0}
errors = []


def check(condition, message):
    if not condition:
        errors.append(message)
        print(f"kernel-matrix-test.py: FAIL: {message}", file=sys.stderr)


def run_matrix(args, out):
    command = [args["--matrix"], "--kernels", ",".join(KERNELS), "--duration", "8",
               "--out", str(out), "--binary", args["--binary"]]
    print("+ " + " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    sys.stderr.write(done.stderr)
    sys.stdout.write(done.stdout)
    return done


def check_parallel(progress):
    """Both kernels began booting before either one finished."""
    booting, finished = {}, []
    for at, line in enumerate(progress.splitlines()):
        m = re.match(r"\[\s*\d+ s\] (\S+)\s+(\S+)", line)
        if not m or m.group(1) not in KERNELS:
            continue
        if m.group(2) == "booting":
            booting[m.group(1)] = at
        elif m.group(2) in ("clean", "violations", "inconclusive", "guest-failed",
                            "audit-failed"):
            finished.append(at)
    check(set(booting) == set(KERNELS) and finished and max(booting.values()) < min(finished),
          f"the guests did not run at once: booting at lines {booting}, finished at {finished}")


def kind_columns(table):
    """{column: violation kind} from the table's legend line
    "(custody = custody periods; missed = missed_dequeue, ...)"."""
    m = re.search(r"^\(custody = custody periods; (.*)\)$", table, re.M)
    return dict(pair.split(" = ", 1) for pair in m.group(1).split(", ")) if m else {}


def check_table(table, reports):
    rows = {}
    for line in table.splitlines():
        cells = line.split()
        if cells and (cells[0] in KERNELS or cells[0] == "kernel"):
            rows[cells[0]] = cells
    check(set(rows) == set(KERNELS) | {"kernel"}, f"table rows {sorted(rows)}, expected {KERNELS}")
    columns = kind_columns(table)
    header = rows.get("kernel", [])
    check(header == ["kernel", "verdict", "custody"] + list(columns) + ["lost"],
          f"table header {header}, legend {columns}")
    for kernel, report in reports.items():
        check(sorted(columns.values()) == sorted(report["violations"]),
              f"the table's kinds {sorted(columns.values())}, {kernel}'s report has "
              f"{sorted(report['violations'])}")
        cells = rows.get(kernel, [])
        expected = [kernel, report["verdict"], str(report["counts"]["custody_enter"])] + \
            [str(report["violations"].get(kind)) for kind in columns.values()] + \
            [str(report["lost_events"])]
        check(cells == expected, f"table row for {kernel}: {cells}, report says {expected}")


def check_junit(path, reports):
    suite = ET.parse(path).getroot()
    check(suite.tag == "testsuite", f"junit root is <{suite.tag}>")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    check(set(cases) == set(KERNELS), f"junit testcases {sorted(cases)}")
    check(suite.get("tests") == str(len(KERNELS)), f"junit tests={suite.get('tests')}")
    failures = sum(r["verdict"] == "violations" for r in reports.values())
    check(suite.get("failures") == str(failures), f"junit failures={suite.get('failures')}")
    want_child = {"violations": "failure", "inconclusive": "skipped", "clean": None}
    for kernel, report in reports.items():
        case = cases.get(kernel)
        if case is None:
            continue
        children = [child.tag for child in case]
        expected = want_child[report["verdict"]]
        check(children == ([expected] if expected else []),
              f"junit {kernel} ({report['verdict']}) has {children}")


def check_index(out, reports):
    index = (out / "index.html").read_text()
    for kernel, report in reports.items():
        check(f'href="{kernel}/report.html"' in index, f"index.html does not link {kernel}")
        check(f'data-kernel="{kernel}" data-status="{report["verdict"]}"' in index,
              f"index.html row for {kernel} lacks its verdict")
        page = out / kernel / "report.html"
        check(page.is_file() and f'data-verdict="{report["verdict"]}"' in page.read_text(),
              f"{page} missing or with another verdict")


def main(argv):
    args = dict(zip(argv[::2], argv[1::2]))
    if len(argv) % 2 or not {"--matrix", "--binary", "--out"} <= args.keys():
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(args["--out"]).resolve()
    done = run_matrix(args, out)
    reports = {}
    for kernel in KERNELS:
        path = out / kernel / "report.json"
        check(path.is_file(), f"no report for {kernel} ({path})")
        if path.is_file():
            reports[kernel] = json.loads(path.read_text())
    if len(reports) != len(KERNELS):
        return 1
    check(reports["7.1.13"]["verdict"] == "violations",
          f"7.1.13 verdict {reports['7.1.13']['verdict']}, expected violations")
    expected_exit = max((EXIT[r["verdict"]] for r in reports.values()),
                        key=lambda code: [0, 4, 1].index(code))
    check(done.returncode == expected_exit,
          f"kernel-matrix exited {done.returncode}, expected {expected_exit}")
    check_parallel(done.stderr)
    check_table(done.stdout, reports)
    check_junit(out / "junit.xml", reports)
    check_index(out, reports)
    if errors:
        return 1
    verdicts = ", ".join(f"{kernel} {report['verdict']}" for kernel, report in reports.items())
    print(f"kernel-matrix-test.py: ok: {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
