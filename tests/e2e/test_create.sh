#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_create.sh: on a real pty, ":create" opens the Create VM wizard; Basics are
# typed (custom location and image taken from a VM of a cluster with free partitions), Attach
# GPU chooses GPU Partition, Review + create shows every rule passed, Create runs, and the sim
# then holds the new VM Running with a GpuP entry.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

set -- $(pick_vm Running - free)
ref=$1 refrg=$2
if [ -z "$ref" ]; then
    not_ok "a VM on a host with free partitions exists"
    e2e_finish
fi
cl=$(vm_json "$ref" "$refrg" | jq -r '.extendedLocation.name')
image=$(vm_json "$ref" "$refrg" | jq -r '.properties.storageProfile.imageReference.id')
ok "custom location and image of $ref: $(basename "$cl"), $(basename "$image")"
new=e2e-new-01 rg=dev-rg

gpup_start
wait_for "Home > Virtual machines"
keys :
type_text create
keys Enter
check "the palette's :create opens the wizard on Basics" wait_for "1 Basics   2 Attach GPU"
type_text "$new"
keys Tab
type_text "$rg"
keys Tab
type_text "$cl"
keys Tab
type_text "$image"
keys Tab Tab Tab
type_text azadmin
check "Basics show the name typed" wait_for "Name              $new"
keys Tab Enter
check "Next opens Attach GPU with GPU Setup" wait_for "( ) GPU Partition"
keys Down
check "GPU Partition chosen" wait_for "(*) GPU Partition"
check "the wizard's checks all pass for $(basename "$cl")" wait_re "Checks: [0-9]+ passed, 0 failed"
keys F2
check "Review + create opens the Review" wait_for "Create on $new"
check "Review: no rule failed" wait_gone "FAILED"
check "Review: Create is enabled" wait_gone "Create is disabled"
keys Enter
check "Progress screen opens" wait_for "> Progress"
check "Progress ends done" wait_for "Done in" 30
st=$(vm_state "$new" "$rg")
if [ "$st" = "Running GpuP" ]; then ok "sim: $new Running with GpuP"
else not_ok "sim: $new Running with GpuP" "got: $st"; fi
e2e_finish
