/* SPDX-License-Identifier: MIT
 * tests/unit/test_wizard_screens.c: the Create virtual machine wizard, Hosts / GPUs and the
 * command palette, in-process on a terminal that draws into /dev/null (style.md 8, tig's
 * harness, as tests/unit/test_screens.c): each test opens its screen over the home screen,
 * runs a script of keys ending in :dump-screen, and diffs the dump with
 * tests/screens/NAME.txt (UPDATE_GOLDEN=1 rewrites the goldens; review their diffs).
 * LINES, COLUMNS, TERM, TZ and the locale are pinned; alarm() is the watchdog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/keymap.h"
#include "model/cluster.h"
#include "model/settings.h"
#include "model/text.h"
#include "model/vm.h"
#include "net/executor.h"
#include "net/loop.h"
#include "tui/app.h"
#include "tui/hosts.h"
#include "tui/ops.h"
#include "tui/wizard.h"
#include "tests/support/clusterfix.h"
#include "tests/support/screens.h"

#define SUB SCREENS_SUB
#define CL_ID(name)                                                                            \
    "/subscriptions/" SUB "/resourceGroups/infra-rg/providers/Microsoft.ExtendedLocation/"     \
    "customLocations/" name

static char tmpdir[64];

static int setup_all(void **state)
{
    (void)state;
    return screens_setup(tmpdir, sizeof(tmpdir), "wizard");
}

static int teardown_all(void **state)
{
    (void)state;
    return screens_teardown(tmpdir);
}

/* Opens the screen under test on the app before the script runs. */
typedef void (*open_fn)(struct app *a, void *ctx);

/* Runs the console with keys after open(a, ctx), then diffs the final screen with the golden
 * tests/screens/NAME.txt. Returns the app's depth when the script ended. */
static size_t run_screen(const char *name, const char *keys, open_fn open, void *ctx)
{
    alarm(30);
    char dump[128], script[2048];
    snprintf(dump, sizeof(dump), "%s/%s.txt", tmpdir, name);
    snprintf(script, sizeof(script), "%s\n:dump-screen %s\n", keys, dump);

    struct gp_loop *loop = NULL;
    struct app *app = screens_app_new(&loop, script, false);
    struct gp_error err;
    gp_error_clear(&err);
    app_vms_begin(app, true);
    app_vms_done(app, NULL);
    open(app, ctx);
    enum gp_status st = app_run(app, &err);
    size_t depth = app_depth(app);
    app_free(app);
    loop_free(loop);
    alarm(0);
    if (st != GP_OK)
        fail_msg("app_run: %s", err.message);

    screens_compare_golden(name, dump);
    return depth;
}

/* --- Hosts / GPUs -------------------------------------------------------------------------- */

static char *xdup(const char *s)
{
    char *d = text_dup(s);
    assert_non_null(d);
    return d;
}

static void gpu_p(struct host *h, const char *id, const char *model, int total, int used,
                  const char *const *vms, size_t n_vms)
{
    struct host_gpu *g = clusterfix_gpu(h, id, model, GPU_MODE_GPUP, 3648, total, used);
    if (n_vms) {
        g->partition_vms = calloc(n_vms, sizeof(char *));
        assert_non_null(g->partition_vms);
        for (size_t i = 0; i < n_vms; i++)
            g->partition_vms[i] = xdup(vms[i]);
        g->n_partition_vms = n_vms;
    }
}

static void gpu_dda(struct host *h, const char *id, const char *model, const char *vm)
{
    struct host_gpu *g = clusterfix_gpu(h, id, model, GPU_MODE_DDA, -1, 0, 0);
    g->dda_vm = vm ? xdup(vm) : NULL;
}

/* Four nodes of cl-seattle, alike (the homogeneous rule): an NVIDIA A2 in GPU-P mode and an
 * NVIDIA A16 in DDA mode each, but node-03 has no GPUs. train-04 holds node-01's A16. */
static void fixture_cluster(struct cluster *c)
{
    cluster_init(c);
    c->inventory_known = true;
    c->partition_size_mb_config = 3648;
    static const char *const n1[] = {"train-01", "train-02"};
    static const char *const n2[] = {"infer-01"};
    struct host *h = clusterfix_host(c, "node-01", CL_ID("cl-seattle"));
    gpu_p(h, "gpu-0", "NVIDIA A2", 16, 2, n1, 2);
    gpu_dda(h, "gpu-1", "NVIDIA A16", "train-04");
    h = clusterfix_host(c, "node-02", CL_ID("cl-seattle"));
    gpu_p(h, "gpu-0", "NVIDIA A2", 16, 3, n2, 1);
    gpu_dda(h, "gpu-1", "NVIDIA A16", "");
    (void)clusterfix_host(c, "node-03", CL_ID("cl-seattle"));
    h = clusterfix_host(c, "node-04", CL_ID("cl-seattle"));
    gpu_p(h, "gpu-0", "NVIDIA A2", 16, 0, NULL, 0);
    gpu_dda(h, "gpu-1", "NVIDIA A16", NULL);
}

static void make_vm(struct vm *vm, const char *name, const char *rg, const char *host,
                    enum gpu_assignment type, const char *gpu_name)
{
    vm_init(vm);
    vm->name = xdup(name);
    vm->resource_group = xdup(rg);
    vm->custom_location = xdup(CL_ID("cl-seattle"));
    vm->host_node = host ? xdup(host) : NULL;
    vm->processors = 4;
    vm->memory_mb = 8192;
    vm->power = POWER_RUNNING;
    if (type != GPU_ASSIGN_OTHER) {
        vm->gpus = calloc(1, sizeof(*vm->gpus));
        assert_non_null(vm->gpus);
        vm->n_gpus = 1;
        vm->gpus_present = true;
        vm->gpus[0].type = type;
        vm->gpus[0].partition_size_mb = type == GPU_ASSIGN_P ? 3648 : -1;
        vm->gpus[0].gpu_name = gpu_name ? xdup(gpu_name) : NULL;
    }
}

struct hosts_case {
    struct cluster c;
    struct vm vms[8];
    const struct vm *ptr[8];
    size_t n;
};

static void open_hosts(struct app *a, void *ctx)
{
    struct hosts_case *hc = ctx;
    hosts_open(a, &hc->c, hc->ptr, hc->n);
}

static void hosts_case_fleet(struct hosts_case *hc)
{
    make_vm(&hc->vms[0], "train-01", "ml-rg", "node-01", GPU_ASSIGN_P, NULL);
    make_vm(&hc->vms[1], "train-02", "ml-rg", "node-01", GPU_ASSIGN_P, NULL);
    make_vm(&hc->vms[2], "train-04", "ml-rg", "node-01", GPU_ASSIGN_DDA, "NVIDIA A16");
    make_vm(&hc->vms[3], "infer-01", "ml-rg", "node-02", GPU_ASSIGN_P, NULL);
    make_vm(&hc->vms[4], "web-01", "web-rg", "node-02", GPU_ASSIGN_OTHER, NULL);
    make_vm(&hc->vms[5], "vdi-01", "vdi-rg", "node-04", GPU_ASSIGN_P, NULL);
    make_vm(&hc->vms[6], "jump-\x1b[31m01", "ops-rg", NULL, GPU_ASSIGN_P, NULL);
    hc->n = 7;
    for (size_t i = 0; i < hc->n; i++)
        hc->ptr[i] = &hc->vms[i];
}

static void hosts_case_free(struct hosts_case *hc)
{
    cluster_cleanup(&hc->c);
    for (size_t i = 0; i < hc->n; i++)
        vm_cleanup(&hc->vms[i]);
}

static void test_hosts_inventory(void **state)
{
    (void)state;
    struct hosts_case hc;
    memset(&hc, 0, sizeof(hc));
    fixture_cluster(&hc.c);
    hosts_case_fleet(&hc);
    run_screen("hosts-inventory", "", open_hosts, &hc);
    hosts_case_free(&hc);
}

static void test_hosts_scroll(void **state)
{
    (void)state;
    /* Twelve nodes do not fit: End shows the last rows, PgUp goes back a page. */
    struct hosts_case hc;
    memset(&hc, 0, sizeof(hc));
    cluster_init(&hc.c);
    hc.c.inventory_known = true;
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof(name), "node-%02d", i + 1);
        struct host *h = clusterfix_host(&hc.c, name, CL_ID("cl-seattle"));
        gpu_p(h, "gpu-0", "NVIDIA A2", 16, 0, NULL, 0);
        gpu_dda(h, "gpu-1", "NVIDIA A16", NULL);
    }
    run_screen("hosts-end", "<End>", open_hosts, &hc);
    run_screen("hosts-inventory-top", "<End><PgUp><PgUp><PgUp><Down><Up>", open_hosts, &hc);
    hosts_case_free(&hc);
}

static void test_hosts_mixed(void **state)
{
    (void)state;
    /* Hosts whose inventory names no custom location, partitions of two sizes, and a host
     * with DDA GPUs only: no empty "·  ·" fields, no single partition size claimed. */
    struct hosts_case hc;
    memset(&hc, 0, sizeof(hc));
    cluster_init(&hc.c);
    hc.c.inventory_known = true;
    struct host *h = clusterfix_host(&hc.c, "node-01", NULL);
    gpu_p(h, "gpu-0", "NVIDIA A2", 4, 1, NULL, 0);
    h = clusterfix_host(&hc.c, "node-02", NULL);
    gpu_p(h, "gpu-0", "NVIDIA L4", 4, 0, NULL, 0);
    h->gpus[0].partition_size_mb = 5472;
    h = clusterfix_host(&hc.c, "node-03", CL_ID("cl-denver"));
    gpu_dda(h, "gpu-0", "NVIDIA T4", NULL);
    run_screen("hosts-mixed", "", open_hosts, &hc);
    hosts_case_free(&hc);
}

static void test_hosts_no_inventory(void **state)
{
    (void)state;
    struct hosts_case hc;
    memset(&hc, 0, sizeof(hc));
    cluster_init(&hc.c);
    hc.c.inventory_known = false;
    hc.c.partition_size_mb_config = 3648;
    hosts_case_fleet(&hc);
    run_screen("hosts-no-inventory", "", open_hosts, &hc);
    /* Esc goes back to the list. */
    assert_int_equal(run_screen("palette-closed", "<Esc>", open_hosts, &hc), 1);
    hosts_case_free(&hc);
}

/* --- Create virtual machine ---------------------------------------------------------------- */

#define IMG_ID(name)                                                                           \
    "/subscriptions/" SUB "/resourceGroups/infra-rg/providers/Microsoft.AzureStackHCI/"        \
    "galleryImages/" name

struct wizard_case {
    struct cluster c;
    struct plan_options popt;
    struct ops *ops;
    const char *name_default; /* unused: the name always starts empty */
};

static const char *const wiz_rgs[] = {"ml-rg", "web-rg"};
static const char *const wiz_cls[] = {CL_ID("cl-seattle"), CL_ID("cl-portland")};
static const char *const wiz_images[] = {IMG_ID("ubuntu-22.04"), IMG_ID("win-2022")};

static void open_wizard(struct app *a, void *ctx)
{
    struct wizard_case *wc = ctx;
    wc->ops = ops_new(a, app_loop(a));
    assert_non_null(wc->ops);
    wc->popt = (struct plan_options){"2025-09-01-preview", "2024-07-10", false};
    ops_set_context(wc->ops, &wc->c, &wc->popt);
    struct wizard_opts o = {
        .subscription = SUB,
        .location = "eastus",
        .resource_groups = wiz_rgs,
        .n_resource_groups = 2,
        .custom_locations = wiz_cls,
        .n_custom_locations = 2,
        .images = wiz_images,
        .n_images = 2,
        .resource_group = "ml-rg",
        .admin_username = "azureuser",
    };
    wizard_open(a, wc->ops, &o);
}

static size_t run_wizard(const char *name, const char *keys, struct wizard_case *wc)
{
    size_t depth = run_screen(name, keys, open_wizard, wc);
    ops_free(wc->ops);
    wc->ops = NULL;
    return depth;
}

static void test_wizard_basics_errors(void **state)
{
    (void)state;
    /* A name starting with '-', and memory below the minimum: messages under the fields. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    size_t depth =
        run_wizard("wizard-basics-error", "-gpu-vm<Tab><Tab><Tab><Tab><Tab><C-u>100", &wc);
    assert_int_equal(depth, 2);
    cluster_cleanup(&wc.c);
}

static void test_wizard_review_blocked_by_fields(void **state)
{
    (void)state;
    /* F2 with fields failing goes back to the first one, says how many, opens nothing. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    size_t depth = run_wizard("wizard-review-blocked", "<PgDn><Down><F2>", &wc);
    assert_int_equal(depth, 2);
    cluster_cleanup(&wc.c);
}

static void test_wizard_gpu_partition(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    /* Next: Attach GPU is reached with Tab from the last field, then Down picks GPU-P. */
    size_t depth = run_wizard("wizard-gpu-partition",
                              "gpu-vm-01<Tab><Tab><Tab><Tab><Tab><Tab><Tab><Enter><Down>", &wc);
    assert_int_equal(depth, 2);
    cluster_cleanup(&wc.c);
}

static void test_wizard_modes_offered(void **state)
{
    (void)state;
    /* Without an inventory only GPU Partition (size from config) is offered. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    cluster_init(&wc.c);
    wc.c.partition_size_mb_config = 3648;
    run_wizard("wizard-gpu-no-inventory", "vm-1<PgDn><Down><Down>", &wc);
    cluster_cleanup(&wc.c);
}

static void test_wizard_gpu_dda(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    run_wizard("wizard-gpu-dda", "gpu-vm-01<PgDn><Down><Down><Down>", &wc);
    cluster_cleanup(&wc.c);
}

static void open_wizard_typed(struct app *a, void *ctx)
{
    struct wizard_case *wc = ctx;
    wc->ops = ops_new(a, app_loop(a));
    assert_non_null(wc->ops);
    wc->popt = (struct plan_options){"2025-09-01-preview", "2024-07-10", false};
    ops_set_context(wc->ops, &wc->c, &wc->popt);
    struct wizard_opts o = {.subscription = SUB, .location = "eastus", .processors = 8,
                            .memory_mb = 16384};
    wizard_open(a, wc->ops, &o);
}

static void test_wizard_typed_fields(void **state)
{
    (void)state;
    /* No lists given: every field is typed; Up moves back; a bad resource group and a reserved
     * admin name are caught as typed, a missing image once Review + create is asked. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    run_screen("wizard-basics-typed",
               "new-vm<Down>ml rg<Down>" CL_ID("cl-seattle") "<Down><Down><Down><Down>root"
               "<Up><Up><Up><Up><Up><BS><BS><BS>-rg<F2>",
               open_wizard_typed, &wc);
    ops_free(wc.ops);
    cluster_cleanup(&wc.c);
}

static void test_wizard_review_all_pass(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    size_t depth = run_wizard("wizard-review-pass", "gpu-vm-01<PgDn><Down><F2>", &wc);
    assert_int_equal(depth, 3);
    cluster_cleanup(&wc.c);
}

static void test_wizard_review_rule_fails(void **state)
{
    (void)state;
    /* Every partition of cl-seattle is taken: capacity fails, Create is disabled. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    for (size_t i = 0; i < wc.c.n_hosts; i++) {
        for (size_t g = 0; g < wc.c.hosts[i].n_gpus; g++) {
            struct host_gpu *gpu = &wc.c.hosts[i].gpus[g];
            gpu->partitions_used = gpu->partitions_total;
        }
    }
    size_t depth = run_wizard("wizard-gpu-full", "gpu-vm-01<PgDn><Down>", &wc);
    assert_int_equal(depth, 2);
    depth = run_wizard("wizard-review-fail", "gpu-vm-01<PgDn><Down><Tab><Tab><Enter>", &wc);
    assert_int_equal(depth, 3);
    cluster_cleanup(&wc.c);
}

/* The wizard with the mouse on (ui.mouse). */
static void open_wizard_mouse(struct app *a, void *ctx)
{
    app_set_mouse(a, true);
    open_wizard(a, ctx);
}

static size_t run_wizard_mouse(const char *name, const char *keys, struct wizard_case *wc)
{
    size_t depth = run_screen(name, keys, open_wizard_mouse, wc);
    ops_free(wc->ops);
    wc->ops = NULL;
    return depth;
}

/* Terminal cells (80x24) of the tabs on row 1 (" 1 Basics " from column 1, " 2 Attach GPU "
 * from 12, " 3 Review + create " from 27) and of the buttons (wizard-gpu-partition.txt). */
#define CLICK_TAB_BASICS ":mouse click 1 3\n"
#define CLICK_TAB_GPU ":mouse click 1 15\n"
#define CLICK_TAB_REVIEW ":mouse click 1 30\n"
#define CLICK_NEXT_GPU ":mouse click 17 5\n"       /* Basics: [ Next: Attach GPU > ] */
#define CLICK_NEXT_REVIEW ":mouse click 20 30\n"   /* GPU: [ Next: Review + create > ] */

static void test_wizard_click_tabs(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    /* A tab clicked is its key: Attach GPU as PgDn, Review + create as F2 (its checks and
     * all), Basics as PgUp; the very screens of those keys. */
    assert_int_equal(run_wizard_mouse("wizard-gpu-partition", "gpu-vm-01\n" CLICK_TAB_GPU "<Down>",
                                      &wc),
                     2);
    assert_int_equal(run_wizard_mouse("wizard-review-pass",
                                      "gpu-vm-01<PgDn><Down>\n" CLICK_TAB_REVIEW, &wc),
                     3);
    assert_int_equal(run_wizard_mouse("wizard-review-blocked", "<PgDn><Down>\n" CLICK_TAB_REVIEW,
                                      &wc),
                     2);
    assert_int_equal(run_wizard("wizard-tab-basics", "gpu-vm-01<PgDn><Down><PgUp>", &wc), 2);
    assert_int_equal(run_wizard_mouse("wizard-tab-basics",
                                      "gpu-vm-01<PgDn><Down>\n" CLICK_TAB_BASICS, &wc),
                     2);
    cluster_cleanup(&wc.c);
}

static void test_wizard_click_buttons(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    /* Next: Attach GPU, then Next: Review + create, clicked: as Enter on them. */
    assert_int_equal(run_wizard_mouse("wizard-gpu-partition",
                                      "gpu-vm-01\n" CLICK_NEXT_GPU "<Down>", &wc),
                     2);
    assert_int_equal(run_wizard_mouse("wizard-review-pass",
                                      "gpu-vm-01\n" CLICK_NEXT_GPU "<Down>\n" CLICK_NEXT_REVIEW,
                                      &wc),
                     3);
    /* Elsewhere (the gaps around and between the tabs, the title row, the choices' labels
     * and blank rows, the hint and status lines), and a double-click on a tab: nothing. */
    assert_int_equal(run_wizard_mouse("wizard-gpu-partition",
                                      "gpu-vm-01<PgDn><Down>\n"
                                      ":mouse click 1 0\n:mouse click 1 11\n:mouse click 1 26\n"
                                      ":mouse click 1 60\n:mouse click 3 3\n:mouse click 8 10\n"
                                      ":mouse click 14 10\n:mouse click 20 20\n"
                                      ":mouse click 22 5\n:mouse click 23 5\n"
                                      ":mouse double-click 1 3\n",
                                      &wc),
                     2);
    /* The mouse off (the default): the tabs and buttons take no click. */
    assert_int_equal(run_wizard("wizard-gpu-partition",
                                "gpu-vm-01<PgDn><Down>\n" CLICK_TAB_BASICS CLICK_TAB_REVIEW
                                    CLICK_NEXT_REVIEW ":mouse click 20 5\n",
                                &wc),
                     2);
    cluster_cleanup(&wc.c);
}

static void test_wizard_leave(void **state)
{
    (void)state;
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    /* Untouched: Esc leaves at once. Typed: the first Esc asks, the second leaves; Esc on
     * Attach GPU goes back to Basics. */
    assert_int_equal(run_wizard("palette-closed", "<Esc>", &wc), 1);
    assert_int_equal(run_wizard("wizard-leave-asks", "x<PgDn><Esc><Esc>", &wc), 2);
    assert_int_equal(run_wizard("palette-closed", "x<Esc><Esc>", &wc), 1);
    cluster_cleanup(&wc.c);
}

static void test_wizard_checks(void **state)
{
    (void)state;
    char msg[128];
    assert_true(wizard_check_name("gpu-vm_01.a", msg, sizeof(msg)));
    assert_false(wizard_check_name("", msg, sizeof(msg)));
    assert_string_equal(msg, "Name is required");
    assert_false(wizard_check_name("-a", msg, sizeof(msg)));
    assert_string_equal(msg, "Must not start with '-'");
    assert_false(wizard_check_name("a b", msg, sizeof(msg)));
    assert_string_equal(msg, "Use letters, digits, '-', '_' and '.' only");
    assert_false(wizard_check_name("vm\xc3\xa9", msg, sizeof(msg)));
    assert_false(wizard_check_name("a.", msg, sizeof(msg)));
    char n64[66];
    memset(n64, 'a', 64);
    n64[64] = '\0';
    assert_true(wizard_check_name(n64, msg, sizeof(msg)));
    n64[64] = 'a';
    n64[65] = '\0';
    assert_false(wizard_check_name(n64, msg, sizeof(msg)));
    assert_string_equal(msg, "At most 64 characters");
    assert_true(wizard_check_resource_group("ml-rg(1)", msg, sizeof(msg)));
    assert_false(wizard_check_resource_group("ml/rg", msg, sizeof(msg)));
    assert_true(wizard_check_admin("azureuser", msg, sizeof(msg)));
    assert_false(wizard_check_admin("Admin", msg, sizeof(msg)));
    assert_string_equal(msg, "\"admin\" is reserved: choose another name");
    assert_false(wizard_check_admin("1ops", msg, sizeof(msg)));
    long v = 0;
    assert_true(wizard_check_number("16", 1, 64, "vCPU", &v, msg, sizeof(msg)));
    assert_int_equal(v, 16);
    assert_false(wizard_check_number("65", 1, 64, "vCPU", &v, msg, sizeof(msg)));
    assert_string_equal(msg, "1 to 64 vCPU");
    assert_false(wizard_check_number("-1", 1, 64, "vCPU", &v, msg, sizeof(msg)));
    assert_false(wizard_check_number("99999999999999999999999", 1, 64, "vCPU", &v, msg,
                                     sizeof(msg)));
    assert_false(wizard_check_number("", 1, 64, "vCPU", &v, msg, sizeof(msg)));
    assert_string_equal(msg, "Required: 1 to 64 vCPU");
    assert_true(wizard_check_resource_id(CL_ID("cl-seattle"), "customLocations",
                                         "Custom location", msg, sizeof(msg)));
    assert_true(wizard_check_resource_id(IMG_ID("ubuntu"), "galleryImages", "Image", msg,
                                         sizeof(msg)));
    assert_true(wizard_check_resource_id("/subscriptions/" SUB "/resourceGroups/r/providers/"
                                         "Microsoft.AzureStackHCI/marketplacegalleryimages/w",
                                         "galleryImages", "Image", msg, sizeof(msg)));
    assert_false(wizard_check_resource_id("cl-seattle", "customLocations", "Custom location",
                                          msg, sizeof(msg)));
    assert_string_equal(msg, "Use the resource id: /subscriptions/.../customLocations/NAME");
    assert_false(wizard_check_resource_id(CL_ID("cl-seattle"), "galleryImages", "Image", msg,
                                          sizeof(msg)));
    assert_false(wizard_check_resource_id(CL_ID(""), "customLocations", "Custom location", msg,
                                          sizeof(msg)));
    assert_false(wizard_check_resource_id(CL_ID("a b"), "customLocations", "Custom location",
                                          msg, sizeof(msg)));
    assert_string_equal(msg, "A resource id has no spaces, '?', '#' or '%'");
    assert_false(wizard_check_resource_id("", "galleryImages", "Image", msg, sizeof(msg)));
    assert_string_equal(msg, "Image is required (/subscriptions/.../galleryImages/NAME)");
}

static void open_wizard_profile(struct app *a, void *ctx)
{
    struct wizard_case *wc = ctx;
    wc->ops = ops_new(a, app_loop(a));
    assert_non_null(wc->ops);
    wc->popt = (struct plan_options){"2025-09-01-preview", "2024-07-10", false};
    ops_set_context(wc->ops, &wc->c, &wc->popt);
    struct settings_profile p;
    settings_profile_init(&p, "lab");
    assert_true(text_copy(p.resource_group, sizeof(p.resource_group), "web-rg"));
    assert_true(text_copy(p.custom_location, sizeof(p.custom_location), "CL-PORTLAND"));
    struct wizard_opts o = {.location = "eastus",
                            .resource_groups = wiz_rgs,
                            .n_resource_groups = 2,
                            .custom_locations = wiz_cls,
                            .n_custom_locations = 2,
                            .images = wiz_images,
                            .n_images = 2};
    wizard_opts_from_profile(&o, &p);
    assert_string_equal(o.resource_group, "web-rg");
    assert_null(o.subscription);
    wizard_open(a, wc->ops, &o); /* copies: p may go */
}

static void test_wizard_profile_defaults(void **state)
{
    (void)state;
    /* The profile's group and custom location (a name, any case) are chosen in the lists;
     * Right cycles the image. */
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    run_screen("wizard-profile", "vm-7<Tab><Tab><Tab><Right>", open_wizard_profile, &wc);
    ops_free(wc.ops);
    cluster_cleanup(&wc.c);
}

/* Create, committed: a fake ARM answers at once; Progress replaces the wizard. */
struct fake_arm {
    struct gp_loop *loop;
    uint64_t timer;
    exec_vm_done_fn vdone;
    exec_step_done_fn sdone;
    void *dctx;
    char vm_id[512];
    enum plan_step_kind kinds[4];
    char *vmi_body;
    size_t n_steps;
};

static void fake_get_fire(void *ctx)
{
    struct fake_arm *f = ctx;
    f->timer = 0;
    struct vm vm;
    make_vm(&vm, "gpu-vm-01", "ml-rg", "node-04", GPU_ASSIGN_P, NULL);
    vm.id = xdup(f->vm_id);
    struct gp_error err;
    gp_error_clear(&err);
    f->vdone(f->dctx, GP_OK, &vm, &err);
    vm_cleanup(&vm);
}

static enum gp_status fake_get_vm(void *client, const char *vm_id, exec_vm_done_fn done,
                                  void *ctx, struct gp_error *err)
{
    (void)err;
    struct fake_arm *f = client;
    assert_int_equal(f->timer, 0);
    snprintf(f->vm_id, sizeof(f->vm_id), "%s", vm_id);
    f->vdone = done;
    f->dctx = ctx;
    f->timer = loop_timer_add(f->loop, 200, fake_get_fire, f);
    return GP_OK;
}

static void fake_step_fire(void *ctx)
{
    struct fake_arm *f = ctx;
    f->timer = 0;
    struct gp_error err;
    gp_error_clear(&err);
    f->sdone(f->dctx, GP_OK, &err);
}

static enum gp_status fake_run_step(void *client, const struct plan_step *step,
                                    exec_step_done_fn done, void *ctx, struct gp_error *err)
{
    (void)err;
    struct fake_arm *f = client;
    assert_int_equal(f->timer, 0);
    assert_true(f->n_steps < 4);
    f->kinds[f->n_steps++] = step->kind;
    if (step->kind == STEP_CREATE_VMI) {
        free(f->vmi_body);
        f->vmi_body = xdup(step->body);
    }
    f->sdone = done;
    f->dctx = ctx;
    f->timer = loop_timer_add(f->loop, 5000, fake_step_fire, f);
    return GP_OK;
}

static void fake_cancel(void *client, void *ctx)
{
    (void)ctx; /* one operation at a time */
    struct fake_arm *f = client;
    if (f->timer)
        loop_timer_cancel(f->loop, f->timer);
    f->timer = 0;
}

static const struct exec_client_ops fake_arm_ops = {fake_get_vm, fake_run_step, fake_cancel};

static int64_t fixed_wall(void *ctx)
{
    struct gp_loop *loop = ctx;
    return 1764062000 + (int64_t)(loop_now_ms(loop) / 1000u);
}

static void feed(struct app *app, struct gp_loop *loop, const char *keys)
{
    const char *p = keys;
    while (*p) {
        app_key(app, screens_next_key(&p));
        assert_int_equal(loop_run_once(loop, 0), GP_OK);
    }
}

static void test_wizard_create_progress(void **state)
{
    (void)state;
    alarm(30);
    struct wizard_case wc;
    memset(&wc, 0, sizeof(wc));
    fixture_cluster(&wc.c);
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    loop_use_virtual_clock(loop);
    struct app_opts opts = {.no_display = true, .use_color = true, .profile = "lab",
                            .endpoint = "http://127.0.0.1:8443"};
    struct app *app = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    app_vms_begin(app, true);
    app_vms_done(app, NULL);
    open_wizard(app, &wc);
    struct fake_arm fake = {.loop = loop};
    struct exec_options eo = {.no_lock = true, .settle_reads = 3, .settle_interval_ms = 1000};
    ops_set_client(wc.ops, &fake_arm_ops, &fake, NULL, NULL, &eo);
    ops_set_wall_clock(wc.ops, fixed_wall, loop);

    feed(app, loop, "gpu-vm-01<PgDn><Down><F2>");
    assert_int_equal(app_depth(app), 3);
    feed(app, loop, "<Enter>"); /* Create (it has the focus when every rule passed) */
    /* The review and the wizard are gone: Progress sits on the list. */
    assert_int_equal(app_depth(app), 2);
    for (int i = 0; i < 1000 && loop_next_timer_ms(loop) >= 0; i++)
        assert_int_equal(loop_run_once(loop, 0), GP_OK);
    assert_int_equal(ops_running(wc.ops), 0);
    assert_int_equal(fake.n_steps, 2);
    assert_int_equal(fake.kinds[0], STEP_CREATE_MACHINE);
    assert_int_equal(fake.kinds[1], STEP_CREATE_VMI);
    assert_non_null(strstr(fake.vmi_body, "\"assignmentType\":\"GpuP\""));
    assert_non_null(strstr(fake.vmi_body, "\"adminUsername\":\"azureuser\""));

    app_draw_now(app);
    char dump[128];
    snprintf(dump, sizeof(dump), "%s/wizard-created.txt", tmpdir);
    assert_int_equal(app_dump_screen(app, dump, &err), GP_OK);
    app_free(app);
    ops_free(wc.ops);
    loop_free(loop);
    free(fake.vmi_body);
    cluster_cleanup(&wc.c);
    alarm(0);
    screens_compare_golden("wizard-created", dump);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_inventory),
        cmocka_unit_test(test_hosts_no_inventory),
        cmocka_unit_test(test_hosts_mixed),
        cmocka_unit_test(test_hosts_scroll),
        cmocka_unit_test(test_wizard_checks),
        cmocka_unit_test(test_wizard_profile_defaults),
        cmocka_unit_test(test_wizard_basics_errors),
        cmocka_unit_test(test_wizard_review_blocked_by_fields),
        cmocka_unit_test(test_wizard_gpu_partition),
        cmocka_unit_test(test_wizard_modes_offered),
        cmocka_unit_test(test_wizard_gpu_dda),
        cmocka_unit_test(test_wizard_typed_fields),
        cmocka_unit_test(test_wizard_review_all_pass),
        cmocka_unit_test(test_wizard_review_rule_fails),
        cmocka_unit_test(test_wizard_leave),
        cmocka_unit_test(test_wizard_click_tabs),
        cmocka_unit_test(test_wizard_click_buttons),
        cmocka_unit_test(test_wizard_create_progress),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
