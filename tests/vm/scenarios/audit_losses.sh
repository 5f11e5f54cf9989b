# audit_losses.sh — losses forced on purpose: `audit --sched reference` with
# a 16 KiB ring buffer (256 records; a hidden test option), the standard
# workload plus a heavy context-switch load as its command, its process
# stopped (SIGSTOP) for LOSS_STOP_S seconds and continued. The ring buffer
# overflows while nobody reads it; the audit must count every record it lost
# and judge nothing it cannot prove. (The scheduler is registered before the
# load starts, as in audit_ref.sh: a scheduler registered while stress-ng
# already runs sees far fewer enqueues in these guests.)
. /workload.sh
cat >/tmp/load.sh <<'EOS'
stress-ng --switch 4 --fork 2 --timeout 60s --quiet &
sh /run_workload.sh 60
EOS
scx-custody audit --sched reference --test-ringbuf-kb 16 --duration "${AUDIT_DURATION:-30}" \
	--format json --output /export/audit.json --record /export/audit.rec -- sh /tmp/load.sh &
audit=$!
sleep 8
kill -STOP $audit
echo "audit stopped"
sleep "${LOSS_STOP_S:-15}"
kill -CONT $audit
echo "audit continued"
wait $audit
rc=$?
echo "audit rc=$rc"
echo "@@R {\"audit_exit\": $rc}"
[ -f /export/audit.json ] && emit_json /export/audit.json
pkill stress-ng
exit 0
