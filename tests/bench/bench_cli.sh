#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/bench/bench_cli.sh: gpup's numbers as an operator sees them (product.md section 7),
# each against its own gpup-sim (--op-ms 0 --retry-after-ms 0, started once per bench):
#   cli.list_*      `gpup vm list -o json` over 1,000 VMs vs the Python Azure SDK peer
#                   (tests/bench/peer_sdk.py list) and `az rest` when az is installed
#   cli.attach_*    stop -> attach GPU-P -> start (`gpup vm gpu attach`) vs peer_sdk.py cycle
#   console.first_paint_ms   console start to first full paint with 1,000 VMs, then exit
#   console.idle_wakeups_per_s   context switches of the idle console (tmux pane)
#   console.bytes_*  bytes written to the terminal for one cursor move / one filter key
# Prints "name value unit" lines (median of RUNS runs per process); "name n/a reason" when a
# number cannot be taken. Never fails on a slow number: it only reports.
# Env: GPUP_BIN, GPUP_SIM (default build/...), PYTHON (Python with the azure SDK).

GPUP_BIN=${GPUP_BIN:-build/gpup}
GPUP_SIM=${GPUP_SIM:-build/gpup-sim}
SRCDIR=${GPUP_SRCDIR:-.}
PEER="$SRCDIR/tests/bench/peer_sdk.py"
RUNS=${BENCH_RUNS:-5}
SUB=00000000-0000-0000-0000-000000000000
# The peer needs the azure SDK: the system python has it, a pyenv one on PATH may not.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import azure.mgmt.core' 2>/dev/null; then
    if /usr/bin/python3 -c 'import azure.mgmt.core' 2>/dev/null; then PY=/usr/bin/python3; else PY=; fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gpup-bench.XXXXXX") || exit 1
# fresh_home NAME: empty XDG directories of its own for one bench (no journal, cache or lock
# of another bench in the way).
fresh_home() {
    H="$TMP/home-$1"
    export XDG_CONFIG_HOME="$H/config" XDG_STATE_HOME="$H/state" XDG_CACHE_HOME="$H/cache" \
        XDG_DATA_HOME="$H/data" XDG_RUNTIME_DIR="$H/run" HOME="$H"
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" || return 1
    mkdir -m 700 "$XDG_RUNTIME_DIR"
}
export GPUP_TOKEN=x GPUP_SUBSCRIPTION=$SUB
unset GPUP_PROFILE GPUP_CONFIG
SIM_PID=
TMUX_SOCK="gpup-bench-$$"
status=0

cleanup() {
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
    sim_stop_all
    rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" HUP INT TERM PIPE

now_ns() { date +%s%N; }
ms_since() { echo "$1 $(now_ns)" | awk '{printf "%.1f\n", ($2 - $1) / 1e6}'; }
# median of the numbers on stdin
median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "n/a"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0) printf "%.2f", a / b; else print "n/a"}'; }

# sim_start ARGS...: starts gpup-sim on a free port; sets SIM_PID and URL.
sim_start() {
    "$GPUP_SIM" --listen 127.0.0.1:0 --seed 1 --op-ms 0 --retry-after-ms 0 --quiet "$@" \
        >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    echo "$SIM_PID" >>"$TMP/sims"
    URL=
    i=0
    while [ $i -lt 200 ]; do
        URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$TMP/sim.out" 2>/dev/null | head -1)
        [ -n "$URL" ] && break
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    if [ -z "$URL" ]; then
        echo "bench_cli: gpup-sim did not start: $(cat "$TMP/sim.err")" >&2
        sim_stop
        return 1
    fi
    export GPUP_ENDPOINT="$URL"
}
sim_stop() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
        SIM_PID=
    fi
}
# Every emulator started (its pid in $TMP/sims), in case a signal cut a bench short.
sim_stop_all() {
    sim_stop
    [ -f "$TMP/sims" ] || return 0
    while read -r p; do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = gpup-sim ]; then
            kill "$p" 2>/dev/null
            sleep 0.2
            kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
        fi
    done <"$TMP/sims"
}

# time_runs FILE CMD...: runs CMD RUNS times (stdout to $TMP/out), appends ms per run to FILE.
# Returns non-zero when a run fails.
time_runs() {
    f=$1
    shift
    : >"$f"
    n=0
    while [ $n -lt "$RUNS" ]; do
        t0=$(now_ns)
        "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || return 1
        ms_since "$t0" >>"$f"
        n=$((n + 1))
    done
}

# --- 1. list 1,000 VMs -----------------------------------------------------------------------
bench_list() {
    sim_start --fleet 1000 || { echo "cli.list_gpup_ms n/a emulator did not start"; return 1; }
    "$GPUP_BIN" vm list -o json >/dev/null 2>&1 </dev/null # warm the page cache
    if time_runs "$TMP/t_gpup" "$GPUP_BIN" vm list -o json; then
        n=$(grep -c '"type": *"Microsoft.AzureStackHCI/virtualMachineInstances"' "$TMP/out")
        g=$(median <"$TMP/t_gpup")
        echo "cli.list_vms $n vms"
        echo "cli.list_gpup_ms $g ms"
    else
        echo "cli.list_gpup_ms n/a gpup vm list failed: $(head -c 200 "$TMP/err")"
        g=
        status=1
    fi
    if [ -z "$PY" ]; then
        echo "cli.list_peer_sdk_ms n/a python with azure-mgmt-core not found"
    elif time_runs "$TMP/t_peer" "$PY" "$PEER" list "$URL" "$SUB"; then
        p=$(median <"$TMP/t_peer")
        echo "cli.list_peer_sdk_ms $p ms"
        [ -n "$g" ] && echo "cli.list_ratio_peer_sdk_over_gpup $(ratio "$p" "$g") x"
    else
        echo "cli.list_peer_sdk_ms n/a peer failed: $(tail -c 200 "$TMP/err")"
    fi
    if command -v az >/dev/null 2>&1; then
        body='{"query":"resources | where type =~ '"'"'microsoft.azurestackhci/virtualmachineinstances'"'"'","options":{"$top":1000}}'
        if time_runs "$TMP/t_az" az rest --method post --skip-authorization-header \
            --url "$URL/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01" \
            --body "$body"; then
            a=$(median <"$TMP/t_az")
            echo "cli.list_az_rest_ms $a ms"
            [ -n "$g" ] && echo "cli.list_ratio_az_over_gpup $(ratio "$a" "$g") x"
        else
            echo "cli.list_az_rest_ms n/a az rest failed: $(tail -c 200 "$TMP/err")"
        fi
    else
        echo "cli.list_az_rest_ms n/a az not installed"
    fi
    sim_stop
}

# --- 2. stop -> attach GPU-P -> start ---------------------------------------------------------
# find_attach_vm: a running VM without GPU whose host has a free GPU-P partition: tries one
# candidate per host (gpup's rules refuse before changing anything). Sets RG, NAME.
find_attach_vm() {
    "$GPUP_BIN" vm list -o json >"$TMP/vms.json" 2>"$TMP/err" </dev/null || return 1
    "${PY:-python3}" - "$TMP/vms.json" >"$TMP/cands" <<'EOF' || return 1
import json, sys
seen = set()
for v in json.load(open(sys.argv[1])):
    p = v.get("properties", {})
    if p.get("status", {}).get("powerState") != "Running":
        continue
    if p.get("hardwareProfile", {}).get("virtualMachineGPUs"):
        continue
    host = p.get("hostNodeName")
    if host in seen:
        continue
    seen.add(host)
    parts = v["id"].split("/")
    print(parts[4], parts[8])
EOF
    while read -r rg name; do
        if "$GPUP_BIN" vm gpu attach --vm-name "$name" -g "$rg" --gpus GpuP --yes \
            >/dev/null 2>>"$TMP/attach_err" </dev/null; then
            RG=$rg
            NAME=$name
            return 0
        fi
    done <"$TMP/cands"
    return 1
}

bench_attach() {
    # 1,000 VMs fill every GPU-P host of the seeded fleet; 100 leave partitions free.
    sim_start --fleet 100 || { echo "cli.attach_gpup_ms n/a emulator did not start"; return 1; }
    if ! find_attach_vm; then
        echo "cli.attach_gpup_ms n/a no running VM without GPU on a host with a free GPU-P partition"
        grep -v '^ ' "$TMP/attach_err" 2>/dev/null | head -8 >&2
        sim_stop
        return 0
    fi
    echo "cli.attach_vm $RG/$NAME -"
    detach() { "$GPUP_BIN" vm gpu detach --vm-name "$NAME" -g "$RG" --yes >/dev/null 2>&1 </dev/null; }
    : >"$TMP/t_gpup"
    : >"$TMP/t_peer"
    ok=1
    n=0
    while [ $n -lt "$RUNS" ] && [ $ok = 1 ]; do
        detach || { ok=0; break; }
        t0=$(now_ns)
        if "$GPUP_BIN" vm gpu attach --vm-name "$NAME" -g "$RG" --gpus GpuP --yes \
            >"$TMP/out" 2>"$TMP/err" </dev/null; then
            ms_since "$t0" >>"$TMP/t_gpup"
        else
            echo "cli.attach_gpup_ms n/a attach failed: $(head -c 200 "$TMP/err")"
            ok=0
        fi
        n=$((n + 1))
    done
    [ -s "$TMP/t_gpup" ] && g=$(median <"$TMP/t_gpup") && echo "cli.attach_gpup_ms $g ms"
    vmi="/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.HybridCompute/machines/$NAME"
    vmi="$vmi/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
    if [ -z "$PY" ]; then
        echo "cli.attach_peer_sdk_ms n/a python with azure-mgmt-core not found"
    else
        n=0
        while [ $n -lt "$RUNS" ]; do
            detach || break
            t0=$(now_ns)
            if "$PY" "$PEER" cycle "$URL" "$vmi" >"$TMP/out" 2>"$TMP/err" </dev/null; then
                ms_since "$t0" >>"$TMP/t_peer"
            else
                echo "cli.attach_peer_sdk_ms n/a peer failed: $(tail -c 200 "$TMP/err")"
                break
            fi
            n=$((n + 1))
        done
        if [ -s "$TMP/t_peer" ]; then
            p=$(median <"$TMP/t_peer")
            echo "cli.attach_peer_sdk_ms $p ms"
            [ -s "$TMP/t_gpup" ] && echo "cli.attach_ratio_peer_sdk_over_gpup $(ratio "$p" "$g") x"
        fi
    fi
    sim_stop
}

# --- 3. console start to first full paint ---------------------------------------------------
bench_first_paint() {
    if ! command -v script >/dev/null 2>&1; then
        echo "console.first_paint_ms n/a script(1) not installed (the console needs a terminal)"
        return 0
    fi
    sim_start --fleet 1000 || { echo "console.first_paint_ms n/a emulator did not start"; return 1; }
    # The console wants a terminal on stdin/stdout: script(1) gives it a pty; GPUP_NO_DISPLAY
    # paints to /dev/null and GPUP_EXIT_WHEN_IDLE ends it after the first load is painted.
    # script's own cost (same command with `true`) is measured and subtracted.
    cmd="GPUP_NO_DISPLAY=1 GPUP_EXIT_WHEN_IDLE=1 TERM=xterm-256color '$GPUP_BIN' --endpoint '$URL'"
    if time_runs "$TMP/t_con" script -qec "$cmd" /dev/null &&
        time_runs "$TMP/t_base" script -qec "true" /dev/null; then
        c=$(median <"$TMP/t_con")
        b=$(median <"$TMP/t_base")
        echo "console.first_paint_1k_wall_ms $c ms (under script(1))"
        echo "console.script_overhead_ms $b ms"
        v=$(awk -v a="$c" -v b="$b" 'BEGIN {printf "%.1f", a - b}')
        echo "console.first_paint_1k_ms $v ms"
        echo "console.first_paint_target_ratio $(ratio "$v" 100) (ms/100ms; <= 1 meets the target)"
    else
        echo "console.first_paint_1k_ms n/a console failed: $(head -c 200 "$TMP/out" "$TMP/err" | tr -d '\033' | tr '\r\n' '  ')"
    fi
    sim_stop
}

# --- 5 and 6. the console in a tmux pane --------------------------------------------------
# pane_bytes: bytes the console wrote to the terminal so far (pipe-pane capture).
pane_bytes() { wc -c <"$TMP/pane.out" | tr -d ' '; }
# settle: waits until the pane output stops growing for 300 ms (at most 3 s).
settle() {
    last=-1
    i=0
    while [ $i -lt 30 ]; do
        cur=$(pane_bytes)
        [ "$cur" = "$last" ] && return 0
        last=$cur
        sleep 0.3
        i=$((i + 3))
    done
}
ctx_switches() {
    awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {n += $2} END {print n + 0}' "/proc/$1/status"
}

bench_tmux() {
    if ! command -v tmux >/dev/null 2>&1; then
        for n in idle_wakeups_per_s bytes_cursor_move bytes_filter_key; do
            echo "console.$n n/a tmux not installed"
        done
        return 0
    fi
    sim_start --fleet 50 || { echo "console.idle_wakeups_per_s n/a emulator did not start"; return 1; }
    T="tmux -L $TMUX_SOCK"
    : >"$TMP/pane.out"
    $T -f /dev/null new-session -d -s bench -x 120 -y 40 \
        "env TERM=xterm-256color XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_CACHE_HOME='$XDG_CACHE_HOME' XDG_DATA_HOME='$XDG_DATA_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' HOME='$HOME' GPUP_TOKEN=x GPUP_SUBSCRIPTION=$SUB '$GPUP_BIN' --endpoint '$URL'; sleep 30" ||
        { echo "console.idle_wakeups_per_s n/a tmux did not start"; sim_stop; return 0; }
    $T pipe-pane -t bench -o "cat >>'$TMP/pane.out'"
    pid=
    i=0
    while [ $i -lt 50 ] && [ -z "$pid" ]; do
        ppid=$($T display-message -p -t bench '#{pane_pid}' 2>/dev/null)
        # the pane runs sh -c "gpup ...; sleep": the console is its child
        pid=$(pgrep -P "$ppid" -x gpup 2>/dev/null | head -1)
        [ -z "$pid" ] && [ "$(cat "/proc/$ppid/comm" 2>/dev/null)" = gpup ] && pid=$ppid
        [ -z "$pid" ] && sleep 0.1
        i=$((i + 1))
    done
    if [ -z "$pid" ]; then
        echo "console.idle_wakeups_per_s n/a console not running in tmux: $($T capture-pane -p -t bench | head -5 | tr '\n' ' ')"
        $T kill-server 2>/dev/null
        sim_stop
        return 0
    fi
    # loaded: the list shows its rows (the status line reads "N VMs" or the rows are there)
    i=0
    while [ $i -lt 100 ] && ! $T capture-pane -p -t bench | grep -q '^.dev-01 '; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ $i -ge 100 ]; then
        echo "console.loaded n/a the list did not show dev-01 within 10 s: $($T capture-pane -p -t bench | grep -v "^ *$" | head -5 | tr "\n" " ")"
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
            "$URL/subscriptions/$SUB/providers/Microsoft.HybridCompute/machines?api-version=2024-07-10")
        echo "console.loaded_sim_check HTTP $code from the emulator's machines list" >&2
    fi
    sleep 0.5
    settle
    # 5. wake-ups while idle over 3 s
    c0=$(ctx_switches "$pid")
    sleep 3
    c1=$(ctx_switches "$pid")
    if [ -d "/proc/$pid" ]; then
        echo "console.idle_wakeups_per_s $(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", (b - a) / 3}') /s (target 0)"
    else
        echo "console.idle_wakeups_per_s n/a the console exited: $($T capture-pane -p -t bench | head -5 | tr '\n' ' ')"
    fi
    # 6. bytes for one cursor move and one filter keystroke
    b0=$(pane_bytes)
    $T send-keys -t bench Down
    sleep 0.3
    settle
    b1=$(pane_bytes)
    echo "console.bytes_cursor_move $((b1 - b0)) bytes"
    $T send-keys -t bench /
    sleep 0.3
    settle
    b2=$(pane_bytes)
    echo "console.bytes_filter_open $((b2 - b1)) bytes"
    # "inf": each key narrows the list (50 VMs, then the 8 infer-* ones)
    prev=$b2
    for ch in i n f; do
        $T send-keys -t bench -l "$ch"
        sleep 0.3
        settle
        cur=$(pane_bytes)
        echo "console.bytes_filter_key_$ch $((cur - prev)) bytes"
        prev=$cur
    done
    echo "console.bytes_filter_key $(awk -v a="$b2" -v b="$prev" 'BEGIN {printf "%.0f", (b - a) / 3}') bytes (mean of 3 keys)"
    $T capture-pane -p -t bench >"$TMP/pane.txt"
    [ -n "$BENCH_DEBUG" ] && cat "$TMP/pane.txt" >&2
    rows=$(grep -c "^.infer-" "$TMP/pane.txt")
    echo "console.filter_rows_shown $rows rows (want 8 infer-* rows)"
    $T send-keys -t bench Escape
    sleep 0.2
    $T send-keys -t bench q
    sleep 0.2
    $T kill-server 2>/dev/null
    sim_stop
}

# BENCH_ONLY=list|attach|first_paint|tmux runs one of them (while working on it).
want() { [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$1" ]; }
for b in list attach first_paint tmux; do
    if want $b; then
        fresh_home $b || exit 1
        bench_$b || status=1
    fi
done
exit $status
