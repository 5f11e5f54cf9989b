#!/bin/sh
# Guest smoke test: the kernel has sched_ext (idle) and BTF, the expected CPUs
# are online, and stress-ng runs. Prints one "@@R" result line.
# EXPECT_CPUS (default 2) is the number of CPUs that must be online.

expect_cpus=${EXPECT_CPUS:-2}
failed=''
fail() {
	echo "boot_smoke: FAIL: $*"
	failed="$failed $1"
}

# sched_ext is built in and no BPF scheduler is loaded.
state=missing
if [ -r /sys/kernel/sched_ext/state ]; then
	state=$(cat /sys/kernel/sched_ext/state)
fi
[ "$state" = disabled ] || fail sched_ext "/sys/kernel/sched_ext/state is '$state', expected 'disabled'"

# BTF for CO-RE and struct_ops.
btf=false btf_size=0
if [ -r /sys/kernel/btf/vmlinux ]; then
	btf=true
	btf_size=$(wc -c </sys/kernel/btf/vmlinux)
fi
if [ "$btf" != true ] || [ "$btf_size" -eq 0 ]; then
	fail btf "/sys/kernel/btf/vmlinux missing or empty"
fi

# Count the online CPUs from a list such as "0-1" or "0,2-3".
online=$(cat /sys/devices/system/cpu/online 2>/dev/null)
cpus=0
for range in $(echo "$online" | tr ',' ' '); do
	case "$range" in
	*-*) cpus=$((cpus + ${range#*-} - ${range%-*} + 1)) ;;
	*) cpus=$((cpus + 1)) ;;
	esac
done
[ "$cpus" -eq "$expect_cpus" ] || fail cpus "$cpus CPUs online ('$online'), expected $expect_cpus"

# stress-ng and its shared libraries work in the guest.
stress_rc=0
stress-ng --cpu 1 --timeout 2s --quiet || stress_rc=$?
[ "$stress_rc" -eq 0 ] || fail stress_ng "stress-ng exited $stress_rc"

# Tools scenarios rely on.
tools=''
for t in taskset chrt renice ip; do
	command -v "$t" >/dev/null 2>&1 && tools="$tools${tools:+,}\"$t\""
done

ok=true
[ -z "$failed" ] || ok=false
echo "@@R {\"test\":\"boot_smoke\",\"kernel\":\"$GUEST_KERNEL\",\"sched_ext_state\":\"$state\",\"btf\":$btf,\"btf_size\":$btf_size,\"cpus_online\":$cpus,\"stress_ng_rc\":$stress_rc,\"tools\":[$tools],\"ok\":$ok}"
[ "$ok" = true ]
