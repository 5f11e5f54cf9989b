# hotplug_cycles.sh — an audited command: CPU 1 taken offline and back
# HOTPLUG_CYCLES times (default 2), 2 s apart, with sched_ext's hotplug_seq
# (one count per CPU going either way) before and after as a result line.
seq=/sys/kernel/sched_ext/hotplug_seq
start=$(cat $seq)
sleep 3
n=0
failed=0
while [ $n -lt "${HOTPLUG_CYCLES:-2}" ]; do
	echo 0 >/sys/devices/system/cpu/cpu1/online || failed=$((failed + 1))
	sleep 2
	echo 1 >/sys/devices/system/cpu/cpu1/online || failed=$((failed + 1))
	sleep 2
	n=$((n + 1))
done
echo "@@R {\"hotplug_cycles\": $n, \"hotplug_failed\": $failed, \"hotplug_seq_start\": $start, \"hotplug_seq_end\": $(cat $seq)}"
sleep 3
