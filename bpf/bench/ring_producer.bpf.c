/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring_producer - the BPF ring buffer's single-producer ceiling, for the
 * benchmarks (tests/bench/ring_ceiling.cpp): one program, run with
 * BPF_PROG_TEST_RUN on one CPU, reserves, fills and submits `count` records
 * of the tracer's size and layout into a ring buffer of the tracer's default
 * size while the daemon's reader drains it on another CPU. The consumer's
 * throughput targets are ratios to this rate: a consumer twice as fast as one
 * producer can be is never the bottleneck of a CPU's stream.
 *
 * Each record is written the way the tracer writes one (custody_trace.bpf.c,
 * emit_record()): a timestamp, the calling task's key and CPU, the fixed
 * fields and the comm, then a submit that wakes the reader as the tracer's
 * does (custody_wakeup_flags()).
 */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "custody_abi.h"
#include "custody_wakeup.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the benchmark */
} records SEC(".maps");

/* Set by the benchmark before load, as the loader sets the tracer's. */
const volatile __u64 wakeup_fill_bytes = 0;

/* The program's context, in and out (BPF_PROG_TEST_RUN copies it back). */
struct ring_producer_args {
	__u64 count;	 /* in: records to produce */
	__u64 submitted; /* out: records submitted */
	__u64 full;	 /* out: reservations the full ring refused */
};

struct produce_state {
	__u64 submitted;
	__u64 full;
};

static long produce_one(__u64 index, void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct produce_state *state = ctx;
	struct custody_event *e;

	e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);
	if (!e) {
		state->full++;
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->task_start_ns = task->start_time;
	e->dsq_id = index;
	e->flags = 0;
	e->pid = task->pid;
	e->cpu = bpf_get_smp_processor_id();
	e->type = CUSTODY_EVT_ENQUEUE;
	e->hook = 0;
	e->kernel_flag = 0;
	e->owner = CUSTODY_OWNER_ROOT;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, custody_wakeup_flags(&records, wakeup_fill_bytes));
	state->submitted++;
	return 0;
}

SEC("syscall")
int produce(struct ring_producer_args *args)
{
	struct produce_state state = {};

	bpf_loop(args->count, produce_one, &state, 0);
	args->submitted = state.submitted;
	args->full = state.full;
	return 0;
}
