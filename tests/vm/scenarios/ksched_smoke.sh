#!/bin/sh
# ksched_smoke.sh — run the kernel's example schedulers (scx_simple, then
# scx_qmap, built by scripts/setup from the kernel's source package) under
# stress-ng, and report what the kernel's sched_ext sysfs shows.
#
# Result lines (@@R, "test":"ksched_smoke"):
#   step=help     scx_qmap -h: exit code and the options it lists
#   step=run      per scheduler: load time, state/ops while running, the
#                 SIGINT exit (exit code, its EXIT line, state afterwards)
#   step=hotplug  scx_qmap across cpu1 offline/online: enable_seq and
#                 hotplug_seq before/after, whether qmap was enabled again,
#                 how often its loader loaded it and the EXIT lines between
# Environment: RUN_SECONDS (5) enabled time per scheduler, LOAD_TIMEOUT (150)
# seconds allowed for a load (the verifier is slow under TCG with stress-ng).
# shellcheck disable=SC2317

run_s=${RUN_SECONDS:-5}
load_timeout=${LOAD_TIMEOUT:-150}
scx=/sys/kernel/sched_ext
cpu1=/sys/devices/system/cpu/cpu1/online
failed=0

emit() { echo "@@R {\"test\":\"ksched_smoke\",$1}"; }
# Tenths of a second since boot, for timing.
now_ds() { awk '{ printf "%d\n", $1 * 10 }' /proc/uptime; }
state() { cat "$scx/state" 2>/dev/null || echo missing; }
ops() { cat "$scx/root/ops" 2>/dev/null || echo none; }
seq_of() { cat "$scx/$1" 2>/dev/null || echo -1; }
# Running, not a zombie waiting to be reaped (kill -0 succeeds for those).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
# A log line as a JSON string body: quotes, backslashes and control
# characters dropped, cut at 120 characters (result lines stay short).
# shellcheck disable=SC1003  # the backslash is a tr operand
jstr() { printf '%s' "$1" | tr -d '"\\\000-\037' | cut -c1-120; }

# Poll until "$@" succeeds or $1 seconds pass; prints the waited time (ds).
wait_until() {
	limit=$(($1 * 10)) start=$(now_ds)
	shift
	while ! "$@"; do
		[ $(($(now_ds) - start)) -lt "$limit" ] || { echo -1; return 1; }
		sleep 0.2
	done
	echo $(($(now_ds) - start))
}

# Conditions for wait_until (called through "$@": SC2317 off for the file).
is_enabled_as() { [ "$(state)" = enabled ] && [ "$(ops)" = "$1" ]; }
is_disabled() { [ "$(state)" = disabled ]; }
enabled_after() { is_enabled_as "$1" && [ "$(seq_of enable_seq)" -gt "$2" ]; }
exited() { ! alive "$1"; }

# --- scx_qmap -h: which options this build offers.
scx_qmap -h >/tmp/qmap-help.txt 2>&1
help_rc=$?
opts=$(sed -n 's/^  \(-[A-Za-z]\)\( [A-Z_]*\)\{0,1\} .*/\1\2/p' /tmp/qmap-help.txt |
	sed 's/ *$//; s/.*/"&"/' | tr '\n' ',' | sed 's/,$//')
emit "\"step\":\"help\",\"sched\":\"qmap\",\"rc\":$help_rc,\"options\":[$opts]"

stress-ng --cpu 2 --yield 2 --timeout 900s --quiet &
stress=$!

# start_sched NAME: start scx_NAME in the background and wait for it to be
# the enabled root scheduler; sets pid and load_ds. The loader is reniced to
# -20 (busybox has no nice): the verifier works in its context and would
# otherwise share the emulated CPUs with the stress-ng workers for minutes.
start_sched() {
	"scx_$1" >"/tmp/$1.log" 2>&1 &
	pid=$!
	renice -n -20 -p "$pid" >/dev/null
	load_ds=$(wait_until "$load_timeout" is_enabled_as "$1")
}

# stop_sched NAME: SIGINT, then wait for the process and for sched_ext to be
# disabled; emits the run line. Uses pid, load_ds, state_run, ops_run.
stop_sched() {
	kill -INT "$pid" 2>/dev/null
	exit_ds=$(wait_until 60 exited "$pid")
	rc=-1
	[ "$exit_ds" -lt 0 ] || { wait "$pid"; rc=$?; }
	alive "$pid" && kill -KILL "$pid"
	off_ds=$(wait_until 30 is_disabled)
	exit_line=$(grep '^EXIT' "/tmp/$1.log" | tail -n1)
	started=$(grep -c 'started' "/tmp/$1.log")
	emit "\"step\":\"run\",\"sched\":\"$1\",\"load_ds\":$load_ds,\"state_running\":\"$state_run\",\"ops_running\":\"$ops_run\",\"alive_after_run\":$alive_run,\"sigint_exit_ds\":$exit_ds,\"rc\":$rc,\"exit\":\"$(jstr "$exit_line")\",\"started_lines\":$started,\"state_after\":\"$(state)\",\"disabled_ds\":$off_ds"
	[ "$rc" = 0 ] && [ "$off_ds" -ge 0 ] || failed=1
}

# hold NAME: stay RUN_SECONDS with the scheduler enabled, then sample.
hold() {
	sleep "$run_s"
	state_run=$(state) ops_run=$(ops) alive_run=false
	alive "$pid" && alive_run=true
}

# --- scx_simple
start_sched simple
hold simple
stop_sched simple
tail -n 5 /tmp/simple.log

# --- scx_qmap, then a CPU hotplug while it runs.
start_sched qmap
hold qmap
enable_before=$(seq_of enable_seq) hotplug_before=$(seq_of hotplug_seq)
if [ "$state_run" = enabled ] && [ -w "$cpu1" ]; then
	echo 0 >"$cpu1"
	sleep 1
	echo 1 >"$cpu1"
	back_ds=$(wait_until "$load_timeout" enabled_after qmap "$enable_before")
else
	back_ds=-1
fi
enabled_again=false after_state=$(state) after_ops=$(ops) after_alive=false
if [ "$back_ds" -ge 0 ]; then
	enabled_again=true
	# The restarted instance must stay up as the first one did.
	sleep "$run_s"
	after_state=$(state) after_ops=$(ops)
	alive "$pid" && after_alive=true
fi
# Why the kernel ejected qmap on the way (one EXIT line per restart, at most 4).
restarts=$(grep -c 'started' /tmp/qmap.log)
exits=$(grep '^EXIT' /tmp/qmap.log | head -n 4 | while IFS= read -r l; do printf '"%s",' "$(jstr "$l")"; done)
emit "\"step\":\"hotplug\",\"loads\":$restarts,\"exits\":[${exits%,}],\"sched\":\"qmap\",\"cpu1_online\":$(cat "$cpu1" 2>/dev/null || echo -1),\"enable_seq_before\":$enable_before,\"enable_seq_after\":$(seq_of enable_seq),\"hotplug_seq_before\":$hotplug_before,\"hotplug_seq_after\":$(seq_of hotplug_seq),\"enabled_again\":$enabled_again,\"reenable_ds\":$back_ds,\"state_later\":\"$after_state\",\"ops_later\":\"$after_ops\",\"alive_later\":$after_alive"
stop_sched qmap
grep -v '^ \|^----\|^stats\|^hier\|^cpuperf' /tmp/qmap.log

kill "$stress" 2>/dev/null
wait "$stress" 2>/dev/null
exit $failed
