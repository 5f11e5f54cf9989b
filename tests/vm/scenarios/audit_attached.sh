# audit_attached.sh — the reference scheduler is started by a separate
# process first; then `scx-custody audit` (default --sched attached) finds it
# through its struct_ops map and audits it until the command below stops it.
. /workload.sh
start_workload 90
scx-custody sched --duration 80 --format json --output /export/ref.json >/dev/null 2>&1 &
sched=$!
wait_sched_state enabled || echo "custody_ref did not start"
# The command: let the audit watch for AUDIT_SECONDS, then stop the scheduler
# and wait (bounded) until sched_ext is idle again.
cat >/tmp/stop_sched.sh <<EOS
. /workload.sh
sleep ${AUDIT_SECONDS:-15}
kill -INT $sched
wait_sched_state disabled
EOS
run_audit -- sh /tmp/stop_sched.sh
wait $sched
stop_workload
[ -f /export/ref.json ] && emit_json /export/ref.json
exit 0
