# audit_subsched.sh — a sub-scheduler tree (7.3): scx_qmap as root, and a
# second scx_qmap attached to the cgroup /sys/fs/cgroup/sub, with load inside
# and outside that cgroup, and a busy task moved into the child cgroup and
# back every half second while the child runs (each move hands the task
# between the two schedulers). Each instance is judged in its own section.
# The audit's command stops the child after SUB_SECONDS (reporting when, in
# seconds of uptime) and lets the audit go on for JUDGED_SECONDS.
# SUB_LATE=1: the child attaches during the audit (its registration seen by
# the kernel hook) instead of before it; AUDIT_ARGS: extra audit options
# (one word, e.g. --hold-registrations).
. /workload.sh
scx=/sys/kernel/sched_ext
scx_qmap >/tmp/qmap-root.log 2>&1 &
root=$!
renice -n -20 -p $root >/dev/null
wait_sched_state enabled 150 || echo "the root scx_qmap did not start"
mkdir -p /sys/fs/cgroup/sub
# The child: started, then waited for in sysfs (at most 150 s).
cat >/tmp/start_sub.sh <<'EOS'
sub_dirs() { ls -d /sys/kernel/sched_ext/root/sub/sub-* 2>/dev/null; }
scx_qmap -c /sys/fs/cgroup/sub >/tmp/qmap-sub.log 2>&1 &
echo $! >/tmp/sub.pid
renice -n -20 -p "$(cat /tmp/sub.pid)" >/dev/null
n=0
while [ -z "$(sub_dirs)" ] && [ $n -lt 150 ]; do sleep 1; n=$((n + 1)); done
echo "@@R {\"sub_dirs\": \"$(sub_dirs | tr '\n' ' ')\", \"root_ops\": \"$(cat /sys/kernel/sched_ext/root/ops)\"}"
EOS
[ "${SUB_LATE:-0}" = 1 ] || . /tmp/start_sub.sh
# The command: the standard workload around it (run_workload.sh), and load
# inside the sub-scheduler's cgroup too.
cat >/tmp/phases.sh <<'EOS'
[ "${SUB_LATE:-0}" = 1 ] && . /tmp/start_sub.sh
stress-ng --cpu 1 --yield 1 --timeout 150s --quiet &
inside=$!
echo $inside >/sys/fs/cgroup/sub/cgroup.procs
sh -c 'while :; do :; done' &
mover=$!
moves=0
end=$(($(cut -d. -f1 /proc/uptime) + ${SUB_SECONDS:-8}))
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	echo $mover >/sys/fs/cgroup/sub/cgroup.procs && moves=$((moves + 1))
	sleep 0.5
	echo $mover >/sys/fs/cgroup/cgroup.procs && moves=$((moves + 1))
	sleep 0.5
done
kill $mover
echo "@@R {\"cgroup_moves\": $moves}"
kill -INT "$(cat /tmp/sub.pid)"
n=0
while ls -d /sys/kernel/sched_ext/root/sub/sub-* >/dev/null 2>&1 && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "sub-scheduler gone after $n tenths of a second"
echo "@@R {\"sub_stopped_s\": $(cut -d' ' -f1 /proc/uptime)}"
sleep "${JUDGED_SECONDS:-12}"
kill $inside
wait $inside
EOS
export SUB_LATE
run_audit ${AUDIT_ARGS:-} -- sh /run_workload.sh 150 sh /tmp/phases.sh
echo "@@R {\"sub_dirs_after\": \"$(ls -d $scx/root/sub/sub-* 2>/dev/null | tr '\n' ' ')\"}"
kill -INT $root
wait $root
exit 0
