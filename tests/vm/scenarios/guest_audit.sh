# guest_audit.sh — the README's main job inside the guest: audit the
# reference custody scheduler under the standard workload and print the text
# report (verdict first) between markers on the console.
duration=${AUDIT_DURATION:-15}
scx-custody audit --sched reference --duration "$duration" --output /tmp/report.txt \
	--record /export/audit.rec -- sh /run_workload.sh $((duration + 30))
rc=$?
echo "@@REPORT-BEGIN@@"
cat /tmp/report.txt
echo "@@REPORT-END@@"
exit $rc
