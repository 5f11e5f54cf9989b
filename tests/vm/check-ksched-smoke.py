#!/usr/bin/env python3
"""check-ksched-smoke.py --kernel VERSION OUT_DIR

Checks the results of scenarios/ksched_smoke.sh (the kernel's example schedulers).

OUT_DIR/results.jsonl must hold, from a guest whose kernel release starts with
VERSION:
  help     scx_qmap -h exited 0 and lists -I, -F COUNT and -c CG_PATH;
  run      for simple, then qmap: the scheduler became the enabled root
           scheduler (state "enabled", root/ops naming it), was still running
           after the hold, exited 0 on SIGINT with "EXIT: unregistered from
           user space", and sched_ext went back to "disabled";
  hotplug  while qmap ran, cpu1 went offline and online again: hotplug_seq
           rose; the kernel ejected qmap ("cpu 1 going offline": qmap has no
           cpu_offline callback) and qmap's loader loaded it again (>= 2
           loads, enable_seq rose); qmap was enabled again and still so, with
           its loader alive, RUN_SECONDS later; cpu1 is back online;
and OUT_DIR/rc must be 0. Prints one summary line with the numbers.
"""
import sys

import vmcheck

REQUIRED_QMAP_OPTIONS = ["-I", "-F COUNT", "-c CG_PATH"]
SIGINT_EXIT = "EXIT: unregistered from user space"
OFFLINE_EJECT = "cpu 1 going offline"


def one(docs: list, step: str, sched: str, errors: list) -> dict:
    found = [d for d in docs if d.get("step") == step and d.get("sched") == sched]
    if len(found) != 1:
        errors.append(f"expected 1 '{step}' line for {sched}, found {len(found)}")
        return {}
    return found[0]


def check_help(r: dict, errors: list) -> None:
    if r.get("rc") != 0:
        errors.append(f"scx_qmap -h exited {r.get('rc')!r}, expected 0")
    options = r.get("options") or []
    for opt in REQUIRED_QMAP_OPTIONS:
        if opt not in options:
            errors.append(f"scx_qmap -h does not list {opt!r} (lists {options})")


def check_run(r: dict, sched: str, errors: list) -> None:
    expect = {
        "state_running": "enabled",
        "ops_running": sched,
        "alive_after_run": True,
        "rc": 0,
        "exit": SIGINT_EXIT,
        "state_after": "disabled",
    }
    for key, want in expect.items():
        if r.get(key) != want:
            errors.append(f"{sched}: {key} is {r.get(key)!r}, expected {want!r}")
    for key in ("load_ds", "sigint_exit_ds", "disabled_ds"):
        if not isinstance(r.get(key), int) or r[key] < 0:
            errors.append(f"{sched}: {key} is {r.get(key)!r}: that wait timed out in the guest")


def check_hotplug(r: dict, errors: list) -> None:
    ints = ["enable_seq_before", "enable_seq_after", "hotplug_seq_before", "hotplug_seq_after"]
    if not all(isinstance(r.get(k), int) for k in ints):
        errors.append(f"hotplug: sequence numbers missing: {r}")
        return
    if r["hotplug_seq_after"] <= r["hotplug_seq_before"]:
        errors.append(f"hotplug: hotplug_seq did not rise ({r['hotplug_seq_before']} -> "
                      f"{r['hotplug_seq_after']}): the CPU hotplug did not happen")
    if r["enable_seq_after"] <= r["enable_seq_before"]:
        errors.append(f"hotplug: enable_seq did not rise ({r['enable_seq_before']} -> "
                      f"{r['enable_seq_after']}): qmap was not loaded again")
    exits = r.get("exits") or []
    if not isinstance(r.get("loads"), int) or r["loads"] < 2:
        errors.append(f"hotplug: qmap's loader loaded it {r.get('loads')!r} time(s), expected a restart")
    if not exits or OFFLINE_EJECT not in exits[0]:
        errors.append(f"hotplug: qmap's first exit is {exits[:1]!r}, expected it to say "
                      f"{OFFLINE_EJECT!r} (no cpu_offline callback: the kernel ejects it)")
    expect = {"cpu1_online": 1, "enabled_again": True, "state_later": "enabled",
              "ops_later": "qmap", "alive_later": True}
    for key, want in expect.items():
        if r.get(key) != want:
            errors.append(f"hotplug: {key} is {r.get(key)!r}, expected {want!r}")


def main() -> int:
    args = vmcheck.arguments(__doc__, expect=None).parse_args()
    c = vmcheck.Checks()
    errors = c.failures
    docs = [d for d in vmcheck.results(args.outdir) if d.get("test") == "ksched_smoke"]
    for k in {d.get("kernel") for d in docs if "kernel" in d}:
        if not vmcheck.kernel_matches(k, args.kernel):
            errors.append(f"kernel is {k!r}, expected version {args.kernel}")
    help_line = one(docs, "help", "qmap", errors)
    if help_line:
        check_help(help_line, errors)
    runs = {s: one(docs, "run", s, errors) for s in ("simple", "qmap")}
    for sched, r in runs.items():
        if r:
            check_run(r, sched, errors)
    hotplug = one(docs, "hotplug", "qmap", errors)
    if hotplug:
        check_hotplug(hotplug, errors)
    rc = vmcheck.scenario_rc(args.outdir)
    if rc != "0":
        errors.append(f"scenario exit code is {rc}, expected 0")

    if errors:
        return c.finish(args.kernel)
    loads = ", ".join(f"{s} loaded in {r['load_ds'] / 10:.1f} s" for s, r in runs.items())
    return c.finish(
        f"{args.kernel}: {loads}; both left on SIGINT; cpu1 hotplug: hotplug_seq "
        f"{hotplug['hotplug_seq_before']}->{hotplug['hotplug_seq_after']}, enable_seq "
        f"{hotplug['enable_seq_before']}->{hotplug['enable_seq_after']}, qmap enabled again "
        f"after {hotplug['reenable_ds'] / 10:.1f} s in {hotplug['loads']} loads")


if __name__ == "__main__":
    sys.exit(main())
