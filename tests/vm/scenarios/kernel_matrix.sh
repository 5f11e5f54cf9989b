# kernel_matrix.sh — one kernel of scripts/kernel-matrix: scx-custody audit
# under the standard workload, around the user's command (/matrix/command.sh,
# written by kernel-matrix from its -- COMMAND) or, without one, around our
# reference scheduler. The JSON report and the recording go to /export.
. /workload.sh
duration=${AUDIT_DURATION:-15}
if [ -f /matrix/command.sh ]; then
	start_workload $((duration + 30))
	run_audit --duration "$duration" -- sh /matrix/command.sh
	stop_workload
else
	run_audit --sched reference --duration "$duration" -- sh /run_workload.sh $((duration + 30))
fi
exit 0
