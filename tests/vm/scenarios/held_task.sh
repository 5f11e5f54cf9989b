# held_task.sh — a task held in a scheduler's custody for long, named by the
# audit's report and by the daemon's metric.
#
# The reference scheduler with --hold-comm custody-held --hold-ms HOLD_MS keeps
# every task of that comm on its hold DSQ (0x5c0003) for HOLD_MS before
# dispatching it. One shell process renames itself custody-held and wakes
# every 0.2 s using builtins only (no child ever carries its comm).
#
# 1. `audit -- scx-custody sched --hold-comm ... --duration SCHED_SECONDS`:
#    report and recording in /export (audit.json, audit.rec).
# 2. `scx-custody run` (following whatever scheduler runs) until /healthz
#    says its tracer is attached, then the same scheduler in its own process: /metrics read every 0.25 s while it runs;
#    each scx_custody_oldest_custody_age_seconds line goes to
#    /export/oldest_age.txt, prefixed with the guest's uptime. What was
#    created or modified on the guest's writable file systems meanwhile is
#    a result line ({"written_while_run": [...]}).
#
# Env: HOLD_MS (default 5000), SCHED_SECONDS (default 14).
# Result lines: {"held_pid": PID, "hold_ms": N}, the audit's exit and report,
# {"held_task": "done" | "failed: ..."}. Judged on the host (check-held-task.py).
. /workload.sh

HOLD_MS=${HOLD_MS:-5000}
SCHED_SECONDS=${SCHED_SECONDS:-14}
DAEMON_ADDR=127.0.0.1:9476
EXPORT=/export
mkdir -p "$EXPORT"

STATUS=done DAEMON='' HELD=''
finish() {
	[ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null && wait "$DAEMON"
	[ -n "$HELD" ] && kill "$HELD" 2>/dev/null
	cp /tmp/daemon.log /tmp/sched.log "$EXPORT/" 2>/dev/null
	echo "@@R {\"held_task\": \"$STATUS\"}"
	exit 0
}
fail() {
	STATUS="failed: $*"
	echo "held_task: FAILED: $*"
	finish
}

# The task to hold.
mkfifo /tmp/held.fifo
sh -c 'printf custody-held >/proc/$$/comm; while :; do read -t 0.2 x <>/tmp/held.fifo; done' &
HELD=$!
sleep 0.2 # its rename, before the scheduler looks at comms
[ "$(cat /proc/$HELD/comm)" = custody-held ] || fail "the held task's comm is $(cat /proc/$HELD/comm)"
echo "@@R {\"held_pid\": $HELD, \"hold_ms\": $HOLD_MS}"

# 1. The audit around the scheduler.
run_audit -- scx-custody sched --hold-comm custody-held --hold-ms "$HOLD_MS" \
	--duration "$SCHED_SECONDS" --format json --output /export/sched.json
wait_sched_state disabled || fail "sched_ext still $(cat /sys/kernel/sched_ext/state) after the audit"

# 2. The daemon, then the scheduler; the metric read while it runs.
snapshot_files run
scx-custody run --listen "$DAEMON_ADDR" >/tmp/daemon.log 2>&1 &
DAEMON=$!
n=0
# /healthz answers 200 once the tracer is attached (/metrics answers before).
until wget -q -O /dev/null "http://$DAEMON_ADDR/healthz" 2>/dev/null; do
	kill -0 "$DAEMON" 2>/dev/null || fail "the daemon exited: $(tail -n 5 /tmp/daemon.log)"
	[ $n -ge 900 ] && fail "/healthz not 200 after 180 s"
	n=$((n + 1))
	sleep 0.2
done
scx-custody sched --hold-comm custody-held --hold-ms "$HOLD_MS" --duration "$SCHED_SECONDS" \
	>/tmp/sched.log 2>&1 &
SCHED=$!
: >"$EXPORT/oldest_age.txt"
while kill -0 "$SCHED" 2>/dev/null; do
	read -r up _ </proc/uptime
	timeout 5 wget -q -O- "http://$DAEMON_ADDR/metrics" 2>/dev/null |
		sed -n "s/^scx_custody_oldest_custody_age_seconds/$up &/p" >>"$EXPORT/oldest_age.txt"
	sleep 0.25
done
wait "$SCHED"
echo "held_task: scheduler exited with $?, $(wc -l <"$EXPORT/oldest_age.txt") metric samples"
timeout 5 wget -q -O "$EXPORT/metrics.txt" "http://$DAEMON_ADDR/metrics"
# What was written while the daemon ran: the files this script wrote, and
# nothing of the daemon's (it serves HTTP and logs to stderr).
kill -TERM "$DAEMON" && wait "$DAEMON"
DAEMON=''
echo "@@R {\"written_while_run\": $(files_written_since run)}"
finish
