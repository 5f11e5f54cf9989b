#!/usr/bin/env python3
"""Hostile requests against the exporter's HTTP server (scx-custody-metrics-feed:
the real engine, collector and MetricsServer) on 127.0.0.1.

Checks, in order, against one server process:
  1. routes: /, /metrics, /healthz answer GET and HEAD; every other path is 404;
     other methods are 405 (known ones) or 400 (tokens civetweb does not know);
     no label names a pid, a comm or a task;
  2. malformed requests, a 64 KiB URL and a 64 KiB header: a 4xx or a closed
     connection (a 200 only for a tolerated variant of GET /metrics), and
     /metrics answered after each;
  3. slowloris: SLOW connections held half-open (a request head trickled one
     header at a time, reopened when the server drops them) while /metrics is
     scraped in a loop: every scrape answers 200 within --max-latency;
  4. concurrent scrapes: WORKERS clients scraping at once, all 200 and whole;
  5. afterwards: the process is alive, its RSS grew by at most --max-rss-growth-mib
     over the warmed-up value, its thread count did not change, and it exits 0 on
     SIGTERM.
Every loop is bounded by a count or a deadline. Prints the measured numbers.
Exit 0 pass, 1 fail.
"""
import argparse
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
FORBIDDEN_LABELS = {"pid", "tid", "tgid", "comm", "task", "command"}
LABEL_SET = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\{([^}]*)\}")
LABEL_NAME = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="')


class Failures:
    def __init__(self):
        self.items = []

    def check(self, condition, what):
        if not condition:
            self.items.append(what)
        return condition


def exchange(port, raw, timeout=10.0):
    """Sends raw bytes, reads to EOF. Returns (status or 0, headers, body, seconds)."""
    started = time.monotonic()
    data = b""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            while len(data) < (64 << 20):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    elapsed = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
    return (int(match.group(1)) if match else 0), head.decode("latin-1"), body, elapsed


def request(port, method, path, timeout=10.0):
    raw = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
    return exchange(port, raw.encode("latin-1"), timeout)


def scrape(port, timeout=15.0):
    """(ok, seconds): a whole /metrics answer (its Content-Length) with status 200."""
    try:
        status, head, body, elapsed = request(port, "GET", "/metrics", timeout)
    except OSError:
        return False, timeout
    length = re.search(r"(?im)^Content-Length: (\d+)\r?$", head)
    whole = length is not None and int(length.group(1)) == len(body)
    return status == 200 and whole and b"# TYPE scx_custody_build_info" in body, elapsed


def process_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else ""
    return int(fields["VmRSS"]), int(fields["Threads"])  # KiB, count


def start_feed(feed):
    proc = subprocess.Popen([feed, "--listen", f"{HOST}:0", "--duration", "600"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"feed did not announce its port: {line!r} {proc.stderr.read()!r}")
    return proc, int(match.group(1))


def check_routes(port, failures):
    status, head, body, _ = request(port, "GET", "/")
    failures.check(status == 200 and "text/html" in head, f"GET /: {status} {head!r}")
    for link in (b'href="/metrics"', b'href="/healthz"'):
        failures.check(link in body, f"GET /: no link {link.decode()}")
    for path in ("/metrics", "/healthz", "/"):
        status, _, body, _ = request(port, "HEAD", path)
        failures.check(status in (200, 503) and body == b"", f"HEAD {path}: {status}, {len(body)} bytes")
    failures.check(request(port, "GET", "/healthz")[0] in (200, 503), "GET /healthz")
    for path in ("/nope", "/metrics/", "/metricsx", "/healthz/x", "/index.html", "/favicon.ico",
                 "/.git/config", "/%00", "/metrics%00.txt", "/%6detrics", "/x/../metrics",
                 "//metrics", "/../../etc/passwd", "/cgi-bin/x"):
        status = request(port, "GET", path)[0]
        failures.check(status == 404, f"GET {path}: {status}, expected 404")
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "MKCOL", "LOCK",
                   "UNLOCK", "CONNECT", "REPORT"):
        for path in ("/metrics", "/healthz", "/"):
            status, head, body, _ = request(port, method, path)
            failures.check(status == 405 and "Allow: GET, HEAD" in head,
                           f"{method} {path}: {status}, expected 405 with Allow: GET, HEAD")
    # Tokens civetweb does not know are refused before the handler.
    for method in ("TRACE", "COPY", "MOVE", "FOO", "get", "G-ET", "X" * 300):
        status = request(port, method, "/metrics")[0]
        failures.check(status == 400, f"{method[:20]} /metrics: {status}, expected 400")
    print(f"routes: {len(failures.items)} problem(s)")


def check_labels(port, failures):
    status, _, body, _ = request(port, "GET", "/metrics")
    names = set()
    for line in body.decode().splitlines():
        match = LABEL_SET.match(line)
        if match:
            names.update(LABEL_NAME.findall(match.group(1)))
    failures.check(status == 200 and names, f"/metrics: {status}, label names {names}")
    failures.check(not names & FORBIDDEN_LABELS, f"per-task labels: {sorted(names & FORBIDDEN_LABELS)}")
    print(f"label names: {', '.join(sorted(names))}")


# Requests no server should answer with content: a 4xx, or the connection closed
# without an answer (status 0).
BROKEN = [
    b"\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /metrics\r\n\r\n",
    b"GET /metrics HTTP/9.9\r\n\r\n",
    b"GET /metrics HTTP/1.1 extra\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"GET * HTTP/1.1\r\n\r\n",
    b"GET http://example.com/metrics HTTP/1.1\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    bytes(range(256)) * 16 + b"\r\n\r\n",
    b"GET /\x00metrics HTTP/1.1\r\n\r\n",
    b"GET /%zz HTTP/1.1\r\n\r\n",
    b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\n\r\n",
    b"GET /metrics?" + b"q=1&" * 16384 + b" HTTP/1.1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nX-Long: " + b"b" * 65536 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n" + b"X-H: v\r\n" * 4000 + b"\r\n",
    b"POST /metrics HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\npartial body",
]
# A GET of /metrics with odd spacing or framing that civetweb tolerates: the
# metrics (200) or a 4xx are both fine; what matters is what follows.
ODD = [
    b"GET  /metrics  HTTP/1.1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


def check_malformed(port, failures):
    answers = []
    for raw in BROKEN + ODD:
        try:
            status = exchange(port, raw)[0]
        except OSError:
            status = 0
        answers.append(status)
        allowed = status == 0 or 400 <= status < 500 or (raw in ODD and status == 200)
        failures.check(allowed, f"malformed {raw[:40]!r}...: answered {status}")
        failures.check(scrape(port)[0], f"no /metrics after malformed {raw[:40]!r}")
    print(f"malformed requests ({len(answers)}): answers {answers} (0: closed without one)")


class Slowloris:
    """Holds `count` connections with unfinished request heads until stopped."""

    def __init__(self, port, count):
        self.port, self.count = port, count
        self.selector = selectors.DefaultSelector()
        self.opened = self.dropped_by_server = 0

    def _open(self):
        sock = socket.create_connection((HOST, self.port), timeout=5)
        sock.setblocking(False)
        sock.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        self.selector.register(sock, selectors.EVENT_READ)
        self.opened += 1

    def run(self, seconds):
        deadline = time.monotonic() + seconds
        for _ in range(self.count):
            self._open()
        while time.monotonic() < deadline:
            for key, _ in self.selector.select(timeout=0.25):
                self._drop(key.fileobj)
                if time.monotonic() < deadline:
                    self._open()
            for key in list(self.selector.get_map().values()):
                try:
                    key.fileobj.send(b"X-a: b\r\n")
                except OSError:
                    self._drop(key.fileobj)
                    self._open()
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()

    def _drop(self, sock):
        self.selector.unregister(sock)
        sock.close()
        self.dropped_by_server += 1


def check_slowloris(port, count, seconds, max_latency, failures):
    attack = Slowloris(port, count)
    thread = threading.Thread(target=attack.run, args=(seconds,))
    thread.start()
    time.sleep(0.5)  # let the attack take its connections first
    latencies, results = [], []
    deadline = time.monotonic() + seconds - 1
    while time.monotonic() < deadline and len(latencies) < 1000:
        ok, elapsed = scrape(port, timeout=max_latency + 5)
        results.append(ok)
        latencies.append(elapsed)
    thread.join()
    failures.check(all(results) and results, f"slowloris: {results.count(False)} failed scrapes")
    # The attack really held workers: the server timed its connections out.
    failures.check(attack.dropped_by_server >= count,
                   f"slowloris: the server dropped only {attack.dropped_by_server} connections")
    failures.check(max(latencies) <= max_latency,
                   f"slowloris: slowest scrape {max(latencies):.2f} s > {max_latency} s")
    print(f"slowloris ({count} half-open connections, {seconds} s, {attack.opened} opened, "
          f"{attack.dropped_by_server} dropped by the server): {len(latencies)} scrapes, "
          f"median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s "
          f"(bound {max_latency} s)")


def check_concurrent(port, workers, each, failures):
    latencies, results, lock = [], [], threading.Lock()

    def client():
        for _ in range(each):
            ok, elapsed = scrape(port)
            with lock:
                results.append(ok)
                latencies.append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = time.monotonic() - started
    failures.check(len(results) == workers * each and all(results),
                   f"concurrent: {results.count(False)} of {len(results)} scrapes failed")
    print(f"concurrent scrapes ({workers} clients x {each}): {len(results)} in {total:.2f} s, "
          f"median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", required=True, help="scx-custody-metrics-feed")
    parser.add_argument("--slow", type=int, default=200, help="half-open connections")
    parser.add_argument("--slow-seconds", type=int, default=12)
    parser.add_argument("--max-latency", type=float, default=10.0,
                        help="slowest scrape accepted under attack, s (Prometheus' "
                             "default scrape_timeout)")
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--scrapes-each", type=int, default=20)
    parser.add_argument("--max-rss-growth-mib", type=float, default=8.0)
    args = parser.parse_args()

    failures = Failures()
    proc, port = start_feed(args.feed)
    try:
        for _ in range(50):  # warm up: every worker has served, allocators settled
            scrape(port)
        rss_before, threads_before = process_status(proc.pid)
        check_routes(port, failures)
        check_labels(port, failures)
        check_malformed(port, failures)
        check_slowloris(port, args.slow, args.slow_seconds, args.max_latency, failures)
        check_concurrent(port, args.workers, args.scrapes_each, failures)
        time.sleep(3)  # the request timeout closes whatever the attacks left
        for _ in range(20):
            scrape(port)
        rss_after, threads_after = process_status(proc.pid)
        growth = (rss_after - rss_before) / 1024
        print(f"RSS: {rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after "
              f"(+{growth:.1f} MiB, bound +{args.max_rss_growth_mib} MiB); "
              f"threads {threads_before} -> {threads_after}")
        failures.check(growth <= args.max_rss_growth_mib, f"RSS grew by {growth:.1f} MiB")
        failures.check(threads_after == threads_before, "thread count changed")
        failures.check(proc.poll() is None, f"server died: exit {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed after 30 s"
        stderr = proc.stderr.read()
    failures.check(code == 0, f"server exit {code} on SIGTERM: {stderr[-2000:]}")
    for failure in failures.items:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures.items else 0


if __name__ == "__main__":
    sys.exit(main())
