#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_attach.sh: on a real pty, attach a GPU-P partition to a running VM without one
# through Size > GPU Partition > Save > Review > Save; the Progress screen runs stop, PATCH and
# start, and the sim then holds the VM Running with a GpuP entry.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

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
check "choosing GPU Partition marks unsaved changes" wait_for "(•) GPU Partition"
keys F2
check "Review screen shows the rules and the plan" wait_for "Service rules"
check "capacity rule passed" wait_for "passed   capacity"
check "plan starts with the stop" wait_for "Stop $vm and wait until Stopped"
keys Enter
check "Progress screen opens" wait_for "> Progress"
check "Progress ends done" wait_for "Done in" 30
check "step 3 (start) done" wait_for "✓ 3. Start $vm"
st=$(vm_state "$vm" "$rg")
if [ "$st" = "Running GpuP" ]; then ok "sim: $vm Running with GpuP"
else not_ok "sim: $vm Running with GpuP" "got: $st"; fi
if sim_log_has PATCH "machines/$vm/"; then ok "sim log has the PATCH"
else not_ok "sim log has the PATCH" "$(sim_log_mutations)"; fi
e2e_finish
