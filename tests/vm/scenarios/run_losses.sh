# run_losses.sh — `scx-custody run --sched reference --ringbuf-mb 1` with a
# real Prometheus evaluating the project's alert rules, under a heavy
# context-switch load; the daemon is stopped (SIGSTOP) for LOSS_STOP_S
# seconds and continued, so the ring buffer overflows while nobody reads it.
# The daemon must keep running, count the losses, raise no finding it cannot
# prove, and the ScxCustodyEventsLost alert must fire.
#
# Files: /workload.sh, /prom_guest.sh, /etc/prometheus/rules.yml
# (dashboards/rules). Binaries: scx-custody, prometheus.
# Exports: metrics-before.txt and metrics-after.txt (scrapes before the stop
# and once the alert fired), alerts.json, healthz.txt, timings.txt,
# daemon.log, prometheus.log. check-run-losses.py judges them on the host.
. /workload.sh

SCENARIO=run_losses
DAEMON_ADDR=127.0.0.1:9476
PROM=http://127.0.0.1:9090
EXPORT=/export
mkdir -p "$EXPORT"

. /prom_guest.sh

# alert_firing NAME: Prometheus's ALERTS series has NAME firing.
alert_firing() { has_samples "ALERTS%7Balertname%3D%22$1%22%2Calertstate%3D%22firing%22%7D"; }

phase start
scx-custody run --sched reference --ringbuf-mb 1 --listen "$DAEMON_ADDR" >/tmp/daemon.log 2>&1 &
DAEMON=$!
wait_until "daemon /healthz 200" 90 healthy
start_prometheus

stress-ng --switch 4 --fork 2 --cpu 2 --yield 2 --timeout 90s --quiet &
LOAD=$!
sleep 5 # custody under load, read in time (not a readiness wait)
get "http://$DAEMON_ADDR/metrics" >"$EXPORT/metrics-before.txt" || fail "GET /metrics failed"
kill -STOP "$DAEMON"
phase "daemon stopped"
sleep "${LOSS_STOP_S:-15}"
kill -CONT "$DAEMON"
phase "daemon continued"
wait_until "ScxCustodyEventsLost firing" 90 alert_firing ScxCustodyEventsLost
get "$PROM/api/v1/alerts" >"$EXPORT/alerts.json" || fail "GET /api/v1/alerts failed"
kill "$LOAD" 2>/dev/null
wait "$LOAD" 2>/dev/null
printf 'after\t%s\n' "$(status "http://$DAEMON_ADDR/healthz")" >"$EXPORT/healthz.txt"
get "http://$DAEMON_ADDR/metrics" >"$EXPORT/metrics-after.txt" || fail "GET /metrics failed"
STATUS=done
finish 0
