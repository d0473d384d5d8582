#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_readonly.sh: on a real pty, `gpup --readonly`: the status line says READ-ONLY,
# Stop, Save of a GPU change, Delete assignment and Create are disabled, and the sim's log
# shows no mutating request at all.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

set -- $(pick_vm Running - free)
vm=$1 rg=$2
set -- $(pick_vm Running GpuP any)
pvm=$1
if [ -z "$vm" ] || [ -z "$pvm" ]; then
    not_ok "running VMs with and without a GPU-P partition exist"
    e2e_finish
fi
ok "picked $vm (no GPU) and $pvm (GpuP)"

gpup_start --readonly
check "the status line says READ-ONLY" wait_for "READ-ONLY │"
check "detail screen of $vm opens from the palette" open_vm "$vm"
keys -
check "stop: Review says Stop is disabled" wait_for "Stop is disabled: read-only mode"
keys Enter
sleep 0.2
keys Tab Enter
sleep 0.2
check "stop: no Progress" wait_gone "> Progress" 1
keys Escape
check "back on the detail screen" wait_re "Virtual machines > $vm *$"
keys z
check "Size screen opens" wait_for "GPU Setup"
keys Down Space
check "GPU Partition chosen" wait_for "(•) GPU Partition"
keys F2
check "Size: Save is disabled" wait_for "Save is disabled: read-only mode"
check "Size: no Review" wait_gone "> Review" 1
keys F8
check "changes discarded" wait_for "(•) None"
keys Escape
check "back on the detail screen" wait_re "Virtual machines > $vm *$"
keys Escape
check "back on Home" wait_re "Home > Virtual machines *$"
check "detail screen of $pvm opens" open_vm "$pvm"
keys z
check "Size screen of $pvm offers Delete assignment" wait_for "[ Delete assignment ]"
keys Tab Enter
check "Delete assignment is disabled" wait_for "Delete assignment is disabled: read-only mode"
check "no Review of the delete" wait_gone "> Review" 1
keys Escape Escape
check "back on Home" wait_re "Home > Virtual machines *$"
keys :
type_text create
keys Enter
check ":create opens the wizard" wait_for "1 Basics   2 Attach GPU"
cl=$(vm_json "$vm" "$rg" | jq -r '.extendedLocation.name')
image=$(vm_json "$vm" "$rg" | jq -r '.properties.storageProfile.imageReference.id')
type_text e2e-ro-01
keys Tab
type_text "$rg"
keys Tab
type_text "$cl"
keys Tab
type_text "$image"
keys Tab Tab Tab
type_text azadmin
check "Basics filled" wait_for "Admin user        azadmin"
keys F2
check "Review of the create" wait_for "Create on e2e-ro-01"
check "Create is disabled" wait_for "Create is disabled: read-only mode"
keys Enter
sleep 0.2
keys Tab Enter
sleep 0.2
check "create: no Progress" wait_gone "> Progress" 1
muts=$(sim_log_mutations)
if [ -z "$muts" ]; then ok "sim log: no mutating request"
else not_ok "sim log: no mutating request" "$muts"; fi
e2e_finish
