/* SPDX-License-Identifier: MIT
 * tests/bench/bench_vmtable.c: the console's list at scale (product.md section 7): loads
 * 100,000 VMs parsed from ARM JSON (vm_from_json) into a vmtable, then times typing filters
 * character by character (what each keystroke in the console's filter costs before the
 * repaint), a sort, and a refresh that brings every row again but 1 % (deleted meanwhile):
 * the longest page (the console's longest pause while a refresh lands), the drop at its end,
 * and the memory after it. Reports the memory the table holds. Prints "name value unit"
 * lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/status.h"
#include "model/vm.h"
#include "model/vmtable.h"

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
        fprintf(stderr, "bench_vmtable: vm_from_json: %s\n", err.message);
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
    long rss0 = rss_kb();
    struct vmtable *t = vmtable_new(true);
    if (!t)
        return 1;
    static struct vm page[PAGE];
    struct gp_error err;
    gp_error_clear(&err);
    double t0 = now_ms();
    for (long base = 0; base < N_VMS; base += PAGE) {
        for (long i = 0; i < PAGE; i++)
            if (make_vm(&page[i], base + i) != 0)
                return 1;
        if (vmtable_add(t, page, PAGE, &err) != GP_OK) {
            fprintf(stderr, "bench_vmtable: vmtable_add: %s\n", err.message);
            return 1;
        }
    }
    double load_ms = now_ms() - t0;
    long rss1 = rss_kb();
    printf("vmtable.rows %zu rows\n", vmtable_count(t));
    printf("vmtable.parse_and_load_100k_ms %.0f ms\n", load_ms);
    if (rss0 > 0 && rss1 > 0) {
        printf("vmtable.rss_before_kb %ld kB\n", rss0);
        printf("vmtable.rss_100k_mb %.1f MB\n", rss1 / 1024.0);
        printf("vmtable.rss_100k_delta_mb %.1f MB\n", (rss1 - rss0) / 1024.0);
        printf("vmtable.bytes_per_vm %.0f B\n", (double)(rss1 - rss0) * 1024.0 / N_VMS);
        printf("vmtable.rss_target_ratio %.2f (rss/200MB; <= 1 meets the target)\n",
               rss1 / 1024.0 / 200.0);
    } else {
        printf("vmtable.rss_100k_mb n/a /proc/self/status unreadable\n");
    }

    /* Typing filters: each prefix is one keystroke; then backspacing to empty. */
    static const char *const typed[] = {"train-0042", "gpu-rg", "node-17", "NVIDIA", "stopped",
                                        "zzz-nomatch"};
    enum { MAX_KEYS = 256 };
    double keys[MAX_KEYS];
    size_t n_keys = 0;
    double back[MAX_KEYS];
    size_t n_back = 0;
    char buf[VMTABLE_FILTER_MAX];
    for (size_t f = 0; f < sizeof(typed) / sizeof(typed[0]); f++) {
        size_t len = strlen(typed[f]);
        for (size_t i = 1; i <= len && n_keys < MAX_KEYS; i++) {
            memcpy(buf, typed[f], i);
            buf[i] = '\0';
            double k0 = now_ms();
            if (vmtable_set_filter(t, buf) != GP_OK)
                return 1;
            (void)vmtable_cell(t, 0, VMCOL_NAME); /* what the repaint reads first */
            keys[n_keys++] = now_ms() - k0;
        }
        printf("vmtable.filter_%s_visible %zu rows\n", typed[f], vmtable_visible(t));
        for (size_t i = len; i-- > 0 && n_back < MAX_KEYS;) {
            memcpy(buf, typed[f], i);
            buf[i] = '\0';
            double k0 = now_ms();
            if (vmtable_set_filter(t, buf) != GP_OK)
                return 1;
            (void)vmtable_cell(t, 0, VMCOL_NAME);
            back[n_back++] = now_ms() - k0;
        }
    }
    qsort(keys, n_keys, sizeof(keys[0]), cmp_double);
    qsort(back, n_back, sizeof(back[0]), cmp_double);
    printf("vmtable.filter_keystrokes %zu keys\n", n_keys);
    printf("vmtable.filter_keystroke_median_ms %.3f ms\n", keys[n_keys / 2]);
    printf("vmtable.filter_keystroke_p90_ms %.3f ms\n", keys[n_keys * 9 / 10]);
    printf("vmtable.filter_keystroke_max_ms %.3f ms\n", keys[n_keys - 1]);
    printf("vmtable.filter_keystroke_target_ratio %.2f (max/5ms; <= 1 meets the target)\n",
           keys[n_keys - 1] / 5.0);
    printf("vmtable.filter_backspace_median_ms %.3f ms\n", back[n_back / 2]);
    printf("vmtable.filter_backspace_max_ms %.3f ms\n", back[n_back - 1]);

    /* A sort by name over all rows (the console re-sorts on a header key). */
    if (vmtable_set_filter(t, "") != GP_OK)
        return 1;
    t0 = now_ms();
    if (vmtable_set_sort(t, VMCOL_NAME, true) != GP_OK)
        return 1;
    printf("vmtable.sort_name_100k_ms %.1f ms\n", now_ms() - t0);

    /* A refresh over the sorted list, as the console runs it: rows replaced page by page while
     * they stay on show, then the rows the refresh did not bring dropped. */
    vmtable_refresh_begin(t);
    double worst_page = 0, r0 = now_ms();
    for (long base = 0; base < N_VMS; base += PAGE) {
        size_t n = 0;
        for (long i = 0; i < PAGE; i++)
            if ((base + i) % 100 != 99 && make_vm(&page[n++], base + i) != 0)
                return 1;
        double p0 = now_ms();
        if (vmtable_add(t, page, n, &err) != GP_OK) {
            fprintf(stderr, "bench_vmtable: refresh: %s\n", err.message);
            return 1;
        }
        double p = now_ms() - p0;
        worst_page = p > worst_page ? p : worst_page;
    }
    size_t dropped = 0;
    double e0 = now_ms();
    if (vmtable_refresh_end(t, &dropped, &err) != GP_OK) {
        fprintf(stderr, "bench_vmtable: refresh end: %s\n", err.message);
        return 1;
    }
    double end_ms = now_ms() - e0;
    printf("vmtable.refresh_100k_total_ms %.0f ms (parsing included)\n", now_ms() - r0);
    printf("vmtable.refresh_page_max_ms %.2f ms (1,000 rows replaced, sorted list)\n", worst_page);
    printf("vmtable.refresh_end_ms %.1f ms (%zu rows dropped, %zu kept)\n", end_ms, dropped,
           vmtable_count(t));
    long rss2 = rss_kb();
    if (rss1 > 0 && rss2 > 0)
        printf("vmtable.rss_after_refresh_mb %.1f MB\n", rss2 / 1024.0);

    vmtable_free(t);
    return 0;
}
