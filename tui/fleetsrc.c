/* SPDX-License-Identifier: MIT
 * tui/fleetsrc.c: net/fleet listings feeding the Virtual machines screen. */
#include "tui/fleetsrc.h"

#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "net/loop.h"

struct fleetsrc {
    struct arm_client *arm;
    char *subscription;
    char *resource_group;
    struct fleet_options opts;
    bool have_opts;
    struct fleet *listing; /* in flight, else NULL */
    struct app *app;
};

static void on_rows(void *ctx, struct vm *vms, size_t n)
{
    struct fleetsrc *s = ctx;
    struct gp_error err;
    gp_error_clear(&err);
    if (app_add_vms(s->app, vms, n, 0, &err) != GP_OK)
        app_flash(s->app, true, "%s", err.message);
    vm_array_free(vms, n);
}

static void on_done(void *ctx, const struct fleet_stats *stats, const struct gp_error *err)
{
    struct fleetsrc *s = ctx;
    s->listing = NULL;
    app_vms_done(s->app, err);
    if (err)
        return;
    app_set_refreshed(s->app, loop_wall_time(arm_client_loop(s->arm)));
    if (stats->failed)
        app_flash(s->app, true, "%zu VM%s could not be read: %s", stats->failed,
                  stats->failed == 1 ? "" : "s", stats->first_failure.message);
    else if (stats->skipped)
        app_flash(s->app, false, "%zu row%s skipped: %s", stats->skipped,
                  stats->skipped == 1 ? "" : "s", stats->first_failure.message);
}

static void src_cancel(void *ctx)
{
    struct fleetsrc *s = ctx;
    if (s->listing) {
        fleet_cancel(s->listing);
        s->listing = NULL;
        if (s->app) {
            struct gp_error err;
            gp_error_clear(&err);
            (void)gp_error_set(&err, GP_E_CANCELED, "canceled");
            app_vms_done(s->app, &err);
        }
    }
}

static void src_load(void *ctx, struct app *app)
{
    struct fleetsrc *s = ctx;
    src_cancel(s);
    s->app = app;
    app_vms_begin(app, false); /* a refresh keeps the rows on show until theirs arrive */
    struct gp_error err;
    gp_error_clear(&err);
    if (fleet_list(s->arm, s->subscription, s->resource_group, s->have_opts ? &s->opts : NULL,
                   on_rows, on_done, s, &s->listing, &err) != GP_OK) {
        s->listing = NULL;
        app_vms_done(app, &err);
    }
}

const struct tui_source_ops fleetsrc_ops = {.load = src_load, .cancel = src_cancel};

enum gp_status fleetsrc_new(struct arm_client *arm, const char *subscription,
                            const char *resource_group, const struct fleet_options *opts,
                            struct fleetsrc **out, struct gp_error *err)
{
    *out = NULL;
    if (!subscription || !*subscription)
        return gp_error_set(err, GP_E_INVALID, "no subscription to list VMs from");
    struct fleetsrc *s = calloc(1, sizeof(*s));
    if (!s)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    s->arm = arm;
    s->subscription = text_dup(subscription);
    s->resource_group = resource_group && *resource_group ? text_dup(resource_group) : NULL;
    if (!s->subscription || (resource_group && *resource_group && !s->resource_group)) {
        fleetsrc_free(s);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    if (opts) {
        s->opts = *opts;
        s->have_opts = true;
    }
    *out = s;
    return GP_OK;
}

void fleetsrc_free(struct fleetsrc *s)
{
    if (!s)
        return;
    if (s->listing)
        fleet_cancel(s->listing);
    free(s->subscription);
    free(s->resource_group);
    free(s);
}
