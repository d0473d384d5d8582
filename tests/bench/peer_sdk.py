# SPDX-License-Identifier: MIT
# tests/bench/peer_sdk.py: the peer gpup is measured against (product.md section 7): the
# official Azure SDK for Python (azure-mgmt-core's pipeline, ARMPolling and paging) doing the
# same work as `gpup vm list -o json` and `gpup vm gpu attach`, against the same gpup-sim.
#
#   peer_sdk.py list ENDPOINT SUBSCRIPTION            -> prints the JSON array of VM instances
#   peer_sdk.py cycle ENDPOINT VMI_PATH               -> stop, PATCH GpuP, start, each polled
#
# Timed from outside, per process, as an operator would run it.
import json
import sys

from azure.core.configuration import Configuration
from azure.core.paging import ItemPaged
from azure.core.pipeline.policies import (HeadersPolicy, NetworkTraceLoggingPolicy, RequestIdPolicy,
                                          ProxyPolicy, RetryPolicy, UserAgentPolicy)
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.polling.arm_polling import ARMPolling

GRAPH = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
QUERY = "resources | where type =~ 'microsoft.azurestackhci/virtualmachineinstances'"
VMI_API = "2025-09-01-preview"


def client(endpoint):
    # No credential policy: the SDK refuses bearer tokens over plain http, and the emulator on
    # loopback accepts any caller by default. Everything else is the SDK's standard pipeline.
    policies = [RequestIdPolicy(), HeadersPolicy({"Authorization": "Bearer bench"}),
                UserAgentPolicy("peer-bench"),
                ProxyPolicy(), RetryPolicy(), NetworkTraceLoggingPolicy()]
    return ARMPipelineClient(base_url=endpoint, policies=policies)


def list_vms(endpoint, subscription):
    c = client(endpoint)

    def get_next(token):
        options = {"$top": 1000}
        if token:
            options["$skipToken"] = token
        req = HttpRequest("POST", endpoint + GRAPH,
                          json={"subscriptions": [subscription], "query": QUERY,
                                "options": options})
        resp = c.send_request(req)
        resp.raise_for_status()
        return resp

    def extract(resp):
        body = resp.json()
        return body.get("$skipToken") or None, iter(body.get("data", []))

    vms = list(ItemPaged(get_next, extract))
    json.dump(vms, sys.stdout)
    sys.stdout.write("\n")


def lro(c, method, url, body=None):
    req = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
    initial = c._pipeline.run(req, stream=False)  # what generated SDK operations call
    if initial.http_response.status_code >= 400:
        initial.http_response.raise_for_status()
    poller = LROPoller(c, initial, lambda r: None, ARMPolling(timeout=0))
    poller.result()
    if poller.status().lower() != "succeeded":
        raise SystemExit("operation ended " + poller.status())


def cycle(endpoint, vmi_path):
    c = client(endpoint)
    base = endpoint + vmi_path
    q = "?api-version=" + VMI_API
    lro(c, "POST", base + "/stop" + q)
    lro(c, "PATCH", base + q,
        {"properties": {"hardwareProfile": {"virtualMachineGPUs": [{"assignmentType": "GpuP"}]}}})
    lro(c, "POST", base + "/start" + q)
    vm = c.send_request(HttpRequest("GET", base + q)).json()
    state = vm["properties"]["status"]["powerState"]
    gpus = vm["properties"]["hardwareProfile"].get("virtualMachineGPUs", [])
    if state != "Running" or not gpus:
        raise SystemExit("unexpected end state: %s %s" % (state, gpus))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("list", "cycle"):
        sys.stderr.write(__doc__ or "usage: peer_sdk.py list|cycle ENDPOINT ARG\n")
        return 2
    if sys.argv[1] == "list":
        list_vms(sys.argv[2].rstrip("/"), sys.argv[3])
    else:
        cycle(sys.argv[2].rstrip("/"), sys.argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
