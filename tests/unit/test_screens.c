/* SPDX-License-Identifier: MIT
 * tests/unit/test_screens.c: the console in-process on a terminal that draws into /dev/null
 * (style.md 8, tig's harness): a script of keys and :dump-screen commands runs against a fixed
 * set of 30 VMs parsed from ARM JSON, and each dump is diffed with tests/screens/NAME.txt.
 * UPDATE_GOLDEN=1 rewrites the goldens (review their diffs). LINES, COLUMNS, TERM, TZ and the
 * locale are pinned; alarm() is the watchdog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/vm.h"
#include "net/loop.h"
#include "model/text.h"
#include "net/arm.h"
#include "tui/app.h"
#include "tui/fleetsrc.h"
#include "tui/term.h"
#include "model/vmtable.h"
#include "tui/vmlist.h"
#include "tests/support/screens.h"

#define SUB SCREENS_SUB
#define REFRESHED_AT 1764062000 /* 2025-11-25 09:13:20 UTC */

#define GPUP_P "[{\"assignmentType\": \"GpuP\", \"partitionSizeMB\": 3648}]"
#define GPU_DDA "[{\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A2\"}]"
#define GPU_DDA2                                                                               \
    "[{\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A16\"},"                          \
    " {\"assignmentType\": \"GpuDDA\", \"gpuName\": \"NVIDIA A16\"}]"

static const struct screens_vm fleet[] = {
    {"train-01", "ml-rg", "node-01", "Running", "Succeeded", 8, 32768, GPUP_P, NULL},
    {"train-02", "ml-rg", "node-01", "Running", "Succeeded", 8, 32768, GPUP_P, NULL},
    {"train-03", "ml-rg", "node-02", "Stopped", "Succeeded", 8, 32768, GPUP_P, NULL},
    {"train-04", "ml-rg", "node-02", "Running", "Succeeded", 16, 65536, GPU_DDA, NULL},
    {"infer-01", "ml-rg", "node-03", "Running", "Succeeded", 4, 16384, GPUP_P, NULL},
    {"infer-02", "ml-rg", "node-03", "Deallocated", "Succeeded", 4, 16384, NULL, NULL},
    {"render-01", "media-rg", "node-04", "Running", "Succeeded", 32, 131072, GPU_DDA2, NULL},
    {"render-02", "media-rg", "node-04", "Starting", "InProgress", 32, 131072, NULL, NULL},
    {"web-01", "web-rg", "node-01", "Running", "Succeeded", 2, 4096, NULL, NULL},
    {"web-02", "web-rg", "node-02", "Running", "Succeeded", 2, 4096, NULL, NULL},
    {"web-03", "web-rg", "node-03", "Running", "Succeeded", 2, 4096, NULL, NULL},
    {"web-10", "web-rg", "node-04", "Stopped", "Succeeded", 2, 4096, NULL, NULL},
    {"db-01", "data-rg", "node-01", "Running", "Succeeded", 8, 65536, NULL, NULL},
    {"db-02", "data-rg", "node-02", "Running", "Failed", 8, 65536, NULL, NULL},
    {"cache-01", "data-rg", "node-03", "Running", "Succeeded", 4, 8192, NULL, NULL},
    {"etl-01", "data-rg", "node-04", "Stopped", "Succeeded", 8, 16384, "[]", NULL},
    {"jump-01", "ops-rg", NULL, "Running", "Succeeded", 1, 2048, NULL, NULL},
    {"build-01", "ops-rg", "node-01", "Running", "Succeeded", 16, 32768, NULL, NULL},
    {"build-02", "ops-rg", "node-02", "Stopping", "InProgress", 16, 32768, NULL, NULL},
    {"monitor-01", "ops-rg", "node-03", "Running", "Succeeded", 2, 3000, NULL, NULL},
    {"vdi-01", "vdi-rg", "node-01", "Running", "Succeeded", 4, 8192, GPUP_P, NULL},
    {"vdi-02", "vdi-rg", "node-02", "Running", "Succeeded", 4, 8192, GPUP_P, NULL},
    {"vdi-03", "vdi-rg", "node-03", "Stopped", "Succeeded", 4, 8192, GPUP_P, NULL},
    {"vdi-04", "vdi-rg", "node-04", "Deallocated", "Succeeded", 4, 8192, NULL, NULL},
    {"lab-a", "lab-rg", "node-01", "Paused", "Succeeded", 2, 4096, NULL, NULL},
    {"lab-b", "lab-rg", "node-02", "Running", "Accepted", 2, 4096, NULL, NULL},
    {"lab-\x1b[31mred", "lab-rg", "node-03", "Running", "Succeeded", 2, 4096, NULL, NULL},
    {"sim-gpu-01", "sim-rg", "node-04", "Running", "Succeeded", 8, 16384, GPUP_P, NULL},
    {"sim-gpu-02", "sim-rg", "node-04", "Saved", "Succeeded", 8, 16384, GPUP_P, NULL},
    {"archive-01", "ops-rg", "node-01", "Deallocated", "Succeeded", 1, 1024, NULL, NULL},
};
#define FLEET_N (sizeof(fleet) / sizeof(fleet[0]))

static char tmpdir[64];
static pid_t running_sim = -1; /* stopped by teardown_all when a test failed midway */

static int setup_all(void **state)
{
    (void)state;
    return screens_setup(tmpdir, sizeof(tmpdir), "screens");
}

static int teardown_all(void **state)
{
    (void)state;
    if (running_sim > 0) {
        kill(running_sim, SIGTERM);
        while (waitpid(running_sim, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    return screens_teardown(tmpdir);
}

/* A stand-in for the VM overview (later work): its breadcrumb is the VM's name. */
struct stub_screen {
    struct screen screen;
    char name[64];
};

static const char *stub_crumb(struct screen *s)
{
    return ((struct stub_screen *)s)->name;
}

static void stub_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    mvwprintw(w, 1, 2, "overview of %s", ((struct stub_screen *)s)->name);
}

static void stub_destroy(struct screen *s)
{
    free(s);
}

static const struct screen_ops stub_ops = {.name = "VM", .ctx = KM_VM, .crumb = stub_crumb,
                                           .draw = stub_draw, .destroy = stub_destroy};

static void open_stub(void *ctx, struct app *a, const struct vm *vm)
{
    int *opened = ctx;
    (*opened)++;
    struct stub_screen *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    st->screen.ops = &stub_ops;
    snprintf(st->name, sizeof(st->name), "%s", vm->name);
    app_push(a, &st->screen);
}

struct run {
    const char *keys;
    bool steps;    /* two VMs show an operation's step */
    bool readonly;
    bool loading;  /* the load has not finished */
    bool refresh;  /* then a refresh has brought the first 12 rows again */
    unsigned ops;  /* operations running */
    bool mouse;    /* ui.mouse */
    int opened;    /* out: VMs opened with Enter */
};

/* The id of the VM named name in the home table. */
static const char *id_of(struct app *app, const char *name)
{
    const struct vmtable *t = vmlist_table(app_home(app));
    for (size_t i = 0; i < vmtable_count(t); i++)
        if (strcmp(vmtable_row(t, i)->name, name) == 0)
            return vmtable_row(t, i)->id;
    fail_msg("no VM %s", name);
    return NULL;
}

/* The fleet as the service lists it (FLEET_N VMs; vm_array_free them). */
static struct vm *fleet_vms(size_t *out_n)
{
    char *page = screens_fleet_page(fleet, FLEET_N);
    struct vm *vms = NULL;
    char *next = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    *out_n = 0;
    assert_int_equal(vm_list_from_json(page, strlen(page), &vms, out_n, &next, NULL, &err),
                     GP_OK);
    assert_int_equal(*out_n, FLEET_N);
    free(page);
    free(next);
    return vms;
}

/* Starts the console over the fleet (pages of 12 and 18). */
static struct app *start(struct gp_loop **out_loop, const char *script, struct run *r)
{
    struct gp_loop *loop = NULL;
    struct app *app = screens_app_new(&loop, script, r->readonly);
    struct gp_error err;
    gp_error_clear(&err);
    app_set_open_vm(app, open_stub, &r->opened);
    app_set_mouse(app, r->mouse);

    size_t n = 0;
    struct vm *vms = fleet_vms(&n);
    app_vms_begin(app, true);
    assert_int_equal(app_add_vms(app, vms, 12, 0, &err), GP_OK);
    if (!r->loading) {
        assert_int_equal(app_add_vms(app, vms + 12, n - 12, 0, &err), GP_OK);
        app_vms_done(app, NULL);
        app_set_refreshed(app, REFRESHED_AT);
    }
    app_set_counts(app, r->ops, 2);
    vm_array_free(vms, n); /* emptied: the table took the contents */
    if (r->refresh) {
        vms = fleet_vms(&n);
        app_vms_begin(app, false);
        assert_int_equal(app_add_vms(app, vms, 12, 0, &err), GP_OK);
        vm_array_free(vms, n);
    }
    if (r->steps) {
        app_set_vm_step(app, id_of(app, "train-02"), "stopping 1/3");
        app_set_vm_step(app, id_of(app, "train-04"), "attaching 2/3");
        app_set_vm_step(app, id_of(app, "train-04"), "starting 3/3");
        app_set_vm_step(app, id_of(app, "infer-02"), "gone");
        app_set_vm_step(app, id_of(app, "infer-02"), NULL);
    }
    *out_loop = loop;
    return app;
}

/* Runs the console with r->keys, then diffs the final screen with the golden
 * tests/screens/NAME.txt. */
static void run_screen(const char *name, struct run *r)
{
    alarm(30);
    char dump[128], script[1024];
    snprintf(dump, sizeof(dump), "%s/%s.txt", tmpdir, name);
    snprintf(script, sizeof(script), "%s\n:dump-screen %s\n", r->keys, dump);

    struct gp_loop *loop = NULL;
    struct app *app = start(&loop, script, r);
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = app_run(app, &err);
    app_free(app);
    loop_free(loop);
    alarm(0);
    if (st != GP_OK)
        fail_msg("app_run: %s", err.message);

    screens_compare_golden(name, dump);
}

static void run_keys(const char *name, const char *keys, bool readonly)
{
    struct run r = {.keys = keys, .readonly = readonly};
    run_screen(name, &r);
}

static void test_home(void **state)
{
    (void)state;
    run_keys("home", "<Down><Down>", false);
}

static void test_filter_gpu(void **state)
{
    (void)state;
    run_keys("filter-gpu", "/gpu", false);
}

static void test_filter_kept(void **state)
{
    (void)state;
    /* Enter keeps the filter; a backspaced, retyped filter gives the same rows. */
    run_keys("filter-kept", "/node-05<BS>4<Enter><End>", true);
}

static void test_filter_cleared(void **state)
{
    (void)state;
    run_keys("filter-cleared", "/zzz<Esc>G", false);
}

static void test_sort_power(void **state)
{
    (void)state;
    run_keys("sort-power", "4", false);
}

static void test_sort_size_desc(void **state)
{
    (void)state;
    run_keys("sort-size-desc", "66", false);
}

/* Grouped by resource group: each group's name on its first row and atop the page, the count
 * of groups; sorting still orders the rows inside each group; b again ungroups. */
static void test_grouped(void **state)
{
    (void)state;
    run_keys("grouped", "b", false);
    run_keys("grouped-scrolled-power", "b4<PgDn>jj", false);
    run_keys("grouped-off", "bb", false);
}

static void test_help(void **state)
{
    (void)state;
    run_keys("help", "?", false);
}

static void test_too_small(void **state)
{
    (void)state;
    run_keys("too-small", ":resize 60x20", false);
}

static void test_resize_back(void **state)
{
    (void)state;
    run_keys("resize-back", ":resize 60x20\n:resize 100x30\nG", false);
}

static void test_loading(void **state)
{
    (void)state;
    /* The first page is in, the load goes on: the rows show with the loading indicator. */
    struct run r = {.keys = "j", .loading = true};
    run_screen("loading", &r);
}

static void test_refreshing(void **state)
{
    (void)state;
    /* A refresh under way: every row still shows, the info line counts the refreshed ones. */
    struct run r = {.keys = "j", .refresh = true};
    run_screen("refreshing", &r);
}

static void test_open_vm(void **state)
{
    (void)state;
    /* Enter on the third row opens it: the breadcrumb names it; Esc comes back, Enter again. */
    struct run r = {.keys = "jj<Enter><Esc><Enter>"};
    run_screen("open-vm", &r);
    assert_int_equal(r.opened, 2);
}

static void test_filter_moves_selection(void **state)
{
    (void)state;
    /* The last VM (web-10, node-04) is selected, then filtered out: the first match is
     * selected and Enter opens it, not a row that stood at the old position. */
    struct run r = {.keys = "G/node-03<Enter><Enter>"};
    run_screen("filter-moves-selection", &r);
    assert_int_equal(r.opened, 1);
}

static void test_quit_with_ops(void **state)
{
    (void)state;
    /* q with operations running asks first. */
    struct run r = {.keys = "q", .ops = 1};
    run_screen("quit-ops", &r);
}

static void test_help_end(void **state)
{
    (void)state;
    run_keys("help-end", "?G", false);
}

static void test_cursor_repaints_two_lines(void **state)
{
    (void)state;
    struct run r = {.keys = ""};
    struct gp_loop *loop = NULL;
    struct app *app = start(&loop, "", &r);
    app_draw_now(app);
    struct vmlist *vl = app_home(app);
    unsigned long before = vmlist_rows_drawn(vl);
    app_key(app, 'j');
    app_draw_now(app);
    assert_int_equal(vmlist_rows_drawn(vl) - before, 2);
    assert_string_equal(vmlist_selected(vl)->name, "build-01");
    /* Three keys in one pass: the four rows they touched. */
    before = vmlist_rows_drawn(vl);
    app_key(app, 'j');
    app_key(app, 'j');
    app_key(app, 'k');
    app_draw_now(app);
    assert_int_equal(vmlist_rows_drawn(vl) - before, 3);
    assert_string_equal(vmlist_selected(vl)->name, "build-02");
    /* Nothing changed: nothing drawn. */
    before = vmlist_rows_drawn(vl);
    app_draw_now(app);
    assert_int_equal(vmlist_rows_drawn(vl) - before, 0);
    /* A page down scrolls: the whole page. */
    app_key(app, KEY_CODE_PGDN);
    app_draw_now(app);
    assert_int_equal(vmlist_rows_drawn(vl) - before, 20);
    /* Unknown keys do nothing. */
    before = vmlist_rows_drawn(vl);
    app_key(app, 'x');
    app_draw_now(app);
    assert_int_equal(vmlist_rows_drawn(vl) - before, 0);
    app_free(app);
    loop_free(loop);
}

/* ":vm NAME" typed while the list still loads opens the VM when its row arrives; a name that
 * never arrives is reported when the load ends. */
static void test_palette_vm_while_loading(void **state)
{
    (void)state;
    struct run r = {.keys = "", .loading = true};
    struct gp_loop *loop = NULL;
    struct app *app = start(&loop, "", &r);
    app_command(app, "vm vdi-02");
    assert_int_equal(r.opened, 0);
    assert_int_equal(app_depth(app), 1);

    size_t n = 0;
    struct vm *vms = fleet_vms(&n);
    struct gp_error err;
    gp_error_clear(&err);
    /* The page with vdi-02 arrives: it opens at once, before the load ends. */
    assert_int_equal(app_add_vms(app, vms + 12, n - 12, 0, &err), GP_OK);
    assert_int_equal(r.opened, 1);
    assert_int_equal(app_depth(app), 2);
    assert_string_equal(vmlist_selected(app_home(app))->name, "vdi-02");
    app_vms_done(app, NULL);
    assert_int_equal(r.opened, 1);
    vm_array_free(vms, n);
    app_free(app);
    loop_free(loop);

    /* A prefix is not taken while rows may still bring the exact name; an unknown name is
     * reported when the load ends without it. */
    r = (struct run){.keys = "", .loading = true};
    app = start(&loop, "", &r);
    app_command(app, "vm web-1");
    assert_int_equal(r.opened, 0);
    app_vms_done(app, NULL);
    assert_int_equal(r.opened, 1); /* web-10, the only VM it starts */
    app_free(app);
    loop_free(loop);

    r = (struct run){.keys = ":vm nope<Enter>", .loading = true};
    run_screen("palette-unknown-loading", &r);
    assert_int_equal(r.opened, 0);
}

/* A reload (r, or ui.refresh_seconds) keeps the operator's place in the list. */
static void test_reload_keeps_selection(void **state)
{
    (void)state;
    struct run r = {.keys = ""};
    struct gp_loop *loop = NULL;
    struct app *app = start(&loop, "", &r);
    struct vmlist *vl = app_home(app);
    app_key(app, 'j');
    app_key(app, 'j');
    assert_string_equal(vmlist_selected(vl)->name, "build-02");

    size_t n = 0;
    struct vm *vms = fleet_vms(&n);
    struct gp_error err;
    gp_error_clear(&err);
    app_vms_begin(app, true);
    assert_null(vmlist_selected(vl)); /* the rows are gone while the reload runs */
    assert_int_equal(app_add_vms(app, vms, n, 0, &err), GP_OK);
    app_vms_done(app, NULL);
    assert_string_equal(vmlist_selected(vl)->name, "build-02");
    vm_array_free(vms, n);

    /* A refresh keeps the rows and the selection on show while it runs; at its end the VMs it
     * did not bring (build-01, first in the list, and cache-01) are gone and the selection has
     * stayed on its VM. */
    vms = fleet_vms(&n);
    app_vms_begin(app, false);
    assert_int_equal(vmtable_count(vmlist_table(vl)), FLEET_N);
    assert_string_equal(vmlist_selected(vl)->name, "build-02");
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(vms[i].name, "build-01") == 0 || strcmp(vms[i].name, "cache-01") == 0)
            continue;
        struct vm one = vms[i];
        vm_init(&vms[i]);
        assert_int_equal(app_add_vms(app, &one, 1, 0, &err), GP_OK);
        vm_cleanup(&one);
        kept++;
        assert_int_equal(vmtable_count(vmlist_table(vl)), FLEET_N);
    }
    app_vms_done(app, NULL);
    assert_int_equal(vmtable_count(vmlist_table(vl)), kept);
    assert_int_equal(kept, FLEET_N - 2);
    assert_string_equal(vmlist_selected(vl)->name, "build-02");
    vm_array_free(vms, n);

    /* A refresh that fails midway keeps every row, those it did not bring included. */
    vms = fleet_vms(&n);
    app_vms_begin(app, false);
    assert_int_equal(app_add_vms(app, vms, 3, 0, &err), GP_OK);
    gp_error_clear(&err);
    (void)gp_error_set(&err, GP_E_HTTP, "HTTP 503 ServiceUnavailable");
    app_vms_done(app, &err);
    assert_int_equal(vmtable_count(vmlist_table(vl)), FLEET_N - 2);
    vm_array_free(vms, n);
    app_free(app);
    loop_free(loop);
}

static void test_ascii_locale(void **state)
{
    (void)state;
    /* Without UTF-8: ASCII dashes, "~" for cut text, "x" in the too-small message. */
    assert_non_null(setlocale(LC_ALL, "C"));
    run_keys("home-ascii", "S", false);
    run_keys("too-small-ascii", ":resize 70x10", false);
    assert_non_null(setlocale(LC_ALL, ""));
}

static void test_palette(void **state)
{
    (void)state;
    /* :rg filters to a group; :vm with Tab completion opens a VM. */
    run_keys("palette-rg", ":rg vdi<Tab><Enter>", false);
    struct run r = {.keys = ":rg vdi-rg<Enter>:vm tra<Tab>"};
    run_screen("palette-complete", &r);
    r = (struct run){.keys = ":vm train-04<Enter>"};
    run_screen("palette-vm", &r);
    assert_int_equal(r.opened, 1);
    run_keys("palette-unknown", ":vm nope<Enter>", false);
    /* Tab with several commands matching lists them; with one, completes it. */
    run_keys("palette-list", ":<Tab>", false);
    run_keys("palette-r", ":r<Tab>", false);
    run_keys("palette-cmd", ":zz<Enter>", false);
}

static void test_steps(void **state)
{
    (void)state;
    struct run r = {.keys = "/train<Enter>j", .steps = true};
    run_screen("steps", &r);
}

static void test_remapped_keys(void **state)
{
    (void)state;
    struct keymap km;
    struct gp_error err;
    keymap_init(&km);
    gp_error_clear(&err);
    assert_int_equal(keymap_bind(&km, "down", "<Down> n", &err), GP_OK);
    assert_int_equal(keymap_bind(&km, "quit", "C-q", &err), GP_OK);
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    struct app_opts opts = {.no_display = true, .keymap = &km, .script = "nn\nq\n<C-q>\nj\n"};
    struct app *app = NULL;
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    size_t n = 0;
    struct vm *vms = fleet_vms(&n);
    assert_int_equal(app_add_vms(app, vms, n, 0, &err), GP_OK);
    vm_array_free(vms, n);
    alarm(30);
    /* "q" is no longer quit; C-q is, so "j" after it never runs. */
    assert_int_equal(app_run(app, &err), GP_OK);
    alarm(0);
    assert_string_equal(vmlist_selected(app_home(app))->name, "build-02");
    app_free(app);
    loop_free(loop);
}

static void test_no_display_paints_and_ends(void **state)
{
    (void)state;
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    struct app_opts opts = {.no_display = true, .exit_when_idle = true};
    struct app *app = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    alarm(30);
    assert_int_equal(app_run(app, &err), GP_OK);
    alarm(0);
    app_free(app);
    loop_free(loop);
}

static void test_dump_error(void **state)
{
    (void)state;
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    struct app_opts opts = {.no_display = true,
                            .script = ":dump-screen /nonexistent/dir/x.txt\nj\n"};
    struct app *app = NULL;
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    alarm(30);
    assert_int_equal(app_run(app, &err), GP_E_IO);
    alarm(0);
    assert_non_null(strstr(err.message, "/nonexistent/dir/x.txt"));
    app_free(app);
    loop_free(loop);
}

static void test_key_translation(void **state)
{
    (void)state;
    assert_int_equal(tui_key_from_curses(1, KEY_DOWN), KEY_CODE_DOWN);
    assert_int_equal(tui_key_from_curses(1, KEY_NPAGE), KEY_CODE_PGDN);
    assert_int_equal(tui_key_from_curses(1, KEY_F(5)), KEY_CODE_F5);
    assert_int_equal(tui_key_from_curses(1, KEY_ENTER), KEY_CODE_ENTER);
    assert_int_equal(tui_key_from_curses(1, KEY_RESIZE), KEY_CODE_RESIZE);
    assert_int_equal(tui_key_from_curses(1, KEY_MOUSE), 0);
    assert_int_equal(tui_key_from_curses(0, '\r'), KEY_CODE_ENTER);
    assert_int_equal(tui_key_from_curses(0, '\n'), KEY_CODE_ENTER);
    assert_int_equal(tui_key_from_curses(0, 127), KEY_CODE_BACKSPACE);
    assert_int_equal(tui_key_from_curses(0, 12), KEY_CODE_CTRL('l'));
    assert_int_equal(tui_key_from_curses(0, 0xe9), 0xe9);
}

/* --- mouse (ui.mouse, --mouse) ------------------------------------------------------------- */

/* Terminal rows of the Home screen at 80x24: 0 breadcrumb, 1 column titles, 2..21 list rows,
 * 22 the count, 23 the status line. Columns: Power from 30, vCPU/mem from 51 (home.txt). */
#define WHEEL_DOWN ":mouse wheel-down 10 10\n"

static void test_mouse_wheel(void **state)
{
    (void)state;
    /* A notch is three Up / Down keys, through the scroll: eight down (row 24, the list
     * scrolled by five), one up (row 21, the view stays). The keys give the same screen. */
    struct run r = {.keys = WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN
                        WHEEL_DOWN WHEEL_DOWN ":mouse wheel-up 10 10",
                    .mouse = true};
    run_screen("mouse-wheel", &r);
    run_keys("mouse-wheel", "jjjjjjjjjjjjjjjjjjjjjjjj<Up><Up><Up>", false);
    /* On the list scrolled by five, a click on the first row shown selects row 5. */
    r = (struct run){.keys = WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN WHEEL_DOWN
                         WHEEL_DOWN WHEEL_DOWN ":mouse click 2 3",
                     .mouse = true};
    run_screen("mouse-click-scrolled", &r);
    assert_int_equal(r.opened, 0);
}

static void test_mouse_click_opens(void **state)
{
    (void)state;
    /* A click selects; a click on the selected row opens it as Enter does. */
    struct run r = {.keys = ":mouse click 6 40\n:mouse click 6 40", .mouse = true};
    run_screen("mouse-open", &r);
    assert_int_equal(r.opened, 1);

    r = (struct run){.keys = "", .mouse = true};
    struct gp_loop *loop = NULL;
    struct app *app = start(&loop, "", &r);
    struct vmlist *vl = app_home(app);
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 6, 5});
    assert_string_equal(vmlist_selected(vl)->name, "archive-01"); /* not drawn yet: nothing */
    app_draw_now(app);
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 6, 5});
    assert_string_equal(vmlist_selected(vl)->name, "db-01");
    assert_int_equal(r.opened, 0);
    /* The wheel over the status lines, clicks on them, on the count line and on the leading
     * space of the titles: nothing. */
    static const struct tui_mouse nothing[] = {
        {TUI_MOUSE_CLICK, 0, 5},       {TUI_MOUSE_CLICK, 23, 5}, {TUI_MOUSE_CLICK, 22, 5},
        {TUI_MOUSE_DOUBLE, 22, 5},     {TUI_MOUSE_CLICK, 1, 0},  {TUI_MOUSE_WHEEL_UP, 0, 5},
        {TUI_MOUSE_WHEEL_DOWN, 23, 5}, {TUI_MOUSE_CLICK, 24, 5}, {TUI_MOUSE_CLICK, 6, 80},
    };
    for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
        app_mouse(app, &nothing[i]);
        assert_string_equal(vmlist_selected(vl)->name, "db-01");
        assert_int_equal(vmtable_sort_column(vmlist_table(vl)), VMCOL_NAME);
        assert_int_equal(app_depth(app), 1);
    }
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 6, 5});
    assert_int_equal(r.opened, 1);
    assert_int_equal(app_depth(app), 2);
    /* Clicks on a screen not drawn yet do nothing; Esc comes back. */
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 6, 5});
    assert_int_equal(r.opened, 1);
    app_key(app, KEY_CODE_ESC);
    assert_int_equal(app_depth(app), 1);
    /* A double-click on another row opens it at once. */
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_DOUBLE, 5, 5});
    assert_int_equal(r.opened, 2);
    assert_string_equal(vmlist_selected(vl)->name, "cache-01");
    app_key(app, KEY_CODE_ESC);
    /* While a filter is typed, a click keeps it (as Enter) and selects. */
    app_key(app, '/');
    app_key(app, 'w');
    app_key(app, 'e');
    app_key(app, 'b');
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 4, 5});
    assert_string_equal(vmlist_selected(vl)->name, "web-03");
    assert_int_equal(vmtable_visible(vmlist_table(vl)), 4);
    app_key(app, 'j'); /* a list key again, not filter text */
    assert_string_equal(vmlist_selected(vl)->name, "web-10");
    /* Below the last row of a short list: nothing. */
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 8, 5});
    assert_string_equal(vmlist_selected(vl)->name, "web-10");
    assert_int_equal(r.opened, 2);
    /* The palette open, or the terminal too small: nothing. */
    app_key(app, ':');
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 2, 5});
    app_key(app, KEY_CODE_ESC);
    assert_string_equal(vmlist_selected(vl)->name, "web-10");
    tui_resize(20, 60);
    app_key(app, KEY_CODE_RESIZE);
    app_mouse(app, &(struct tui_mouse){TUI_MOUSE_CLICK, 2, 5});
    assert_string_equal(vmlist_selected(vl)->name, "web-10");
    app_free(app);
    loop_free(loop);
}

static void test_mouse_header_sorts(void **state)
{
    (void)state;
    /* A click on a column title sorts as its key does (4: power), the same title again
     * reverses (66: vCPU/mem descending): the very screens of those keys. */
    struct run r = {.keys = ":mouse click 1 32", .mouse = true};
    run_screen("sort-power", &r);
    r = (struct run){.keys = ":mouse click 1 53\n:mouse click 1 53", .mouse = true};
    run_screen("sort-size-desc", &r);
    /* The gap after a column is the column's. */
    r = (struct run){.keys = ":mouse click 1 40", .mouse = true};
    run_screen("sort-power", &r);
}

static void test_mouse_off(void **state)
{
    (void)state;
    /* Off (the default): mouse events change nothing; the keys after them work as ever. */
    struct run r = {.keys = ":mouse click 6 5\n:mouse click 6 5\n:mouse double-click 7 5\n"
                            ":mouse wheel-down 10 10\n:mouse click 1 32\n<Down><Down>"};
    run_screen("home", &r);
    assert_int_equal(r.opened, 0);
    /* On, events outside the list's rows and titles change nothing either. */
    r = (struct run){.keys = ":mouse click 0 5\n:mouse click 23 40\n:mouse click 22 5\n"
                             ":mouse wheel-down 23 5\n:mouse wheel-up 0 5\n<Down><Down>",
                     .mouse = true};
    run_screen("home", &r);
    assert_int_equal(r.opened, 0);
}

static void test_mouse_script_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {":mouse squeak 1 1\nj\n", ":mouse click 1\nj\n",
                                      ":mouse click 1 2 3\nj\n", ":mouse click -1 2\nj\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct gp_loop *loop = NULL;
        assert_int_equal(loop_new(&loop), GP_OK);
        struct app_opts opts = {.no_display = true, .script = bad[i]};
        struct app *app = NULL;
        struct gp_error err;
        gp_error_clear(&err);
        assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
        app_set_mouse(app, true);
        alarm(30);
        assert_int_equal(app_run(app, &err), GP_E_INVALID);
        alarm(0);
        assert_non_null(strstr(err.message, ":mouse"));
        app_free(app);
        loop_free(loop);
    }
}

static void test_mouse_translation(void **state)
{
    (void)state;
    struct tui_mouse m = {TUI_MOUSE_WHEEL_UP, -1, -1};
    assert_true(tui_mouse_from_curses(BUTTON1_PRESSED, 3, 4, &m));
    assert_int_equal(m.kind, TUI_MOUSE_CLICK);
    assert_int_equal(m.y, 3);
    assert_int_equal(m.x, 4);
    assert_true(tui_mouse_from_curses(BUTTON1_CLICKED, 0, 0, &m));
    assert_int_equal(m.kind, TUI_MOUSE_CLICK);
    assert_true(tui_mouse_from_curses(BUTTON1_DOUBLE_CLICKED, 0, 0, &m));
    assert_int_equal(m.kind, TUI_MOUSE_DOUBLE);
    assert_true(tui_mouse_from_curses(BUTTON4_PRESSED, 0, 0, &m));
    assert_int_equal(m.kind, TUI_MOUSE_WHEEL_UP);
    assert_true(tui_mouse_from_curses(BUTTON5_PRESSED, 0, 0, &m));
    assert_int_equal(m.kind, TUI_MOUSE_WHEEL_DOWN);
    assert_false(tui_mouse_from_curses(BUTTON1_RELEASED, 0, 0, &m));
    assert_false(tui_mouse_from_curses(BUTTON3_PRESSED, 0, 0, &m));
    assert_false(tui_mouse_from_curses(REPORT_MOUSE_POSITION, 0, 0, &m));
    assert_false(tui_mouse_from_curses(0, 0, 0, &m));
    for (int k = 0; k < TUI_MOUSE_KIND_COUNT; k++) {
        enum tui_mouse_kind back = TUI_MOUSE_KIND_COUNT;
        assert_true(tui_mouse_kind_parse(tui_mouse_kind_name((enum tui_mouse_kind)k), &back));
        assert_int_equal(back, k);
    }
    enum tui_mouse_kind none = TUI_MOUSE_CLICK;
    assert_false(tui_mouse_kind_parse("Click", &none));
    assert_false(tui_mouse_kind_parse(NULL, &none));
}

/* gpup-sim on a random port ("listening on http://HOST:PORT" is its first line). */
static pid_t sim_start(char *endpoint, size_t n)
{
    const char *bin = getenv("GPUP_SIM");
    if (!bin || access(bin, X_OK) != 0)
        return -1;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(bin, bin, "--listen", "127.0.0.1:0", "--fleet", "24", "--hosts", "2", "--seed",
              "7", "--op-ms", "0", "--token", "screens-token", "--quiet", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[256];
    size_t len = 0;
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        assert_true(poll(&pfd, 1, 10000) > 0); /* a watchdog, not a timing assertion */
        assert_true(read(p[0], line + len, 1) == 1);
        if (line[len] == '\n' || len + 2 >= sizeof(line))
            break;
        len++;
    }
    line[len] = '\0';
    close(p[0]);
    const char *url = strstr(line, "http://");
    assert_non_null(url);
    assert_true(text_copy(endpoint, n, url));
    return pid;
}

static void test_fleet_source(void **state)
{
    (void)state;
    char endpoint[128];
    pid_t sim = sim_start(endpoint, sizeof(endpoint));
    if (sim < 0)
        skip();
    running_sim = sim;
    alarm(60);
    struct gp_loop *loop = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    struct gp_error err;
    gp_error_clear(&err);
    struct arm_options ao = {.endpoint = endpoint};
    struct arm_client *arm = NULL;
    assert_int_equal(arm_client_new(loop, &ao, &arm_static_token_ops, (void *)"screens-token",
                                    &arm, &err),
                     GP_OK);
    struct fleetsrc *src = NULL;
    assert_int_equal(fleetsrc_new(arm, SUB, NULL, NULL, &src, &err), GP_OK);
    char dump[128], script[512];
    snprintf(dump, sizeof(dump), "%s/fleet.txt", tmpdir);
    /* The script waits while requests are in flight: the dumps show the loaded list, then
     * the list loaded again after r. */
    snprintf(script, sizeof(script), ":dump-screen %s\nr\n:dump-screen %s.2\n", dump, dump);
    struct app_opts opts = {.no_display = true, .endpoint = endpoint, .script = script};
    struct app *app = NULL;
    assert_int_equal(app_new(&opts, loop, &app, &err), GP_OK);
    app_set_source(app, &fleetsrc_ops, src);
    assert_int_equal(app_run(app, &err), GP_OK);
    assert_int_equal(vmtable_count(vmlist_table(app_home(app))), 24);
    app_free(app);
    fleetsrc_free(src);
    arm_client_free(arm);
    loop_free(loop);
    kill(sim, SIGTERM);
    while (waitpid(sim, NULL, 0) < 0 && errno == EINTR)
        ;
    running_sim = -1;
    alarm(0);
    for (int i = 0; i < 2; i++) {
        char path[160];
        snprintf(path, sizeof(path), i ? "%s.2" : "%s", dump);
        char *got = screens_slurp(path);
        assert_non_null(got);
        if (!strstr(got, "24 VMs") || strstr(got, "loading") || !strstr(got, "updated "))
            fail_msg("unexpected screen:\n%s", got);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home),           cmocka_unit_test(test_filter_gpu),
        cmocka_unit_test(test_filter_kept),    cmocka_unit_test(test_filter_cleared),
        cmocka_unit_test(test_sort_power),     cmocka_unit_test(test_sort_size_desc),
        cmocka_unit_test(test_grouped),
        cmocka_unit_test(test_help),           cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_resize_back),    cmocka_unit_test(test_loading),
        cmocka_unit_test(test_open_vm),        cmocka_unit_test(test_quit_with_ops),
        cmocka_unit_test(test_help_end),       cmocka_unit_test(test_cursor_repaints_two_lines),
        cmocka_unit_test(test_ascii_locale),   cmocka_unit_test(test_remapped_keys),
        cmocka_unit_test(test_palette),        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_dump_error),
        cmocka_unit_test(test_no_display_paints_and_ends),
        cmocka_unit_test(test_reload_keeps_selection),
        cmocka_unit_test(test_palette_vm_while_loading),
        cmocka_unit_test(test_refreshing),
        cmocka_unit_test(test_filter_moves_selection),
        cmocka_unit_test(test_key_translation), cmocka_unit_test(test_fleet_source),
        cmocka_unit_test(test_mouse_wheel),
        cmocka_unit_test(test_mouse_click_opens),
        cmocka_unit_test(test_mouse_header_sorts),
        cmocka_unit_test(test_mouse_off),
        cmocka_unit_test(test_mouse_script_errors),
        cmocka_unit_test(test_mouse_translation),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
