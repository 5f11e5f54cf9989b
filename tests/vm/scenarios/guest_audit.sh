# guest_audit.sh — the README's main job inside the guest: the reference
# scheduler under the standard workload, with its text report on the console.
. /workload.sh
duration=${SCHED_DURATION:-8}
start_workload $((duration + 30))
scx-custody sched --duration "$duration" --output /tmp/report.txt
rc=$?
stop_workload
echo "@@REPORT-BEGIN@@"
cat /tmp/report.txt
echo "@@REPORT-END@@"
exit $rc
