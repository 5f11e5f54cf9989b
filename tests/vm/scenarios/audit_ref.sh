# audit_ref.sh — `scx-custody audit --sched reference` around the standard
# workload: the JSON report as a @@R line, the report and the raw recording
# exported to the host (for replay there). The recording is replayed in the
# guest too: its exit status as a @@R line and its report in
# /export/replay-in-guest.json (check-audit.py requires both to match).
. /workload.sh
duration=${AUDIT_DURATION:-15}
# AUDIT_ARGS: extra audit options (one word, e.g. --attach=kprobe).
run_audit --sched reference --duration "$duration" ${AUDIT_ARGS:-} \
	-- sh /run_workload.sh $((duration + 30))
scx-custody replay /export/audit.rec --format json --output /export/replay-in-guest.json
echo "@@R {\"replay_in_guest_exit\": $?}"
exit 0
