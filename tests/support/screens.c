/* SPDX-License-Identifier: MIT
 * tests/support/screens.c: the shared harness of the in-process console tests (see the
 * header). */
#include "tests/support/screens.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/buf.h"
#include "model/keymap.h"
#include "model/status.h"
#include "net/loop.h"
#include "tui/app.h"

int screens_setup(char *dir, size_t n, const char *tag)
{
    setenv("LINES", "24", 1);
    setenv("COLUMNS", "80", 1);
    setenv("TERM", "xterm-256color", 1);
    setenv("TZ", "UTC", 1);
    setenv("LANG", "C.UTF-8", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    setenv("HOME", "/nonexistent", 1);
    unsetenv("GPUP_SCRIPT");
    unsetenv("NO_COLOR");
    tzset();
    if (!setlocale(LC_ALL, ""))
        return -1;
    int len = snprintf(dir, n, "/tmp/gpup-%s-XXXXXX", tag);
    if (len < 0 || (size_t)len >= n)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

int screens_teardown(const char *dir)
{
    char cmd[128];
    int len = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (len < 0 || (size_t)len >= sizeof(cmd))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

char *screens_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(1u << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1u << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#define SUB SCREENS_SUB

/* Appends f as one element of the list, ", " first unless it is the first. */
static void append_vm(struct gp_buf *b, const struct screens_vm *f, bool first)
{
    char name[64];
    /* JSON-escape the one control character fixtures hold. */
    const char *esc = strchr(f->name, '\x1b');
    if (esc)
        snprintf(name, sizeof(name), "%.*s\\u001b%s", (int)(esc - f->name), f->name, esc + 1);
    else
        snprintf(name, sizeof(name), "%s", f->name);
    char gpus[512] = "";
    if (f->gpus)
        snprintf(gpus, sizeof(gpus), ", \"virtualMachineGPUs\": %s", f->gpus);
    char image[512] = "";
    if (f->image)
        snprintf(image, sizeof(image),
                 " \"osProfile\": {\"computerName\": \"%s\"},"
                 " \"storageProfile\": {\"imageReference\": {\"id\": \"/subscriptions/" SUB
                 "/resourceGroups/%s/providers/Microsoft.AzureStackHCI/"
                 "galleryImages/%s\"}},",
                 name, f->rg, f->image);
    char host[64] = "";
    if (f->host)
        snprintf(host, sizeof(host), " \"hostNodeName\": \"%s\",", f->host);
    assert_int_equal(
        gp_buf_printf(b,
                      "%s{\"id\": \"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                      "Microsoft.HybridCompute/machines/%s/providers/"
                      "Microsoft.AzureStackHCI/virtualMachineInstances/default\","
                      " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\":"
                      " \"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                      "Microsoft.ExtendedLocation/customLocations/cl-seattle\"},"
                      " \"properties\": {\"hardwareProfile\": {\"vmSize\": \"Custom\","
                      " \"processors\": %d, \"memoryMB\": %d%s},%s%s"
                      " \"provisioningState\": \"%s\","
                      " \"status\": {\"powerState\": \"%s\"}}}",
                      first ? "" : ", ", f->rg, name, f->rg, f->cpus, f->mem, gpus, image, host,
                      f->prov, f->power),
        GP_OK);
}

char *screens_fleet_page(const struct screens_vm *v, size_t n)
{
    struct gp_buf b;
    gp_buf_init(&b, 1u << 20);
    assert_int_equal(gp_buf_append_str(&b, "{\"value\": ["), GP_OK);
    for (size_t i = 0; i < n; i++)
        append_vm(&b, &v[i], i == 0);
    assert_int_equal(gp_buf_append_str(&b, "]}"), GP_OK);
    return gp_buf_take(&b, NULL);
}

struct app *screens_app_new(struct gp_loop **out_loop, const char *script, bool readonly)
{
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    loop_use_virtual_clock(loop);
    struct app_opts opts = {.no_display = true, .use_color = true, .readonly = readonly,
                            .profile = "lab", .endpoint = "http://127.0.0.1:8443",
                            .script = script};
    struct app *app = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    *out_loop = loop;
    return app;
}

int screens_next_key(const char **p)
{
    const char *s = *p;
    size_t len = 1;
    if (*s == '<') {
        const char *gt = strchr(s, '>');
        assert_non_null(gt);
        len = (size_t)(gt - s) + 1;
    }
    char one[KEYMAP_SPEC_MAX];
    assert_true(len < sizeof(one));
    memcpy(one, s, len);
    one[len] = '\0';
    int key = 0;
    struct gp_error err;
    gp_error_clear(&err);
    if (keymap_parse_key(one, &key, &err) != GP_OK) {
        if (len != 1)
            fail_msg("%s", err.message); /* a character with no spec of its own: ' ' */
        key = (unsigned char)one[0];
    }
    *p = s + len;
    return key;
}

void screens_compare_golden(const char *name, const char *dump_path)
{
    char golden[512];
    const char *src = getenv("GPUP_SRCDIR");
    snprintf(golden, sizeof(golden), "%s/tests/screens/%s.txt", src ? src : ".", name);
    char *got = screens_slurp(dump_path);
    assert_non_null(got);
    const char *update = getenv("UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *f = fopen(golden, "w");
        assert_non_null(f);
        fputs(got, f);
        assert_int_equal(fclose(f), 0);
    }
    char *want = screens_slurp(golden);
    bool same = want && strcmp(want, got) == 0;
    if (!same) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s'", golden, dump_path);
        if (system(cmd) == -1)
            print_error("cannot run diff\n");
    }
    free(want);
    free(got);
    if (!same)
        fail_msg("screen %s differs from its golden (UPDATE_GOLDEN=1 rewrites it)", name);
}
