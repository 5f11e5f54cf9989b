# audit_restart.sh — `audit -- COMMAND` where COMMAND starts scx_simple and
# takes CPU 1 offline and back: the kernel ejects the scheduler (it has no
# CPU hotplug ops), and it reloads itself under the same name, once with the
# CPU offline and again when the CPU comes back (the hotplug sequence it
# recorded no longer matches). Every instance must get a section of its own,
# the last one audited to the end. The standard workload runs around the
# command (run_workload.sh).
. /workload.sh
cat >/tmp/restart.sh <<'EOS'
. /workload.sh
scx_simple >/tmp/simple.log 2>&1 &
sched=$!
renice -n -20 -p $sched >/dev/null
wait_sched_state enabled 60 || exit 1
sleep 3
echo 0 >/sys/devices/system/cpu/cpu1/online
sleep 3
# The instances the audit announced so far (its log names each once its
# programs are traced).
announced() { sed -n 's/.*auditing scheduler simple (instance \([0-9]*\),.*/\1/p' /tmp/audit.log | sort -u; }
before=$(announced)
echo 1 >/sys/devices/system/cpu/cpu1/online
sleep 3
wait_sched_state enabled 60 || exit 1
# The last instance runs 3 s once the audit traces it (waiting at most 60 s):
# tracing an instance took 1.4-2.1 s under this load, but the one loaded
# after the CPU came back 5.3-13.4 s, longer than the fixed 3 s it used to get.
n=0
while [ -z "$(announced | grep -vxF "$before")" ] && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
sleep 3
kill -INT $sched
wait_sched_state disabled
EOS
echo "@@R {\"enable_seq_before\": $(cat /sys/kernel/sched_ext/enable_seq)}"
AUDIT_LOG=/tmp/audit.log run_audit -- sh /run_workload.sh 120 sh /tmp/restart.sh
echo "@@R {\"enable_seq_after\": $(cat /sys/kernel/sched_ext/enable_seq)}"
exit 0
