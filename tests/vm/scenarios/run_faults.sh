# run_faults.sh — `scx-custody run --sched attached` as a fleet runs it: under
# a supervisor that restarts it when it dies (what systemd's Restart= does),
# while schedulers come and go around it. In order, under the standard
# workload:
#   start      the daemon's threads' capabilities, read from /proc
#   qmap       the kernel's scx_qmap (a scheduler we did not write) audited
#   restarted  the daemon SIGKILLed mid-run; the supervisor starts a new one,
#              which finds qmap running (every task's history unknown)
#   qmap_killed  qmap SIGKILLed with tasks in its custody
#   ref        our reference scheduler started by a separate process
#   swapped    the reference scheduler stopped and scx_simple started
#   hotplug    CPU 1 taken offline and back: simple (no hotplug ops) is
#              ejected and reloads itself; then it is stopped
#   ejected    the reference scheduler ejects itself with scx_bpf_error()
#              while tasks sit in its custody
# After each step: the daemon's pid, /healthz and one scrape of /metrics
# (/export/steps.tsv, /export/metrics-<step>.txt). At the end the daemon is
# stopped with SIGTERM and its exit status recorded. check-run-faults.py
# judges it all on the host.
#
# Binaries: scx-custody, scx_qmap, scx_simple. Files: /workload.sh.
. /workload.sh

ADDR=127.0.0.1:9476
EXPORT=/export
mkdir -p "$EXPORT"

status() {
	code=$(timeout 20 wget -S -O /dev/null "http://$ADDR$1" 2>&1 | sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9]*\).*/\1/p' | tail -n 1)
	echo "${code:-000}"
}
daemon_pid() { cat /tmp/daemon.pid 2>/dev/null; }
# wait_healthy PID SECONDS: /healthz answers 200 and the daemon is PID.
wait_healthy() {
	n=0
	while [ "$(daemon_pid)" != "$1" ] || [ "$(status /healthz)" != 200 ]; do
		[ $n -ge $(($2 * 5)) ] && return 1
		sleep 0.2
		n=$((n + 1))
	done
}
# wait_new_daemon OLD_PID SECONDS: the supervisor started another daemon.
wait_new_daemon() {
	n=0
	while [ -z "$(daemon_pid)" ] || [ "$(daemon_pid)" = "$1" ]; do
		[ $n -ge $(($2 * 5)) ] && return 1
		sleep 0.2
		n=$((n + 1))
	done
}
# capabilities PID: one line per thread: tid, thread name, CapEff.
capabilities() {
	for t in /proc/"$1"/task/*; do
		printf '%s\t%s\t%s\n' "${t##*/}" "$(cat "$t/comm")" "$(sed -n 's/^CapEff:[[:space:]]*//p' "$t/status")"
	done
}
# step NAME: the daemon's state after a step.
step() {
	pid=$(daemon_pid)
	alive=0
	kill -0 "$pid" 2>/dev/null && alive=1
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$pid" "$alive" "$(status /healthz)" \
		"$(cat /sys/kernel/sched_ext/state)" >>"$EXPORT/steps.tsv"
	timeout 20 wget -q -O "$EXPORT/metrics-$1.txt" "http://$ADDR/metrics"
	echo "run_faults: step $1 (daemon $pid alive=$alive)"
}
fail() {
	echo "run_faults: FAILED: $*"
	tail -n 20 /tmp/daemon.log
	echo "@@R {\"run_faults\": \"failed: $*\"}"
	exit 1
}

# The supervisor: restarts the daemon whenever it exits, until told to stop.
(
	while [ ! -e /tmp/stop-supervisor ]; do
		scx-custody run --sched attached --listen "$ADDR" >>/tmp/daemon.log 2>&1 &
		echo $! >/tmp/daemon.pid
		wait $!
		rc=$?
		printf '%s\t%s\n' "$(cat /tmp/daemon.pid)" "$rc" >>"$EXPORT/daemon-exits.tsv"
	done
) &
SUPERVISOR=$!
sed -n 's/^CapEff:[[:space:]]*//p' /proc/$SUPERVISOR/status >"$EXPORT/capeff-parent.txt"

wait_new_daemon '' 30 || fail "the supervisor started no daemon"
FIRST=$(daemon_pid)
wait_healthy "$FIRST" 120 || fail "the daemon never answered /healthz"
capabilities "$FIRST" >"$EXPORT/capabilities.tsv"
step start

# qmap loads before the workload: its programs take tens of seconds to
# verify under TCG, far longer with every CPU busy.
scx_qmap >/tmp/qmap.log 2>&1 &
QMAP=$!
renice -n -20 -p $QMAP >/dev/null
wait_sched_state enabled 150 || fail "scx_qmap did not start"
start_workload 600
sleep 6 # custody under qmap, audited (not a readiness wait)
step qmap

kill -KILL "$FIRST"
wait_new_daemon "$FIRST" 30 || fail "the supervisor did not restart the daemon"
SECOND=$(daemon_pid)
wait_healthy "$SECOND" 120 || fail "the restarted daemon never answered /healthz"
sleep 6 # custody under qmap, audited by the new daemon
step restarted

kill -KILL $QMAP
wait_sched_state disabled 60 || fail "sched_ext still enabled after scx_qmap was killed"
sleep 2 # the daemon closes qmap's section from its records
step qmap_killed

scx-custody sched >/tmp/ref.log 2>&1 &
REF=$!
wait_sched_state enabled 60 || fail "the reference scheduler did not start"
sleep 5 # custody under the reference scheduler
step ref

kill -INT $REF
wait $REF
wait_sched_state disabled 60 || fail "the reference scheduler did not stop"
scx_simple >/tmp/simple.log 2>&1 &
SIMPLE=$!
wait_sched_state enabled 60 || fail "scx_simple did not start"
sleep 3
step swapped

echo 0 >/sys/devices/system/cpu/cpu1/online
sleep 3
echo 1 >/sys/devices/system/cpu/cpu1/online
wait_sched_state enabled 60 || fail "scx_simple did not come back after the hotplug"
sleep 3
kill -INT $SIMPLE
wait $SIMPLE
wait_sched_state disabled 60 || fail "scx_simple did not stop"
step hotplug

scx-custody sched --error-after-ms 3000 >/tmp/eject.log 2>&1 &
EJECT=$!
wait_sched_state enabled 60 || fail "the reference scheduler (--error-after-ms) did not start"
wait $EJECT
echo "@@R {\"ejected_sched_exit\": $?}"
wait_sched_state disabled 60 || fail "the reference scheduler was not ejected"
sleep 2
step ejected

stop_workload
touch /tmp/stop-supervisor
kill -TERM "$(daemon_pid)"
wait $SUPERVISOR
cp /tmp/daemon.log "$EXPORT/"
echo "@@R {\"run_faults\": \"done\", \"kernel\": \"$GUEST_KERNEL\", \"first\": $FIRST, \"second\": $SECOND}"
exit 0
