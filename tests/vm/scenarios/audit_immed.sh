# audit_immed.sh — scx_qmap's IMMED stress (KSCHED_ARGS, e.g. "-I -F 8":
# SCX_OPS_ALWAYS_ENQ_IMMED, every 8th enqueue forced to a busy local DSQ) is
# started first; then `scx-custody audit` (attached) audits it under the
# standard workload (started with the audit's command, run_workload.sh)
# while its command reads two counters of re-enqueues:
# the kernel's SCX_EV_REENQ_IMMED (root/events) and qmap's own cumulative
# count ("reenq/cid0=" in its stats, printed every second).
#   counts_outer_*  read before the audit starts and after qmap printed its
#                   stats once more after the audit ended: a window that
#                   holds the audit's.
#   counts_inner_*  read inside the audited command, the first after qmap
#                   printed a fresh stats line, the second from the last
#                   line printed before the command ends: a window inside
#                   the audit's.
. /workload.sh
cat >/tmp/counters.sh <<'EOS'
kernel_event() { awk -v k="$1" '$1 == k { print $2 }' /sys/kernel/sched_ext/root/events 2>/dev/null; }
ksched_stats() { grep -c 'reenq/cid0=' /tmp/ksched.log; }
ksched_reenq() { sed -n 's/.* reenq\/cid0=\([0-9]*\)\/.*/\1/p' /tmp/ksched.log | tail -n 1; }
# next_stats: wait (at most 10 s) until qmap printed another stats line.
next_stats() {
	printed=$(ksched_stats)
	n=0
	while [ "$(ksched_stats)" -le "$printed" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
}
counts_line() {
	ev=$(kernel_event SCX_EV_REENQ_IMMED)
	own=$(ksched_reenq)
	echo "@@R {\"$1\": {\"reenq_immed_event\": ${ev:-null}, \"ksched_reenq\": ${own:-null}}}"
}
EOS
. /tmp/counters.sh
cat >/tmp/window.sh <<EOS
. /tmp/counters.sh
next_stats
counts_line counts_inner_before
sleep ${AUDIT_SECONDS:-20}
counts_line counts_inner_after
EOS
# shellcheck disable=SC2086  # KSCHED_ARGS is a list of options
scx_qmap ${KSCHED_ARGS:-} >/tmp/ksched.log 2>&1 &
sched=$!
renice -n -20 -p $sched >/dev/null
wait_sched_state enabled 120 || echo "scx_qmap did not start"
echo "@@R {\"ksched_root_ops\": \"$(cat /sys/kernel/sched_ext/root/ops)\"}"
counts_line counts_outer_before
run_audit -- sh /run_workload.sh 120 sh /tmp/window.sh
next_stats
counts_line counts_outer_after
kill -INT $sched
wait $sched
echo "@@R {\"ksched_exit\": $?}"
exit 0
