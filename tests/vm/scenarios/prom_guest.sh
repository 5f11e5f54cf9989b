# prom_guest.sh — sourced by the scenarios that run `scx-custody run` with a
# real Prometheus in the guest: phase timings, HTTP helpers, bounded waits
# that notice a dead daemon or Prometheus, Prometheus itself, and an orderly
# stop that reports the daemon's exit status.
#
# The scenario sets before sourcing: SCENARIO (its name: log prefix and the
# key of its final result line), EXPORT (directory sent to the host),
# DAEMON_ADDR and PROM (base URLs). It sets DAEMON and PROMETHEUS (pids) as it
# starts them, and STATUS (reported by finish).

# Guest uptime in centiseconds, and a phase log with the time since the start.
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}
T0=$(now_cs)
phase() {
	t=$(now_cs)
	printf '%s\t%d.%02d\n' "$1" $(((t - T0) / 100)) $(((t - T0) % 100)) >>"$EXPORT/timings.txt"
	echo "$SCENARIO: +$(((t - T0) / 100)).$(((t - T0) % 100 / 10)) s $1"
}

DAEMON='' PROMETHEUS='' STATUS=setup
finish() {
	rc=$1
	[ -n "$PROMETHEUS" ] && kill -TERM "$PROMETHEUS" 2>/dev/null
	daemon_rc=-1
	if [ -n "$DAEMON" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		# Bounded: the daemon unloads the scheduler and detaches (slow under TCG).
		n=0
		while kill -0 "$DAEMON" 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
		if kill -0 "$DAEMON" 2>/dev/null; then
			echo "$SCENARIO: daemon still running 30 s after SIGTERM: killing it"
			kill -KILL "$DAEMON" 2>/dev/null
		fi
		wait "$DAEMON"
		daemon_rc=$?
	fi
	if [ -n "$PROMETHEUS" ]; then
		n=0
		while kill -0 "$PROMETHEUS" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
		kill -KILL "$PROMETHEUS" 2>/dev/null
		wait "$PROMETHEUS" 2>/dev/null
	fi
	phase stopped
	cp /tmp/daemon.log /tmp/prometheus.log "$EXPORT/" 2>/dev/null
	echo "@@R {\"$SCENARIO\": \"$STATUS\", \"kernel\": \"$GUEST_KERNEL\", \"daemon_exit\": $daemon_rc, \"scenario_rc\": $rc}"
	exit "$rc"
}
fail() {
	echo "$SCENARIO: FAILED: $*"
	for f in /tmp/daemon.log /tmp/prometheus.log; do
		[ -f "$f" ] && { echo "--- $f (tail)"; tail -n 15 "$f"; }
	done
	STATUS="failed: $*"
	finish 1
}

# get URL: the body on stdout; the exit status is wget's (non-zero on HTTP errors).
# (busybox 1.35's wget -T crashes: the time limit comes from timeout instead.)
get() { timeout 20 wget -q -O- "$1"; }
# status URL: the HTTP status code of a GET (000 when there is no answer).
status() {
	code=$(timeout 20 wget -S -O /dev/null "$1" 2>&1 | sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9]*\).*/\1/p' | tail -n 1)
	echo "${code:-000}"
}
# wait_until WHAT SECONDS COMMAND...: poll COMMAND every 0.2 s for at most SECONDS.
wait_until() {
	what=$1 limit=$2 end=$(($(now_cs) + $2 * 100))
	shift 2
	while ! "$@"; do
		[ -n "$DAEMON" ] && ! kill -0 "$DAEMON" 2>/dev/null && fail "the daemon exited while waiting for $what"
		[ -n "$PROMETHEUS" ] && ! kill -0 "$PROMETHEUS" 2>/dev/null && fail "prometheus exited while waiting for $what"
		[ "$(now_cs)" -ge "$end" ] && fail "timed out after $limit s waiting for $what"
		sleep 0.2
	done
	phase "$what"
}
healthy() { [ "$(status "http://$DAEMON_ADDR/healthz")" = 200 ]; }
ready() { [ "$(status "$PROM/-/ready")" = 200 ]; }
# has_samples EXPR: the instant query EXPR returns a non-empty vector.
has_samples() { get "$PROM/api/v1/query?query=$1" 2>/dev/null | grep -q '"result":\[{'; }

# start_prometheus: 1 s scrapes of the daemon, the project's rules
# (/etc/prometheus/rules.yml), TSDB in /tmp; returns once it has a sample.
start_prometheus() {
	mkdir -p /etc/prometheus
	cat >/etc/prometheus/prometheus.yml <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - /etc/prometheus/rules.yml
scrape_configs:
  - job_name: scx-custody
    static_configs:
      - targets: ["$DAEMON_ADDR"]
EOF
	prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/tmp/prometheus \
		--web.listen-address=127.0.0.1:9090 --log.level=info >/tmp/prometheus.log 2>&1 &
	PROMETHEUS=$!
	wait_until "prometheus /-/ready" 90 ready
	wait_until "scx_custody_build_info in prometheus" 60 has_samples scx_custody_build_info
}
