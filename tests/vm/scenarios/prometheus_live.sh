# prometheus_live.sh — a real Prometheus server scraping a live `scx-custody run`
# daemon inside the guest (over loopback), under the standard workload with the
# reference scheduler. Every panel query of the Grafana dashboard, plus a few
# checks of our own, is evaluated through Prometheus's HTTP API; the answers,
# one scrape of /metrics and the /healthz answers go to /export for
# check-prometheus-live on the host.
#
# Files (FILES in CMake): /workload.sh, /etc/custody.json (the dashboard),
# /etc/prometheus/rules.yml (dashboards/rules). Binaries: scx-custody, prometheus.
# Env: WORKLOAD_SECONDS (default 15).
#
# Exports: healthz.txt, metrics.txt, instance.json, queries.tsv (index, wget
# status, evaluated expression) and queries/NNN.json, rules.json, alerts.json,
# targets.json, meminfo.txt (while Prometheus runs), timings.txt, daemon.log,
# prometheus.log, t_end.txt (the time the queries are evaluated at).
# Exits non-zero only when the setup itself failed (daemon not healthy, Prometheus
# not ready, no samples); the data is judged on the host.
. /workload.sh

DAEMON_ADDR=127.0.0.1:9476
PROM=http://127.0.0.1:9090
WORKLOAD_SECONDS=${WORKLOAD_SECONDS:-15}
EXPORT=/export
mkdir -p "$EXPORT/queries"

# Guest uptime in centiseconds, and a phase log with the time since the start.
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}
T0=$(now_cs)
phase() {
	t=$(now_cs)
	printf '%s\t%d.%02d\n' "$1" $(((t - T0) / 100)) $(((t - T0) % 100)) >>"$EXPORT/timings.txt"
	echo "prometheus_live: +$(((t - T0) / 100)).$(((t - T0) % 100 / 10)) s $1"
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
			echo "prometheus_live: daemon still running 30 s after SIGTERM: killing it"
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
	echo "@@R {\"prometheus_live\": \"$STATUS\", \"kernel\": \"$GUEST_KERNEL\", \"daemon_exit\": $daemon_rc, \"scenario_rc\": $rc}"
	exit "$rc"
}
fail() {
	echo "prometheus_live: FAILED: $*"
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

phase start

# 1. The daemon, loading the reference scheduler itself.
scx-custody run --sched reference --bpf-stats --listen "$DAEMON_ADDR" >/tmp/daemon.log 2>&1 &
DAEMON=$!
wait_until "daemon /healthz 200" 90 healthy

# 2. Prometheus: 1 s scrapes of the daemon, the project's rules, TSDB in /tmp.
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

# 3. The standard workload; /healthz answered while it runs.
start_workload "$WORKLOAD_SECONDS"
phase "workload started"
sleep 2 # into the workload, not a readiness wait
printf 'during_workload\t%s\n' "$(status "http://$DAEMON_ADDR/healthz")" >"$EXPORT/healthz.txt"
wait "$WORKLOAD_STRESS"
stop_workload
T_END=$(date +%s)
phase "workload done"
printf 'after_workload\t%s\n' "$(status "http://$DAEMON_ADDR/healthz")" >>"$EXPORT/healthz.txt"
# A scrape taken after the workload ended, so that queries at T_END see all of it.
wait_until "a scrape after the workload" 30 \
	has_samples "timestamp(up%7Bjob%3D%22scx-custody%22%7D)%3E%3D$T_END"
STATUS=queries

# 4. $instance resolved like Grafana's variable query would.
get "$PROM/api/v1/label/instance/values?match%5B%5D=scx_custody_build_info" >"$EXPORT/instance.json" ||
	fail "label values query failed"
INSTANCE=$(sed -n 's/.*"data":\["\([^"]*\)"\].*/\1/p' "$EXPORT/instance.json")
[ -n "$INSTANCE" ] || fail "\$instance does not resolve to one value: $(cat "$EXPORT/instance.json")"

# 5. Every dashboard target (in file order), Grafana's variables substituted, then
# checks of our own; each evaluated at T_END. queries.tsv: N, source (dashboard
# or check), ok or wget's error, the expression; the answer in queries/N.json.
awk -v instance="$INSTANCE" '
function unescape(s,   out, c, i) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c != "\\") { out = out c; continue }
		c = substr(s, ++i, 1)
		if (c == "n") out = out "\n"
		else if (c == "t") out = out "\t"
		else if (c == "u") { out = out sprintf("%c", hex(substr(s, i + 1, 4))); i += 4 }
		else out = out c
	}
	return out
}
function hex(h,   v, i) {
	v = 0
	for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
	return v
}
function substitute(e,   out, name) {
	out = ""
	while (match(e, /\$(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)/)) {
		name = substr(e, RSTART + 1, RLENGTH - 1)
		gsub(/[{}]/, "", name)
		out = out substr(e, 1, RSTART - 1) ((name in vars) ? vars[name] : "$UNDEFINED_" name)
		e = substr(e, RSTART + RLENGTH)
	}
	return out e
}
BEGIN {
	vars["instance"] = instance; vars["datasource"] = "prometheus"
	vars["__rate_interval"] = "30s"; vars["__range"] = "2m"; vars["__interval"] = "1s"
}
/"expr": *"/ {
	s = $0
	sub(/^[^"]*"expr": *"/, "", s)
	sub(/" *,? *$/, "", s)
	printf "dashboard\t%s\n", substitute(unescape(s))
}' /etc/custody.json >/tmp/exprs.tsv
cat >>/tmp/exprs.tsv <<'EOF'
check	sum(scx_custody_custody_enter_total)
check	sum by (kind) (scx_custody_violations_total)
check	sum by (reason) (scx_custody_dequeue_total)
check	sum(scx_custody_lost_events_total)
check	up{job="scx-custody"}
check	scx_custody_build_info
check	min(scx_custody_program_attached)
check	count(scx_custody_program_attached)
EOF
# urlencode each expression (busybox awk has no ord(): a table of printable ASCII).
awk -F '\t' '
BEGIN { for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i }
{
	e = $2; u = ""
	for (i = 1; i <= length(e); i++) {
		c = substr(e, i, 1)
		u = u ((c ~ /[A-Za-z0-9._~-]/) ? c : sprintf("%%%02X", ord[c]))
	}
	printf "%03d\t%s\t%s\t%s\n", NR, $1, $2, u
}' /tmp/exprs.tsv >/tmp/queries.enc
: >"$EXPORT/queries.tsv"
while IFS="$(printf '\t')" read -r n source expr enc; do
	if get "$PROM/api/v1/query?time=$T_END&query=$enc" >"$EXPORT/queries/$n.json" 2>/tmp/wget.err; then
		ok=ok
	else
		ok="error: $(tr '\n' ' ' </tmp/wget.err)"
	fi
	printf '%s\t%s\t%s\t%s\n' "$n" "$source" "$ok" "$expr" >>"$EXPORT/queries.tsv"
done </tmp/queries.enc
phase "queries done ($(wc -l <"$EXPORT/queries.tsv") queries)"
grep -E '^(MemTotal|MemAvailable):' /proc/meminfo >"$EXPORT/meminfo.txt"
get "$PROM/api/v1/rules" >"$EXPORT/rules.json" || echo "prometheus_live: /api/v1/rules failed"
get "$PROM/api/v1/alerts" >"$EXPORT/alerts.json" || echo "prometheus_live: /api/v1/alerts failed"
get "$PROM/api/v1/targets" >"$EXPORT/targets.json" || echo "prometheus_live: /api/v1/targets failed"

# 6. One exposition, for promtool on the host, and /healthz once more.
get "http://$DAEMON_ADDR/metrics" >"$EXPORT/metrics.txt" || fail "GET /metrics failed"
printf 'end\t%s\n' "$(status "http://$DAEMON_ADDR/healthz")" >>"$EXPORT/healthz.txt"
printf '%s\n' "$T_END" >"$EXPORT/t_end.txt"
STATUS="done"
phase "exported"
finish 0
