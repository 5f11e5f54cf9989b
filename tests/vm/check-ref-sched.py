#!/usr/bin/env python3
"""check-ref-sched.py --expect MODE --kernel VER OUTDIR

Asserts the reference scheduler's own counters from a guest run
(results.jsonl, schema scx-custody/ref-stats/v1):

  every mode: ran and unregistered cleanly, >= 1000 custody enters, every
              custody path driven at least once (paths that need kfuncs the
              kernel cannot bind must be reported as such, and only where
              expected), its own bookkeeping balanced;
  pre-fix     (7.0.13): custody enters exceed ops.dequeue calls;
  remote-bug  (7.1.13): enters == dequeues + abandoned at unload, and
              dequeues flagged SCX_DEQ_CORE_SCHED_EXEC appear;
  fixed       (7.2.12, 7.3.4): enters == dequeues + abandoned, none flagged
              SCX_DEQ_CORE_SCHED_EXEC, nothing ended without a dequeue.
"""
import sys

import vmcheck

PATHS = [
    "enter_select_user", "enter_enqueue_fifo", "enter_enqueue_vtime", "enter_enqueue_held",
    "enqueue_reenq", "direct_select_local", "direct_enqueue_local", "direct_enqueue_local_on",
    "direct_enqueue_global", "dispatch_move_to_local", "dispatch_held_local", "dispatch_held_user",
]
ITERATOR_PATHS = ["dispatch_dsq_move_local", "dispatch_dsq_move_user"]
# Debian 7.1.13 cannot bind the DSQ iterator kfuncs (docs/ARCHITECTURE.md).
NO_ITERATOR_KERNELS = {"7.1.13"}


def main():
    args = vmcheck.arguments(__doc__).parse_args()
    checks = vmcheck.Checks()
    check = checks.check
    r = vmcheck.with_schema(vmcheck.results(args.outdir), vmcheck.REF_SCHEMA)
    s = r["stats"]
    c = s["counters"]
    enters, dequeues, in_custody = s["custody_enter"], s["dequeue"], s["in_custody"]

    check(vmcheck.kernel_matches(r["kernel"], args.kernel), f"kernel {r['kernel']} is not {args.kernel}")
    check(not r["ejected"], f"scheduler was ejected: {r.get('exit')}")
    check(r.get("exit", {}).get("kind") == 64, f"exit kind is not SCX_EXIT_UNREG: {r.get('exit')}")
    check(enters >= 1000, f"only {enters} custody enters (< 1000)")
    check(s["balance"] == 0, f"own bookkeeping unbalanced: balance={s['balance']}")
    for path in PATHS:
        check(c[path] > 0, f"path {path} was never driven")
    expect_iterator = args.kernel not in NO_ITERATOR_KERNELS
    check(r["caps"]["dsq_iterator"] == expect_iterator,
          f"dsq_iterator capability {r['caps']['dsq_iterator']}, expected {expect_iterator}")
    for path in ITERATOR_PATHS:
        if expect_iterator:
            check(c[path] > 0, f"path {path} was never driven")
        else:
            check(c[path] == 0, f"path {path} driven on a kernel that cannot bind it")

    if args.expect == "pre-fix":
        check(enters > dequeues, f"pre-fix kernel: enters {enters} do not exceed dequeues {dequeues}")
        check(s["ended_without_dequeue"] > 0, "pre-fix kernel: no custody ended without dequeue")
    else:
        # Once in ~40 runs (7.3.4) the scheduler saw a task run while it held
        # it from a select_cpu insert: the kernel can drop that insert (it
        # discards direct dispatches when bypass starts, as at unload), and
        # the scheduler counts a custody that never began. One is allowed
        # and printed; the audit tests see the kernel's side.
        unexplained = enters - dequeues - in_custody
        check(0 <= unexplained <= 1 and unexplained == s["ended_without_dequeue"],
              f"enters {enters} != dequeues {dequeues} + abandoned {in_custody}")
        check(c["dequeue_outside_custody"] == 0,
              f"{c['dequeue_outside_custody']} dequeues outside custody")
        check(0 <= s["ended_without_dequeue"] <= 1,
              f"{s['ended_without_dequeue']} custodies ended without dequeue")
        if s["ended_without_dequeue"]:
            print(f"note: {s['ended_without_dequeue']} custody ended without dequeue in the "
                  "scheduler's own view (a dropped select_cpu insert)")
        if args.expect == "remote-bug":
            check(c["dequeue_core_sched"] > 0, "no SCX_DEQ_CORE_SCHED_EXEC dequeues (remote-arrival bug not seen)")
        else:
            check(c["dequeue_core_sched"] == 0, f"{c['dequeue_core_sched']} SCX_DEQ_CORE_SCHED_EXEC dequeues")

    summary = (f"{args.kernel}: enters={enters} dequeues={dequeues} abandoned={in_custody} "
               f"core_sched={c['dequeue_core_sched']} sched_change={c['dequeue_sched_change']} "
               f"ended_without_dequeue={s['ended_without_dequeue']}")
    return checks.finish(summary)


if __name__ == "__main__":
    sys.exit(main())
