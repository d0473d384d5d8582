#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_delete.sh: on a real pty, Delete assignment (Size screen, GPU Assignment) on a
# running VM with a GPU-P partition; Review shows the change to none, Save runs stop, PATCH and
# start, and the sim then holds the VM Running without GPUs.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

set -- $(pick_vm Running GpuP any)
vm=$1 rg=$2
if [ -z "$vm" ]; then
    not_ok "a running VM with a GPU-P partition exists"
    e2e_finish
fi
ok "picked $vm ($rg): Running with GpuP"

gpup_start
check "detail screen of $vm opens from the palette" open_vm "$vm"
keys z
check "Size screen shows the GPU Assignment" wait_for "GPU Assignment"
check "Size screen offers Delete assignment" wait_for "[ Delete assignment ]"
keys Tab Enter
check "Review screen of the delete" wait_for "Delete assignment on $vm"
check "Review shows GPU-P going to none" wait_re "GPU +GPU-P [0-9]+ MB +→ —"
check "plan has the PATCH" wait_for "2. PATCH"
keys Enter
check "Progress screen opens" wait_for "> Progress"
check "Progress ends done" wait_for "Done in" 30
st=$(vm_state "$vm" "$rg")
if [ "$st" = "Running -" ]; then ok "sim: $vm Running with no GPU"
else not_ok "sim: $vm Running with no GPU" "got: $st"; fi
if sim_log_has PATCH "machines/$vm/"; then ok "sim log has the PATCH"
else not_ok "sim log has the PATCH" "$(sim_log_mutations)"; fi
e2e_finish
