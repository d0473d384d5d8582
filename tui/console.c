/* SPDX-License-Identifier: MIT
 * tui/console.c: wires the console's parts together on one loop (style.md 1: behaviour lives
 * in the screens; this file only connects them). */
#include "tui/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/theme.h"
#include "model/journal.h"
#include "model/keymap.h"
#include "model/text.h"
#include "model/theme.h"
#include "model/vmtable.h"
#include "net/loop.h"
#include "net/journal.h"
#include "net/lock.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/fleetsrc.h"
#include "tui/hosts.h"
#include "tui/notify.h"
#include "tui/ops.h"
#include "tui/overview.h"
#include "tui/vmlist.h"
#include "tui/wizard.h"

#ifndef GPUP_THEME_DIR
#define GPUP_THEME_DIR NULL
#endif
#ifndef GPUP_SOURCE_DIR
#define GPUP_SOURCE_DIR NULL
#endif

struct console {
    const struct console_env *env;
    struct app *app;
    struct ops *ops;
    struct plan_options popt;
    struct journal_ops pending; /* unfinished operations found at start */
    uint64_t refresh_timer;     /* ui.refresh_seconds; 0 when off */
};

/* ui.refresh_seconds: the list reloads on a timer that is the only one armed while idle, so
 * the console wakes once per interval and never in between (0 turns it off). */
static void on_refresh_timer(void *ctx)
{
    struct console *c = ctx;
    c->refresh_timer = 0;
    if (app_depth(c->app) == 1) /* not under the operator's feet on another screen */
        app_command(c->app, "refresh");
    int secs = c->env->eff->ui.refresh_seconds;
    if (secs > 0)
        c->refresh_timer = loop_timer_add(c->env->loop, (uint64_t)secs * 1000u, on_refresh_timer, c);
}

/* A running operation's step shows in its VM's row of the home list. */
static void on_op_change(void *ctx, const struct op *op)
{
    struct console *c = ctx;
    if (op->live_known) {
        /* The row shows the VM as the operation last read it (power, then the new GPUs). */
        struct vm row;
        vm_init(&row);
        struct gp_error err;
        if (vm_copy(&row, &op->live) == GP_OK &&
            vmlist_add_rows(app_home(c->app), &row, 1, &err) != GP_OK)
            app_flash(c->app, true, "%s", err.message);
        vm_cleanup(&row);
    }
    char buf[64];
    const char *step = ops_vm_step(c->ops, op->vm_id, buf, sizeof(buf));
    vmlist_set_step(app_home(c->app), op->vm_id, step);
    app_body_dirty(c->app);
}

static void open_hosts(struct console *c)
{
    const struct vmtable *t = vmlist_table(app_home(c->app));
    size_t n = vmtable_count(t);
    const struct vm **vms = calloc(n ? n : 1, sizeof(*vms));
    if (!vms) {
        app_flash(c->app, true, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        vms[i] = vmtable_row(t, i);
    hosts_open(c->app, c->env->cluster, vms, n);
    free(vms);
}

static void open_wizard(struct console *c)
{
    struct wizard_opts wo;
    memset(&wo, 0, sizeof(wo));
    wizard_opts_from_profile(&wo, &c->env->eff->profile);
    wo.subscription = c->env->subscription;
    wo.location = "eastus";
    wizard_open(c->app, c->ops, &wo);
}

/* Resumes every unfinished operation the journal holds that no other gpup is running. */
static void resume_pending(struct console *c)
{
    size_t started = 0, busy = 0;
    for (size_t i = 0; i < c->pending.n; i++) {
        const struct journal_op *jop = &c->pending.ops[i];
        if (!journal_op_needs_attention(jop))
            continue;
        long pid = 0;
        if (c->env->state_dir && vm_lock_is_held(c->env->state_dir, jop->vm_id, &pid)) {
            busy++;
            continue;
        }
        struct op *op = NULL;
        struct gp_error err;
        gp_error_clear(&err);
        if (ops_resume(c->ops, jop, "Resume", &op, &err) == GP_OK)
            started++;
        else
            app_flash(c->app, true, "resume %s: %s", jop->vm_name ? jop->vm_name : "?",
                      err.message);
    }
    journal_ops_cleanup(&c->pending);
    journal_ops_init(&c->pending);
    if (started || busy)
        app_flash(c->app, false, "%zu operation(s) resumed%s", started,
                  busy ? "; others are run by another gpup" : "");
    else
        app_flash(c->app, false, "Nothing to resume");
}

static bool apply_theme(struct console *c, const char *name)
{
    struct theme t;
    theme_init_default(&t);
    struct theme_search ts = {c->env->environ, GPUP_THEME_DIR, GPUP_SOURCE_DIR "/themes"};
    struct gp_error err;
    gp_error_clear(&err);
    if (theme_load(&t, name, &ts, NULL, &err) != GP_OK) {
        app_flash(c->app, true, "%s", err.message);
        return false;
    }
    colors_init(colors_enabled(), &t);
    app_repaint(c->app, true);
    return true;
}

/* ":profile NAME": the console ends and main opens a session on NAME (its endpoint, identity
 * and subscription may all differ), then a new console; the service keeps nothing of ours
 * that a switch could lose, but running operations would be left unwatched, so not then. */
static void switch_profile(struct console *c, const char *name)
{
    const char *current = c->env->eff->profile.name;
    char safe[64];
    text_sanitize(safe, sizeof(safe), name ? name : "");
    if (!name || !*name) {
        app_flash(c->app, true, ":profile needs a profile name (gpup config show lists them)");
    } else if (!c->env->next_profile || c->env->next_profile_size == 0) {
        app_flash(c->app, true, "switching profiles is not available here");
    } else if (str_eq(name, current)) {
        app_flash(c->app, false, "already on profile %s", safe);
    } else if (ops_running(c->ops) > 0) {
        app_flash(c->app, true, "%u operation(s) running: switch profiles when they end",
                  ops_running(c->ops));
    } else if (!text_copy(c->env->next_profile, c->env->next_profile_size, name)) {
        c->env->next_profile[0] = '\0';
        app_flash(c->app, true, "profile name too long: %s", safe);
    } else {
        app_quit(c->app);
    }
}

static bool on_command(void *ctx, struct app *a, const char *cmd, const char *arg)
{
    struct console *c = ctx;
    (void)a;
    if (str_eq(cmd, "hosts")) {
        open_hosts(c);
    } else if (str_eq(cmd, "create")) {
        open_wizard(c);
    } else if (str_eq(cmd, "resume")) {
        resume_pending(c);
    } else if (str_eq(cmd, "notifications")) {
        notify_open_cb(c->ops, c->app);
    } else if (str_eq(cmd, "theme")) {
        if (!arg || !*arg)
            app_flash(c->app, true, ":theme needs a name (dark, light, high-contrast, monochrome)");
        else if (apply_theme(c, arg))
            app_flash(c->app, false, "theme %s", arg);
    } else if (str_eq(cmd, "profile")) {
        switch_profile(c, arg);
    } else {
        return false;
    }
    return true;
}

static void offer_pending(struct console *c)
{
    if (!c->env->state_dir)
        return;
    struct gp_error err;
    gp_error_clear(&err);
    if (journal_file_load(c->env->state_dir, (int64_t)time(NULL), &c->pending, &err) != GP_OK)
        return; /* no journal yet */
    size_t n = 0;
    for (size_t i = 0; i < c->pending.n; i++)
        n += journal_op_needs_attention(&c->pending.ops[i]);
    if (n)
        app_flash(c->app, true, "%zu unfinished operation(s) in the journal: :resume continues "
                                "them, gpup ops list shows them", n);
}

int console_run(const struct console_env *env, struct gp_error *err)
{
    struct console c;
    memset(&c, 0, sizeof(c));
    c.env = env;
    if (env->next_profile && env->next_profile_size)
        env->next_profile[0] = '\0';
    journal_ops_init(&c.pending);

    struct keymap km;
    keymap_init(&km);
    if (keymap_apply(&km, env->eff->ui.keys, env->eff->ui.n_keys, err) != GP_OK)
        return 1;
    struct theme theme;
    theme_init_default(&theme);
    const char *theme_name = env->theme ? env->theme : env->eff->ui.theme;
    if (theme_name && *theme_name) {
        struct theme_search ts = {env->environ, GPUP_THEME_DIR, GPUP_SOURCE_DIR "/themes"};
        if (theme_load(&theme, theme_name, &ts, NULL, err) != GP_OK)
            return 1;
    }
    struct app_opts ao = {
        .use_color = !env->eff->no_color,
        .readonly = env->readonly,
        .profile = env->eff->profile.name[0] ? env->eff->profile.name : NULL,
        .endpoint = env->eff->profile.endpoint,
        .keymap = &km,
        .theme = &theme,
    };
    struct fleet_options fo;
    memset(&fo, 0, sizeof(fo));
    fo.vm_api_version = env->eff->profile.api_version[0] ? env->eff->profile.api_version : NULL;
    struct fleetsrc *src = NULL;
    int rc = 1;
    if (fleetsrc_new(env->arm, env->subscription,
                     env->eff->profile.resource_group[0] ? env->eff->profile.resource_group
                                                         : NULL,
                     &fo, &src, err) != GP_OK)
        return 1;
    if (app_new(&ao, env->loop, &c.app, err) != GP_OK)
        goto done;
    app_set_mouse(c.app, env->eff->ui.mouse);
    vmlist_set_grouped(app_home(c.app), env->eff->ui.group_by_rg);
    c.ops = ops_new(c.app, env->loop);
    if (!c.ops) {
        gp_error_set(err, GP_E_NOMEM, "out of memory");
        goto done;
    }
    struct exec_options eo;
    memset(&eo, 0, sizeof(eo));
    eo.state_dir = env->state_dir;
    ops_set_client(c.ops, env->exec_ops, env->exec_client, env->journal, env->journal_ctx, &eo);
    c.popt = (struct plan_options){
        .api_version = fo.vm_api_version ? fo.vm_api_version : "2025-09-01-preview",
        .machine_api_version = "2024-07-10",
    };
    ops_set_context(c.ops, env->cluster, &c.popt);
    ops_watch(c.ops, on_op_change, &c);
    app_set_source(c.app, &fleetsrc_ops, src);
    app_set_open_vm(c.app, overview_open_cb, c.ops);
    app_set_notifications(c.app, notify_open_cb, c.ops);
    app_set_command_handler(c.app, on_command, &c);
    offer_pending(&c);
    if (env->notice && *env->notice)
        app_flash(c.app, true, "%s", env->notice);
    if (env->eff->ui.refresh_seconds > 0)
        c.refresh_timer = loop_timer_add(env->loop, (uint64_t)env->eff->ui.refresh_seconds * 1000u,
                                         on_refresh_timer, &c);
    rc = app_run(c.app, err) == GP_OK ? 0 : 1;
    if (c.refresh_timer)
        loop_timer_cancel(env->loop, c.refresh_timer);
done:
    if (c.ops)
        ops_unwatch(c.ops, on_op_change, &c);
    app_free(c.app);
    ops_free(c.ops);
    fleetsrc_free(src);
    journal_ops_cleanup(&c.pending);
    return rc;
}
