#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_terminal.sh: on a real pty: a resize to 60x20 shows "terminal too small" and
# back to 100x30 the list again; SIGHUP makes gpup exit and leaves the tty modes as they were
# (stty -g before and after, in the same pane); killing the tmux session ends gpup.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

# --- resize -----------------------------------------------------------------------------------
gpup_start
check "the Home list shows" wait_re "^>?[a-z]+-[0-9]+ +[a-z]+-rg +node-"
$E2E_TMUX resize-window -t "$E2E_SESSION" -x 60 -y 20
check "60x20: terminal too small" wait_for "terminal too small"
check "60x20: the message gives both sizes" wait_for "have 60"
$E2E_TMUX resize-window -t "$E2E_SESSION" -x 100 -y 30
check "100x30: the message is gone" wait_gone "terminal too small"
check "100x30: the Home list is back" wait_re "^>?[a-z]+-[0-9]+ +[a-z]+-rg +node-"
check "100x30: the status line is back" wait_for "profile default │"
gpup_stop

# --- SIGHUP -----------------------------------------------------------------------------------
d=$E2E_DIR
E2E_WRAP="stty -g > $d/stty.before; \"\$@\"; echo \$? > $d/rc; stty -a > $d/stty.after.a; stty -g > $d/stty.after"
gpup_start
check "gpup runs under the wrapper" wait_for "profile default │"
pid=$(gpup_pid)
if [ -n "$pid" ] && [ "$pid" != "$(pane_pid)" ]; then ok "gpup's pid found ($pid)"
else not_ok "gpup's pid found" "pane $(pane_pid), child '$pid'"; e2e_finish; fi
check "the tty is in raw mode while gpup runs" sh -c "stty -a < '$(pane_tty)' | grep -q -- '-icanon'"
kill -HUP "$pid"
check "gpup exits on SIGHUP" wait_until 10 test -s "$d/stty.after"
if proc_gone "$pid"; then ok "gpup's process is gone"
else not_ok "gpup's process is gone"; fi
if [ -s "$d/stty.before" ] && cmp -s "$d/stty.before" "$d/stty.after"; then
    ok "tty modes after SIGHUP are the ones before gpup"
else
    not_ok "tty modes after SIGHUP are the ones before gpup" \
        "before: $(cat "$d/stty.before") after: $(cat "$d/stty.after")"
fi
check "the tty is back in canonical mode with echo" \
    sh -c "grep -q ' icanon' '$d/stty.after.a' && grep -q ' echo ' '$d/stty.after.a'"
gpup_stop
E2E_WRAP=

# --- tmux kill-session (the pty hangs up) --------------------------------------------------------
gpup_start
check "gpup runs again" wait_for "profile default │"
pid=$(gpup_pid)
gpup_stop
check "gpup ends when its tmux session is killed" wait_until 10 proc_gone "$pid"
e2e_finish
