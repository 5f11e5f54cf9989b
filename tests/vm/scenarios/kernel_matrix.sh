# kernel_matrix.sh — one kernel of scripts/kernel-matrix: scx-custody audit
# under the standard workload, around the user's command (/matrix/command.sh,
# written by kernel-matrix from its -- COMMAND) or, without one, around our
# reference scheduler for AUDIT_DURATION seconds. The JSON report and the
# recording go to /export.
#
# The user's command runs until its scheduler has been enabled for
# AUDIT_DURATION seconds (loading a BPF scheduler under TCG takes seconds, which
# should not eat the audit), then gets SIGTERM; the audit follows it until it
# exits. The workload runs around the command (run_workload.sh), so it starts
# once the audit is set up (the tracer's BPF load is slow on CPUs the workload
# keeps busy).
. /workload.sh
duration=${AUDIT_DURATION:-15}
if [ -f /matrix/command.sh ]; then
	cat >/tmp/bounded_command.sh <<EOS
sh /matrix/command.sh &
pid=\$!
n=0
while [ "\$(cat /sys/kernel/sched_ext/state)" != enabled ] && [ \$n -lt 600 ] &&
	kill -0 \$pid 2>/dev/null; do
	sleep 0.1
	n=\$((n + 1))
done
n=0
while [ \$n -lt $((duration * 10)) ] && kill -0 \$pid 2>/dev/null; do
	sleep 0.1
	n=\$((n + 1))
done
kill -TERM \$pid 2>/dev/null
wait \$pid
EOS
	run_audit -- sh /run_workload.sh $((duration + 150)) sh /tmp/bounded_command.sh
else
	run_audit --sched reference --duration "$duration" -- sh /run_workload.sh $((duration + 30))
fi
exit 0
