# audit_ksched.sh — a scheduler we did not write (KSCHED: scx_qmap or
# scx_simple, built from the kernel's tools/sched_ext) is started first; then
# `scx-custody audit` (attached) finds it through its struct_ops map and
# audits it for AUDIT_SECONDS under the standard workload, which starts with
# the audit's command once the audit is ready (run_workload.sh). The
# scheduler is loaded before: qmap's programs take tens of seconds to verify
# under TCG, far longer with every CPU busy.
. /workload.sh
"${KSCHED:?}" >/tmp/ksched.log 2>&1 &
sched=$!
renice -n -20 -p $sched >/dev/null
wait_sched_state enabled 120 || echo "$KSCHED did not start"
echo "@@R {\"ksched_root_ops\": \"$(cat /sys/kernel/sched_ext/root/ops)\"}"
run_audit --duration "${AUDIT_SECONDS:-12}" -- sh /run_workload.sh 90
kill -INT $sched
wait $sched
echo "@@R {\"ksched_exit\": $?}"
exit 0
