# audit_short.sh — `audit -- COMMAND` where COMMAND loads the reference
# scheduler in a separate process that ejects itself with scx_bpf_error()
# SHORT_MS after it was enabled (--error-after-ms), with tasks in custody:
# a scheduler that lives shorter than any polling interval. The standard
# workload runs around the command (run_workload.sh).
. /workload.sh
run_audit ${AUDIT_ARGS:-} -- sh /run_workload.sh 60 \
	scx-custody sched --error-after-ms "${SHORT_MS:-40}" --format json --output /export/short_ref.json
[ -f /export/short_ref.json ] && emit_json /export/short_ref.json
exit 0
