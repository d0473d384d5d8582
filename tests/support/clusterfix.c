/* SPDX-License-Identifier: MIT
 * tests/support/clusterfix.c: cluster fixtures for the model tests (see the header). */
#include "tests/support/clusterfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/text.h"

struct host *clusterfix_host(struct cluster *c, const char *name, const char *cl)
{
    struct host *h = realloc(c->hosts, (c->n_hosts + 1) * sizeof(*h));
    assert_non_null(h);
    c->hosts = h;
    h = &c->hosts[c->n_hosts++];
    memset(h, 0, sizeof(*h));
    h->name = text_dup(name);
    h->custom_location = text_dup(cl);
    return h;
}

struct host_gpu *clusterfix_gpu(struct host *h, const char *id, const char *model,
                                enum gpu_mode mode, long size, int total, int used)
{
    struct host_gpu *g = realloc(h->gpus, (h->n_gpus + 1) * sizeof(*g));
    assert_non_null(g);
    h->gpus = g;
    g = &h->gpus[h->n_gpus++];
    memset(g, 0, sizeof(*g));
    g->id = text_dup(id);
    g->model = text_dup(model);
    g->mode = mode;
    g->partition_size_mb = size;
    g->partitions_total = total;
    g->partitions_used = used;
    return g;
}
