# run_workload.sh SECONDS — the standard workload as one command (for
# `audit -- COMMAND`): runs until SECONDS pass or it is terminated.
. /workload.sh
trap 'stop_workload; exit 0' TERM INT
start_workload "${1:-20}"
wait "$WORKLOAD_STRESS"
stop_workload
