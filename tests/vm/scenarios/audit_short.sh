# audit_short.sh — `audit -- COMMAND` where COMMAND loads the reference
# scheduler in a separate process that ejects itself with scx_bpf_error()
# SHORT_MS after it was enabled (--error-after-ms), with tasks in custody:
# a scheduler that lives shorter than any polling interval. Unlike the other
# scenarios the workload is already running when the audit starts: started
# with the command, its start overlapped the scheduler's enable, which then
# took seconds (sections of 1.7-4.3 s for a scheduler that runs ~40 ms).
. /workload.sh
start_workload 60
run_audit ${AUDIT_ARGS:-} -- scx-custody sched --error-after-ms "${SHORT_MS:-40}" --format json \
	--output /export/short_ref.json
[ -f /export/short_ref.json ] && emit_json /export/short_ref.json
stop_workload
exit 0
