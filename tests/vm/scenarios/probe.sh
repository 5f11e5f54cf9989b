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
wait_sched_state enabled || echo "custody_ref did not start"
scx-custody probe --format json >/tmp/probe-ref.json
echo "probe ref rc=$?"
emit_json /tmp/probe-ref.json
scx-custody probe
kill -INT $sched
wait $sched
# A scheduler without ops.dequeue: custody auditing does not apply to it.
scx-custody sched --without-dequeue --duration 60 >/dev/null 2>&1 &
sched=$!
wait_sched_state enabled || echo "custody_ref --without-dequeue did not start"
scx-custody probe --format json >/tmp/probe-nodeq.json
echo "probe without-dequeue rc=$?"
emit_json /tmp/probe-nodeq.json
kill -INT $sched
wait $sched
