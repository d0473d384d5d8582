#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/e2e/test_secrets.sh: no secret leaks (issue 6 part 4). Plants a sentinel bearer token
# (GPUP_TOKEN=sentinel-<random>, required by the emulator), a client secret in a 0600 file and in
# GPUP_CLIENT_SECRET, and a token file; runs gpup commands against gpup-sim (list, show, GPU
# attach --dry-run and for real, detach, a wrong token, a service principal that cannot sign in,
# config show, ops list, --verbose, a secret on argv that must be refused), then greps every
# artefact (stdout, stderr, the journal, every file created under the temporary HOME and XDG
# dirs, the emulator's request log) for each secret; checks the modes of what gpup wrote
# (files 0600, dirs 0700) and that no gpup process ever had a secret in its argv.
# Run by tests/run.sh (make check); ends with "N passed, M failed".
set -u

GPUP_BIN=${GPUP_BIN:-build/gpup}
GPUP_SIM=${GPUP_SIM:-build/gpup-sim}
SUB=00000000-0000-0000-0000-000000000000
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else bad "$2"; fi; }

rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
TOK="sentinel-$(rnd)"
CSECRET="clientsecret-$(rnd)"
ENVSECRET="envsecret-$(rnd)"
WRONG="wrongtoken-$(rnd)"
ARGV="argvsecret-$(rnd)"

T=$(mktemp -d /tmp/gpup-secrets.XXXXXX) || exit 1
sim_pid=
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$T"' EXIT
umask 022 # what a careless shell has: gpup must set its own modes
mkdir -p "$T/secrets" "$T/home/.config/gpup" "$T/state" "$T/cache" "$T/out"
printf '%s\n' "$CSECRET" >"$T/secrets/sp.secret"
printf '%s\n' "$TOK" >"$T/secrets/sim.token"
chmod 600 "$T/secrets/sp.secret" "$T/secrets/sim.token"

"$GPUP_SIM" --listen 127.0.0.1:0 --fleet 40 --hosts 8 --seed 7 --op-ms 300 --retry-after-ms 50 \
    --token "$TOK" --log "$T/sim.log" --quiet >"$T/sim.out" 2>&1 &
sim_pid=$!
port=
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$T/sim.out" \
        2>/dev/null)
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    cat "$T/sim.out"
    echo "0 passed, 1 failed"
    exit 1
fi
EP="http://127.0.0.1:$port"

cat >"$T/home/.config/gpup/config" <<EOF
profile = "sim";
profiles = {
  sim = {
    endpoint = "$EP";
    subscription = "$SUB";
    auth = "token-file";
    token_file = "$T/secrets/sim.token";
  };
  sp = {
    endpoint = "$EP";
    authority = "$EP";
    tenant = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    subscription = "$SUB";
    auth = "service-principal";
    client_id = "aaaaaaaa-bbbb-cccc-dddd-000000000002";
    client_secret_file = "$T/secrets/sp.secret";
  };
};
EOF

export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_STATE_HOME="$T/state"
export XDG_CACHE_HOME="$T/cache" NO_COLOR=1
export GPUP_ENDPOINT="$EP" GPUP_SUBSCRIPTION=$SUB GPUP_TOKEN="$TOK"
unset GPUP_CONFIG GPUP_PROFILE GPUP_CLIENT_SECRET AZURE_CLIENT_SECRET

# run NAME EXPECTED-STATUS ARGS...: gpup in the background; while it runs its argv is read
# from /proc and ps (no secret may be there); its stdout and stderr go to out/NAME.*.
: >"$T/argv"
run() {
    name=$1 want=$2
    shift 2
    "$GPUP_BIN" "$@" </dev/null >"$T/out/$name.out" 2>"$T/out/$name.err" &
    p=$!
    while kill -0 "$p" 2>/dev/null; do
        tr '\0' ' ' <"/proc/$p/cmdline" >>"$T/argv" 2>/dev/null
        echo >>"$T/argv"
        ps -o args= -p "$p" >>"$T/argv" 2>/dev/null
        sleep 0.02
    done
    wait "$p"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name exits $want"; else
        bad "$name exits $rc, want $want"
        sed 's/^/  # /' "$T/out/$name.err" | head -n 5
    fi
}

vm=$(GPUP_BIN=$GPUP_BIN "$GPUP_BIN" vm list -g ml-rg -o tsv 2>/dev/null | awk -F'\t' '$3 == "Running" && $7 == "" {print $1; exit}')
[ -n "$vm" ] || vm=$("$GPUP_BIN" vm list -g ml-rg -o tsv 2>/dev/null | awk -F'\t' '$7 == "" {print $1; exit}')
[ -n "$vm" ] && ok "found a VM without GPU in ml-rg ($vm)" || bad "no VM without GPU in ml-rg"

run list 0 vm list -o json
run list-table 0 vm list -o table
run list-tsv-verbose 0 vm list -o tsv --verbose
run show 0 vm show -n "$vm" -g ml-rg -o json
run show-verbose 0 vm show -n "$vm" -g ml-rg -o table -v
run attach-dry 0 vm gpu attach --vm-name "$vm" -g ml-rg --gpus GpuP --dry-run
run attach-dry-json 0 vm gpu attach --vm-name "$vm" -g ml-rg --gpus GpuP --dry-run -o json -v
run attach 0 vm gpu attach --vm-name "$vm" -g ml-rg --gpus GpuP --yes -o json --verbose
run detach 0 vm gpu detach --vm-name "$vm" -g ml-rg --yes -o table
run host-gpus 0 host gpu list -o json
run ops-list 0 ops list
run ops-list-json 0 ops list -o json
run config-show 0 config show
GPUP_CLIENT_SECRET="$ENVSECRET" AZURE_CLIENT_SECRET="$ENVSECRET" \
    run config-show-env 0 config show --verbose
run config-show-sp 0 config show --profile sp
run config-check 0 config check
# The configuration's token file instead of the environment.
GPUP_TOKEN= run profile-token-file 0 vm list -o json --profile sim
# A wrong token: the emulator answers 401; gpup says so (exit 4) without echoing either token.
GPUP_TOKEN="$WRONG" run wrong-token 4 vm list -o json
GPUP_TOKEN="$WRONG" run wrong-token-verbose 4 vm show -n "$vm" -g ml-rg --verbose
GPUP_TOKEN="$WRONG" run wrong-token-attach 4 vm gpu attach --vm-name "$vm" -g ml-rg --gpus GpuP \
    --yes -v
# A service principal whose sign-in fails (the emulator has no token endpoint).
GPUP_TOKEN= run sp-login-fails-verbose 4 vm list --profile sp -v
# A secret on argv is refused by name (exit 2) and never echoed.
run argv-token 2 vm list "--token=$ARGV"
run argv-client-secret 2 login --service-principal --client-secret "$ARGV"
run argv-password 2 vm create -n x -g ml-rg --password "$ARGV"

# --- no secret in any artefact ---------------------------------------------------------------
for s in "$TOK" "$CSECRET" "$ENVSECRET" "$WRONG"; do
    hits=$(find "$T" -path "$T/secrets" -prune -o -type f ! -name argv ! -name sim.out \
        -exec grep -lF -- "$s" {} + 2>/dev/null)
    if [ -z "$hits" ]; then ok "secret ${s%%-*} in no artefact"; else
        bad "secret ${s%%-*} found in: $(echo "$hits" | sed "s#$T/##g" | tr '\n' ' ')"
    fi
done
hits=$(grep -rlF -- "$ARGV" "$T/out" "$T/state" "$T/cache" "$T/home" 2>/dev/null)
[ -z "$hits" ] && ok "a secret given on argv is not echoed" || bad "argv secret echoed: $hits"
n=$(find "$T" -path "$T/secrets" -prune -o -type f -print | wc -l)
[ "$n" -gt 30 ] && ok "grepped $n artefacts" || bad "only $n artefacts"
[ -s "$T/sim.log" ] && ok "the emulator logged the requests" || bad "empty emulator log"
grep -q '"status":401' "$T/sim.log" && ok "the wrong token reached the emulator (401)" ||
    bad "no 401 in the emulator log"

# --- argv of every gpup process ----------------------------------------------------------------
lines=$(grep -c . "$T/argv")
[ "$lines" -gt 0 ] && ok "sampled gpup argv $lines times" || bad "never sampled a gpup argv"
for s in "$TOK" "$CSECRET" "$ENVSECRET" "$WRONG"; do
    grep -qF -- "$s" "$T/argv" && bad "secret ${s%%-*} in a gpup argv" ||
        ok "secret ${s%%-*} in no gpup argv"
done

# --- modes of what gpup wrote -------------------------------------------------------------------
j="$XDG_STATE_HOME/gpup/journal.jsonl"
if [ -f "$j" ]; then
    m=$(stat -c %a "$j")
    [ "$m" = 600 ] && ok "journal mode 0600" || bad "journal mode $m"
    grep -q '"rec":"op-end"' "$j" && ok "the journal recorded the attach" ||
        bad "no op-end in the journal"
else
    bad "no journal at $j"
fi
loose=$(find "$T/state" "$T/cache" "$T/home" -path "$T/home/.config/gpup/config" -prune -o \
    \( -type f ! -perm 600 -print \) -o \( -type d -newer "$T/secrets/sp.secret" \
    ! -perm 700 ! -path "$T/state" ! -path "$T/cache" ! -path "$T/home" ! -path "$T/home/.config" \
    ! -path "$T/home/.config/gpup" -print \) 2>/dev/null)
[ -z "$loose" ] && ok "every file gpup wrote is 0600, every dir 0700" ||
    bad "loose modes: $(for f in $loose; do printf '%s %s; ' "$(stat -c %a "$f")" "${f#$T/}"; done)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
