/* SPDX-License-Identifier: MIT
 * net/pager.h: reads every page of an ARM list, handing each page's items to a callback as it
 * arrives: ARM lists follow "nextLink" (an absolute URL carrying api-version and $skipToken;
 * a page may be empty and still have one), Resource Graph queries repeat the POST with the
 * answer's "$skipToken" in the options. Pages and items are bounded. Items are compact JSON
 * text of one resource each, for the model mappers (vm_from_json). */
#ifndef GPUP_NET_PAGER_H
#define GPUP_NET_PAGER_H

#include <stddef.h>

#include "model/status.h"
#include "net/arm.h"

#define PAGER_GRAPH_PATH "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"

struct pager;

struct pager_options {
    unsigned max_pages;  /* 0: 1000 */
    size_t max_items;    /* 0: 200 000; past it the listing fails with GP_E_TOO_LARGE */
    unsigned graph_top;  /* Resource Graph rows per page, 0: 1000 */
};

/* One page: n items, each a NUL-terminated JSON object; borrowed until the callback returns.
 * May call pager_cancel (then nothing more is called). */
typedef void (*pager_items_fn)(void *ctx, const char *const *items, size_t n);
/* The end: err NULL when every page was read. pages/items count what was delivered. */
typedef void (*pager_done_fn)(void *ctx, unsigned pages, size_t items, const struct gp_error *err);

/* Lists path (arm_request rules) and every nextLink after it. opts may be NULL. *out (may be
 * NULL) is valid until done runs. done always runs from the loop. */
GP_NODISCARD enum gp_status pager_list(struct arm_client *arm, const char *path,
                                       const struct pager_options *opts, pager_items_fn on_items,
                                       pager_done_fn on_done, void *ctx, struct pager **out,
                                       struct gp_error *err);

/* Runs a Resource Graph query over the subscriptions (strings copied) page by page. An answer
 * that is not a Graph answer fails with that error (its HTTP status in err->http_status, so a
 * caller can fall back on 400/403/404). */
GP_NODISCARD enum gp_status pager_graph(struct arm_client *arm, const char *const *subscriptions,
                                        size_t n_subs, const char *query,
                                        const struct pager_options *opts, pager_items_fn on_items,
                                        pager_done_fn on_done, void *ctx, struct pager **out,
                                        struct gp_error *err);

/* Stops the listing; no callback runs afterwards. */
void pager_cancel(struct pager *p);

#endif
