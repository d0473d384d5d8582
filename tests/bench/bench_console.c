/* SPDX-License-Identifier: MIT
 * tests/bench/bench_console.c: the console's own costs with 100,000 VMs in memory (product.md
 * section 7), through the real app (tui/app) on a curses screen opened on /dev/null: the
 * first full paint of the list, a cursor move, and each key of a `/` filter typed character
 * by character, each measured from the key to the end of its repaint (app_key +
 * app_draw_now); plus the process's resident memory. Prints "name value unit" lines. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/keymap.h"
#include "model/status.h"
#include "model/vm.h"
#include "model/vmtable.h"
#include "net/loop.h"
#include "tui/app.h"
#include "tui/vmlist.h"

#define SUB "00000000-0000-0000-0000-000000000000"
#define N_VMS 100000
#define PAGE 1000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static int make_vm(struct vm *vm, long k)
{
    static const char *const groups[] = {"ml-rg", "web-rg", "data-rg", "gpu-rg", "build-rg"};
    static const char *const powers[] = {"Running", "Running", "Stopped", "Deallocated"};
    static const char *const gpus[] = {
        "",
        ", \"virtualMachineGPUs\": [{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648}]",
        ", \"virtualMachineGPUs\": [{\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A2\"}]",
        ", \"virtualMachineGPUs\": []"};
    const char *rg = groups[k % 5];
    char name[32];
    snprintf(name, sizeof(name), "%s-%05ld", k % 7 == 0 ? "train" : "vm", k);
    char json[2048];
    int w = snprintf(json, sizeof(json),
                     "{\"id\": \"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                     "Microsoft.HybridCompute/machines/%s/providers/"
                     "Microsoft.AzureStackHCI/virtualMachineInstances/default\","
                     " \"extendedLocation\": {\"type\": \"CustomLocation\", \"name\": "
                     "\"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                     "Microsoft.ExtendedLocation/customLocations/cl-seattle\"},"
                     " \"properties\": {\"hardwareProfile\": {\"vmSize\": \"Custom\","
                     " \"processors\": %ld, \"memoryMB\": %ld%s},"
                     " \"hostNodeName\": \"node-%02ld\","
                     " \"provisioningState\": \"Succeeded\","
                     " \"status\": {\"powerState\": \"%s\"}}}",
                     rg, name, rg, 2L << (k % 4), 4096L << (k % 4), gpus[k % 4], k % 64,
                     powers[k % 4]);
    if (w <= 0 || (size_t)w >= sizeof(json))
        return -1;
    struct gp_error err;
    gp_error_clear(&err);
    vm_init(vm);
    if (vm_from_json(vm, json, strlen(json), &err) != GP_OK) {
        fprintf(stderr, "bench_console: vm_from_json: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    setenv("LINES", "50", 1);
    setenv("COLUMNS", "160", 1);
    setenv("TERM", "xterm-256color", 1);
    setenv("LANG", "C.UTF-8", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("GPUP_SCRIPT");
    unsetenv("GPUP_EXIT_WHEN_IDLE");
    if (!setlocale(LC_ALL, ""))
        (void)setlocale(LC_ALL, "C.UTF-8");

    long rss0 = rss_kb();
    struct gp_loop *loop = NULL;
    if (loop_new(&loop) != GP_OK)
        return 1;
    struct app_opts opts = {.no_display = true, .use_color = true, .profile = "bench",
                            .endpoint = "http://127.0.0.1:1"};
    struct app *app = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    if (app_new(&opts, loop, &app, &err) != GP_OK) {
        printf("console.keystroke_repaint_100k n/a app_new: %s\n", err.message);
        loop_free(loop);
        return 0;
    }

    static struct vm page[PAGE];
    double load_ms = 0;
    app_vms_begin(app, true);
    for (long base = 0; base < N_VMS; base += PAGE) {
        for (long i = 0; i < PAGE; i++)
            if (make_vm(&page[i], base + i) != 0)
                return 1;
        double t0 = now_ms();
        enum gp_status st = app_add_vms(app, page, PAGE, N_VMS, &err);
        load_ms += now_ms() - t0;
        for (long i = 0; i < PAGE; i++)
            vm_cleanup(&page[i]);
        if (st != GP_OK) {
            fprintf(stderr, "bench_console: app_add_vms: %s\n", err.message);
            return 1;
        }
    }
    app_vms_done(app, NULL);
    printf("console.add_100k_ms %.0f ms (app_add_vms, parsing excluded)\n", load_ms);

    double t0 = now_ms();
    app_repaint(app, false);
    app_draw_now(app);
    printf("console.full_paint_100k_ms %.2f ms\n", now_ms() - t0);
    long rss1 = rss_kb();
    if (rss0 > 0 && rss1 > 0) {
        printf("console.rss_100k_mb %.1f MB\n", rss1 / 1024.0);
        printf("console.rss_target_ratio %.2f (rss/200MB; <= 1 meets the target)\n",
               rss1 / 1024.0 / 200.0);
    } else {
        printf("console.rss_100k_mb n/a /proc/self/status unreadable\n");
    }

    enum { MOVES = 50 };
    double moves[MOVES];
    for (int i = 0; i < MOVES; i++) {
        t0 = now_ms();
        app_key(app, KEY_CODE_DOWN);
        app_draw_now(app);
        moves[i] = now_ms() - t0;
    }
    qsort(moves, MOVES, sizeof(moves[0]), cmp_double);
    printf("console.cursor_move_median_ms %.3f ms\n", moves[MOVES / 2]);
    printf("console.cursor_move_max_ms %.3f ms\n", moves[MOVES - 1]);

    static const char *const typed[] = {"train-0042", "gpu-rg", "node-17", "nvidia", "stopped"};
    enum { MAX_KEYS = 128 };
    double keys[MAX_KEYS];
    size_t n_keys = 0;
    for (size_t f = 0; f < sizeof(typed) / sizeof(typed[0]); f++) {
        app_key(app, '/');
        app_draw_now(app);
        for (const char *c = typed[f]; *c && n_keys < MAX_KEYS; c++) {
            t0 = now_ms();
            app_key(app, (unsigned char)*c);
            app_draw_now(app);
            keys[n_keys++] = now_ms() - t0;
        }
        printf("console.filter_%s_visible %zu rows\n", typed[f],
               vmtable_visible(vmlist_table(app_home(app))));
        app_key(app, 27); /* Esc clears the filter */
        app_draw_now(app);
    }
    qsort(keys, n_keys, sizeof(keys[0]), cmp_double);
    printf("console.filter_keystrokes %zu keys\n", n_keys);
    printf("console.filter_key_repaint_median_ms %.3f ms\n", keys[n_keys / 2]);
    printf("console.filter_key_repaint_p90_ms %.3f ms\n", keys[n_keys * 9 / 10]);
    printf("console.filter_key_repaint_max_ms %.3f ms\n", keys[n_keys - 1]);
    printf("console.filter_key_target_ratio %.2f (max/5ms; <= 1 meets the target)\n",
           keys[n_keys - 1] / 5.0);

    app_free(app);
    loop_free(loop);
    return 0;
}
