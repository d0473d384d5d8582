#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_mouse.sh: the mouse on a real pty (product.md 2.2: optional, off by default).
# tmux keeps the pane's mouse modes (#{mouse_any_flag}): off, gpup asks for none; with
# ui.mouse or --mouse it asks, and every exit path (q, SIGTERM, SIGHUP, a crash, a suspend)
# turns reporting off again. Mouse input is typed into the pane as the SGR (1006) reports an
# xterm sends, which is what ncurses asks for on TERM=xterm-256color; coordinates are 1-based.
. "$(dirname "$0")/lib.sh"
e2e_init
sim_start --fleet 60 --hosts 8 --seed 1 --op-ms 300

d=$E2E_DIR
# The pane outlives gpup (the modes it left stay readable); no core file from the crash case.
E2E_WRAP="cd $d; ulimit -c 0; \"\$@\"; echo \$? > $d/rc; exec sleep 600"

mouse_flag() { $E2E_TMUX display-message -p -t "$E2E_SESSION" '#{mouse_any_flag}'; }
mouse_is() { [ "$(mouse_flag)" = "$1" ]; }
# press_at ROW COL: button 1 pressed and released at the 1-based cell.
press_at() { type_text "$(printf '\033[<0;%d;%dM\033[<0;%d;%dm' "$2" "$1" "$2" "$1")"; }
# wheel_down ROW COL
wheel_down() { type_text "$(printf '\033[<65;%d;%dM' "$2" "$1")"; }
# line N: the pane's Nth line (1-based).
line() { screen | sed -n "${1}p"; }
selected_at() { line "$1" | grep -q '^>'; }
# start ARGS...: gpup with the wrapper, its list shown; sets pid.
start() {
    rm -f "$d/rc"
    gpup_start "$@"
    check "gpup${*:+ $*} shows the list" wait_re "^>?[a-z]+-[0-9]+ +[a-z]+-rg +node-"
    pid=$(gpup_pid)
}
# ended_with_mouse_off WHAT: gpup has ended and the pane's mouse modes are off.
ended_with_mouse_off() {
    check "$1: gpup ends" wait_until 10 test -s "$d/rc"
    check "$1: mouse reporting is off again" mouse_is 0
    gpup_stop
}

# --- off by default -------------------------------------------------------------------------
start
check "without ui.mouse or --mouse no mouse mode is asked for" mouse_is 0
gpup_stop

# --- ui.mouse = true ------------------------------------------------------------------------
mkdir -p "$d/config/gpup"
printf 'ui = { mouse = true; };\n' >"$d/config/gpup/config"
start
check "ui.mouse = true turns mouse reporting on" mouse_is 1
keys q
ended_with_mouse_off "q"
rm -f "$d/config/gpup/config"

# --- --mouse: wheel, click, click again, header -------------------------------------------------
# Pane lines: 1 breadcrumb, 2 column titles, 3.. the rows (the first selected).
start --mouse
check "--mouse turns mouse reporting on" mouse_is 1
check "the first row is selected" selected_at 3
wheel_down 10 10
check "a wheel notch moves three rows down" wait_until 5 selected_at 6
press_at 8 20
check "a click selects the row under it" wait_until 5 selected_at 8
name=$(line 8 | awk '{print $1}' | tr -d '>')
press_at 8 20
check "a click on the selected row opens it" wait_for "Virtual machines > $name"
keys Escape
check "Esc comes back" wait_gone "Virtual machines > $name"
check "the column titles are drawn again" wait_re "^ Name .* Power "
# (the sort arrow is one cell but three bytes: made one byte for awk's index)
col=$(line 2 | sed 's/[▲▼]/^/g' | awk '{print index($0, "Power")}')
press_at 2 "$((col + 1))"
check "a click on a column title sorts by it" wait_for "Power ▲"
press_at 2 "$((col + 1))"
check "a second click reverses the order" wait_for "Power ▼"
# Row 1 is the breadcrumb, the last the status line: a click taken as on the row below (the
# column titles) or above would sort by Name. Help, then back, shows they were read.
press_at 1 5
press_at "$(screen | wc -l)" 5
keys '?'
check "help after the clicks outside the body" wait_for "Show this help"
keys Escape
check "clicks on the breadcrumb and status lines do nothing" wait_for "Power ▼"
keys q
ended_with_mouse_off "q after the clicks"

# --- suspend and resume: off while stopped, on again after -------------------------------------
# C-z needs a job-control shell: in the wrapper's sh -c, gpup's process group is orphaned and
# the kernel drops the stop.
E2E_WRAP='exec bash --norc --noprofile -i'
gpup_start
check "an interactive bash in the pane" wait_until 10 sh -c "$E2E_TMUX capture-pane -p -t $E2E_SESSION | grep -q ."
type_text "PS1='$ '; \"$GPUP_BIN\" --mouse"
keys Enter
check "gpup --mouse under bash shows the list" wait_re "^>?[a-z]+-[0-9]+ +[a-z]+-rg +node-"
check "mouse reporting is on" mouse_is 1
keys C-z
check "C-z stops gpup" wait_for "Stopped"
check "mouse reporting is off while gpup is stopped" mouse_is 0
type_text "fg"
keys Enter
check "fg: the list is back" wait_re "^>?[a-z]+-[0-9]+ +[a-z]+-rg +node-"
check "fg: mouse reporting is back on" wait_until 10 mouse_is 1
press_at 2 2
check "fg: clicks work again" wait_for "Name ▼"
keys q
check "q: back at the shell" wait_gone "Name ▼"
check "q: mouse reporting is off again" wait_until 10 mouse_is 0
gpup_stop
E2E_WRAP="cd $d; ulimit -c 0; \"\$@\"; echo \$? > $d/rc; exec sleep 600"

# --- the other exit paths ---------------------------------------------------------------------
for sig in TERM HUP SEGV; do
    start --mouse
    check "--mouse is on before SIG$sig" mouse_is 1
    kill -"$sig" "$pid"
    ended_with_mouse_off "SIG$sig"
done
e2e_finish
