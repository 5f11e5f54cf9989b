# prometheus_live.sh — a real Prometheus server scraping a live `scx-custody run`
# daemon inside the guest (over loopback), under the standard workload with the
# reference scheduler. Every panel query of the Grafana dashboard, plus a few
# checks of our own, is evaluated through Prometheus's HTTP API; the answers,
# one scrape of /metrics and the /healthz answers go to /export for
# check-prometheus-live.py on the host.
#
# Files (FILES in CMake): /workload.sh, /etc/custody.json (the dashboard),
# /etc/prometheus/rules.yml (dashboards/rules). Binaries: scx-custody, prometheus.
# Env: WORKLOAD_SECONDS (default 15).
#
# Exports: healthz.txt, metrics.txt, instance.json, queries.tsv (index, wget
# status, evaluated expression) and queries/NNN.json, rules.json, alerts.json,
# targets.json, meminfo.txt (while Prometheus runs), timings.txt, daemon.log,
# prometheus.log, t_end.txt (the workload's end), t_query.txt (the time of the
# first successful scrape after it, at which the queries are evaluated).
# Exits non-zero only when the setup itself failed (daemon not healthy, Prometheus
# not ready, no samples); the data is judged on the host.
. /workload.sh

SCENARIO=prometheus_live
DAEMON_ADDR=127.0.0.1:9476
PROM=http://127.0.0.1:9090
WORKLOAD_SECONDS=${WORKLOAD_SECONDS:-15}
EXPORT=/export
mkdir -p "$EXPORT/queries"

. /prom_guest.sh

phase start

# 1. The daemon, loading the reference scheduler itself.
scx-custody run --sched reference --bpf-stats --listen "$DAEMON_ADDR" >/tmp/daemon.log 2>&1 &
DAEMON=$!
wait_until "daemon /healthz 200" 90 healthy

# 2. Prometheus: 1 s scrapes of the daemon, the project's rules, TSDB in /tmp.
start_prometheus

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
# A successful scrape taken after the workload ended: the queries are evaluated
# at its time (T_QUERY). Not at T_END itself: on a loaded host a scrape can
# time out (up 0, every series stale from that instant), and one did.
scraped_after_end() {
	T_QUERY=$(get "$PROM/api/v1/query?query=timestamp(up%7Bjob%3D%22scx-custody%22%7D%3D%3D1)" 2>/dev/null |
		sed -n 's/.*"value":\[[0-9.]*,"\([0-9.]*\)"\].*/\1/p')
	[ -n "$T_QUERY" ] && [ "${T_QUERY%.*}" -ge "$T_END" ]
}
wait_until "a successful scrape after the workload" 30 scraped_after_end
STATUS=queries

# 4. $instance resolved like Grafana's variable query would.
get "$PROM/api/v1/label/instance/values?match%5B%5D=scx_custody_build_info" >"$EXPORT/instance.json" ||
	fail "label values query failed"
INSTANCE=$(sed -n 's/.*"data":\["\([^"]*\)"\].*/\1/p' "$EXPORT/instance.json")
[ -n "$INSTANCE" ] || fail "\$instance does not resolve to one value: $(cat "$EXPORT/instance.json")"

# 5. Every dashboard target (in file order), Grafana's variables substituted, then
# checks of our own; each evaluated at T_QUERY. queries.tsv: N, source (dashboard
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
	if get "$PROM/api/v1/query?time=$T_QUERY&query=$enc" >"$EXPORT/queries/$n.json" 2>/tmp/wget.err; then
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
printf '%s\n' "$T_QUERY" >"$EXPORT/t_query.txt"
STATUS="done"
phase "exported"
finish 0
