/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ops.bpf.h - the few sched_ext declarations our BPF schedulers need,
 * written against the generated vmlinux.h (the scx helper headers are not
 * packaged by Debian).
 */
#ifndef SCX_CUSTODY_SCX_OPS_BPF_H
#define SCX_CUSTODY_SCX_OPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Not in vmlinux.h: preprocessor constants of the kernel. */
#define PF_EXITING 0x00000004
#define ENOMEM 12

/* The iterator declared by bpf_for_each(), for kfuncs that take it. */
#define BPF_FOR_EACH_ITER (&___it)

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * scx_bpf_error(fmt, args...): eject the scheduler with a formatted message.
 * Built on scx_bpf_error_bstr(), which binds on every kernel we support.
 */
#define scx_bpf_error(fmt, args...)                                                                \
	({                                                                                         \
		static char ___fmt[] = fmt;                                                        \
		unsigned long long ___param[___bpf_narg(args)];                                    \
		_Pragma("GCC diagnostic push")                                                     \
			_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                     \
				___bpf_fill(___param, args);                                       \
		_Pragma("GCC diagnostic pop")                                                      \
			scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));                    \
	})

#endif /* SCX_CUSTODY_SCX_OPS_BPF_H */
