/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custody_ref_abi.h - what the reference custody scheduler shares with its
 * loader: DSQ ids, the self-count table and the exit-info record.
 *
 * Included by BPF (with vmlinux.h) and by C++ (with <linux/types.h>).
 */
#ifndef SCX_CUSTODY_REF_ABI_H
#define SCX_CUSTODY_REF_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CUSTODY_REF_ABI_VERSION 1

/* User-created DSQs: tasks on them are in the scheduler's custody. */
#define CUSTODY_REF_FIFO_DSQ 0x5c0001ULL
#define CUSTODY_REF_VTIME_DSQ 0x5c0002ULL
/* --hold-comm: tasks of that comm wait here for --hold-ms (a stuck-task test). */
#define CUSTODY_REF_HOLD_DSQ 0x5c0003ULL

/*
 * The scheduler's own view, one per-CPU counter each. X(name, help):
 * the loader prints `name` and documents it with `help`.
 *
 * Custody accounting is kept in task-local state: a task is IN custody from
 * the enter below until its ops.dequeue(); RAN means it started running
 * while still IN (the custody ended without a dequeue).
 */
#define CUSTODY_REF_STATS(X)                                                                       \
	X(enter_select_user, "custody enters: select_cpu inserted into a user DSQ")                \
	X(enter_enqueue_fifo, "custody enters: enqueue inserted into the user FIFO DSQ")           \
	X(enter_enqueue_vtime, "custody enters: enqueue inserted into the user vtime DSQ")         \
	X(enter_enqueue_held, "custody enters: enqueue kept the task in a BPF queue")              \
	X(enter_enqueue_hold, "custody enters: enqueue put a --hold-comm task on the hold DSQ")    \
	X(enqueue_reenq, "enqueue calls flagged SCX_ENQ_REENQ (re-enqueues)")                      \
	X(enqueue_reenq_kfunc, "re-enqueues for SCX_TASK_REENQ_KFUNC (7.3: scx_bpf_dsq_reenq)")   \
	X(enqueue_reenq_immed, "re-enqueues for SCX_TASK_REENQ_IMMED (7.3: a failed ENQ_IMMED)")  \
	X(enqueue_reenq_preempted,                                                                 \
	  "re-enqueues for SCX_TASK_REENQ_PREEMPTED (7.3: an IMMED task preempted)")              \
	X(reenqueue_in_custody, "enqueue of a task already in custody (no new custody)")           \
	X(direct_select_local, "select_cpu inserted into SCX_DSQ_LOCAL (never custody)")           \
	X(direct_enqueue_local, "enqueue inserted into SCX_DSQ_LOCAL (never custody)")             \
	X(direct_enqueue_local_immed,                                                              \
	  "enqueue inserted into SCX_DSQ_LOCAL with SCX_ENQ_IMMED (7.3; never custody)")           \
	X(direct_enqueue_local_on, "enqueue inserted into SCX_DSQ_LOCAL_ON another CPU")           \
	X(direct_enqueue_global, "enqueue inserted into SCX_DSQ_GLOBAL (never custody)")           \
	X(dispatch_move_to_local, "dispatch: scx_bpf_dsq_move_to_local moved a task")              \
	X(dispatch_dsq_move_local, "dispatch: scx_bpf_dsq_move moved a task to the local DSQ")     \
	X(dispatch_dsq_move_user,                                                                  \
	  "dispatch: scx_bpf_dsq_move_vtime moved a task between user DSQs")                       \
	X(dispatch_held_local, "dispatch: a BPF-held task inserted into the local DSQ")            \
	X(dispatch_held_user, "dispatch: a BPF-held task inserted into the user FIFO DSQ")         \
	X(dispatch_held_stale, "dispatch: a BPF queue entry whose custody had already ended")      \
	X(dispatch_hold_release, "dispatch: a task released from the hold DSQ after --hold-ms")    \
	X(reenq_requests, "re-enqueue requests issued (scx_bpf_dsq_reenq/reenqueue_local)")        \
	X(cpu_online, "ops.cpu_online calls (--hotplug-ops)")                                      \
	X(cpu_offline, "ops.cpu_offline calls (--hotplug-ops)")                                    \
	X(dequeue_dispatch, "ops.dequeue on leaving custody for a terminal DSQ (flags 0)")         \
	X(dequeue_sched_change, "ops.dequeue flagged SCX_DEQ_SCHED_CHANGE")                        \
	X(dequeue_core_sched, "ops.dequeue flagged SCX_DEQ_CORE_SCHED_EXEC")                       \
	X(dequeue_late, "ops.dequeue for a task that had already run in custody")                  \
	X(dequeue_outside_custody, "ops.dequeue for a task not in custody")                        \
	X(ran_in_custody, "task started running while in custody (no dequeue before)")             \
	X(missed_at_enqueue, "enqueue of a task still in custody without SCX_ENQ_REENQ")           \
	X(exit_in_custody, "task exited while in custody")                                         \
	X(in_custody, "tasks in custody now (per-CPU deltas; the sum is the gauge)")

#define CUSTODY_REF_STAT_ENUM(name, help) CUSTODY_REF_STAT_##name,
enum custody_ref_stat {
	CUSTODY_REF_STATS(CUSTODY_REF_STAT_ENUM) CUSTODY_REF_NR_STATS,
};
#undef CUSTODY_REF_STAT_ENUM

/* Why the scheduler stopped, copied from struct scx_exit_info in ops.exit. */
struct custody_ref_exit_info {
	__s64 exit_code;
	__u32 kind;
	__u32 exited;
	char reason[128];
	char msg[1024];
};

/*
 * Kfuncs some kernels cannot bind (Debian 7.1.13 cannot bind the DSQ
 * iterator): the paths that need them are skipped, and reported as such.
 */
struct custody_ref_caps {
	__u32 dsq_iterator; /* bpf_iter_scx_dsq_* + scx_bpf_dsq_move(_vtime) */
	__u32 dsq_reenq;    /* scx_bpf_dsq_reenq (7.1+) */
	__u32 enq_immed;    /* the SCX_ENQ_IMMED insert flag (7.3+) */
	__u32 _pad;
};

#ifdef __cplusplus
static_assert(sizeof(struct custody_ref_exit_info) == 1168, "custody_ref_exit_info layout");
#else
_Static_assert(sizeof(struct custody_ref_exit_info) == 1168, "custody_ref_exit_info layout");
#endif

#endif /* SCX_CUSTODY_REF_ABI_H */
