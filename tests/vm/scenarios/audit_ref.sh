# audit_ref.sh — `scx-custody audit --sched reference` around the standard
# workload: the JSON report as a @@R line, the report and the raw recording
# exported to the host (for replay there). What the audit (with its
# workload) created or modified on the guest's writable file systems is a
# @@R line too: only its two output files. The recording is replayed in the
# guest too: its exit status as a @@R line and its report in
# /export/replay-in-guest.json (check-audit.py requires both to match).
. /workload.sh
duration=${AUDIT_DURATION:-15}
# AUDIT_ARGS: extra audit options (one word, e.g. --attach=kprobe).
# HOTPLUG_CYCLES: instead of --duration, audit while CPU 1 goes offline and
# back that many times under the workload (/hotplug_cycles.sh).
snapshot_files audit
if [ -n "${HOTPLUG_CYCLES:-}" ]; then
	export HOTPLUG_CYCLES
	run_audit --sched reference ${AUDIT_ARGS:-} \
		-- sh /run_workload.sh 90 sh /hotplug_cycles.sh
else
	run_audit --sched reference --duration "$duration" ${AUDIT_ARGS:-} \
		-- sh /run_workload.sh $((duration + 30))
fi
echo "@@R {\"written_by_audit\": $(files_written_since audit)}"
scx-custody replay /export/audit.rec --format json --output /export/replay-in-guest.json
echo "@@R {\"replay_in_guest_exit\": $?}"
exit 0
