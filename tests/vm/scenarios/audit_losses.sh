# audit_losses.sh — losses forced on purpose: `audit --sched reference` with
# a 16 KiB ring buffer (256 records; a hidden test option) under a heavy
# context-switch load, its process stopped
# (SIGSTOP) for LOSS_STOP_S seconds and continued. The ring buffer overflows
# while nobody reads it; the audit must count every record it lost and
# judge nothing it cannot prove.
. /workload.sh
start_workload 90
stress-ng --switch 4 --fork 2 --timeout 80s --quiet &
extra=$!
scx-custody audit --sched reference --test-ringbuf-kb 16 --duration "${AUDIT_DURATION:-30}" \
	--format json --output /export/audit.json --record /export/audit.rec &
audit=$!
sleep 6
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
kill $extra 2>/dev/null
wait $extra 2>/dev/null
stop_workload
exit 0
