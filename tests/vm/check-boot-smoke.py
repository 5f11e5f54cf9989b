#!/usr/bin/env python3
"""check-boot-smoke.py [--cpus N] EXPECTED_KERNEL_VERSION OUT_DIR

Checks the results of scenarios/boot_smoke.sh. Passes when OUT_DIR/results.jsonl
holds exactly one boot_smoke line, from a kernel whose release starts with
EXPECTED_KERNEL_VERSION (e.g. "7.3.4" matches "7.3.4+deb13-amd64" but not
"7.3.40"), reporting sched_ext present and disabled, BTF present, N CPUs
online (default 2), stress-ng exit 0, and the scenario's exit code in
OUT_DIR/rc is 0.
"""
import argparse
import pathlib
import sys

import vmcheck


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("version")
    ap.add_argument("out_dir", type=pathlib.Path)
    args = ap.parse_args()

    c = vmcheck.Checks()
    r = vmcheck.only(vmcheck.results(args.out_dir), "boot_smoke result line",
                     lambda d: d.get("test") == "boot_smoke")
    c.check(vmcheck.kernel_matches(r.get("kernel", ""), args.version),
            f"kernel is {r.get('kernel')!r}, expected version {args.version}")
    expect = {"sched_ext_state": "disabled", "btf": True, "cpus_online": args.cpus,
              "stress_ng_rc": 0, "ok": True}
    for key, want in expect.items():
        c.check(r.get(key) == want, f"{key} is {r.get(key)!r}, expected {want!r}")
    c.check(isinstance(r.get("btf_size"), int) and r["btf_size"] > 0,
            f"btf_size is {r.get('btf_size')!r}, expected > 0")
    c.equal("scenario exit code", vmcheck.scenario_rc(args.out_dir), "0")
    return c.finish(f"{r.get('kernel')}: sched_ext {r.get('sched_ext_state')}, "
                    f"BTF {r.get('btf_size')} bytes, {r.get('cpus_online')} CPUs, "
                    f"stress-ng exit {r.get('stress_ng_rc')}")


if __name__ == "__main__":
    sys.exit(main())
