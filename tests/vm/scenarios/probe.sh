# probe.sh — scx-custody probe with no scheduler, then with the reference
# scheduler started by a separate process; both JSON reports as @@R lines.
. /workload.sh
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
scx-custody probe --format json >/tmp/probe-idle.json
echo "probe idle rc=$?"
emit_json /tmp/probe-idle.json
scx-custody probe
scx-custody sched --duration 60 >/dev/null 2>&1 &
sched=$!
# Wait (bounded) for the scheduler to be enabled.
n=0
while [ "$(cat /sys/kernel/sched_ext/state)" != enabled ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
scx-custody probe --format json >/tmp/probe-ref.json
echo "probe ref rc=$?"
emit_json /tmp/probe-ref.json
scx-custody probe
kill -INT $sched
wait $sched
# A scheduler without ops.dequeue: custody auditing does not apply to it.
scx-custody sched --without-dequeue --duration 60 >/dev/null 2>&1 &
sched=$!
n=0
while [ "$(cat /sys/kernel/sched_ext/state)" != enabled ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
scx-custody probe --format json >/tmp/probe-nodeq.json
echo "probe without-dequeue rc=$?"
emit_json /tmp/probe-nodeq.json
kill -INT $sched
wait $sched
