#!/usr/bin/env python3
"""scx-custody-metrics-feed refuses a bad --listen with exit 2 and a port it cannot
bind with exit 3, each with a one-line message on stderr and nothing served."""
import argparse
import socket
import subprocess
import sys

TOOL = "scx-custody-metrics-feed"


def run(feed, listen, expect_code, expect_text, problems):
    try:
        result = subprocess.run([feed, "--listen", listen, "--duration", "3"],
                                capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        problems.append(f"--listen {listen!r}: still running after 20 s")
        return
    lines = result.stderr.splitlines()
    label = f"--listen {listen!r}"
    if result.returncode != expect_code:
        problems.append(f"{label}: exit {result.returncode}, expected {expect_code}")
    if len(lines) != 1:
        problems.append(f"{label}: {len(lines)} lines on stderr, expected 1: {result.stderr!r}")
    elif not lines[0].startswith(TOOL + ": ") or expect_text not in lines[0]:
        problems.append(f"{label}: message {lines[0]!r} lacks {expect_text!r}")
    if result.stdout:
        problems.append(f"{label}: unexpected stdout {result.stdout!r}")
    print(f"{label}: exit {result.returncode}: {lines[0] if lines else ''}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feed", required=True)
    args = parser.parse_args()
    problems = []

    for bad in ("foo", "1.2.3.4:99999", "host:", ":9476", "example.com:9476", "127.0.0.1"):
        run(args.feed, bad, 2, "listen address", problems)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        run(args.feed, f"127.0.0.1:{port}", 3, "Address already in use", problems)

    # TEST-NET-1 (RFC 5737) is never a local address.
    run(args.feed, "192.0.2.1:9476", 3, "Cannot assign requested address", problems)

    result = subprocess.run([args.feed, "--no-such-option"], capture_output=True, text=True,
                            timeout=20)
    if result.returncode != 2 or len(result.stderr.splitlines()) != 1:
        problems.append(f"unknown option: exit {result.returncode}, stderr {result.stderr!r}")

    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
