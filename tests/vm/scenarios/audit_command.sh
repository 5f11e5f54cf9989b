# audit_command.sh — `scx-custody audit -- COMMAND` where the command loads
# and unloads two schedulers in turn (the reference scheduler, then the same
# scheduler without ops.dequeue): the audit follows both and reports each.
# The standard workload runs around the command (run_workload.sh).
. /workload.sh
cat >/tmp/two_schedulers.sh <<'EOS'
scx-custody sched --duration 8 >/dev/null 2>&1 || exit 1
scx-custody sched --duration 8 --without-dequeue >/dev/null 2>&1 || exit 1
EOS
run_audit -- sh /run_workload.sh 90 sh /tmp/two_schedulers.sh
exit 0
