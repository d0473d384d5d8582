/* SPDX-License-Identifier: MIT
 * net/pager.c: nextLink and $skipToken paging. See net/pager.h. */
#include "net/pager.h"

#include <stdlib.h>
#include <string.h>

#include "model/armjson.h"
#include "model/text.h"

struct pager {
    struct arm_client *arm;
    struct pager_options opts;
    bool graph;
    char **subs;
    size_t n_subs;
    char *query;
    char *next;           /* list: URL of the next page; graph: the $skipToken */
    pager_items_fn on_items;
    pager_done_fn on_done;
    void *ctx;
    struct arm_call *call;
    uint64_t timer;       /* the first request starts from the loop */
    unsigned pages;
    size_t items;
    bool in_callback, canceled;
};

static void pager_free(struct pager *p)
{
    for (size_t i = 0; i < p->n_subs; i++)
        free(p->subs[i]);
    free(p->subs);
    free(p->query);
    free(p->next);
    free(p);
}

void pager_cancel(struct pager *p)
{
    if (!p)
        return;
    if (p->in_callback) {
        p->canceled = true; /* freed when the callback returns */
        return;
    }
    if (p->call)
        arm_cancel(p->call);
    if (p->timer)
        loop_timer_cancel(arm_client_loop(p->arm), p->timer);
    pager_free(p);
}

static void finish(struct pager *p, const struct gp_error *err)
{
    pager_done_fn done = p->on_done;
    void *ctx = p->ctx;
    unsigned pages = p->pages;
    size_t items = p->items;
    pager_free(p);
    done(ctx, pages, items, err);
}

static void fail(struct pager *p, struct gp_error *err, const char *what)
{
    gp_error_prefix(err, "%s page %u", what, p->pages + 1);
    finish(p, err);
}

static void on_page(void *ctx, const struct http_response *resp, const struct gp_error *aerr);

static void request_page(struct pager *p)
{
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st;
    if (p->graph) {
        char *body = NULL;
        st = armjson_graph_body((const char *const *)p->subs, p->n_subs, p->query,
                                p->opts.graph_top, p->next, &body);
        if (st != GP_OK) {
            gp_error_set(&err, st, "out of memory");
            fail(p, &err, "Resource Graph");
            return;
        }
        st = arm_request(p->arm, "POST", PAGER_GRAPH_PATH, body, strlen(body), on_page, p,
                         &p->call, &err);
        free(body);
    } else {
        st = arm_request(p->arm, "GET", p->next, NULL, 0, on_page, p, &p->call, &err);
    }
    if (st != GP_OK)
        fail(p, &err, p->graph ? "Resource Graph" : "list");
}

static void start_fire(void *ctx)
{
    struct pager *p = ctx;
    p->timer = 0;
    request_page(p);
}

static void on_page(void *ctx, const struct http_response *resp, const struct gp_error *aerr)
{
    struct pager *p = ctx;
    const char *what = p->graph ? "Resource Graph" : "list";
    p->call = NULL;
    struct gp_error err;
    if (aerr) {
        err = *aerr;
        fail(p, &err, what);
        return;
    }
    gp_error_clear(&err);
    struct armjson_page page;
    enum gp_status st = p->graph ? armjson_graph_parse(resp->body, resp->body_len, &page, &err)
                                 : armjson_list_parse(resp->body, resp->body_len, &page, &err);
    if (st != GP_OK) {
        err.http_status = resp->status;
        fail(p, &err, what);
        return;
    }
    if (p->items + page.n_items > p->opts.max_items) {
        armjson_page_cleanup(&page);
        gp_error_set(&err, GP_E_TOO_LARGE, "more than %zu items", p->opts.max_items);
        fail(p, &err, what);
        return;
    }
    p->pages++;
    p->items += page.n_items;
    if (page.n_items) {
        p->in_callback = true;
        p->on_items(p->ctx, (const char *const *)page.items, page.n_items);
        p->in_callback = false;
        if (p->canceled) {
            armjson_page_cleanup(&page);
            pager_free(p);
            return;
        }
    }
    free(p->next);
    p->next = page.next;
    page.next = NULL;
    armjson_page_cleanup(&page);
    if (!p->next) {
        finish(p, NULL);
        return;
    }
    if (p->pages >= p->opts.max_pages) {
        gp_error_set(&err, GP_E_TOO_LARGE, "more than %u pages", p->opts.max_pages);
        finish(p, &err);
        return;
    }
    request_page(p);
}

static enum gp_status pager_new(struct arm_client *arm, const struct pager_options *opts,
                                pager_items_fn on_items, pager_done_fn on_done, void *ctx,
                                struct pager **out, struct gp_error *err)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    struct pager *p = *out;
    p->arm = arm;
    if (opts)
        p->opts = *opts;
    if (!p->opts.max_pages)
        p->opts.max_pages = 1000;
    if (!p->opts.max_items)
        p->opts.max_items = 200000;
    if (!p->opts.graph_top || p->opts.graph_top > 1000)
        p->opts.graph_top = 1000;
    p->on_items = on_items;
    p->on_done = on_done;
    p->ctx = ctx;
    return GP_OK;
}

static enum gp_status pager_start(struct pager *p, struct pager **out, struct gp_error *err)
{
    p->timer = loop_timer_add(arm_client_loop(p->arm), 0, start_fire, p);
    if (!p->timer) {
        pager_free(p);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    if (out)
        *out = p;
    return GP_OK;
}

enum gp_status pager_list(struct arm_client *arm, const char *path,
                          const struct pager_options *opts, pager_items_fn on_items,
                          pager_done_fn on_done, void *ctx, struct pager **out,
                          struct gp_error *err)
{
    if (out)
        *out = NULL;
    struct pager *p;
    GP_TRY(pager_new(arm, opts, on_items, on_done, ctx, &p, err));
    /* Check the path now, so that a bad one fails here rather than from the loop. */
    enum gp_status st = arm_url(arm, path, &p->next, err);
    if (st != GP_OK) {
        pager_free(p);
        return st;
    }
    return pager_start(p, out, err);
}

enum gp_status pager_graph(struct arm_client *arm, const char *const *subscriptions,
                           size_t n_subs, const char *query, const struct pager_options *opts,
                           pager_items_fn on_items, pager_done_fn on_done, void *ctx,
                           struct pager **out, struct gp_error *err)
{
    if (out)
        *out = NULL;
    struct pager *p;
    GP_TRY(pager_new(arm, opts, on_items, on_done, ctx, &p, err));
    p->graph = true;
    p->query = text_dup(query);
    p->subs = n_subs ? calloc(n_subs, sizeof(*p->subs)) : NULL;
    bool ok = p->query && (!n_subs || p->subs);
    for (size_t i = 0; ok && i < n_subs; i++) {
        p->subs[i] = text_dup(subscriptions[i]);
        ok = p->subs[i] != NULL;
        p->n_subs = i + 1;
    }
    if (!ok) {
        pager_free(p);
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    }
    return pager_start(p, out, err);
}
