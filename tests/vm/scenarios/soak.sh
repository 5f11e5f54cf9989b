# soak.sh — `scx-custody run --sched reference` for SOAK_SECONDS (default
# 600) under a high event rate with task churn (stress-ng forks thousands of
# short-lived tasks). Every SAMPLE_S seconds (default 10): the daemon's
# resident memory and the number of threads alive in the guest
# (/export/samples.tsv: seconds, VmRSS kB, live threads); the daemon logs its
# task table size every 10 s (summary lines in /export/daemon.log).
# check-soak.py judges memory and table size on the host.
. /workload.sh
SOAK_SECONDS=${SOAK_SECONDS:-600}
SAMPLE_S=${SAMPLE_S:-10}
mkdir -p /export

scx-custody run --sched reference --summary-interval 10 --listen 127.0.0.1:9476 >/tmp/daemon.log 2>&1 &
DAEMON=$!
wait_sched_state enabled 90 || { echo "@@R {\"soak\": \"the daemon did not load its scheduler\"}"; exit 1; }
stress-ng --switch 2 --fork 2 --cpu 2 --yield 2 --timeout "${SOAK_SECONDS}s" --quiet &
LOAD=$!
t=0
while kill -0 $LOAD 2>/dev/null; do
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$DAEMON/status)
	threads=$(ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | wc -l)
	printf '%s\t%s\t%s\n' "$t" "${rss:-0}" "$threads" >>/export/samples.tsv
	sleep "$SAMPLE_S"
	t=$((t + SAMPLE_S))
done
alive=0
kill -0 $DAEMON 2>/dev/null && alive=1
kill -TERM $DAEMON
wait $DAEMON
rc=$?
cp /tmp/daemon.log /export/
echo "@@R {\"soak\": \"done\", \"seconds\": $SOAK_SECONDS, \"daemon_alive\": $alive, \"daemon_exit\": $rc}"
exit 0
