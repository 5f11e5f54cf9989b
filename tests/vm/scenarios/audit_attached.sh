# audit_attached.sh — the reference scheduler is started by a separate
# process first; then `scx-custody audit` (default --sched attached) finds it
# through its struct_ops map and audits it until the command below stops it.
. /workload.sh
start_workload 90
scx-custody sched --duration 80 --format json --output /export/ref.json >/dev/null 2>&1 &
sched=$!
n=0
while [ "$(cat /sys/kernel/sched_ext/state)" != enabled ] && [ $n -lt 200 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "scheduler enabled after $n polls"
# The command: let the audit watch for AUDIT_SECONDS, then stop the scheduler
# and wait (bounded) until sched_ext is idle again.
cat >/tmp/stop_sched.sh <<EOS
sleep ${AUDIT_SECONDS:-10}
kill -INT $sched
n=0
while [ "\$(cat /sys/kernel/sched_ext/state)" != disabled ] && [ \$n -lt 200 ]; do
	sleep 0.1
	n=\$((n + 1))
done
EOS
scx-custody audit --format json --output /export/audit.json --record /export/audit.rec \
	-- sh /tmp/stop_sched.sh
rc=$?
echo "audit rc=$rc"
echo "@@R {\"audit_exit\": $rc}"
wait $sched
stop_workload
[ -f /export/audit.json ] && emit_json /export/audit.json
[ -f /export/ref.json ] && emit_json /export/ref.json
exit 0
