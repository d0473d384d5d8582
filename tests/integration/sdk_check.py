#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/integration/sdk_check.py: drives gpup-sim with the official Azure SDK for Python's
# pipeline (azure-mgmt-core ARMPipelineClient), pager (azure.core.paging.ItemPaged) and poller
# (LROPoller + ARMPolling), as generated SDK clients do: list the fleet, then stop -> PATCH the
# GPU list -> start one VM. Proves the emulator passes as ARM to an official client.
# usage: sdk_check.py URL   exit 0 ok, 1 failure, 77 azure-mgmt-core missing (skip)
import sys

try:
    from azure.core.configuration import Configuration
    from azure.core.exceptions import HttpResponseError
    from azure.core.paging import ItemPaged
    from azure.core.pipeline import policies
    from azure.core.polling import LROPoller
    from azure.core.rest import HttpRequest
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.polling.arm_polling import ARMPolling
except ImportError as e:  # pragma: no cover
    print("sdk_check: skipped: %s" % e)
    sys.exit(77)

SUB = "00000000-0000-0000-0000-000000000000"
ARC_API = "2022-12-27"
VMI_API = "2025-09-01-preview"


class Token(policies.SansIOHTTPPolicy):
    """A fixed bearer token (BearerTokenCredentialPolicy refuses plain http)."""

    def on_request(self, request):
        request.http_request.headers["Authorization"] = "Bearer sdk-check"


def client_for(url):
    config = Configuration()
    config.headers_policy = policies.HeadersPolicy()
    config.user_agent_policy = policies.UserAgentPolicy("gpup-sdk-check")
    config.retry_policy = policies.RetryPolicy(retry_total=3, retry_backoff_factor=0.01)
    config.authentication_policy = Token()
    config.logging_policy = policies.NetworkTraceLoggingPolicy()
    config.redirect_policy = policies.RedirectPolicy()
    config.custom_hook_policy = policies.CustomHookPolicy()
    return ARMPipelineClient(base_url=url, config=config)


def run(client, request):
    response = client._pipeline.run(request, stream=False)
    return response


def list_machines(client):
    pages = []

    def get_next(next_link=None):
        url = next_link or client.format_url(
            "/subscriptions/%s/providers/Microsoft.HybridCompute/machines?api-version=%s"
            % (SUB, ARC_API))
        response = run(client, HttpRequest("GET", url))
        if response.http_response.status_code != 200:
            raise HttpResponseError(response=response.http_response)
        pages.append(url)
        return response

    def extract_data(response):
        body = response.http_response.json()
        return body.get("nextLink") or None, iter(body["value"])

    items = list(ItemPaged(get_next, extract_data))
    return items, len(pages)


def lro(client, method, path, body=None):
    url = client.format_url(path + ("&" if "?" in path else "?") + "api-version=" + VMI_API)
    request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
    initial = run(client, request)
    if initial.http_response.status_code not in (200, 201, 202, 204):
        raise HttpResponseError(response=initial.http_response)

    def deserialize(pipeline_response):
        text = pipeline_response.http_response.text()
        return pipeline_response.http_response.json() if text else None

    poller = LROPoller(client, initial, deserialize, ARMPolling(timeout=0))
    return poller.result(timeout=60)


def get_vm(client, vmi):
    response = run(client, HttpRequest("GET", client.format_url(vmi + "?api-version=" + VMI_API)))
    if response.http_response.status_code != 200:
        raise HttpResponseError(response=response.http_response)
    return response.http_response.json()


def main():
    if len(sys.argv) != 2:
        print("usage: sdk_check.py URL", file=sys.stderr)
        return 2
    client = client_for(sys.argv[1])
    machines, pages = list_machines(client)
    vms = [m for m in machines if m.get("kind") == "HCI"]
    if not vms:
        print("sdk_check: no HCI machines listed", file=sys.stderr)
        return 1
    vmi = vms[0]["id"] + "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default"
    vm = get_vm(client, vmi)
    had = vm["properties"]["hardwareProfile"].get("virtualMachineGPUs") or []
    want = [] if had else [{"assignmentType": "GpuP"}]
    lro(client, "POST", vmi + "/stop")
    if get_vm(client, vmi)["properties"]["status"]["powerState"] != "Stopped":
        print("sdk_check: stop did not stop the VM", file=sys.stderr)
        return 1
    patched = lro(client, "PATCH", vmi,
                  {"properties": {"hardwareProfile": {"virtualMachineGPUs": want}}})
    started = lro(client, "POST", vmi + "/start")
    final = get_vm(client, vmi)
    gpus = final["properties"]["hardwareProfile"].get("virtualMachineGPUs") or []
    ok = (final["properties"]["status"]["powerState"] == "Running" and len(gpus) == len(want)
          and patched is not None and started is not None)
    print("sdk_check: listed %d VMs (%d machines) in %d pages; %s gpus=%d %s" % (
        len(vms), len(machines), pages, vms[0]["id"], len(gpus), "ok" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HttpResponseError as e:
        print("sdk_check: %s" % e, file=sys.stderr)
        sys.exit(1)
