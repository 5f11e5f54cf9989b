# ref_sched.sh — run the reference custody scheduler under the standard
# workload and report its own counters (one @@R line, schema ref-stats/v1).
. /workload.sh
duration=${SCHED_DURATION:-8}
start_workload $((duration + 30))
scx-custody sched --duration "$duration" --format json --output /tmp/ref.json
rc=$?
stop_workload
[ -f /tmp/ref.json ] && emit_json /tmp/ref.json
exit $rc
