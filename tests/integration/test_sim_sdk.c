/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_sdk.c: runs tests/integration/sdk_check.py (the official Azure
 * SDK for Python's pager and poller: list, stop -> PATCH -> start) against a live gpup-sim.
 * Skipped with a message when $PYTHON cannot import azure.mgmt.core (Debian python3-azure). */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "tests/support/simproc.h"

static const char *python(void)
{
    const char *p = getenv("PYTHON");
    return p && *p ? p : "python3";
}

static void test_sdk_list_stop_patch_start(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' -c 'import azure.mgmt.core, azure.core' >/dev/null 2>&1",
             python());
    int rc = system(cmd);
    if (rc != 0) {
        printf("test_sim_sdk: skipped: %s cannot import azure.mgmt.core (install the Debian "
               "package python3-azure)\n",
               python());
        skip();
    }
    static const char *const args[] = {"--fleet",          "10", "--hosts",     "2", "--op-ms", "0",
                                       "--retry-after-ms", "1",  "--page-size", "3", NULL};
    struct simproc p;
    assert_int_equal(simproc_start(&p, args), 0);
    const char *src = getenv("GPUP_SRCDIR");
    snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/integration/sdk_check.py' '%s' 2>&1", python(),
             src && *src ? src : ".", p.url);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    char line[2048] = "", last[2048] = "";
    while (fgets(line, sizeof(line), out)) {
        fputs(line, stdout);
        memcpy(last, line, sizeof(last));
    }
    int status = pclose(out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* "sdk_check: listed 10 VMs (12 machines) in 4 pages; <machine id> gpus=N ok" */
    assert_non_null(strstr(last, "listed 10 VMs (12 machines) in 4 pages"));
    char *id = strstr(last, "/subscriptions/");
    assert_non_null(id);
    char *sp = strchr(id, ' ');
    assert_non_null(sp);
    *sp = '\0';
    long gpus = strtol(strstr(sp + 1, "gpus=") + 5, NULL, 10);
    /* Read the VM back ourselves: what the SDK saw is what the emulator holds. */
    char u[2048];
    snprintf(u, sizeof(u),
             "%s%s/providers/Microsoft.AzureStackHCI/virtualMachineInstances/"
             "default?api-version=2025-09-01-preview",
             p.url, id);
    struct simproc_reply r;
    assert_int_equal(simproc_http("GET", u, NULL, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    cJSON *vm = cJSON_Parse(r.body);
    assert_non_null(vm);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(vm, "properties");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(props, "status");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(st, "powerState")->valuestring, "Running");
    const cJSON *hw = cJSON_GetObjectItemCaseSensitive(props, "hardwareProfile");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hw, "virtualMachineGPUs")),
                     gpus);
    cJSON_Delete(vm);
    simproc_reply_free(&r);
    assert_int_equal(simproc_stop(&p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_list_stop_patch_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
