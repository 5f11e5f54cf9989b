#!/usr/bin/env python3
"""Checks that the compiled record loops issue both of the task table's prefetch steps.

usage: check-prefetch.py --build-type TYPE BINARY:FUNCTION [BINARY:FUNCTION ...]

A loop that feeds records with the prefetch hints (AuditSession::prefetch_ahead(),
visit_prefetched()) must contain at least three prefetch instructions once the
compiler has inlined them: the index slot of the record 8 places ahead, and the
two cache lines of the record 4 places ahead (TaskTable::prefetch_record()). A
compiler may delete a prefetch it judges useless: GCC 12 at -O2 and -O3 deleted
the record step whenever its result went unused, which left only the slot step
in the live audit and the benchmarks and went unnoticed, since a prefetch changes
no result. FUNCTION is a substring of the demangled name (objdump -C).

Exit status: 0 every loop has its hints, 1 one does not, 2 the check could not
run, 3 skipped: a build without optimisation (Debug, or no build type) inlines
nothing, so the hints sit in functions of their own and there is no loop to read.
"""

import argparse
import re
import shutil
import subprocess
import sys

# The slot step's one prefetch plus the record step's two (a 48-byte record may
# straddle two cache lines).
MIN_PREFETCHES = 3
OPTIMISED = {"release", "relwithdebinfo", "minsizerel"}
SKIPPED = 3  # ctest's SKIP_RETURN_CODE for bench.prefetch_hints
FUNCTION_START = re.compile(r"^[0-9a-f]+ <(.*?)(?: \[clone [^]]*\])*>:$")
PREFETCH = re.compile(r"^\s*[0-9a-f]+:\s+prefetch\w*\s")


def count_prefetches(disassembly, function):
    """Prefetch instructions in each function whose name contains `function` (the
    parts GCC splits off, "[clone .cold]", counted with the function)."""
    counts = {}
    current = None
    for line in disassembly.splitlines():
        start = FUNCTION_START.match(line)
        if start:
            current = start.group(1) if function in start.group(1) else None
            if current is not None:
                counts.setdefault(current, 0)
        elif current is not None and PREFETCH.match(line):
            counts[current] += 1
    return counts


def check(binary, function):
    """An error message, or None when the function has its hints."""
    try:
        disassembly = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary],
                                     check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"objdump could not read {binary}: {error}") from error
    counts = count_prefetches(disassembly, function)
    if not counts:
        return f"{binary}: no function named like '{function}' (was it renamed?)"
    short = {name: n for name, n in counts.items() if n < MIN_PREFETCHES}
    for name, n in sorted(counts.items()):
        print(f"{binary}: {name}: {n} prefetch instructions")
    if not short:
        return None
    return "; ".join(f"{name} has {n} prefetch instructions, expected at least "
                     f"{MIN_PREFETCHES} (the index slot step and the record's two lines): "
                     "the compiler dropped a hint, see TaskTable::prefetch_for_write()"
                     for name, n in sorted(short.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-type", default="", help="CMAKE_BUILD_TYPE of the binaries")
    parser.add_argument("targets", nargs="+", metavar="BINARY:FUNCTION")
    args = parser.parse_args()
    if args.build_type.lower() not in OPTIMISED:
        print(f"skipped: build type '{args.build_type}' does not inline the hints")
        return SKIPPED
    if shutil.which("objdump") is None:
        print("check-prefetch: objdump not found (Debian: binutils)", file=sys.stderr)
        return 2
    errors = []
    for target in args.targets:
        binary, sep, function = target.partition(":")
        if not sep or not binary or not function:
            print(f"check-prefetch: '{target}' is not BINARY:FUNCTION", file=sys.stderr)
            return 2
        try:
            error = check(binary, function)
        except RuntimeError as failure:
            print(f"check-prefetch: {failure}", file=sys.stderr)
            return 2
        if error:
            errors.append(error)
    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
