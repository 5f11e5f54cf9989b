# audit_command.sh — `scx-custody audit -- COMMAND` where the command loads
# and unloads two schedulers in turn (the reference scheduler, then the same
# scheduler without ops.dequeue): the audit follows both and reports each.
. /workload.sh
start_workload 90
cat >/tmp/two_schedulers.sh <<'EOS'
scx-custody sched --duration 8 >/dev/null 2>&1 || exit 1
scx-custody sched --duration 8 --without-dequeue >/dev/null 2>&1 || exit 1
EOS
scx-custody audit --format json --output /export/audit.json --record /export/audit.rec \
	-- sh /tmp/two_schedulers.sh
rc=$?
echo "audit rc=$rc"
echo "@@R {\"audit_exit\": $rc}"
stop_workload
[ -f /export/audit.json ] && emit_json /export/audit.json
exit 0
