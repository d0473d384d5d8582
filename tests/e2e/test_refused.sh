#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_refused.sh: on a real pty, asking a GPU partition for a VM whose host has no
# free partition (or no GPU in GPU-P mode): the Review shows the failed rule with its reason,
# Save is disabled and pressing it does nothing, and the sim's log shows no PATCH or stop.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

set -- $(pick_vm Running - full)
vm=$1 rg=$2
if [ -z "$vm" ]; then
    not_ok "a running VM without GPU on a host with no free GPU-P partition exists"
    e2e_finish
fi
ok "picked $vm ($rg): Running, no GPU, host has GPU-P GPUs, no partition free"

gpup_start
check "detail screen of $vm opens from the palette" open_vm "$vm"
keys z
check "Size screen shows GPU Setup" wait_for "GPU Setup"
keys Down Space
check "GPU Partition chosen" wait_for "(•) GPU Partition"
keys F2
check "Review screen shows the rules" wait_for "Service rules"
check "Review: the capacity or mode rule FAILED" wait_re "FAILED +(capacity|mode-available) "
check "Review: the failed rule gives its reason" \
    wait_re "FAILED +(capacity +host node-[0-9]+ has 0 of|mode-available +.*GPU-P)"
check "Review: Save is disabled, naming the rule" \
    wait_re "Save is disabled: rule (capacity|mode-available) failed"
# Whichever button has the focus, pressing both must not start anything.
keys Enter
sleep 0.3
keys Tab Enter
sleep 0.3
keys F2
sleep 0.3
check "still on the Review or back on Size, no Progress" wait_gone "> Progress" 1
st=$(vm_state "$vm" "$rg")
if [ "$st" = "Running -" ]; then ok "sim: $vm unchanged (Running, no GPU)"
else not_ok "sim: $vm unchanged (Running, no GPU)" "got: $st"; fi
muts=$(sim_log_mutations)
if [ -z "$muts" ]; then ok "sim log: no PATCH, no stop, no mutating request"
else not_ok "sim log: no PATCH, no stop, no mutating request" "$muts"; fi
e2e_finish
