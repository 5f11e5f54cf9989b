/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custody_abi.h - the one event ABI between the custody tracer (BPF) and the
 * daemon (C++): record layout, event types, hook ids. Fixed layout with
 * explicit padding; both sides assert every field's offset and the sizes
 * (below, compiled into the BPF object and the daemon alike). Bump
 * CUSTODY_ABI_VERSION on any change: recordings carry it, and the loader
 * refuses a BPF object built against another version.
 */
#ifndef SCX_CUSTODY_ABI_H
#define SCX_CUSTODY_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CUSTODY_ABI_VERSION 6
#define CUSTODY_COMM_LEN 16

enum custody_evt_type {
	CUSTODY_EVT_ENQUEUE = 1, /* the scheduler's ops.enqueue returned; dsq_id = direct-dispatch
				    DSQ or SCX_DSQ_INVALID */
	CUSTODY_EVT_DSQ_INSERT = 2, /* the kernel puts the task on DSQ dsq_id */
	CUSTODY_EVT_DEQUEUE = 3,    /* the scheduler's ops.dequeue ran; flags = deq_flags */
	CUSTODY_EVT_RUNNING = 4,    /* a task the tracer watches started running */
	CUSTODY_EVT_TASK_EXIT = 5,  /* a task the tracer watches exited */
	/*
	 * Scheduler lifecycle, in ring order with the custody records. The task
	 * fields are the registering (or disabling) task's; comm is the first 15
	 * characters of the scheduler's name.
	 *   SCHED_ENABLE   bpf_scx_reg*() entered: dsq_id = struct_ops map id,
	 *                  flags = sub_cgroup_id (0 or 1: a root scheduler)
	 *   SCHED_ENABLED  bpf_scx_reg*() returned: dsq_id = map id, flags = its
	 *                  return value (0: registered)
	 *   SCHED_DISABLE  scx_disable_workfn() returned (every task has left the
	 *                  scheduler): dsq_id = exit kind, flags = sub_cgroup_id
	 */
	CUSTODY_EVT_SCHED_ENABLE = 6,
	CUSTODY_EVT_SCHED_ENABLED = 7,
	CUSTODY_EVT_SCHED_DISABLE = 8,
	/*
	 * SCHED_LOADING  a sched_ext struct_ops map's value was set (the last
	 *                step before its registration): dsq_id = map id,
	 *                flags = the loading process's tgid. With
	 *                hold_registrations the process is stopped (SIGSTOP)
	 *                until the daemon has traced the programs.
	 */
	CUSTODY_EVT_SCHED_LOADING = 9,
};

/* Where an event came from (the attach plan's rows). */
enum custody_hook {
	CUSTODY_HOOK_DSQ_INSERT = 0,	/* dispatch_enqueue / scx_dispatch_enqueue */
	CUSTODY_HOOK_LOCAL_MOVE = 1,	/* move_local_task_to_local_dsq (or its witness) */
	CUSTODY_HOOK_OPS_DEQUEUE = 2,	/* the kernel's ops_dequeue() */
	CUSTODY_HOOK_SCHED_DEQUEUE = 3, /* the scheduler's ops.dequeue program */
	CUSTODY_HOOK_SCHED_ENQUEUE = 4, /* the scheduler's ops.enqueue program */
	CUSTODY_HOOK_SCHED_SWITCH = 5,	/* tp_btf/sched_switch */
	CUSTODY_HOOK_TASK_EXIT = 6,	/* tp_btf/sched_process_free: the task is gone */
	CUSTODY_HOOK_REMOTE_MOVE = 7,	/* move_remote_task_to_local_dsq */
	CUSTODY_HOOK_DSQ_MOVE = 8,	/* scx_bpf_dsq_move(_vtime) kfuncs that moved a task */
	CUSTODY_HOOK_SCHED_REG = 9,	/* bpf_scx_reg / bpf_scx_reg_cid */
	CUSTODY_HOOK_SCHED_DISABLE = 10, /* scx_disable_workfn */
	CUSTODY_HOOK_SCHED_LOAD = 11,	 /* bpf_struct_ops_map_update_elem */
	CUSTODY_NR_HOOKS = 12,
};

/*
 * custody_event.owner: which scheduler owned the task at the event (7.3
 * sub-scheduler trees, p->scx.sched), as the cgroup id of that scheduler's
 * cgroup: the root scheduler is CUSTODY_OWNER_ROOT (the root cgroup's id), a
 * sub-scheduler the id of the cgroup it is attached to (sysfs
 * root/sub/sub-<id>). Lifecycle records carry CUSTODY_OWNER_UNKNOWN.
 */
#define CUSTODY_OWNER_UNKNOWN 0		/* the kernel has no per-task scheduler */
#define CUSTODY_OWNER_ROOT 1
#define CUSTODY_OWNER_UNFIT 0xffffffffU /* a cgroup id too large for the field */

/*
 * custody_event.kernel_flag: the low four bits are the kernel's own
 * SCX_TASK_IN_CUSTODY bit read at the event (7.1+, enum custody_kernel_flag);
 * the high four bits, on an ENQUEUE record, why the kernel re-enqueued the
 * task (7.3's SCX_TASK_REENQ_* reason in p->scx.flags, enum
 * custody_reenq_reason; 0 elsewhere).
 */
enum custody_kernel_flag {
	CUSTODY_KFLAG_UNKNOWN = 0,
	CUSTODY_KFLAG_SET = 1,
	CUSTODY_KFLAG_CLEAR = 2,
};
#define CUSTODY_KFLAG_MASK 0x0f
#define CUSTODY_REENQ_REASON_SHIFT 4

/* The kernel's reason numbers (SCX_TASK_REENQ_* >> SCX_TASK_REENQ_REASON_SHIFT). */
enum custody_reenq_reason {
	CUSTODY_REENQ_NONE = 0,	     /* not a re-enqueue, or a kernel without reasons */
	CUSTODY_REENQ_KFUNC = 1,     /* scx_bpf_dsq_reenq() and friends */
	CUSTODY_REENQ_IMMED = 2,     /* an SCX_ENQ_IMMED insert that could not run at once */
	CUSTODY_REENQ_PREEMPTED = 3, /* an IMMED task preempted while running */
	CUSTODY_REENQ_CAP = 4,	     /* a sub-scheduler's capability miss */
	CUSTODY_NR_REENQ_REASONS = 5,
};

struct custody_event {
	__u64 ts_ns;	     /* bpf_ktime_get_ns(); a built-in-DSQ insert: when it began */
	__u64 task_start_ns; /* task->start_time: with pid, a key that pid reuse cannot alias */
	__u64 dsq_id;
	__u64 flags; /* enq_flags or deq_flags */
	__u32 pid;
	__u32 cpu;
	__u16 type;	  /* enum custody_evt_type */
	__u8 hook;	  /* enum custody_hook */
	__u8 kernel_flag; /* enum custody_kernel_flag | reenq reason << 4 (above) */
	__u32 owner;	  /* CUSTODY_OWNER_* or a sub-scheduler's cgroup id */
	char comm[CUSTODY_COMM_LEN];
};

/* CPUs the tracer keeps counters for; the loader refuses larger machines. */
#define CUSTODY_MAX_CPUS 4096

/*
 * Per-CPU counters the tracer keeps besides the events, one per CPU in an
 * array. Cache-line aligned: each CPU's counters begin a line of their own and
 * their size rounds up to whole lines, so CPUs counting at the same time
 * never write the same line (at 144 bytes, neighbours shared one).
 */
#define CUSTODY_CACHE_LINE 64
struct custody_cpu_counters {
	__u64 events;	    /* records submitted */
	__u64 ringbuf_full; /* records lost: the ring buffer had no room */
	__u64 hook_hits[CUSTODY_NR_HOOKS];
	__u64 kernel_dequeue_in_custody; /* ops_dequeue() entered with SCX_TASK_IN_CUSTODY set */
	/*
	 * A user-DSQ insert whose task had already left that DSQ when the insert
	 * returned: another CPU took it in between. Its record was emitted on
	 * entry, so it still precedes that CPU's records.
	 */
	__u64 user_insert_overtaken;
	/*
	 * Scheduler lifecycle records (SCHED_*) the ring buffer had no room for.
	 * Also counted in `ringbuf_full`; kept apart because a lost section
	 * boundary makes the daemon re-read the schedulers from sysfs.
	 */
	__u64 lifecycle_dropped;
	/*
	 * Records lost because a call seen on entry (a pending call, finished on
	 * return) was overwritten by another entry on the same CPU before its
	 * return ran. Never expected (those calls hold the rq lock and do not
	 * nest); counted so that it could not go unseen.
	 */
	__u64 pending_overwritten;
} __attribute__((aligned(CUSTODY_CACHE_LINE)));

/* A record's loss, whatever its cause: what the daemon feeds the audit. */
#define CUSTODY_RECORDS_LOST(c) ((c).ringbuf_full + (c).pending_overwritten)

/*
 * The layout, checked on both sides: the BPF object and the daemon are built
 * by different compilers for different targets.
 */
#ifdef __cplusplus
#define CUSTODY_ABI_ASSERT(cond, what) static_assert(cond, what)
#else
#define CUSTODY_ABI_ASSERT(cond, what) _Static_assert(cond, what)
#endif
/* The compilers' own form: vmlinux.h has no <stddef.h>, and libbpf's
 * offsetof() is not a constant expression in every C dialect. */
#define CUSTODY_OFFSETOF(type, field) __builtin_offsetof(type, field)

CUSTODY_ABI_ASSERT(sizeof(struct custody_event) == 64, "custody_event size");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, ts_ns) == 0, "custody_event.ts_ns");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, task_start_ns) == 8,
		   "custody_event.task_start_ns");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, dsq_id) == 16, "custody_event.dsq_id");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, flags) == 24, "custody_event.flags");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, pid) == 32, "custody_event.pid");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, cpu) == 36, "custody_event.cpu");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, type) == 40, "custody_event.type");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, hook) == 42, "custody_event.hook");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, kernel_flag) == 43,
		   "custody_event.kernel_flag");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, owner) == 44, "custody_event.owner");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_event, comm) == 48, "custody_event.comm");

CUSTODY_ABI_ASSERT(__alignof__(struct custody_cpu_counters) == CUSTODY_CACHE_LINE,
		   "custody_cpu_counters alignment");
/* The 18 counters (144 bytes), rounded up to whole cache lines. */
CUSTODY_ABI_ASSERT(sizeof(struct custody_cpu_counters) ==
			   (8 * (6 + CUSTODY_NR_HOOKS) + CUSTODY_CACHE_LINE - 1) / CUSTODY_CACHE_LINE *
				   CUSTODY_CACHE_LINE,
		   "custody_cpu_counters size");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, events) == 0, "counters.events");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, ringbuf_full) == 8,
		   "counters.ringbuf_full");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, hook_hits) == 16, "counters.hook_hits");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, kernel_dequeue_in_custody) ==
			   16 + 8 * CUSTODY_NR_HOOKS,
		   "counters.kernel_dequeue_in_custody");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, user_insert_overtaken) ==
			   24 + 8 * CUSTODY_NR_HOOKS,
		   "counters.user_insert_overtaken");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, lifecycle_dropped) ==
			   32 + 8 * CUSTODY_NR_HOOKS,
		   "counters.lifecycle_dropped");
CUSTODY_ABI_ASSERT(CUSTODY_OFFSETOF(struct custody_cpu_counters, pending_overwritten) ==
			   40 + 8 * CUSTODY_NR_HOOKS,
		   "counters.pending_overwritten");

#endif /* SCX_CUSTODY_ABI_H */
