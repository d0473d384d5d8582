# SPDX-License-Identifier: MIT
# tests/e2e/lib.sh: helpers for the console's end-to-end tests on a real pty (style.md 8):
# a gpup-sim on port 0 with a request log, gpup in a detached tmux session of fixed size on a
# private tmux socket, polling of capture-pane with a deadline, the sim's state read back over
# its REST API, TAP-like "ok"/"not ok" lines and the closing "N passed, M failed" line.
# Sourced by tests/e2e/test_*.sh; needs GPUP_SIM and GPUP_BIN (or build/ in the source tree).

E2E_SRC=${GPUP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GPUP_SIM=${GPUP_SIM:-$E2E_SRC/build/gpup-sim}
GPUP_BIN=${GPUP_BIN:-$E2E_SRC/build/gpup}
E2E_SUB=00000000-0000-0000-0000-000000000000
E2E_TMUX="tmux -L gpup-e2e-$$ -f /dev/null"
E2E_SESSION=gpup
E2E_PASSED=0
E2E_FAILED=0
E2E_SIM_PID=
E2E_DIR=
E2E_TIMEOUT=${E2E_TIMEOUT:-15}

e2e_cleanup() {
    $E2E_TMUX kill-server >/dev/null 2>&1
    if [ -n "$E2E_SIM_PID" ]; then
        kill "$E2E_SIM_PID" 2>/dev/null
        wait "$E2E_SIM_PID" 2>/dev/null
        E2E_SIM_PID=
    fi
    [ -n "$E2E_DIR" ] && rm -rf "$E2E_DIR"
    E2E_DIR=
}

# e2e_init: skips the whole script (0 passed, 0 failed) without tmux or curl or jq; makes a
# private HOME/XDG dir and sets the traps that always end tmux and the sim.
e2e_init() {
    for tool in tmux curl jq; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "# skipped: $tool is not installed"
            echo "0 passed, 0 failed"
            exit 0
        fi
    done
    E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gpup-e2e.XXXXXX") || exit 1
    trap 'e2e_cleanup' EXIT
    trap 'e2e_cleanup; exit 1' INT TERM HUP
    mkdir -p "$E2E_DIR/home" "$E2E_DIR/state" "$E2E_DIR/config"
}

ok() { E2E_PASSED=$((E2E_PASSED + 1)); echo "ok - $1"; }
not_ok() {
    E2E_FAILED=$((E2E_FAILED + 1))
    echo "not ok - $1"
    if [ -n "$2" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
# check NAME COMMAND...: one case line from a command's exit status; on failure shows the pane
# and ends the script (the steps of a flow depend on the ones before).
check() {
    name=$1
    shift
    if "$@"; then
        ok "$name"
    else
        not_ok "$name" "$(screen)"
        e2e_finish
    fi
}
e2e_finish() {
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
    [ "$E2E_FAILED" -eq 0 ]
    exit $?
}

# sim_start ARGS...: starts gpup-sim on 127.0.0.1:0 with a request log ($E2E_DIR/sim.log);
# sets E2E_URL.
sim_start() {
    : >"$E2E_DIR/sim.log"
    : >"$E2E_DIR/sim.out"
    "$GPUP_SIM" --listen 127.0.0.1:0 --log "$E2E_DIR/sim.log" --quiet "$@" \
        >"$E2E_DIR/sim.out" 2>"$E2E_DIR/sim.err" &
    E2E_SIM_PID=$!
    i=0
    while [ $i -lt 200 ]; do
        E2E_URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$E2E_DIR/sim.out")
        [ -n "$E2E_URL" ] && return 0
        kill -0 "$E2E_SIM_PID" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    echo "# gpup-sim did not start: $(cat "$E2E_DIR/sim.err")"
    echo "0 passed, 1 failed"
    exit 1
}

# sim_vms: one TSV line per VM: name rg host hostrg powerState gpu-types(+ joined)
sim_vms() {
    curl -s -X POST "$E2E_URL/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01" \
        -H 'Content-Type: application/json' \
        -d "{\"subscriptions\":[\"$E2E_SUB\"],\"query\":\"resources | where type =~ 'microsoft.azurestackhci/virtualmachineinstances'\",\"options\":{\"\$top\":1000}}" |
        jq -r '.data[] | [(.id|split("/")[8]), .resourceGroup, .properties.hostNodeName,
            (.extendedLocation.name|split("/")[4]), .properties.status.powerState,
            ([.properties.hardwareProfile.virtualMachineGPUs[]?.assignmentType]|join("+"))
            | if . == "" then "-" else . end] | @tsv'
}

# host_gpup NODE RG: "FREE TOTAL" GPU-P partitions on a host (over its GPUs in GPU-P mode).
host_gpup() {
    curl -s "$E2E_URL/subscriptions/$E2E_SUB/resourceGroups/$2/providers/Microsoft.AzureStackHCI/edgeMachines/$1/gpus?api-version=2026-03-15-preview" |
        jq -r '[.value[] | (.properties // .) | select(.gpuMode == "GPU-P") | .partitionDetails]
               | "\([.[].availablePartitions | tonumber] | add // 0) \([.[].totalPartitions | tonumber] | add // 0)"'
}

# vm_json NAME RG: the VM instance resource.
vm_json() {
    curl -s "$E2E_URL/subscriptions/$E2E_SUB/resourceGroups/$2/providers/Microsoft.HybridCompute/machines/$1/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default?api-version=2025-06-01-preview"
}
# vm_state NAME RG: "powerState gputypes" e.g. "Running GpuP" or "Stopped -".
vm_state() {
    vm_json "$1" "$2" | jq -r '[.properties.status.powerState,
        ([.properties.hardwareProfile.virtualMachineGPUs[]?.assignmentType]|join("+")
         | if . == "" then "-" else . end)] | join(" ")'
}

# sim_log_has METHOD PATTERN: true when the sim logged a request of METHOD whose path matches.
sim_log_has() {
    jq -r 'select(.method == "'"$1"'") | .path' "$E2E_DIR/sim.log" | grep -q -- "$2"
}
sim_log_mutations() {
    jq -r 'select(.method != "GET" and
                  (.path | test("Microsoft.ResourceGraph") | not)) | "\(.method) \(.path)"' \
        "$E2E_DIR/sim.log"
}

# gpup_start ARGS...: gpup on the sim in a detached tmux session 100x30 (E2E_COLS/E2E_ROWS),
# with its own HOME and XDG dirs; E2E_WRAP may hold the shell script run in the pane, where
# "$@" is gpup and its args (default: exec "$@").
gpup_start() {
    cols=${E2E_COLS:-100} rows=${E2E_ROWS:-30}
    cmd=${E2E_WRAP:-'exec "$@"'}
    $E2E_TMUX new-session -d -s "$E2E_SESSION" -x "$cols" -y "$rows" \
        env HOME="$E2E_DIR/home" XDG_STATE_HOME="$E2E_DIR/state" \
        XDG_CONFIG_HOME="$E2E_DIR/config" LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color \
        TZ=UTC ESCDELAY=25 GPUP_ENDPOINT="$E2E_URL" GPUP_TOKEN=x GPUP_SUBSCRIPTION="$E2E_SUB" \
        sh -c "$cmd" gpup "$GPUP_BIN" "$@"
    $E2E_TMUX set-option -t "$E2E_SESSION" remain-on-exit on >/dev/null 2>&1
}
# gpup_stop: kills the session and waits until its gpup has ended (it holds the console's lock
# until then, so a gpup started at once would be refused).
gpup_stop() {
    _pid=$(gpup_pid 2>/dev/null)
    $E2E_TMUX kill-session -t "$E2E_SESSION" >/dev/null 2>&1
    if [ -n "$_pid" ]; then wait_until 10 proc_gone "$_pid" || true; fi
}
pane_pid() { $E2E_TMUX display-message -p -t "$E2E_SESSION" '#{pane_pid}'; }
pane_dead() { [ "$($E2E_TMUX display-message -p -t "$E2E_SESSION" '#{pane_dead}')" = 1 ]; }
pane_tty() { $E2E_TMUX display-message -p -t "$E2E_SESSION" '#{pane_tty}'; }

screen() { $E2E_TMUX capture-pane -p -t "$E2E_SESSION" 2>/dev/null; }
keys() { $E2E_TMUX send-keys -t "$E2E_SESSION" "$@"; }
# type_text TEXT: literal text.
type_text() { $E2E_TMUX send-keys -t "$E2E_SESSION" -l "$1"; }

# wait_for TEXT [SECONDS]: polls the pane until it shows TEXT (fixed string); false on timeout.
wait_for() {
    deadline=$(($(date +%s) + ${2:-$E2E_TIMEOUT}))
    while :; do
        screen | grep -qF -- "$1" && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# wait_gone TEXT [SECONDS]: polls until TEXT is no longer on the pane.
wait_gone() {
    deadline=$(($(date +%s) + ${2:-$E2E_TIMEOUT}))
    while :; do
        screen | grep -qF -- "$1" || return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# wait_until [SECONDS] COMMAND...: polls a command until it succeeds.
wait_until() {
    deadline=$(($(date +%s) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# pick_vm POWER GPUS FREE: prints "name rg" of the first VM (by name) in power state POWER with
# GPU types GPUS ("-" for none, "GpuP"...) whose host has free GPU-P partitions (FREE=free), or
# GPU-P GPUs with no partition free (FREE=full), or anything (any); nothing when no VM fits.
pick_vm() {
    sim_vms | sort | while IFS='	' read -r name rg host hrg power gpus; do
        [ "$power" = "$1" ] && [ "$gpus" = "$2" ] || continue
        set -- "$1" "$2" "$3" $(host_gpup "$host" "$hrg")
        case "$3" in
        free) [ "$4" -gt 0 ] || continue ;;
        full) [ "$4" -eq 0 ] && [ "$5" -gt 0 ] || continue ;;
        *) ;;
        esac
        echo "$name $rg"
        break
    done
}

# open_vm NAME: from the Home list, the palette's ":vm NAME" to the VM's detail screen.
open_vm() {
    wait_for "Home > Virtual machines" || return 1
    keys :
    type_text "vm $1"
    keys Enter
    wait_for "Virtual machines > $1"
}
# wait_re REGEX [SECONDS]: as wait_for, for an extended regular expression.
wait_re() {
    deadline=$(($(date +%s) + ${2:-$E2E_TIMEOUT}))
    while :; do
        screen | grep -qE -- "$1" && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# vm_is NAME RG "POWER GPUS": true when vm_state prints that (for wait_until).
vm_is() { [ "$(vm_state "$1" "$2")" = "$3" ]; }
# proc_gone PID: the process has ended (no longer exists, or is a zombie not yet reaped).
proc_gone() {
    [ ! -e "/proc/$1" ] || [ "$(sed 's/^.*) \([A-Z]\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
# gpup_pid: the pid of gpup in the pane (the pane's process, or its child under E2E_WRAP).
gpup_pid() {
    p=$(pane_pid)
    c=$(pgrep -P "$p" 2>/dev/null | head -n 1)
    echo "${c:-$p}"
}
