#!/usr/bin/env python3
"""check-audit-attached.py --expect MODE --kernel VER --binary SCX_CUSTODY OUTDIR

The reference scheduler was started by a separate process before the audit
(attached mode, scenarios/audit_attached.sh). Asserts that the audit found it
through its struct_ops map, traced its own ops.dequeue/ops.enqueue, and
reached the kernel's verdict:

  fixed       clean, every violation 0
  remote-bug  violations: late_dequeue > 0 and = custody_flag_mismatch (one
              per remote arrival), missed_dequeue 0
  pre-fix     violations: missed_dequeue > 0 (before 7.1 ops.dequeue runs
              only when a task the scheduler holds is taken from it; those
              few dequeues are bounded by flag like every kernel's, below)

The audit saw the scheduler only from its attach on, so its counts are a
part of the scheduler's own (which cover its whole run): the audit's dequeues
by flag must not exceed the scheduler's, at least 1000 custodies must have
been audited, and the audit's books must balance exactly (every custody it
saw begin ended once; dequeues of custodies begun before the attach are not
counted against them). Tasks already in custody at attach start
indeterminate, never as violations. The recording replays on the host to the
identical report.
"""
import sys

import vmcheck


def scheduler_traced(c, r):
    c.check("reference" not in r, "attached audit carries a reference section")
    c.check([s["name"] for s in r["schedulers"]] == ["custody_ref"],
            f"schedulers: {[s['name'] for s in r['schedulers']]}")
    for s in r["schedulers"][:1]:
        c.check(s.get("implements_dequeue") is True, "implements_dequeue is not true")
    traced = r["details"]["tracer"]["scheduler_hooks"]
    c.check([t["scheduler"] for t in traced] == ["custody_ref"], f"schedulers traced: {traced}")
    hooks = {h["hook"]: h for h in traced[0]["hooks"]} if traced else {}
    for hook, target in (("sched_dequeue", "custody_ref_dequeue"),
                         ("sched_enqueue", "custody_ref_enqueue")):
        h = hooks.get(hook, {})
        c.check(h.get("target") == target and h.get("attached") is True,
                f"{hook} while the scheduler ran: {h}")


def verdict_matches(c, r, audit_exit, expect):
    v = r["violations"]
    if expect == "fixed":
        vmcheck.clean_unless_lost(c, r, audit_exit)
    elif expect == "remote-bug":
        vmcheck.verdict_is(c, r, audit_exit, "violations")
        c.check(v["late_dequeue"] > 0, "no late_dequeue")
        c.equal("late_dequeue (one per remote arrival) vs custody_flag_mismatch",
                v["late_dequeue"], v["custody_flag_mismatch"])
        c.equal("missed_dequeue", v["missed_dequeue"], 0)
    else:
        vmcheck.verdict_is(c, r, audit_exit, "violations")
        c.check(v["missed_dequeue"] > 0, "no missed_dequeue")


def main():
    args = vmcheck.arguments(__doc__, binary=True).parse_args()
    c, lines, r, audit_exit = vmcheck.audit_run(args.outdir)
    ref = vmcheck.with_schema(lines, vmcheck.REF_SCHEMA)
    own, counts = ref["stats"], r["counts"]

    c.check(vmcheck.kernel_matches(r["kernel"], args.kernel), f"kernel {r['kernel']}")
    c.check(not ref["ejected"], f"scheduler ejected: {ref.get('exit')}")
    scheduler_traced(c, r)
    vmcheck.skipped_runs_only(c, r)
    for flag in ("dispatch", "sched_change", "core_sched"):
        a, b = counts[f"dequeue_{flag}"], own["counters"][f"dequeue_{flag}"]
        c.check(a <= b, f"dequeue_{flag}: audit {a} > scheduler's own {b}")
    c.check(counts["custody_enter"] >= 1000, f"only {counts['custody_enter']} custody enters audited")
    c.check(counts["dequeue"] >= 1000 or args.expect == "pre-fix",
            f"only {counts['dequeue']} of the scheduler's {own['dequeue']} dequeues audited")
    vmcheck.books_balance(c, r)
    verdict_matches(c, r, audit_exit, args.expect)
    vmcheck.replay_matches(c, args.binary, args.outdir, r, audit_exit)
    return c.finish(f"{args.kernel}: verdict={r['verdict']} audit dequeue={counts['dequeue']} of "
                    f"scheduler's {own['dequeue']}, indeterminate={r['indeterminate']} "
                    f"{vmcheck.nonzero(r['violations'])}")


if __name__ == "__main__":
    sys.exit(main())
