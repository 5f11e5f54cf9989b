# run_workload.sh SECONDS [COMMAND [ARGS...]] — the standard workload as one
# command, for `audit -- COMMAND`: with COMMAND, runs it under the workload
# and exits with its status; without, runs until SECONDS pass. Either way it
# stops the workload when terminated.
#
# The audit starts its command once its tracer is attached, so the load
# begins when the audit is ready: verifying and attaching the tracer takes
# ~10 s in an idle TCG guest and 75-95 s with the workload on its CPUs.
. /workload.sh
trap 'stop_workload; exit 0' TERM INT
start_workload "${1:-20}"
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
	"$@"
	rc=$?
	stop_workload
	exit $rc
fi
wait "$WORKLOAD_STRESS"
stop_workload
