#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_resume.sh: on a real pty, gpup is killed (SIGKILL) during the stop step of an
# attach (--op-ms 2000); the next gpup flashes the unfinished operation from the journal,
# ":resume" continues it, and the VM ends Running with a GpuP entry, patched once.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 2000

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
check "the stop step runs" wait_for "waiting for Stopped"
pid=$(gpup_pid)
kill -9 "$pid"
check "gpup is gone after SIGKILL" wait_until 5 proc_gone "$pid"
gpup_stop
st=$(vm_state "$vm" "$rg")
case "$st" in
"Stopping -" | "Stopped -") ok "sim: $vm stopping or stopped, no GPU yet ($st)" ;;
*) not_ok "sim: $vm stopping or stopped, no GPU yet" "got: $st" ;;
esac
if sim_log_has PATCH "machines/$vm/"; then not_ok "no PATCH before the kill" "$(sim_log_mutations)"
else ok "no PATCH before the kill"; fi

gpup_start
check "the status line flashes the unfinished operation" \
    wait_for "1 unfinished operation(s) in the journal: :resume"
keys :
type_text resume
keys Enter
check ":resume resumes it" wait_for "1 operation(s) resumed"
check "the operation finishes with $vm Running with GpuP" wait_until 40 vm_is "$vm" "$rg" "Running GpuP"
n=$(jq -r 'select(.method == "PATCH") | .path' "$E2E_DIR/sim.log" | grep -c "machines/$vm/")
if [ "$n" -eq 1 ]; then ok "sim log: one PATCH"
else not_ok "sim log: one PATCH" "$(sim_log_mutations)"; fi
keys Down
check "the console's status line: no operation left" wait_for "│ 0 ops │" 15
keys r
check "after r (refresh), the Home list shows $vm Running with its partition" \
    wait_re "^.$vm +$rg +node-[0-9]+ +Running +Succeeded .* GPU-P [0-9]+ MB" 15
gpup_stop
gpup_start
check "a third gpup finds nothing to resume" wait_for "profile default │"
sleep 0.5
if screen | grep -q "unfinished operation"; then not_ok "no unfinished operation left" "$(screen)"
else ok "no unfinished operation left"; fi
e2e_finish
