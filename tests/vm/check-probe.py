#!/usr/bin/env python3
"""check-probe.py --kernel VER OUTDIR

Asserts `scx-custody probe --format json` from the probe scenario: the hook
names each kernel resolves to, the inlined move_local_task_to_local_dsq
fallback on 7.0/7.1, every hook attached by trial, the running reference
scheduler's own programs traced, and the custody semantics from BTF.
"""
import sys

import vmcheck

DSQ_INSERT = {"7.0.13": "dispatch_enqueue", "7.1.13": "dispatch_enqueue",
              "7.2.12": "dispatch_enqueue", "7.3.4": "scx_dispatch_enqueue"}
LOCAL_MOVE = {"7.0.13": "local_dsq_post_enq", "7.1.13": "local_dsq_post_enq",
              "7.2.12": "move_local_task_to_local_dsq", "7.3.4": "scx_move_local_task_to_local_dsq"}
PROBE_SCHEMA = "scx-custody/probe/v1"
SEMANTICS = {"7.0.13": False, "7.1.13": True, "7.2.12": True, "7.3.4": True}


def main():
    args = vmcheck.arguments(__doc__, expect=None).parse_args()
    docs = [d for d in vmcheck.results(args.outdir) if d.get("schema") == PROBE_SCHEMA]
    if len(docs) != 3:
        raise SystemExit(f"FAIL: expected 3 probe reports (idle, custody_ref, without dequeue), "
                         f"got {len(docs)}")
    idle, ref, nodeq = docs
    c = vmcheck.Checks()
    check = c.check

    for name, doc in (("idle", idle), ("ref", ref)):
        plan = {h["hook"]: h for h in doc["attach_plan"]}
        check(vmcheck.kernel_matches(doc["kernel"], args.kernel), f"{name}: kernel {doc['kernel']}")
        check(doc["custody_semantics"] == SEMANTICS[args.kernel],
              f"{name}: custody_semantics {doc['custody_semantics']}")
        check(plan["dsq_insert"]["target"] == DSQ_INSERT[args.kernel],
              f"{name}: dsq_insert -> {plan['dsq_insert']['target']}")
        check(plan["local_move"]["target"] == LOCAL_MOVE[args.kernel],
              f"{name}: local_move -> {plan['local_move']['target']}")
        if LOCAL_MOVE[args.kernel] == "local_dsq_post_enq":
            check("inlined" in plan["local_move"]["note"] and
                  "move_local_task_to_local_dsq" in plan["local_move"]["candidates"],
                  f"{name}: local_move fallback not explained: {plan['local_move']}")
        for hook in ("dsq_insert", "local_move", "ops_dequeue", "sched_switch", "task_exit"):
            check(plan[hook]["attached"], f"{name}: {hook} not attached: {plan[hook]}")
        check(plan["dsq_insert"]["mechanism"] == "fexit", f"{name}: dsq_insert not fexit")
    check(idle["sched_ext"]["state"] == "disabled", "idle: sched_ext not disabled")
    check("sched_dequeue" not in {h["hook"] for h in idle["attach_plan"]},
          "idle: scheduler hooks planned without a scheduler")
    check(ref["sched_ext"]["scheduler"] == "custody_ref", f"ref: scheduler {ref['sched_ext']}")
    check(ref["implements_dequeue"] is True, "ref: implements_dequeue is not true")
    rplan = {h["hook"]: h for h in ref["attach_plan"]}
    for hook, target in (("sched_dequeue", "custody_ref_dequeue"),
                         ("sched_enqueue", "custody_ref_enqueue")):
        check(hook in rplan and rplan[hook]["attached"] and rplan[hook]["target"] == target,
              f"ref: {hook} {rplan.get(hook)}")
    check(ref["coverage_complete"] is True, "ref: coverage not complete")
    check(nodeq["implements_dequeue"] is False, "without-dequeue: implements_dequeue is not false")
    check(any("does not apply" in line for line in nodeq["visibility"]),
          f"without-dequeue: no 'does not apply' statement: {nodeq['visibility']}")
    nplan = {h["hook"]: h for h in nodeq["attach_plan"]}
    check(not nplan["sched_dequeue"]["attached"] and not nplan["sched_dequeue"]["required"],
          f"without-dequeue: sched_dequeue {nplan['sched_dequeue']}")
    return c.finish(f"{args.kernel}: dsq_insert={DSQ_INSERT[args.kernel]} "
                    f"local_move={LOCAL_MOVE[args.kernel]}")


if __name__ == "__main__":
    sys.exit(main())
