/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custody_trace - observe custody entries and ops.dequeue() calls of any
 * running sched_ext scheduler, independently of its own bookkeeping.
 *
 * Hooks (see daemon/loader/attach_plan.* for how each is resolved per kernel):
 *   dsq_insert      fentry dispatch_enqueue | scx_dispatch_enqueue
 *                           -> CUSTODY_EVT_DSQ_INSERT for a user DSQ (before the
 *                              insert: see on_user_dsq_insert())
 *                   fexit  the same function
 *                           -> CUSTODY_EVT_DSQ_INSERT for a built-in DSQ (after),
 *                              stamped with the time the insert began
 *   local_move      fexit  move_local_task_to_local_dsq | scx_move_local_..._dsq,
 *                          or where both are inlined (7.0, 7.1) the local-DSQ
 *                          insert tail local_dsq_post_enq | rq_owned_post_enq
 *                           -> CUSTODY_EVT_DSQ_INSERT (a local DSQ)
 *   ops_dequeue     fentry ops_dequeue: counted only (it runs for every
 *                          dequeue, in custody or not)
 *   sched_dequeue   fentry on the scheduler's own ops.dequeue program
 *                           -> CUSTODY_EVT_DEQUEUE: the ground truth
 *   sched_enqueue   fexit  on the scheduler's own ops.enqueue program
 *                           -> CUSTODY_EVT_ENQUEUE, with the DSQ it directly
 *                              dispatched to (p->scx.ddsp_dsq_id) or none
 *   sched_switch    tp_btf -> CUSTODY_EVT_RUNNING for watched tasks only
 *   task_exit       tp_btf sched_process_free -> CUSTODY_EVT_TASK_EXIT for every
 *                           task freed
 *   remote_move     fexit  move_remote_task_to_local_dsq: counted only
 *   sched_reg       fentry bpf_scx_reg (and sched_reg_cid: bpf_scx_reg_cid, 7.2+)
 *                           -> CUSTODY_EVT_SCHED_ENABLE before the scheduler
 *                              exists: the daemon traces its programs at once
 *                   fexit  the same -> CUSTODY_EVT_SCHED_ENABLED with the result
 *   sched_disable   fexit  scx_disable_workfn -> CUSTODY_EVT_SCHED_DISABLE once
 *                          every task has left the scheduler
 *   dsq_move        fexit  scx_bpf_dsq_move(_vtime), only where local_move is
 *                          witnessed through the insert tail (7.0, 7.1): a move
 *                          to a local DSQ does not reach that tail there
 *                           -> CUSTODY_EVT_DSQ_INSERT when the kfunc moved the task
 *                              to a built-in DSQ
 * Kernel functions have kprobe twins for kernels without fentry (kprobe +
 * kretprobe where the fexit matters: see custody_kp_dsq_insert()).
 *
 * Argument positions differ between kernels (7.1 added `rq`, 7.3 `slice` and
 * `vtime` to dispatch_enqueue): the loader reads them from the kernel's BTF
 * parameter names and sets the *_arg_* constants below. A task is "watched"
 * from the event that puts it into custody until its ops.dequeue(); only
 * watched tasks cost an event when they run or exit.
 *
 * Nothing is dropped silently: a full ring buffer is counted per CPU.
 *
 * Cost (docs/BENCHMARKS.md): kernel memory is read through bpf_core_cast()
 * pointers, plain loads with a fault handler, rather than one
 * bpf_probe_read_kernel() call per field; and a record wakes the daemon only
 * when the ring is filling (the daemon polls every 100 ms anyway), so a busy
 * CPU does not send the reader a wakeup per record.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "custody_abi.h"
#include "custody_wakeup.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile __u32 abi_version = CUSTODY_ABI_VERSION;

/* Argument indices in the hooked kernel functions, from BTF. */
const volatile __u32 dsq_insert_arg_p = 2;
const volatile __u32 dsq_insert_arg_dsq = 1;
const volatile __u32 local_move_arg_p = 1;
const volatile __u32 local_move_arg_where = 3; /* rq (a move) or dsq (the witness) */
const volatile __u32 local_move_is_witness = 0;
const volatile __u32 ops_dequeue_arg_p = 1;
const volatile __u32 remote_move_arg_p = 0;
/*
 * Test hook, 0 in normal use: spin this long on return from a user- or
 * global-DSQ insert, after the DSQ lock is dropped. It widens the window in
 * which another CPU takes the task before the return program is done, so a
 * guest test can show that the record order holds (see on_dsq_insert_return).
 */
const volatile __u64 test_insert_return_delay_ns = 0;
/*
 * An eighth of the ring buffer's size, set by the loader (which sizes the
 * ring): the fill at which a record wakes the reader. 0: ask the ring.
 */
const volatile __u64 wakeup_fill_bytes = 0;
/*
 * The struct_ops value types of sched_ext (BTF ids of bpf_struct_ops_sched_ext_ops
 * and, where it exists, ..._cid; 0: none), and whether a process that sets
 * such a map's value is stopped until the daemon has traced its programs.
 */
const volatile __u32 sched_ext_value_type_ids[2] = {};
const volatile __u32 hold_registrations = 0;
const volatile __u32 self_tgid = 0; /* the daemon: never held */

#define WATCH_NONE 0 /* not watched: never seen, between custodies, or exited */
#define WATCH_IN_CUSTODY 1
#define WATCH_RAN 2

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader */
} events SEC(".maps");

/*
 * Per-CPU counters, indexed by CPU. In .bss, so the daemon reads them through
 * memory: a map-lookup syscall would keep every kprobe program from running
 * on its CPU meanwhile, and those runs would be events missed.
 */
struct custody_cpu_counters cpu_counters_by_cpu[CUSTODY_MAX_CPUS];

/*
 * pid -> WATCH_*: tasks whose next run or exit the audit needs to see. One
 * byte per possible pid (PID_MAX_LIMIT: 2^22 on 64-bit), eight to an array
 * element: 4 MiB, about what the 65,536-entry LRU hash it replaces took. An
 * array lookup is a few instructions the verifier inlines, with no hash, no
 * helper call and no lock, and nothing is evicted: the hash evicted the
 * entries of watched tasks once a machine had more live pids than entries,
 * and their Running events were lost without a count.
 */
#define WATCH_PID_LIMIT (1u << 22)
#define WATCH_PIDS_PER_ELEM 8

struct watch_states {
	__u8 state[WATCH_PIDS_PER_ELEM];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WATCH_PID_LIMIT / WATCH_PIDS_PER_ELEM);
	__type(key, __u32);
	__type(value, struct watch_states);
} watched SEC(".maps");

/*
 * A call seen on entry and finished on return: its (task, where) arguments,
 * which a kretprobe cannot see, and when it began. These functions run with
 * the rq lock held and do not nest on a CPU; if one ever did, the overwritten
 * call's record is counted (pending_overwritten), never lost silently.
 */
struct pending_call {
	__u64 p;
	__u64 where;
	__u64 begin_ns;
};

enum pending_slot { PENDING_DSQ_INSERT, PENDING_LOCAL_MOVE, PENDING_NR_SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PENDING_NR_SLOTS);
	__type(key, __u32);
	__type(value, struct pending_call);
} pending_calls SEC(".maps");

static __always_inline struct custody_cpu_counters *cpu_counters(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	/* The loader refuses machines with more CPUs than slots. */
	if (cpu >= CUSTODY_MAX_CPUS)
		return NULL;
	return &cpu_counters_by_cpu[cpu];
}

/*
 * Typed views of pointers that come as plain numbers (function arguments read
 * with bpf_get_func_arg(), kprobe registers): loads through them are direct,
 * and return 0 instead of faulting, as bpf_probe_read_kernel() would.
 */
static __always_inline struct task_struct *task_of(const void *p)
{
	return bpf_core_cast(p, struct task_struct);
}

/* Atomic: programs can nest on one CPU (a tracepoint inside a traced call). */
#define COUNT(field) __sync_fetch_and_add(&(field), 1)

static __always_inline void count_hook(enum custody_hook hook)
{
	struct custody_cpu_counters *c = cpu_counters();

	if (c && hook < CUSTODY_NR_HOOKS)
		COUNT(c->hook_hits[hook]);
}

static __always_inline __u8 kernel_custody_flag(struct task_struct *p)
{
	if (!bpf_core_enum_value_exists(enum scx_ent_flags, SCX_TASK_IN_CUSTODY))
		return CUSTODY_KFLAG_UNKNOWN;
	if (task_of(p)->scx.flags &
	    bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_IN_CUSTODY))
		return CUSTODY_KFLAG_SET;
	return CUSTODY_KFLAG_CLEAR;
}

/*
 * The scheduler that owns the task now (custody_event.owner): in a 7.3
 * sub-scheduler tree every scheduler operation on a task goes to
 * p->scx.sched, and a hand-over between schedulers dequeues the task from the
 * old one before the pointer changes.
 */
static __always_inline __u32 owner_of(struct task_struct *p)
{
	struct scx_sched *sch;
	__u64 cgroup_id;

	if (!bpf_core_field_exists(struct sched_ext_entity, sched) ||
	    !bpf_core_field_exists(struct scx_sched, cgrp))
		return CUSTODY_OWNER_UNKNOWN;
	sch = task_of(p)->scx.sched;
	if (!sch)
		return CUSTODY_OWNER_UNKNOWN;
	sch = bpf_core_cast(sch, struct scx_sched);
	if (sch->level == 0)
		return CUSTODY_OWNER_ROOT;
	cgroup_id = bpf_core_cast(bpf_core_cast(sch->cgrp, struct cgroup)->kn, struct kernfs_node)->id;
	return cgroup_id > CUSTODY_OWNER_ROOT && cgroup_id < CUSTODY_OWNER_UNFIT ? cgroup_id
										   : CUSTODY_OWNER_UNFIT;
}

/*
 * kernel_flag says whether the task's SCX_TASK_IN_CUSTODY bit is worth reading
 * here: only where this CPU still owns the task (CUSTODY_KFLAG_UNKNOWN if not).
 */
static __always_inline void emit_record(struct task_struct *p, enum custody_evt_type type,
					enum custody_hook hook, __u64 dsq_id, __u64 flags,
					bool read_flag, __u64 ts_ns, __u8 reenq_reason)
{
	struct custody_cpu_counters *c = cpu_counters();
	struct task_struct *t = task_of(p);
	struct custody_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (c)
			COUNT(c->ringbuf_full);
		return;
	}
	e->ts_ns = ts_ns ? ts_ns : bpf_ktime_get_ns();
	e->task_start_ns = t->start_time;
	e->dsq_id = dsq_id;
	e->flags = flags;
	e->pid = t->pid;
	e->cpu = bpf_get_smp_processor_id();
	e->type = type;
	e->hook = hook;
	e->kernel_flag = (read_flag ? kernel_custody_flag(p) : CUSTODY_KFLAG_UNKNOWN) |
			 reenq_reason << CUSTODY_REENQ_REASON_SHIFT;
	e->owner = owner_of(p);
	/*
	 * Plain loads, not bpf_probe_read_kernel_str(): the daemon cuts the comm
	 * at its first NUL and at 15 characters anyway (consumer/event_decode.cpp).
	 */
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, custody_wakeup_flags(&events, wakeup_fill_bytes));
	if (c)
		COUNT(c->events);
}

static __always_inline void emit(struct task_struct *p, enum custody_evt_type type,
				 enum custody_hook hook, __u64 dsq_id, __u64 flags)
{
	emit_record(p, type, hook, dsq_id, flags, true, 0, CUSTODY_REENQ_NONE);
}

/*
 * Why the kernel re-enqueued the task (7.3): set in p->scx.flags around the
 * ops.enqueue() call it makes, cleared after it returns.
 */
static __always_inline __u8 reenq_reason(struct task_struct *p)
{
	__u32 mask, shift, reason;

	if (!bpf_core_enum_value_exists(enum scx_ent_flags, SCX_TASK_REENQ_REASON_MASK))
		return CUSTODY_REENQ_NONE;
	mask = bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_REASON_MASK);
	shift = bpf_core_enum_value(enum scx_ent_flags, SCX_TASK_REENQ_REASON_SHIFT);
	reason = (task_of(p)->scx.flags & mask) >> (shift & 31);
	return reason < CUSTODY_NR_REENQ_REASONS ? reason : CUSTODY_REENQ_NONE;
}

static __always_inline bool is_user_dsq(__u64 dsq_id)
{
	return !(dsq_id & SCX_DSQ_FLAG_BUILTIN);
}

/* A pid's WATCH_* byte; NULL only for a pid above PID_MAX_LIMIT (none exists). */
static __always_inline __u8 *watch_state(__u32 pid)
{
	__u32 elem = pid / WATCH_PIDS_PER_ELEM;
	struct watch_states *states = bpf_map_lookup_elem(&watched, &elem);

	return states ? &states->state[pid % WATCH_PIDS_PER_ELEM] : NULL;
}

static __always_inline void watch(struct task_struct *p, __u8 state)
{
	__u8 *slot = watch_state(task_of(p)->pid);

	if (slot)
		*slot = state;
}

static __always_inline void unwatch(struct task_struct *p)
{
	watch(p, WATCH_NONE);
}

static __always_inline void call_begin(__u32 slot, __u64 p, __u64 where)
{
	struct pending_call *call = bpf_map_lookup_elem(&pending_calls, &slot);
	struct custody_cpu_counters *c;

	if (!call)
		return;
	if (call->p) {
		c = cpu_counters();
		if (c)
			COUNT(c->pending_overwritten);
	}
	call->p = p;
	call->where = where;
	call->begin_ns = bpf_ktime_get_ns();
}

static __always_inline bool call_end(__u32 slot, struct pending_call *out)
{
	struct pending_call *call = bpf_map_lookup_elem(&pending_calls, &slot);

	if (!call || !call->p)
		return false;
	*out = *call;
	call->p = 0;
	return true;
}

static __always_inline __u64 dsq_id_of(struct scx_dispatch_q *dsq)
{
	return dsq ? bpf_core_cast(dsq, struct scx_dispatch_q)->id : SCX_DSQ_INVALID;
}

/*
 * dispatch_enqueue() entry, user DSQs: the record must be in the ring before
 * the task is visible on the DSQ. The insert drops the DSQ lock before it
 * returns, and another CPU can take the task, call ops.dequeue() and move it
 * to a local DSQ before an exit program here would run: its records would
 * then precede the insert's and read as a dequeue outside custody. The bit
 * is not read here (the insert has not happened yet).
 */
static __always_inline void on_user_dsq_insert(struct task_struct *p, __u64 dsq_id)
{
	if (!p)
		return;
	emit_record(p, CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_INSERT, dsq_id, 0, false, 0,
		    CUSTODY_REENQ_NONE);
	watch(p, WATCH_IN_CUSTODY);
}

static long spin_until(__u64 index, void *deadline_ns)
{
	return bpf_ktime_get_ns() >= *(__u64 *)deadline_ns;
}

/* The test hook's delay, where the DSQ lock is already dropped. */
static __always_inline void test_delay(__u64 dsq_id)
{
	__u64 deadline_ns;

	if (!test_insert_return_delay_ns || !(is_user_dsq(dsq_id) || dsq_id == SCX_DSQ_GLOBAL))
		return;
	deadline_ns = bpf_ktime_get_ns() + test_insert_return_delay_ns;
	bpf_loop(1 << 20, spin_until, &deadline_ns, 0);
}

/* dispatch_enqueue() entry: a user DSQ's insert is reported now, a built-in one on return. */
static __always_inline void on_dsq_insert_entry(__u64 p, __u64 dsq)
{
	__u64 dsq_id = dsq_id_of((void *)dsq);

	if (is_user_dsq(dsq_id))
		on_user_dsq_insert((void *)p, dsq_id);
	else
		call_begin(PENDING_DSQ_INSERT, p, dsq);
}

/*
 * dispatch_enqueue() return. Built-in DSQs (local, global): the task is on
 * `dsq` now, any ops.dequeue() the insert made has run, and the custody bit
 * has its final value. The record carries the time the insert *began*: the
 * global DSQ's lock is dropped before this runs, so the task may already have
 * run and entered a new custody, whose records then precede this one; the
 * engine recognises such an overtaken insert by that time.
 */
static __always_inline void on_dsq_insert_return(struct task_struct *p, struct scx_dispatch_q *dsq)
{
	struct custody_cpu_counters *c;
	struct pending_call call = {};
	__u64 dsq_id = dsq_id_of(dsq);

	count_hook(CUSTODY_HOOK_DSQ_INSERT);
	if (!p || !dsq)
		return;
	test_delay(dsq_id);
	if (!is_user_dsq(dsq_id)) {
		if (!call_end(PENDING_DSQ_INSERT, &call) || call.p != (__u64)p)
			call.begin_ns = 0; /* not seen on entry: stamped now */
		emit_record(p, CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_INSERT, dsq_id, 0, true,
			    call.begin_ns, CUSTODY_REENQ_NONE);
		return;
	}
	/* Evidence for the entry-time record: was the task taken meanwhile? */
	c = cpu_counters();
	if (c && task_of(p)->scx.dsq != dsq)
		COUNT(c->user_insert_overtaken);
}

/* A task reached a local DSQ without dispatch_enqueue(). */
static __always_inline void on_local_move(struct task_struct *p, void *where)
{
	__u64 dsq_id;

	count_hook(CUSTODY_HOOK_LOCAL_MOVE);
	if (!p || !where)
		return;
	if (local_move_is_witness)
		dsq_id = bpf_core_cast(where, struct scx_dispatch_q)->id;
	else
		dsq_id = SCX_DSQ_LOCAL_ON | bpf_core_cast(where, struct rq)->cpu;
	emit(p, CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_LOCAL_MOVE, dsq_id, 0);
}

static __always_inline void on_ops_dequeue(struct task_struct *p)
{
	struct custody_cpu_counters *c = cpu_counters();

	count_hook(CUSTODY_HOOK_OPS_DEQUEUE);
	if (c && p && kernel_custody_flag(p) == CUSTODY_KFLAG_SET)
		COUNT(c->kernel_dequeue_in_custody);
}

static __always_inline __u64 func_arg(void *ctx, __u32 n)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, n, &v);
	return v;
}

SEC("fentry")
int custody_on_dsq_insert_entry(void *ctx)
{
	on_dsq_insert_entry(func_arg(ctx, dsq_insert_arg_p), func_arg(ctx, dsq_insert_arg_dsq));
	return 0;
}

SEC("fexit")
int custody_on_dsq_insert(void *ctx)
{
	on_dsq_insert_return((void *)func_arg(ctx, dsq_insert_arg_p),
			     (void *)func_arg(ctx, dsq_insert_arg_dsq));
	return 0;
}

SEC("fexit")
int custody_on_local_move(void *ctx)
{
	on_local_move((void *)func_arg(ctx, local_move_arg_p),
		      (void *)func_arg(ctx, local_move_arg_where));
	return 0;
}

SEC("fentry")
int custody_on_ops_dequeue(void *ctx)
{
	on_ops_dequeue((void *)func_arg(ctx, ops_dequeue_arg_p));
	return 0;
}

/* scx_bpf_dsq_move*(it, p, dsq_id, enq_flags) -> bool moved */
static __always_inline void on_dsq_move(void *ctx)
{
	struct task_struct *p = (void *)func_arg(ctx, 1);
	__u64 dsq_id = func_arg(ctx, 2), moved = 0;

	count_hook(CUSTODY_HOOK_DSQ_MOVE);
	bpf_get_func_ret(ctx, &moved);
	if (!p || !(moved & 0xff))
		return;
	/*
	 * A move to a user DSQ goes through dispatch_enqueue(), reported there
	 * before the task is visible; a record from here would come after.
	 */
	if (is_user_dsq(dsq_id))
		return;
	emit(p, CUSTODY_EVT_DSQ_INSERT, CUSTODY_HOOK_DSQ_MOVE, dsq_id, 0);
}

SEC("fexit")
int custody_on_dsq_move(void *ctx)
{
	on_dsq_move(ctx);
	return 0;
}

SEC("fexit")
int custody_on_dsq_move_vtime(void *ctx)
{
	on_dsq_move(ctx);
	return 0;
}

SEC("fexit")
int custody_on_remote_move(void *ctx)
{
	count_hook(CUSTODY_HOOK_REMOTE_MOVE);
	return 0;
}

/*
 * Scheduler lifecycle. bpf_scx_reg*(kdata, link): kdata is the kernel's copy
 * of the struct_ops value, the `data` of the map's kvalue: the map (and its
 * id, the scheduler instance's identity) is found by stepping back over the
 * two containers. sched_ext_ops_cid mirrors sched_ext_ops up to `priv`, so
 * the name and sub_cgroup_id are read the same way for both forms.
 */
static __always_inline __u32 struct_ops_map_id(__u64 kdata)
{
	struct bpf_struct_ops_map *st_map;

	st_map = (void *)(kdata - bpf_core_field_offset(struct bpf_struct_ops_map, kvalue) -
			  bpf_core_field_offset(struct bpf_struct_ops_value, data));
	return BPF_CORE_READ(st_map, map.id);
}

static __always_inline __u64 ops_sub_cgroup_id(struct sched_ext_ops *ops)
{
	if (!bpf_core_field_exists(struct sched_ext_ops, sub_cgroup_id))
		return 0;
	return BPF_CORE_READ(ops, sub_cgroup_id);
}

/* A lifecycle record: no task of interest, the current one stands in. */
static __always_inline void emit_lifecycle(enum custody_evt_type type, enum custody_hook hook,
					   __u64 a, __u64 b, const char *name)
{
	struct task_struct *current = bpf_get_current_task_btf();
	struct custody_cpu_counters *c = cpu_counters();
	struct custody_event *e;

	count_hook(hook);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (c) {
			COUNT(c->lifecycle_dropped);
			COUNT(c->ringbuf_full);
		}
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->task_start_ns = current->start_time;
	e->dsq_id = a;
	e->flags = b;
	e->pid = current->pid;
	e->cpu = bpf_get_smp_processor_id();
	e->type = type;
	e->hook = hook;
	e->kernel_flag = CUSTODY_KFLAG_UNKNOWN;
	e->owner = CUSTODY_OWNER_UNKNOWN;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), name);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP); /* the daemon acts on it at once */
	if (c)
		COUNT(c->events);
}

static __always_inline void on_sched_reg(void *ctx)
{
	__u64 kdata = func_arg(ctx, 0);
	struct sched_ext_ops *ops = (void *)kdata;

	emit_lifecycle(CUSTODY_EVT_SCHED_ENABLE, CUSTODY_HOOK_SCHED_REG, struct_ops_map_id(kdata),
		       ops_sub_cgroup_id(ops), ops->name);
}

static __always_inline void on_sched_reg_return(void *ctx)
{
	__u64 kdata = func_arg(ctx, 0), ret = 0;
	struct sched_ext_ops *ops = (void *)kdata;

	bpf_get_func_ret(ctx, &ret);
	emit_lifecycle(CUSTODY_EVT_SCHED_ENABLED, CUSTODY_HOOK_SCHED_REG, struct_ops_map_id(kdata),
		       ret, ops->name);
}

SEC("fentry")
int custody_on_sched_reg(void *ctx)
{
	on_sched_reg(ctx);
	return 0;
}

SEC("fexit")
int custody_on_sched_reg_exit(void *ctx)
{
	on_sched_reg_return(ctx);
	return 0;
}

SEC("fentry")
int custody_on_sched_reg_cid(void *ctx)
{
	on_sched_reg(ctx);
	return 0;
}

SEC("fexit")
int custody_on_sched_reg_cid_exit(void *ctx)
{
	on_sched_reg_return(ctx);
	return 0;
}

/*
 * bpf_struct_ops_map_update_elem(map, key, value, flags) returned: a
 * sched_ext scheduler's programs are in its map now, and its loader's next
 * step is the registration. Stopping the loader here (the signal is taken on
 * its way back to user space) lets the daemon trace the programs before the
 * scheduler exists.
 */
SEC("fexit")
int custody_on_sched_load(void *ctx)
{
	struct bpf_map *map = (void *)func_arg(ctx, 0);
	__u32 type_id, tgid;
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	if (ret || !map)
		return 0;
	type_id = BPF_CORE_READ(map, btf_vmlinux_value_type_id);
	if (!type_id ||
	    (type_id != sched_ext_value_type_ids[0] && type_id != sched_ext_value_type_ids[1]))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	emit_lifecycle(CUSTODY_EVT_SCHED_LOADING, CUSTODY_HOOK_SCHED_LOAD, BPF_CORE_READ(map, id),
		       tgid, map->name);
	if (hold_registrations && tgid != self_tgid)
		bpf_send_signal(19 /* SIGSTOP */);
	return 0;
}

/* scx_disable_workfn(work): work is the scheduler's disable_work. */
SEC("fexit")
int custody_on_sched_disable(void *ctx)
{
	__u64 work = func_arg(ctx, 0);
	struct scx_sched *sch;

	sch = (void *)(work - bpf_core_field_offset(struct scx_sched, disable_work));
	emit_lifecycle(CUSTODY_EVT_SCHED_DISABLE, CUSTODY_HOOK_SCHED_DISABLE,
		       BPF_CORE_READ(sch, exit_info, kind), ops_sub_cgroup_id(&sch->ops),
		       sch->ops.name);
	return 0;
}

/* kprobe twins: x86-64 passes the first six arguments in registers. */
static __always_inline __u64 kprobe_arg(struct pt_regs *regs, __u32 n)
{
	switch (n) {
	case 0:
		return PT_REGS_PARM1_CORE(regs);
	case 1:
		return PT_REGS_PARM2_CORE(regs);
	case 2:
		return PT_REGS_PARM3_CORE(regs);
	case 3:
		return PT_REGS_PARM4_CORE(regs);
	case 4:
		return PT_REGS_PARM5_CORE(regs);
	default:
		return PT_REGS_PARM6_CORE(regs);
	}
}

/*
 * The kprobe twins of the dsq_insert fentry/fexit pair. The kretprobe cannot
 * see the arguments: they come from the entry's pending call.
 */
SEC("kprobe")
int custody_kp_dsq_insert(struct pt_regs *regs)
{
	__u64 p = kprobe_arg(regs, dsq_insert_arg_p), dsq = kprobe_arg(regs, dsq_insert_arg_dsq);

	on_dsq_insert_entry(p, dsq);
	return 0;
}

SEC("kretprobe")
int custody_kretp_dsq_insert(struct pt_regs *regs)
{
	__u32 slot = PENDING_DSQ_INSERT;
	struct pending_call *pending = bpf_map_lookup_elem(&pending_calls, &slot);

	/* A user-DSQ insert left no pending call: it was reported on entry. */
	if (!pending || !pending->p) {
		count_hook(CUSTODY_HOOK_DSQ_INSERT);
		return 0;
	}
	/* The arguments are read here; on_dsq_insert_return() takes the call. */
	on_dsq_insert_return((void *)pending->p, (void *)pending->where);
	return 0;
}

SEC("kprobe")
int custody_kp_local_move(struct pt_regs *regs)
{
	call_begin(PENDING_LOCAL_MOVE, kprobe_arg(regs, local_move_arg_p),
		   kprobe_arg(regs, local_move_arg_where));
	return 0;
}

SEC("kretprobe")
int custody_kretp_local_move(struct pt_regs *regs)
{
	struct pending_call call;

	if (call_end(PENDING_LOCAL_MOVE, &call))
		on_local_move((void *)call.p, (void *)call.where);
	return 0;
}

SEC("kprobe")
int custody_kp_ops_dequeue(struct pt_regs *regs)
{
	on_ops_dequeue((void *)kprobe_arg(regs, ops_dequeue_arg_p));
	return 0;
}

SEC("kprobe")
int custody_kp_remote_move(struct pt_regs *regs)
{
	count_hook(CUSTODY_HOOK_REMOTE_MOVE);
	return 0;
}

/*
 * The scheduler's own programs. A struct_ops program's only argument is its
 * u64 array of op arguments: read through that pointer, typed as the kernel's
 * struct bpf_raw_tracepoint_args (a flexible u64 array, which the verifier
 * lets a cast pointer index past its zero size), so the two loads are plain
 * loads with a fault handler rather than a bpf_probe_read_kernel() call.
 */
/* (task, flags): the first two op arguments of enqueue and dequeue. */
static __always_inline struct task_struct *op_task_and_flags(__u64 *ctx, __u64 *flags)
{
	struct bpf_raw_tracepoint_args *op_args =
		bpf_core_cast((void *)ctx[0], struct bpf_raw_tracepoint_args);

	*flags = op_args->args[1];
	return (struct task_struct *)op_args->args[0];
}

SEC("fentry")
int custody_on_sched_dequeue(__u64 *ctx)
{
	struct task_struct *p;
	__u64 deq_flags;

	count_hook(CUSTODY_HOOK_SCHED_DEQUEUE);
	p = op_task_and_flags(ctx, &deq_flags);
	if (!p)
		return 0;
	emit(p, CUSTODY_EVT_DEQUEUE, CUSTODY_HOOK_SCHED_DEQUEUE, SCX_DSQ_INVALID, deq_flags);
	unwatch(p);
	return 0;
}

SEC("fexit")
int custody_on_sched_enqueue(__u64 *ctx)
{
	struct task_struct *p;
	__u64 enq_flags, ddsp;

	count_hook(CUSTODY_HOOK_SCHED_ENQUEUE);
	p = op_task_and_flags(ctx, &enq_flags);
	if (!p)
		return 0;
	/* Set by scx_bpf_dsq_insert() during the call; consumed after it. */
	ddsp = task_of(p)->scx.ddsp_dsq_id;
	emit_record(p, CUSTODY_EVT_ENQUEUE, CUSTODY_HOOK_SCHED_ENQUEUE, ddsp, enq_flags, true, 0,
		    reenq_reason(p));
	if (ddsp == SCX_DSQ_INVALID || is_user_dsq(ddsp))
		watch(p, WATCH_IN_CUSTODY);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(custody_on_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u32 pid = next->pid;
	__u8 *state;

	count_hook(CUSTODY_HOOK_SCHED_SWITCH);
	if (!pid)
		return 0; /* the idle task: never in custody, no lookup */
	state = watch_state(pid);
	if (!state || *state != WATCH_IN_CUSTODY)
		return 0;
	*state = WATCH_RAN;
	emit(next, CUSTODY_EVT_RUNNING, CUSTODY_HOOK_SCHED_SWITCH, SCX_DSQ_INVALID, 0);
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(custody_on_task_exit, struct task_struct *p)
{
	__u32 pid = p->pid;
	__u8 *state;

	count_hook(CUSTODY_HOOK_TASK_EXIT);
	state = watch_state(pid);
	if (state)
		*state = WATCH_NONE;
	/*
	 * Every task, watched or not, once it is freed (after its last
	 * scheduling event: sched_process_exit came too early, a dying task is
	 * still preempted and re-enqueued after it): the daemon keeps a record
	 * of each task it saw (direct dispatches and finished custodies too),
	 * and only this lets it free one. Reporting only watched exits let a
	 * fork-heavy load grow its table by every short-lived task, up to the
	 * table's bound, where evictions make newly seen tasks indeterminate.
	 * The watched state is kept by pid alone; a pid reused before the old
	 * task is freed (a wrap of the pid space within an RCU grace period)
	 * would lose its state, and with it one Running event.
	 */
	emit(p, CUSTODY_EVT_TASK_EXIT, CUSTODY_HOOK_TASK_EXIT, SCX_DSQ_INVALID, 0);
	return 0;
}
