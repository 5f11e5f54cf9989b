/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custody_ref - the reference custody scheduler.
 *
 * A sched_ext scheduler that exists to exercise every way a task can enter
 * and leave BPF custody, on purpose and in a configurable mix, and to count
 * what it sees itself. It is the positive control of the audit: on a kernel
 * with the 7.1 ops.dequeue() semantics, every custody it opens must be closed
 * by exactly one ops.dequeue(), and the independent tracer must agree with
 * these counts.
 *
 * Custody is entered by:
 *   - select_cpu inserting into a user DSQ          (enter_select_user)
 *   - enqueue inserting into the user FIFO DSQ      (enter_enqueue_fifo)
 *   - enqueue inserting into the user vtime DSQ     (enter_enqueue_vtime)
 *   - enqueue keeping the task in a BPF queue       (enter_enqueue_held)
 * and never by direct inserts into terminal DSQs: SCX_DSQ_LOCAL from
 * select_cpu and enqueue, SCX_DSQ_LOCAL_ON|cpu and SCX_DSQ_GLOBAL from enqueue.
 *
 * Custody is left through dispatch: scx_bpf_dsq_move_to_local(), the DSQ
 * iterator with scx_bpf_dsq_move() (to the local DSQ) and
 * scx_bpf_dsq_move_vtime() (FIFO -> vtime DSQ: custody is kept), BPF-held
 * tasks inserted into the local DSQ (or moved to the FIFO DSQ, custody kept),
 * and by property changes (SCX_DEQ_SCHED_CHANGE). Re-enqueues come from
 * scx_bpf_dsq_reenq() on the FIFO DSQ and scx_bpf_reenqueue_local() in
 * cpu_release.
 *
 * Kfuncs that some kernels cannot bind (Debian 7.1.13: the DSQ iterator and
 * others, see docs/ARCHITECTURE.md) are declared weak by vmlinux.h and every call is
 * guarded by bpf_ksym_exists(), so one object loads on 7.0 to 7.3.
 */
#include "scx_ops.bpf.h"
#include "custody_ref_abi.h"

char _license[] SEC("license") = "GPL";

/* Knobs: percentages of the decisions, set by the loader before load. */
const volatile __u32 select_user_pct = 20;  /* of select_cpu calls */
const volatile __u32 select_local_pct = 10; /* of select_cpu calls */
const volatile __u32 enqueue_local_pct = 10;
const volatile __u32 enqueue_local_on_pct = 10;
/* of the SCX_DSQ_LOCAL enqueues, inserted with SCX_ENQ_IMMED where it exists */
const volatile __u32 enqueue_immed_pct = 0;
const volatile __u32 enqueue_global_pct = 5;
const volatile __u32 enqueue_vtime_pct = 20;
const volatile __u32 enqueue_held_pct = 20; /* the rest goes to the FIFO DSQ */
const volatile __u32 held_to_user_pct = 10; /* held tasks moved to FIFO instead of local */
const volatile __u32 dsq_move_every = 4;    /* every Nth dispatch uses the DSQ iterator */
const volatile __u32 reenq_every = 64;	    /* every Nth dispatch re-enqueues the FIFO DSQ */
const volatile __u64 slice_ns = 5ULL * 1000 * 1000;
const volatile __u32 nr_cpus = 1;
/*
 * Test knob (0: off): eject ourselves with scx_bpf_error() this long after
 * ops.init, at the first dispatch that finds tasks in custody. A scheduler
 * that lives only this long must still be audited.
 */
const volatile __u64 error_after_ns = 0;
/*
 * Test knob (hold_ns 0: off): tasks whose comm is hold_comm wait on the hold
 * DSQ, in our custody, for hold_ns before dispatch takes them (--hold-comm,
 * --hold-ms): a task QUEUED on a DSQ for long, for the auditor to name.
 */
const volatile char hold_comm[16] = {};
const volatile __u64 hold_ns = 0;

__u64 init_ns;

struct custody_ref_exit_info exit_info;

/* What this kernel lets us drive, recorded in ops.init for the loader. */
struct custody_ref_caps caps;

enum task_custody {
	TASK_OUT = 0, /* not in custody */
	TASK_IN = 1,  /* in custody: on a user DSQ or held in BPF */
	TASK_RAN = 2, /* started running while in custody: the custody ended without dequeue */
};

struct task_ctx {
	u64 seq;   /* custody generation, matches BPF queue entries */
	u32 state; /* enum task_custody */
	s32 enter_cpu;
};

struct held_entry {
	s32 pid;
	u32 _pad;
	u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Tasks held only by the scheduler: not on any DSQ, still in its custody. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16384);
	__type(value, struct held_entry);
} held_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CUSTODY_REF_NR_STATS);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

/*
 * Per-CPU: set while scx_bpf_reenqueue_local() runs in cpu_release. Before
 * 7.1 it re-enqueues synchronously, so enqueue sees the flag: those tasks
 * come from a local DSQ, where their custody already ended.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} local_reenq_active SEC(".maps");

/*
 * When each task now on the hold DSQ was put there, oldest first: the DSQ is
 * FIFO, so the head of this queue is its head's. hold_pending counts the
 * entries; a task that leaves the DSQ otherwise (a property change, an exit)
 * leaves a stale entry, dropped once the queue is longer than the DSQ.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4096);
	__type(value, u64);
} hold_since SEC(".maps");

__s64 hold_pending;

/* Kicks an idle CPU while tasks wait on the hold DSQ: idle CPUs do not dispatch. */
struct hold_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct hold_timer);
} hold_timers SEC(".maps");

#define HOLD_TICK_NS (10ULL * 1000 * 1000)
#define CLOCK_MONOTONIC 1

/* Per-CPU count of dispatch calls, to pace the periodic paths. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} dispatch_calls SEC(".maps");

static __always_inline void stat_add(enum custody_ref_stat idx, s64 delta)
{
	u32 key = idx;
	u64 *cnt = bpf_map_lookup_elem(&stats, &key);

	if (cnt)
		*cnt += delta;
}

#define stat_inc(name) stat_add(CUSTODY_REF_STAT_##name, 1)

static __always_inline struct task_ctx *task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline bool in_local_reenq(void)
{
	u32 zero = 0;
	u32 *active = bpf_map_lookup_elem(&local_reenq_active, &zero);

	return active && *active;
}

static __always_inline u32 roll(void)
{
	return bpf_get_prandom_u32() % 100;
}

static __always_inline void enter_custody(struct task_ctx *tctx)
{
	tctx->seq++;
	tctx->state = TASK_IN;
	tctx->enter_cpu = bpf_get_smp_processor_id();
	stat_add(CUSTODY_REF_STAT_in_custody, 1);
}

static __always_inline void leave_custody(struct task_ctx *tctx)
{
	if (tctx->state == TASK_IN)
		stat_add(CUSTODY_REF_STAT_in_custody, -1);
	tctx->state = TASK_OUT;
}

/*
 * Whether the task is off every CPU and stays off until we move it, so that
 * its p->migration_disabled cannot change between our test and the kernel's
 * in task_can_run_on_remote_rq(). While a task runs, also while it is being
 * switched out after ops.enqueue, every BPF program that runs in its context
 * (ours, or a tracer's on sched_switch, dispatch_enqueue or ops_dequeue) is
 * wrapped in migrate_disable() and raises p->migration_disabled for a moment.
 * On 7.1, when ops.dispatch inserts another CPU's task into SCX_DSQ_LOCAL,
 * dispatch_to_local_dsq() makes that test holding only the dispatching CPU's
 * rq lock: a task still switching out on its old CPU can be caught there
 * inside such a program, and the kernel ejects the scheduler ("cannot move
 * migration disabled ... from CPU 0 to 3" with 4 vCPUs under multi-threaded
 * TCG). 7.3 tests with the task's rq lock held, when the switch is over.
 * p->on_cpu drops to 0 (a store-release) after the task's last instruction;
 * the task is then in our custody (or on our deferred insert) and cannot run
 * again before the move, so once seen 0 it stays 0.
 */
static __always_inline bool is_off_cpu(struct task_struct *task)
{
	/*
	 * 7.1 declares task_struct.on_cpu as an int, 7.3 as a u8: read at the
	 * size the kernel's BTF gives (a flavoured struct for the int would make
	 * libbpf warn about the branch it poisons on the other kernels).
	 */
	const bool on_cpu = BPF_CORE_READ_BITFIELD(task, on_cpu);

	if (on_cpu)
		return false;
	/* Read migration_disabled after on_cpu (x86 keeps loads in order). */
	asm volatile("" ::: "memory");
	return true;
}

/*
 * Tasks that may be sent to another CPU's local DSQ without an error: the
 * insert is deferred until the task's rq can be unlocked, and the kernel then
 * tests migration_disabled and cpus_ptr again (see is_off_cpu()).
 */
static __always_inline bool can_go_elsewhere(struct task_struct *p, s32 cpu)
{
	return p->nr_cpus_allowed == nr_cpus && is_off_cpu(p) && !p->migration_disabled &&
	       bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

/*
 * Whether `cpu` may put the task on its own local DSQ: the kernel ejects a
 * scheduler that moves a migration-disabled task to another CPU, and
 * migrate_disable() leaves cpus_ptr alone. A task still running on another
 * CPU is not taken from here (see is_off_cpu()).
 */
static __always_inline bool can_run_here(struct task_struct *p, s32 cpu)
{
	if (scx_bpf_task_cpu(p) == cpu)
		return true;
	return is_off_cpu(p) && !p->migration_disabled && bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

/* The task is one --hold-comm names. */
static __always_inline bool is_hold_task(struct task_struct *p)
{
	int i;

	if (!hold_ns || !hold_comm[0])
		return false;
#pragma unroll
	for (i = 0; i < 16; i++) {
		if (p->comm[i] != hold_comm[i])
			return false;
		if (!hold_comm[i])
			return true;
	}
	return true;
}

/* Custody on the hold DSQ, released by dispatch_hold() after hold_ns. */
static __always_inline void enqueue_hold(struct task_struct *p, struct task_ctx *tctx,
					 u64 enq_flags)
{
	u64 now = bpf_ktime_get_ns();

	enter_custody(tctx);
	if (bpf_map_push_elem(&hold_since, &now, 0)) {
		/* Queue full: the task is not held, it takes the FIFO DSQ. */
		stat_inc(enter_enqueue_fifo);
		scx_bpf_dsq_insert(p, CUSTODY_REF_FIFO_DSQ, slice_ns, enq_flags);
		return;
	}
	__sync_fetch_and_add(&hold_pending, 1);
	stat_inc(enter_enqueue_hold);
	scx_bpf_dsq_insert(p, CUSTODY_REF_HOLD_DSQ, slice_ns, enq_flags);
}

s32 BPF_STRUCT_OPS(custody_ref_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx;
	bool is_idle = false;
	s32 cpu;
	u32 r;

	/*
	 * The default picker kicks an idle CPU; the insert below may target a
	 * busy one too, which is legal and keeps these paths busy under load.
	 */
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	tctx = task_ctx(p);
	if (!tctx || is_hold_task(p))
		return cpu; /* a task to hold goes through enqueue */

	r = roll();
	if (r < select_user_pct && tctx->state != TASK_IN) {
		enter_custody(tctx);
		stat_inc(enter_select_user);
		scx_bpf_dsq_insert(p, CUSTODY_REF_FIFO_DSQ, slice_ns, 0);
	} else if (r < select_user_pct + select_local_pct) {
		stat_inc(direct_select_local);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
	}
	return cpu;
}

/*
 * Why the kernel gave the task back (7.3: SCX_TASK_REENQ_* in p->scx.flags
 * while it calls ops.enqueue). Read through CO-RE: absent before 7.3.
 */
static __always_inline void count_reenq_reason(struct task_struct *p)
{
	u32 reason;

	if (!bpf_core_enum_value_exists(enum scx_ent_flags, SCX_TASK_REENQ_REASON_MASK))
		return;
	reason = p->scx.flags &
		 bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_REASON_MASK);
	if (reason == bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_KFUNC))
		stat_inc(enqueue_reenq_kfunc);
	else if (reason == bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_IMMED))
		stat_inc(enqueue_reenq_immed);
	else if (reason == bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_PREEMPTED))
		stat_inc(enqueue_reenq_preempted);
}

void BPF_STRUCT_OPS(custody_ref_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 this_cpu, other_cpu;
	struct held_entry held;
	u32 r, edge;

	if (!tctx) {
		scx_bpf_error("custody_ref: no task storage for %d", p->pid);
		return;
	}
	if (enq_flags & SCX_ENQ_REENQ) {
		stat_inc(enqueue_reenq);
		count_reenq_reason(p);
	}

	if (tctx->state == TASK_IN) {
		if ((enq_flags & SCX_ENQ_REENQ) && !in_local_reenq()) {
			/* Re-enqueue within custody: it stays ours, no new custody. */
			stat_inc(reenqueue_in_custody);
			scx_bpf_dsq_insert(p, CUSTODY_REF_FIFO_DSQ, slice_ns, enq_flags);
			return;
		}
		/*
		 * The old custody ended without ops.dequeue (pre-7.1 kernels): the
		 * task reached a local DSQ, or lost its place without a dequeue.
		 */
		stat_inc(missed_at_enqueue);
		leave_custody(tctx);
	}
	tctx->state = TASK_OUT;

	if (is_hold_task(p)) {
		enqueue_hold(p, tctx, enq_flags);
		return;
	}

	r = roll();
	edge = enqueue_local_pct;
	if (r < edge) {
		/*
		 * SCX_ENQ_IMMED (7.3): run at once or come back; a local DSQ
		 * that is busy makes the kernel call ops.enqueue again with
		 * SCX_ENQ_REENQ (counted in enqueue_reenq).
		 */
		if (enqueue_immed_pct && bpf_core_enum_value_exists(enum scx_enq_flags, SCX_ENQ_IMMED) &&
		    roll() < enqueue_immed_pct) {
			stat_inc(direct_enqueue_local_immed);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns,
					   enq_flags |
						   bpf_core_enum_value(enum scx_enq_flags, SCX_ENQ_IMMED));
			return;
		}
		stat_inc(direct_enqueue_local);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		return;
	}
	edge += enqueue_local_on_pct;
	if (r < edge) {
		this_cpu = scx_bpf_task_cpu(p);
		other_cpu = nr_cpus > 1 ? (this_cpu + 1) % nr_cpus : this_cpu;
		if (other_cpu != this_cpu && can_go_elsewhere(p, other_cpu)) {
			stat_inc(direct_enqueue_local_on);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | other_cpu, slice_ns, enq_flags);
		} else {
			stat_inc(direct_enqueue_local);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		}
		return;
	}
	edge += enqueue_global_pct;
	if (r < edge) {
		stat_inc(direct_enqueue_global);
		scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, slice_ns, enq_flags);
		return;
	}
	edge += enqueue_vtime_pct;
	if (r < edge) {
		enter_custody(tctx);
		stat_inc(enter_enqueue_vtime);
		scx_bpf_dsq_insert_vtime(p, CUSTODY_REF_VTIME_DSQ, slice_ns, bpf_ktime_get_ns(),
					 enq_flags);
		return;
	}
	edge += enqueue_held_pct;
	if (r < edge) {
		enter_custody(tctx);
		held.pid = p->pid;
		held._pad = 0;
		held.seq = tctx->seq;
		if (bpf_map_push_elem(&held_tasks, &held, 0) == 0) {
			stat_inc(enter_enqueue_held);
			return;
		}
		/* The queue is full: keep custody on the FIFO DSQ instead. */
	} else {
		enter_custody(tctx);
	}
	stat_inc(enter_enqueue_fifo);
	scx_bpf_dsq_insert(p, CUSTODY_REF_FIFO_DSQ, slice_ns, enq_flags);
}

void BPF_STRUCT_OPS(custody_ref_dequeue, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx = task_ctx(p);

	if (!tctx)
		return;

	if (deq_flags & SCX_DEQ_SCHED_CHANGE)
		stat_inc(dequeue_sched_change);
	else if (deq_flags & SCX_DEQ_CORE_SCHED_EXEC)
		stat_inc(dequeue_core_sched);
	else
		stat_inc(dequeue_dispatch);

	switch (tctx->state) {
	case TASK_IN:
		break;
	case TASK_RAN:
		stat_inc(dequeue_late);
		break;
	default:
		stat_inc(dequeue_outside_custody);
		break;
	}
	leave_custody(tctx);
}

/* Pop up to two BPF-held tasks and hand them on. */
static __always_inline void dispatch_held(s32 cpu)
{
	struct held_entry held;
	struct task_struct *p;
	struct task_ctx *tctx;
	int i;

	for (i = 0; i < 2; i++) {
		if (bpf_map_pop_elem(&held_tasks, &held))
			return;
		p = bpf_task_from_pid(held.pid);
		if (!p) {
			stat_inc(dispatch_held_stale);
			continue;
		}
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (!tctx || tctx->state != TASK_IN || tctx->seq != held.seq) {
			stat_inc(dispatch_held_stale);
		} else if (can_run_here(p, cpu) && roll() >= held_to_user_pct) {
			stat_inc(dispatch_held_local);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
		} else {
			/* Custody continues on a user DSQ, taken by a CPU it may run on. */
			stat_inc(dispatch_held_user);
			scx_bpf_dsq_insert(p, CUSTODY_REF_FIFO_DSQ, slice_ns, 0);
		}
		bpf_task_release(p);
	}
}

/*
 * Release the hold DSQ's head once it has waited hold_ns (entries of tasks
 * that left the DSQ otherwise are dropped first).
 */
static __always_inline bool dispatch_hold(void)
{
	s32 queued;
	u64 since;
	int i;

	if (!hold_ns)
		return false;
	queued = scx_bpf_dsq_nr_queued(CUSTODY_REF_HOLD_DSQ);
	for (i = 0; i < 8 && hold_pending > queued; i++) {
		if (bpf_map_pop_elem(&hold_since, &since))
			break;
		__sync_fetch_and_add(&hold_pending, -1);
	}
	if (queued <= 0 || bpf_map_peek_elem(&hold_since, &since))
		return false;
	if (bpf_ktime_get_ns() - since < hold_ns)
		return false;
	if (!scx_bpf_dsq_move_to_local(CUSTODY_REF_HOLD_DSQ))
		return false;
	if (bpf_map_pop_elem(&hold_since, &since) == 0)
		__sync_fetch_and_add(&hold_pending, -1);
	stat_inc(dispatch_hold_release);
	return true;
}

/*
 * Debian 7.1.13 cannot bind scx_bpf_kick_cpu: there the held tasks wait for
 * the next dispatch after their hold, which any activity brings.
 */
static int hold_tick(void *map, int *key, struct hold_timer *t)
{
	if (bpf_ksym_exists(scx_bpf_kick_cpu) && scx_bpf_dsq_nr_queued(CUSTODY_REF_HOLD_DSQ) > 0)
		scx_bpf_kick_cpu(bpf_get_smp_processor_id(), SCX_KICK_IDLE);
	bpf_timer_start(&t->timer, HOLD_TICK_NS, 0);
	return 0;
}

/*
 * Take the first FIFO task through the DSQ iterator: alternately to this
 * CPU's local DSQ (custody ends) and to the vtime DSQ (custody continues).
 */
static __always_inline bool dispatch_by_iterator(s32 cpu, u64 n)
{
	struct task_struct *p;
	bool moved = false;

	if (!bpf_ksym_exists(bpf_iter_scx_dsq_new) || !bpf_ksym_exists(scx_bpf_dsq_move) ||
	    !bpf_ksym_exists(scx_bpf_dsq_move_vtime) ||
	    !bpf_ksym_exists(scx_bpf_dsq_move_set_vtime))
		return false;

	bpf_for_each(scx_dsq, p, CUSTODY_REF_FIFO_DSQ, 0)
	{
		if ((n / dsq_move_every) & 1) {
			scx_bpf_dsq_move_set_vtime(BPF_FOR_EACH_ITER, bpf_ktime_get_ns());
			if (scx_bpf_dsq_move_vtime(BPF_FOR_EACH_ITER, p, CUSTODY_REF_VTIME_DSQ, 0))
				stat_inc(dispatch_dsq_move_user);
			/* Custody continues: still look for a task to run. */
			break;
		}
		if (!can_run_here(p, cpu))
			continue;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			stat_inc(dispatch_dsq_move_local);
			moved = true;
		}
		break;
	}
	return moved;
}

/*
 * The --error-after-ms knob, once tasks wait on our FIFO DSQ: they are in our
 * custody when the kernel ejects us.
 */
static __always_inline void maybe_eject_ourselves(void)
{
	s32 queued;
	u64 age_ns;

	if (!error_after_ns)
		return;
	age_ns = bpf_ktime_get_ns() - init_ns;
	queued = scx_bpf_dsq_nr_queued(CUSTODY_REF_FIFO_DSQ);
	if (age_ns < error_after_ns || queued <= 0)
		return;
	scx_bpf_error("custody_ref: ejecting itself %llu us after init with %d tasks queued in "
		      "custody (--error-after-ms)",
		      age_ns / 1000, queued);
}

void BPF_STRUCT_OPS(custody_ref_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 zero = 0;
	u64 *calls = bpf_map_lookup_elem(&dispatch_calls, &zero);
	u64 n = 0;

	maybe_eject_ourselves();

	if (calls)
		n = (*calls)++;

	dispatch_held(cpu);
	if (dispatch_hold())
		return;

	if (reenq_every && n % reenq_every == reenq_every - 1 &&
	    bpf_ksym_exists(scx_bpf_dsq_reenq)) {
		stat_inc(reenq_requests);
		scx_bpf_dsq_reenq(CUSTODY_REF_FIFO_DSQ, SCX_REENQ_ANY);
	}

	if (dsq_move_every && n % dsq_move_every == 0 && dispatch_by_iterator(cpu, n))
		return;

	if (scx_bpf_dsq_move_to_local(CUSTODY_REF_FIFO_DSQ) ||
	    scx_bpf_dsq_move_to_local(CUSTODY_REF_VTIME_DSQ))
		stat_inc(dispatch_move_to_local);
}

void BPF_STRUCT_OPS(custody_ref_running, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (tctx && tctx->state == TASK_IN) {
		stat_inc(ran_in_custody);
		stat_add(CUSTODY_REF_STAT_in_custody, -1);
		tctx->state = TASK_RAN;
	}
}

void BPF_STRUCT_OPS(custody_ref_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	u32 zero = 0;
	u32 *active;

	/*
	 * A higher class took the CPU: give back what waits on its local DSQ.
	 * Only before 7.1: from 7.1 the re-enqueue is deferred (enqueue could not
	 * tell these tasks from custody re-enqueues) and scx_bpf_dsq_reenq()
	 * drives the re-enqueue path instead.
	 */
	if (bpf_ksym_exists(scx_bpf_dsq_reenq))
		return;
	active = bpf_map_lookup_elem(&local_reenq_active, &zero);
	if (!active)
		return;
	stat_inc(reenq_requests);
	*active = 1;
	scx_bpf_reenqueue_local();
	*active = 0;
}

s32 BPF_STRUCT_OPS(custody_ref_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return task_ctx(p) ? 0 : -ENOMEM;
}

void BPF_STRUCT_OPS(custody_ref_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	/*
	 * exit_task also runs for every task when the scheduler is unloaded;
	 * those custodies are abandoned by design and stay in the in_custody
	 * gauge, which the loader reads after detaching.
	 */
	if (tctx && tctx->state == TASK_IN && (p->flags & PF_EXITING)) {
		stat_inc(exit_in_custody);
		leave_custody(tctx);
	}
}

static __always_inline s32 start_hold_timer(void)
{
	u32 zero = 0;
	struct hold_timer *t = bpf_map_lookup_elem(&hold_timers, &zero);
	s32 ret;

	if (!t)
		return -ENOMEM;
	ret = bpf_timer_init(&t->timer, &hold_timers, CLOCK_MONOTONIC);
	if (ret)
		return ret;
	ret = bpf_timer_set_callback(&t->timer, hold_tick);
	if (ret)
		return ret;
	return bpf_timer_start(&t->timer, HOLD_TICK_NS, 0);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(custody_ref_init)
{
	s32 ret;

	caps.dsq_iterator = bpf_ksym_exists(bpf_iter_scx_dsq_new) &&
			    bpf_ksym_exists(scx_bpf_dsq_move) &&
			    bpf_ksym_exists(scx_bpf_dsq_move_vtime) &&
			    bpf_ksym_exists(scx_bpf_dsq_move_set_vtime);
	caps.dsq_reenq = bpf_ksym_exists(scx_bpf_dsq_reenq);
	caps.enq_immed = bpf_core_enum_value_exists(enum scx_enq_flags, SCX_ENQ_IMMED);
	init_ns = bpf_ktime_get_ns();

	ret = scx_bpf_create_dsq(CUSTODY_REF_FIFO_DSQ, -1);
	if (ret)
		return ret;
	ret = scx_bpf_create_dsq(CUSTODY_REF_VTIME_DSQ, -1);
	if (ret || !hold_ns)
		return ret;
	ret = scx_bpf_create_dsq(CUSTODY_REF_HOLD_DSQ, -1);
	if (ret)
		return ret;
	return start_hold_timer();
}

void BPF_STRUCT_OPS(custody_ref_exit, struct scx_exit_info *ei)
{
	exit_info.kind = ei->kind;
	exit_info.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
	exit_info.exited = 1;
}

/* Registered only with --hotplug-ops: without them a hotplug ejects us. */
void BPF_STRUCT_OPS(custody_ref_cpu_online, s32 cpu)
{
	stat_inc(cpu_online);
}

void BPF_STRUCT_OPS(custody_ref_cpu_offline, s32 cpu)
{
	stat_inc(cpu_offline);
}

SEC(".struct_ops.link")
struct sched_ext_ops custody_ref_ops = {
	.select_cpu = (void *)custody_ref_select_cpu,
	.enqueue = (void *)custody_ref_enqueue,
	.dequeue = (void *)custody_ref_dequeue,
	.dispatch = (void *)custody_ref_dispatch,
	.running = (void *)custody_ref_running,
	.cpu_release = (void *)custody_ref_cpu_release,
	.cpu_online = (void *)custody_ref_cpu_online,
	.cpu_offline = (void *)custody_ref_cpu_offline,
	.init_task = (void *)custody_ref_init_task,
	.exit_task = (void *)custody_ref_exit_task,
	.init = (void *)custody_ref_init,
	.exit = (void *)custody_ref_exit,
	.name = "custody_ref",
};
