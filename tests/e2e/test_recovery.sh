#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_recovery.sh: on a real pty, the sim fails the second long-running operation
# (--faults opfail:n=2: the stop is the first, the PATCH the second) of an attach; the Progress
# screen shows the failed step, the VM stopped and the recovery offers; "Start ... again without
# the change" ends with the VM Running without GPU.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300 --faults opfail:n=2

set -- $(pick_vm Running - free)
vm=$1 rg=$2
if [ -z "$vm" ]; then
    not_ok "a running VM without GPU on a host with free partitions exists"
    e2e_finish
fi
ok "picked $vm ($rg): Running, no GPU, host has free GPU-P partitions"

gpup_start
check "detail screen of $vm opens from the palette" open_vm "$vm"
keys z
check "Size screen shows GPU Setup" wait_for "GPU Setup"
keys Down Space
check "GPU Partition chosen" wait_for "(•) GPU Partition"
keys F2
check "Review screen shows the plan" wait_for "Service rules"
keys Enter
check "Progress screen opens" wait_for "> Progress"
check "the stop is done" wait_for "✓ 1. Stop $vm" 30
check "the PATCH step failed" wait_for "✗ 2. Set the GPUs of $vm" 30
check "Progress says Failed" wait_re "^ Failed after"
check "the error names the operation's code" wait_for "OperationFailed"
check "Progress says the VM is stopped, change not applied" \
    wait_for "$vm is Stopped; the GPU change is not applied"
check "recovery offer: start again without the change" \
    wait_for "[ Start $vm again without the change ]"
check "recovery offer: retry" wait_for "[ Retry the attach ]"
check "recovery offer: leave it stopped" wait_for "[ Leave it stopped ]"
st=$(vm_state "$vm" "$rg")
if [ "$st" = "Stopped -" ]; then ok "sim: $vm Stopped without GPU after the failure"
else not_ok "sim: $vm Stopped without GPU after the failure" "got: $st"; fi
keys Enter
check "the start runs and ends with $vm Running without GPU" wait_until 30 vm_is "$vm" "$rg" "Running -"
check "the console shows Running" wait_for "Power state: Running"
n=$(jq -r 'select(.method == "PATCH") | .path' "$E2E_DIR/sim.log" | grep -c "machines/$vm/")
if [ "$n" -eq 1 ]; then ok "sim log: exactly one PATCH (not retried)"
else not_ok "sim log: exactly one PATCH (not retried)" "$(sim_log_mutations)"; fi
e2e_finish
