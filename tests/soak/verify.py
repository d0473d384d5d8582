# SPDX-License-Identifier: MIT
# tests/soak/verify.py: the checks after a fault soak (tests/soak/soak.sh DIR ENDPOINT TOKEN SUB).
# Invariants, each violation printed and counted:
#  1. state: for every VM an operation of the journal touched, the operation whose record came
#     last decides: "done" -> the VM's real GPU types equal the operation's desired list and its
#     real power state equals the power the last step-end recorded; "failed" -> the real GPU
#     types are the ones before or the desired ones; "unfinished" -> the operation must be
#     listed by the final `gpup ops list` (reported as unfinished, not lost).
#  2. applied at most once: per VM, the 2xx answers the emulator logged for mutating requests
#     (PATCH of the VM instance, POST stop/start) are no more than the step-begin records of
#     the journal for steps of that kind on that VM (every attempt of a step, resume included,
#     writes its step-begin first; a resumed step that finds the VM done sends nothing).
#  3. pool: the hosts' GPU inventory lists exactly one partition per VM holding a GPU-P
#     partition (same names), and per GPU assigned + available = total partitions.
#  4. memory: the emulator's RSS after the warm-up third grows by at most 50% + 4 MiB; the peak
#     RSS of a gpup run in the last third is at most 50% + 4 MiB over the first third's.
#  5. no gpup run ended by a signal it was not sent (crash), no unparsable journal line.
import json
import os
import sys
import time
import urllib.error
import urllib.request

VM_API = "2025-09-01-preview"
INV_API = "2026-03-15-preview"

d, endpoint, token, sub = sys.argv[1:5]
violations = []


def violate(msg):
    violations.append(msg)
    print("VIOLATION: " + msg)


def get(path, tries=40):
    """GET with retries over the injected faults; returns (status, json or None)."""
    last = None
    for _ in range(tries):
        req = urllib.request.Request(endpoint + path,
                                     headers={"Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            last = e.code
            if e.code == 404:
                return 404, None
        except Exception as e:  # reset, timeout
            last = str(e)
        time.sleep(0.05)
    raise SystemExit("verify: GET %s kept failing (%s)" % (path, last))


def vm_path(vm_id):
    return vm_id.split("?")[0] + "?api-version=" + VM_API


def gpu_types(vm):
    gl = ((vm.get("properties") or {}).get("hardwareProfile") or {}).get("virtualMachineGPUs")
    return sorted(g.get("assignmentType", "?") for g in (gl or []))


def power(vm):
    return ((vm.get("properties") or {}).get("status") or {}).get("powerState", "?")


# --- the journal ---------------------------------------------------------------------------
ops = {}     # id -> dict
seq = 0
bad_lines = 0
with open(os.path.join(d, "state", "gpup", "journal.jsonl"), encoding="utf-8") as f:
    for line in f:
        seq += 1
        try:
            r = json.loads(line)
        except ValueError:
            bad_lines += 1  # a torn last line of a killed writer is tolerated, counted
            continue
        oid = r.get("op")
        if r.get("rec") == "op-begin":
            ops[oid] = {"id": oid, "vm_id": r["vm_id"].lower(), "raw": r["vm_id"], "vm": r["vm_name"],
                        "desired": sorted(g["type"] for g in r.get("desired", [])),
                        "before": sorted(g["type"] for g in r["before"].get("gpus", [])),
                        "steps": r["steps"], "begins": [0] * len(r["steps"]),
                        "state": "unfinished", "power": None, "last": seq}
            continue
        op = ops.get(oid)
        if op is None:
            continue
        op["last"] = seq
        if r["rec"] == "step-begin":
            op["begins"][r["step"]] += 1
        elif r["rec"] == "step-end":
            if "power" in r:
                op["power"] = r["power"]
        elif r["rec"] == "op-end":
            op["state"] = r.get("outcome", "?")

final_unfinished = set()
try:
    with open(os.path.join(d, "ops-final.json"), encoding="utf-8") as f:
        final_unfinished = {o["id"] for o in json.load(f) if o.get("state") == "unfinished"}
except (OSError, ValueError) as e:
    violate("final `gpup ops list -o json` unreadable: %s" % e)

# --- 1. real state vs the last journal record ----------------------------------------------
last_op = {}
for op in ops.values():
    cur = last_op.get(op["vm_id"])
    if cur is None or op["last"] > cur["last"]:
        last_op[op["vm_id"]] = op
states = {}
stuck = 0
for vm_id, op in sorted(last_op.items()):
    st, vm = get(vm_path(op["raw"]))
    if st != 200:
        violate("%s: GET answered %s" % (op["vm"], st))
        continue
    real_g, real_p = gpu_types(vm), power(vm)
    states[op["state"]] = states.get(op["state"], 0) + 1
    if real_p == "Stopping":
        stuck += 1
    if op["state"] == "done":
        if real_g != op["desired"]:
            violate("%s: op %s done with GPUs %s but the VM has %s"
                    % (op["vm"], op["id"], op["desired"], real_g))
        if op["power"] and real_p != op["power"]:
            violate("%s: op %s done with power %s but the VM is %s"
                    % (op["vm"], op["id"], op["power"], real_p))
    elif op["state"] == "failed":
        if real_g not in (op["before"], op["desired"]):
            violate("%s: op %s failed; GPUs %s are neither before %s nor desired %s"
                    % (op["vm"], op["id"], real_g, op["before"], op["desired"]))
    elif op["state"] == "unfinished":
        if op["id"] not in final_unfinished:
            violate("%s: op %s unfinished in the journal but not listed by gpup ops list"
                    % (op["vm"], op["id"]))
    elif op["state"] != "abandoned":
        violate("%s: op %s in unknown state %s" % (op["vm"], op["id"], op["state"]))

# --- 2. nothing applied twice --------------------------------------------------------------
allowed = {}   # (vm_id, kind) -> step-begins
for op in ops.values():
    for i, s in enumerate(op["steps"]):
        k = (op["vm_id"], s["kind"])
        allowed[k] = allowed.get(k, 0) + op["begins"][i]
applied = {}
statuses = {}
slow = 0
reqs = 0
with open(os.path.join(d, "sim.log"), encoding="utf-8") as f:
    for line in f:
        try:
            r = json.loads(line)
        except ValueError:
            violate("sim log line unparsable: %r" % line[:80])
            continue
        reqs += 1
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        if r.get("ms", 0) >= 290:
            slow += 1
        if not 200 <= r["status"] < 300:
            continue
        p = r["path"].split("?")[0].lower()
        if r["method"] == "PATCH" and p.endswith("/virtualmachineinstances/default"):
            k = (p, "patch-gpus")
        elif r["method"] == "POST" and p.endswith("/default/stop"):
            k = (p[:-len("/stop")], "stop")
        elif r["method"] == "POST" and p.endswith("/default/start"):
            k = (p[:-len("/start")], "start")
        else:
            continue
        applied[k] = applied.get(k, 0) + 1
twice = 0
for k, n in sorted(applied.items()):
    if n > allowed.get(k, 0):
        twice += 1
        violate("%s %s: %d accepted requests for %d journaled step attempts"
                % (k[0].split("/machines/")[1].split("/")[0], k[1], n, allowed.get(k, 0)))

# --- 3. the partition pool -------------------------------------------------------------------
hosts = set()
vm_ids = {k: op["raw"] for k, op in last_op.items()}
with open(os.path.join(d, "vms.txt"), encoding="utf-8") as f:
    for line in f:
        name, rg = line.rstrip("\n").split("\t")[:2]
        raw = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/"
               "machines/%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
               "default" % (sub, rg, name))
        vm_ids.setdefault(raw.lower(), raw)
with open(os.path.join(d, "sim.log"), encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        p = r["path"].split("?")[0]
        if p.endswith("/gpus") and "/edgeMachines/" in p:
            hosts.add(p)
        pl = p.lower()
        if "/virtualmachineinstances/default" in pl and "/machines/" in pl:
            tail = "/virtualmachineinstances/default"
            n = pl.index(tail) + len(tail)
            vm_ids.setdefault(pl[:n], p[:n])
gpup_vms = set()
for vm_id in sorted(vm_ids):
    st, vm = get(vm_path(vm_ids[vm_id]))
    if st == 200 and "GpuP" in gpu_types(vm):
        gpup_vms.add(vm_id.split("/machines/")[1].split("/")[0])
inv_names = []
for h in sorted(hosts):
    st, inv = get(h + "?api-version=" + INV_API)
    for g in (inv or {}).get("value", []):
        pd = (g.get("properties") or {}).get("partitionDetails")
        if not pd:
            continue
        tot, av, asg = (int(pd.get(x, "0")) for x in
                        ("totalPartitions", "availablePartitions", "assignedPartitions"))
        if av + asg != tot:
            violate("%s %s: %d available + %d assigned != %d partitions"
                    % (h.split("/edgeMachines/")[1], g.get("name"), av, asg, tot))
        for part in pd.get("partitions", []):
            w = part.get("workloadDetail")
            if w and w.get("workloadName"):
                inv_names.append(w["workloadName"].lower())
seen_vms = {v for v in gpup_vms}
if len(inv_names) != len(set(inv_names)):
    violate("a VM holds two partitions in the inventory")
if len(hosts) == 0:
    violate("no host inventory was read (gpup never listed the hosts' GPUs)")
inv_set = set(inv_names)
if hosts and inv_set != seen_vms:
    violate("pool: inventory holders and VMs with GpuP differ: only inventory %s, only VMs %s"
            % (sorted(inv_set - seen_vms)[:10], sorted(seen_vms - inv_set)[:10]))

# --- 4. memory ---------------------------------------------------------------------------------
sim_rss, gp_rss = [], []
with open(os.path.join(d, "rss"), encoding="utf-8") as f:
    for line in f:
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            (sim_rss if parts[1] == "sim" else gp_rss).append((int(parts[0]), int(parts[2])))
mem = "no samples"
if len(sim_rss) >= 6:
    t0, t1 = sim_rss[0][0], sim_rss[-1][0]
    third = (t1 - t0) / 3
    warm = [r for t, r in sim_rss if t >= t0 + third]
    base, peak = warm[0], max(warm)
    mem = "sim RSS %d KiB after warm-up, %d KiB peak, %d KiB at the end" % (
        base, peak, sim_rss[-1][1])
    if peak > base * 1.5 + 4096:
        violate("sim RSS grew from %d to %d KiB" % (base, peak))
    early = [r for t, r in gp_rss if t < t0 + third]
    late = [r for t, r in gp_rss if t >= t1 - third]
    if early and late:
        mem += "; gpup peak RSS %d KiB early, %d KiB late" % (max(early), max(late))
        if max(late) > max(early) * 1.5 + 4096:
            violate("gpup peak RSS grew from %d to %d KiB" % (max(early), max(late)))

# --- 5. runs -----------------------------------------------------------------------------------
runs = rcs = 0
rc_count = {}
cycles = 0
for w in sorted(os.listdir(os.path.join(d, "w"))):
    wd = os.path.join(d, "w", w)
    if os.path.exists(os.path.join(wd, "cycles")):
        cycles += sum(1 for _ in open(os.path.join(wd, "cycles")))
    for line in open(os.path.join(wd, "runs"), encoding="utf-8"):
        rc = int(line.split()[0])
        runs += 1
        rc_count[rc] = rc_count.get(rc, 0) + 1
        if rc > 128 and rc not in (137, 143):
            violate("gpup ended by signal %d: %s" % (rc - 128, line.strip()))
        if rc not in (0, 1, 2, 3, 4, 5, 130, 137, 143):
            violate("gpup exit status %d: %s" % (rc, line.strip()))
kills = sum(1 for _ in open(os.path.join(d, "kills")))
resumes = 0
for w in os.listdir(os.path.join(d, "w")):
    for line in open(os.path.join(d, "w", w, "recover"), encoding="utf-8"):
        if line.startswith("resume "):
            resumes += 1

faults = {k: v for k, v in statuses.items() if k in (0, 429, 500, 502, 503, 504)}
opfail = sum(1 for op in ops.values() if op["state"] == "failed")
print("soak: %d cycles (%d gpup runs; exit statuses %s)" % (
    cycles, runs, ", ".join("%d:%d" % kv for kv in sorted(rc_count.items()))))
print("soak: %d requests; faults injected: %d x 429, %d x 503, %d resets, %d slow answers; "
      "%d operations failed (opfail or rules), %d VMs stuck Stopping" % (
          reqs, faults.get(429, 0), faults.get(503, 0), faults.get(0, 0), slow, opfail, stuck))
print("soak: %d kills survived, %d resumes run, %d operations journaled (%s), "
      "%d still unfinished, %d torn journal lines" % (
          kills, resumes, len(ops),
          ", ".join("%s %d" % kv for kv in sorted(states.items())), len(final_unfinished),
          bad_lines))
print("soak: pool: %d VMs hold a GPU-P partition, %d inventory partitions in use, %d hosts"
      % (len(seen_vms), len(inv_names), len(hosts)))
print("soak: memory: " + mem)
print("soak: %d violations" % len(violations))
sys.exit(1 if violations else 0)
