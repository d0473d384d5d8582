#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/soak/soak.sh: fault soak of gpup against gpup-sim (issue 6 part 2). For SOAK_SECONDS it
# runs SOAK_WORKERS concurrent loops of `gpup vm gpu detach` + `gpup vm gpu attach --gpus GpuP`
# over a fleet of SOAK_FLEET VMs on an emulator that injects 429, 503, connection resets, slow
# answers, failed operations and stuck stops, while a killer SIGKILLs random gpup processes at
# random moments; after each kill the worker runs `gpup ops list` and `gpup ops resume ID`.
# Every worker shares one journal (XDG_STATE_HOME): the journal and the per-VM lock are made
# for that. Afterwards tests/soak/verify.py checks the journal against the emulator's real
# state and its request log (see that file for the exact invariants) and the memory samples.
# Environment: GPUP_BIN, GPUP_SIM, PYTHON (as make passes them), SOAK_SECONDS (120),
# SOAK_WORKERS (6), SOAK_FLEET (120), SOAK_SEED (random), SOAK_FAULTS, SOAK_DIR (a temp dir;
# kept on failure). Exit status: 0 with no violation, 1 otherwise.
set -u

GPUP_BIN=${GPUP_BIN:-build/gpup}
GPUP_SIM=${GPUP_SIM:-build/gpup-sim}
PYTHON=${PYTHON:-python3}
SECONDS_TOTAL=${SOAK_SECONDS:-120}
WORKERS=${SOAK_WORKERS:-6}
FLEET=${SOAK_FLEET:-120}
SEED=${SOAK_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
FAULTS=${SOAK_FAULTS:-429:p=0.05:retry=1,503:p=0.03,reset:p=0.02,slow:ms=300:p=0.05,opfail:p=0.05,stuckstop:p=0.004}
# A gpup run that outlives this is ended (a stuck stop never completes): SIGTERM, then KILL.
RUN_TIMEOUT=${SOAK_RUN_TIMEOUT:-20}
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
SUB=00000000-0000-0000-0000-000000000000

dir=${SOAK_DIR:-$(mktemp -d /tmp/gpup-soak.XXXXXX)}
mkdir -p "$dir/state" "$dir/home" "$dir/w"
chmod 700 "$dir"
echo "soak: ${SECONDS_TOTAL}s, $WORKERS workers, $FLEET VMs, seed $SEED, dir $dir"
echo "soak: faults $FAULTS"

sim_pid=
killer_pid=
sampler_pid=
worker_pids=
cleanup() {
    for p in $worker_pids $killer_pid $sampler_pid; do kill "$p" 2>/dev/null; done
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

: >"$dir/sim.out" # there before the poll below reads it
"$GPUP_SIM" --listen 127.0.0.1:0 --fleet "$FLEET" --hosts 8 --seed "$SEED" --op-ms 40 \
    --retry-after-ms 20 --log "$dir/sim.log" --faults "$FAULTS" --quiet >"$dir/sim.out" 2>&1 &
sim_pid=$!
port=
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$dir/sim.out")
    [ -n "$port" ] && break
    sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "soak: gpup-sim did not start:" >&2
    cat "$dir/sim.out" >&2
    exit 1
fi

export GPUP_ENDPOINT="http://127.0.0.1:$port" GPUP_TOKEN="soak-token" GPUP_SUBSCRIPTION=$SUB
export XDG_STATE_HOME="$dir/state" XDG_CONFIG_HOME="$dir/home/.config" HOME="$dir/home"
export NO_COLOR=1
unset GPUP_CONFIG GPUP_PROFILE

# The fleet: name and resource group of every VM (retried: the emulator injects faults).
i=0
while [ $i -lt 20 ]; do
    "$GPUP_BIN" vm list -o tsv >"$dir/fleet.tsv" 2>"$dir/fleet.err" && break
    i=$((i + 1))
done
cut -f1,2 "$dir/fleet.tsv" >"$dir/vms.txt"
nvms=$(wc -l <"$dir/vms.txt")
if [ "$nvms" -lt 100 ]; then
    echo "soak: expected 100+ VMs, got $nvms" >&2
    cat "$dir/fleet.err" >&2
    exit 1
fi

now() { date +%s; }
end=$(($(now) + SECONDS_TOTAL))

# run_gpup WORKDIR ARGS...: runs gpup in the background (so the killer can find its pid in
# WORKDIR/pid), bounded by RUN_TIMEOUT; appends "rc args" to WORKDIR/runs.
run_gpup() {
    wd=$1
    shift
    "$GPUP_BIN" "$@" </dev/null >>"$wd/out" 2>>"$wd/err" &
    gp=$!
    echo "$gp" >"$wd/pid"
    (sleep "$RUN_TIMEOUT" && kill -TERM "$gp" 2>/dev/null && sleep 2 && kill -KILL "$gp" \
        2>/dev/null) >/dev/null 2>&1 &
    tp=$!
    wait "$gp"
    rc=$?
    : >"$wd/pid"
    kill "$tp" 2>/dev/null
    wait "$tp" 2>/dev/null
    echo "$rc $*" >>"$wd/runs"
    return $rc
}

# After a gpup was killed: list the unfinished operations and resume them (best effort; another
# worker may hold a VM's lock, and the emulator keeps injecting faults).
recover() {
    wd=$1
    "$GPUP_BIN" ops list -o json </dev/null >"$wd/ops.json" 2>>"$wd/err"
    echo "ops-list $?" >>"$wd/recover"
    ids=$("$PYTHON" -c 'import json,sys
try:
    ops = json.load(open(sys.argv[1]))
except Exception:
    ops = []
print(" ".join(o["id"] for o in ops if o.get("state") == "unfinished"))' "$wd/ops.json")
    for id in $ids; do
        run_gpup "$wd" ops resume "$id" --yes -o json
        echo "resume $id $?" >>"$wd/recover"
    done
}

worker() {
    wd="$dir/w/$1"
    mkdir -p "$wd"
    : >"$wd/runs"
    : >"$wd/recover"
    : >"$wd/pid"
    n=0
    while [ "$(now)" -lt "$end" ]; do
        line=$(shuf -n 1 "$dir/vms.txt")
        vm=${line%%	*}
        rg=${line#*	}
        killed=0
        run_gpup "$wd" vm gpu detach --vm-name "$vm" -g "$rg" --yes -o json
        [ $? -eq 137 ] && killed=1
        run_gpup "$wd" vm gpu attach --vm-name "$vm" -g "$rg" --gpus GpuP --yes -o json
        [ $? -eq 137 ] && killed=1
        echo "$vm" >>"$wd/cycles"
        [ $killed -eq 1 ] && recover "$wd"
        n=$((n + 1))
    done
}

# The killer: every 0.2-1.5 s, SIGKILL the gpup a random worker is running right now.
killer() {
    : >"$dir/kills"
    while [ "$(now)" -lt "$end" ]; do
        sleep "0.$(shuf -i 2-9 -n 1)"
        [ "$(shuf -i 0-2 -n 1)" -eq 0 ] && sleep 1
        w=$(shuf -i 1-"$WORKERS" -n 1)
        p=$(cat "$dir/w/$w/pid" 2>/dev/null)
        [ -n "$p" ] || continue
        # Only a gpup this soak started: the pid is still ours and still gpup.
        case "$(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ')" in
        "$GPUP_BIN "*) kill -KILL "$p" 2>/dev/null && echo "$p" >>"$dir/kills" ;;
        *) ;;
        esac
    done
}

# The sampler: RSS of the emulator and of the running gpup processes every second.
sampler() {
    : >"$dir/rss"
    while kill -0 "$sim_pid" 2>/dev/null; do
        t=$(now)
        r=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$sim_pid/status" 2>/dev/null)
        echo "$t sim $r" >>"$dir/rss"
        for f in "$dir"/w/*/pid; do
            p=$(cat "$f" 2>/dev/null)
            [ -n "$p" ] || continue
            r=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$p/status" 2>/dev/null)
            [ -n "$r" ] && echo "$t gpup $r" >>"$dir/rss"
        done
        sleep 1
    done
}

sampler &
sampler_pid=$!
w=1
while [ $w -le "$WORKERS" ]; do
    worker "$w" 2>>"$dir/shell-$w.err" &
    worker_pids="$worker_pids $!"
    w=$((w + 1))
done
killer &
killer_pid=$!
for p in $worker_pids; do wait "$p"; done
wait "$killer_pid"
killer_pid=
worker_pids=

# Final recovery pass: resume every operation still unfinished (a few rounds: faults go on).
mkdir -p "$dir/w/final"
: >"$dir/w/final/runs"
: >"$dir/w/final/recover"
r=0
while [ $r -lt 4 ]; do
    recover "$dir/w/final"
    r=$((r + 1))
done
"$GPUP_BIN" ops list -o json </dev/null >"$dir/ops-final.json" 2>"$dir/ops-final.err"

kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=

"$PYTHON" "$SRCDIR/tests/soak/verify.py" "$dir" "$GPUP_ENDPOINT" "$GPUP_TOKEN" "$SUB"
rc=$?
if [ $rc -eq 0 ] && [ -z "${SOAK_DIR:-}" ] && [ -z "${SOAK_KEEP:-}" ]; then
    rm -rf "$dir"
else
    echo "soak: artefacts kept in $dir"
fi
exit $rc
