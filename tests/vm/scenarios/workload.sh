# workload.sh — sourced by scenarios: the standard custody workload.
#
# start_workload SECONDS: stress-ng CPU hogs that also yield, plus a loop that
# keeps changing the workers' scheduling properties (affinity, nice, policy)
# and briefly runs a SCHED_FIFO task so that RT preemption re-enqueues the
# local DSQs. stop_workload ends both and waits for them.
start_workload() {
	stress-ng --cpu 2 --yield 2 --timeout "${1}s" --quiet &
	WORKLOAD_STRESS=$!
	(
		i=0
		while kill -0 "$WORKLOAD_STRESS" 2>/dev/null; do
			for pid in $(pgrep -f 'stress-ng'); do
				taskset -p 1 "$pid"
				renice -n $((i % 10)) -p "$pid"
				taskset -p 3 "$pid"
				if [ $((i % 4)) -eq 0 ]; then
					chrt -b -p 0 "$pid"
				else
					chrt -o -p 0 "$pid"
				fi
			done
			chrt -f 1 sh -c 'n=0; while [ $n -lt 300 ]; do n=$((n+1)); done'
			i=$((i + 1))
			sleep 0.1
		done
	) >/dev/null 2>&1 &
	WORKLOAD_CHURN=$!
}

stop_workload() {
	kill "$WORKLOAD_STRESS" "$WORKLOAD_CHURN" 2>/dev/null
	wait "$WORKLOAD_STRESS" "$WORKLOAD_CHURN" 2>/dev/null
	return 0
}

# wait_sched_state STATE [SECONDS]: wait (at most SECONDS, default 20) until
# sched_ext is in STATE (enabled, disabled); fails if it never gets there.
wait_sched_state() {
	n=0
	while [ "$(cat /sys/kernel/sched_ext/state)" != "$1" ]; do
		[ $n -ge $((${2:-20} * 10)) ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# emit_json FILE: print a JSON file as one "@@R " result line.
emit_json() {
	printf '@@R %s\n' "$(tr -d '\n' <"$1")"
}

# run_audit ARGS...: scx-custody audit with a JSON report and a recording in
# /export (both come back to the host); its exit status and the report as
# result lines.
# With AUDIT_LOG set, the audit's log goes to that file while it runs (for
# its command to read) and to the console after.
run_audit() {
	set -- --format json --output /export/audit.json --record /export/audit.rec "$@"
	if [ -n "${AUDIT_LOG:-}" ]; then
		scx-custody audit "$@" 2>"$AUDIT_LOG"
		rc=$?
		cat "$AUDIT_LOG" >&2
	else
		scx-custody audit "$@"
		rc=$?
	fi
	echo "audit rc=$rc"
	echo "@@R {\"audit_exit\": $rc}"
	[ -f /export/audit.json ] && emit_json /export/audit.json
	return 0
}

# The guest's writable file systems: the initramfs root, /tmp, /run,
# /dev/shm, and bpffs (/sys/fs/bpf, where a pinned BPF object would stay).
WRITABLE_FS="/ /tmp /run /dev/shm /sys/fs/bpf"

# snapshot_files NAME: the paths on WRITABLE_FS now, in /tmp/NAME.paths,
# and /tmp/NAME.mark, whose time later modifications are newer than.
snapshot_files() {
	touch "/tmp/$1.mark"
	sleep 1 # file times have a one-second granularity on some file systems
	# shellcheck disable=SC2086  # a list of directories
	find $WRITABLE_FS -xdev 2>/dev/null | sort >"/tmp/$1.paths"
}

# files_written_since NAME: the paths created since snapshot_files NAME, and
# the files (not directories) modified since, as a sorted JSON array; the
# snapshot's own files are left out.
files_written_since() {
	# shellcheck disable=SC2086
	{
		find $WRITABLE_FS -xdev 2>/dev/null | sort | comm -13 "/tmp/$1.paths" -
		find $WRITABLE_FS -xdev -newer "/tmp/$1.mark" ! -type d 2>/dev/null
	} | grep -v -x -e "/tmp/$1.paths" -e "/tmp/$1.mark" | sort -u |
		awk 'BEGIN { printf "[" } { printf "%s\"%s\"", (NR > 1 ? ", " : ""), $0 } END { printf "]" }'
}
