#!/usr/bin/env python3
"""tests/report/render-check.py --recorder FILE --html-from CMD... --out DIR

The HTML report in a real browser: writes the deterministic recording
(report_recording), renders it to HTML with `scx-custody replay --format html`
(or the recorder's fallback), then loads the page in Debian's chromium
(headless) twice: --dump-dom and --screenshot. Fails when the page logged a
JavaScript error ("Uncaught"), when its own check did not mark it
data-rendered="ok", when a chart has no marks, when the verdict or the escaped
hostile comm is missing, or when the screenshot is not a PNG of the window's size.

Options:
  --recorder FILE   the report_recording tool
  --binary FILE     scx-custody, for `replay --format html`
  --out DIR         where the recording, report.html, dom.html, report.png go
"""
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

WINDOW = (1200, 1400)
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}"]


def fail(message):
    print(f"render-check.py: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def browser():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    fail("chromium not found: run scripts/setup (apt package chromium)")


def run_browser(page, extra, out_dir, name):
    """chromium headless on the page with a fresh profile; returns (stdout, log)."""
    with tempfile.TemporaryDirectory(prefix="render-check-") as profile:
        done = subprocess.run([browser(), *BROWSER_FLAGS, f"--user-data-dir={profile}", *extra,
                               page.as_uri()], capture_output=True, text=True, timeout=120,
                              cwd=out_dir)
    (out_dir / f"{name}.log").write_text(done.stderr)
    if done.returncode != 0:
        fail(f"chromium {name} exited {done.returncode}; see {out_dir}/{name}.log")
    for line in done.stderr.splitlines():
        if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower()):
            fail(f"JavaScript error while rendering: {line.strip()}")
    return done.stdout


class Dom(HTMLParser):
    """The elements the checks need from the dumped DOM."""

    def __init__(self):
        super().__init__()
        self.root = {}
        self.charts = []  # [data-chart, data-points, marks]
        self.scripts = 0
        self.word = None
        self.text = []
        self._in_word = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "html":
            self.root = a
        elif tag == "svg" and "chart" in classes:
            self.charts.append([a.get("data-chart"), int(a.get("data-points", "0")), 0])
        elif "mark" in classes and self.charts:
            self.charts[-1][2] += 1
        elif tag == "script":
            self.scripts += 1
        self._in_word = tag == "div" and "word" in classes

    def handle_data(self, data):
        self.text.append(data)
        if self._in_word:
            self.word = data.strip()
            self._in_word = False


def png_size(path):
    data = path.read_bytes()[:24]
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def check_dom(dom):
    if dom.root.get("data-rendered") != "ok":
        fail(f"the page's check did not pass: data-rendered={dom.root.get('data-rendered')!r}")
    if int(dom.root.get("data-marks", "0")) <= 0:
        fail("the page counted no chart marks")
    expected = {"timeline-custody_enter", "timeline-dequeue", "custody-duration",
                "section-0-enter", "section-0-dequeue"}
    found = {c[0] for c in dom.charts}
    if not expected <= found:
        fail(f"charts missing: {sorted(expected - found)} (found {sorted(found)})")
    for chart, points, marks in dom.charts:
        if points <= 0 or marks <= 0:
            fail(f"chart {chart} has {points} data points and {marks} marks")
    if dom.word != "VIOLATIONS":
        fail(f"verdict banner says {dom.word!r}, expected 'VIOLATIONS'")
    text = "".join(dom.text)
    for needle in ("missed_dequeue", "late_dequeue", "<script>alert()", "custody_ref"):
        if needle not in text:
            fail(f"text {needle!r} not on the page")
    if dom.scripts != 1:
        fail(f"{dom.scripts} script elements: a comm or name was not escaped")


def main(argv):
    args = dict(zip(argv[::2], argv[1::2]))
    if len(argv) % 2 or not {"--recorder", "--binary", "--out"} <= args.keys():
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(args["--out"]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    recording, page = out / "report.rec", out / "report.html"
    subprocess.run([args["--recorder"], str(recording)], check=True)
    replay = subprocess.run([args["--binary"], "replay", str(recording), "--format", "html",
                             "--output", str(page)])
    if replay.returncode != 1:
        fail(f"replay --format html exited {replay.returncode}, expected 1 (violations)")

    dumped = run_browser(page, ["--dump-dom"], out, "dump-dom")
    (out / "dom.html").write_text(dumped)
    dom = Dom()
    dom.feed(dumped)
    check_dom(dom)

    shot = out / "report.png"
    shot.unlink(missing_ok=True)
    run_browser(page, [f"--screenshot={shot}"], out, "screenshot")
    if not shot.is_file():
        fail("chromium wrote no screenshot")
    if png_size(shot) != WINDOW:
        fail(f"screenshot is {png_size(shot)}, expected {WINDOW}")
    if shot.stat().st_size < 20_000:
        fail(f"screenshot is only {shot.stat().st_size} bytes: a blank page?")
    marks = dom.root.get("data-marks")
    print(f"render-check.py: ok: {len(dom.charts)} charts, {marks} marks, verdict {dom.word}; "
          f"{shot} ({shot.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
