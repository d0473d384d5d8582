#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_profile.sh: on a real pty, `:profile NAME` switches the console to another
# profile of the config file (here: another resource group) without leaving gpup; a profile
# that cannot be opened brings back the one before, with the reason in the status line.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

mkdir -p "$E2E_DIR/config/gpup"
cat >"$E2E_DIR/config/gpup/config" <<CFG
profile = "ml";
profiles = {
  ml = { resource_group = "ml-rg"; };
  dev = { resource_group = "dev-rg"; };
};
CFG

gpup_start
check "starts on the config's profile" wait_for "profile ml │"
check "it lists ml-rg" wait_re " infer-[0-9]+ +ml-rg "
keys :
type_text "profile dev"
keys Enter
check "switched: the status line names dev" wait_for "profile dev │"
check "the list is dev-rg's" wait_re " dev-[0-9]+ +dev-rg "
if screen | grep -q " ml-rg "; then not_ok "no ml-rg VM is left" "$(screen)"
else ok "no ml-rg VM is left"; fi
keys :
type_text "profile nosuch"
keys Enter
check "an unknown profile is refused with its reason" wait_for "cannot switch to profile nosuch"
keys j
check "and dev is back (the status line, once the message is read)" wait_for "profile dev │"
check "with its VMs" wait_re " dev-[0-9]+ +dev-rg "
keys :
type_text "profile dev"
keys Enter
check "the same profile again says so" wait_for "already on profile dev"
keys q
check "q quits once" wait_until 10 pane_dead
e2e_finish
