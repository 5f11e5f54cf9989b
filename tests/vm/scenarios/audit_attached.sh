# audit_attached.sh — the reference scheduler is started by a separate
# process first; then `scx-custody audit` (default --sched attached) finds it
# through its struct_ops map and audits it until the command below stops it.
# The standard workload runs around that command (run_workload.sh).
. /workload.sh
scx-custody sched --duration 150 --stats 1 --format json --output /export/ref.json >/tmp/sched.log 2>&1 &
sched=$!
echo "$sched" >/tmp/sched.pid
wait_sched_state enabled || echo "custody_ref did not start"
# The command: let the audit watch for at least AUDIT_SECONDS and until the
# scheduler's own counters (printed every second) show 3000 more custody
# enters —
# on a loaded host a TCG guest runs slower, and a fixed time saw too little —
# at most 100 s; then stop the scheduler and wait (bounded) until sched_ext
# is idle again.
cat >/tmp/stop_sched.sh <<'EOS'
. /workload.sh
enters() {
	n=$(sed -n 's/.* enter=\([0-9]*\) .*/\1/p' /tmp/sched.log | tail -n 1)
	echo "${n:-0}"
}
first=$(enters)
t=0
while [ $t -lt 100 ]; do
	sleep 1
	t=$((t + 1))
	[ $t -ge ${AUDIT_SECONDS:-15} ] && [ $(($(enters) - first)) -ge 3000 ] && break
done
echo "stopping the scheduler after ${t} s: custody enters $first -> $(enters)"
kill -INT "$(cat /tmp/sched.pid)"
wait_sched_state disabled
EOS
run_audit -- sh /run_workload.sh 160 sh /tmp/stop_sched.sh
wait $sched
[ -f /export/ref.json ] && emit_json /export/ref.json
exit 0
