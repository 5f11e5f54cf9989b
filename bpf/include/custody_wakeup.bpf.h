/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custody_wakeup.bpf.h - when a submitted record wakes the ring buffer's
 * reader: shared by the tracer and the benchmarks' ring producer, so that the
 * producer measures the tracer's submit.
 */
#ifndef SCX_CUSTODY_WAKEUP_BPF_H
#define SCX_CUSTODY_WAKEUP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/*
 * Wake the reader only when the ring holds fill_bytes (0: an eighth of the
 * ring; the loader sets it, loader::wakeup_fill_bytes()): below that, the
 * daemon's 100 ms poll timeout collects the records. A wakeup per record
 * costs an irq_work and a reader wakeup (itself a custody cycle of the daemon)
 * whenever the reader had caught up.
 */
static __always_inline __u64 custody_wakeup_flags(void *ring, __u64 fill_bytes)
{
	if (!fill_bytes)
		fill_bytes = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / 8;
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= fill_bytes ? BPF_RB_FORCE_WAKEUP
									: BPF_RB_NO_WAKEUP;
}

#endif /* SCX_CUSTODY_WAKEUP_BPF_H */
