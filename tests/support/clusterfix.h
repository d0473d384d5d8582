/* SPDX-License-Identifier: MIT
 * tests/support/clusterfix.h: builds cluster fixtures (model/cluster.h) host by host and GPU by
 * GPU for the model tests. Strings are copied; cluster_cleanup frees what these add. Allocation
 * failures are cmocka failures of the running test. */
#ifndef GPUP_TESTS_CLUSTERFIX_H
#define GPUP_TESTS_CLUSTERFIX_H

#include "model/cluster.h"

/* Appends a host named name in custom location cl to c, with no GPUs. Returns it (valid until
 * the next host is added). */
struct host *clusterfix_host(struct cluster *c, const char *name, const char *cl);

/* Appends a GPU to h: id, model, mode, partition size in MB (-1: none) and partitions total
 * and used. Returns it (valid until the next GPU is added to h). */
struct host_gpu *clusterfix_gpu(struct host *h, const char *id, const char *model,
                                enum gpu_mode mode, long size, int total, int used);

#endif
