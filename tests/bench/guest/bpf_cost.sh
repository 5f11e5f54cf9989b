# bpf_cost.sh — the kernel-side cost of an audit, from bpf_stats (run by
# tests/bench/guest-bench.py in a QEMU guest; busybox sh).
#
# BENCH_SCHED   reference: `scx-custody audit --sched reference` around the
#                 standard workload (the audit loads the scheduler);
#               scx_qmap, scx_simple: the kernel's example scheduler is
#                 started first, the audit attaches to it;
#               switch: the reference scheduler under `stress-ng --switch`,
#                 the guest's highest custody rate (for the zero-loss row).
# BENCH_SECONDS the measured window (default 15).
#
# With kernel.bpf_stats_enabled=1, `bpftool prog show -j` is saved in /export
# when the tracer's programs are attached (bpf_t0.json) and BENCH_SECONDS
# later (bpf_t1.json); the host takes the difference per program. The audit's
# JSON report (events, custodies, losses) is exported too.
. /workload.sh
sched=${BENCH_SCHED:?}
window=${BENCH_SECONDS:-15}
# The audit outlives the window: loading and tracing take seconds under TCG.
audit_seconds=$((window + 25))

echo 1 >/proc/sys/kernel/bpf_stats_enabled
mkdir -p /export

# traced: the tracer's hook on the scheduler's ops.enqueue() has run at least
# once (attached, and the scheduler is scheduling).
traced() {
	bpftool prog show -j >/tmp/progs.json 2>/dev/null || return 1
	tr '{' '\n' </tmp/progs.json | grep '"name":"custody_on_sched_enqueue"' |
		grep -q '"run_cnt":[1-9]'
}

wait_traced() {
	n=0
	until traced; do
		[ $n -ge 120 ] && return 1
		sleep 0.5
		n=$((n + 1))
	done
}

audit_bg() {
	scx-custody audit --format json --output /export/audit.json --duration "$audit_seconds" "$@" \
		>/tmp/audit.log 2>&1 &
	audit_pid=$!
}

case $sched in
reference)
	audit_bg --sched reference -- sh /run_workload.sh $((audit_seconds + 30))
	;;
switch)
	audit_bg --sched reference -- stress-ng --switch 2 --timeout $((audit_seconds + 30))s --quiet
	;;
scx_qmap | scx_simple)
	"$sched" >/tmp/ksched.log 2>&1 &
	ksched_pid=$!
	renice -n -20 -p $ksched_pid >/dev/null
	wait_sched_state enabled 120 || echo "$sched did not start"
	start_workload $((audit_seconds + 30))
	audit_bg
	;;
*)
	echo "bpf_cost.sh: unknown BENCH_SCHED=$sched"
	exit 2
	;;
esac

status=0
if wait_traced; then
	bpftool prog show -j >/export/bpf_t0.json
	sleep "$window"
	bpftool prog show -j >/export/bpf_t1.json
	echo "@@R {\"bench_window_s\": $window}"
else
	echo "@@R {\"bench_error\": \"the tracer's enqueue hook never ran\"}"
	status=1
fi
wait $audit_pid
echo "@@R {\"audit_exit\": $?}"
tail -5 /tmp/audit.log
if [ -n "${ksched_pid:-}" ]; then
	stop_workload
	kill -INT $ksched_pid
	wait $ksched_pid
fi
exit $status
