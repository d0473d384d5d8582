/* SPDX-License-Identifier: MIT
 * tests/support/simtest.c: shared pieces of the gpup-sim HTTP tests (see the header). */
#include "tests/support/simtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/simproc.h"

int simtest_start(void **state, const char *const *args)
{
    struct simproc *p = calloc(1, sizeof(*p));
    if (!p || simproc_start(p, args) != 0) {
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

int simtest_stop(void **state)
{
    struct simproc *p = *state;
    int rc = simproc_stop(p);
    free(p);
    return rc == 0 ? 0 : -1;
}

const char *simtest_jstr(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *cur = o;
    for (char *tok = buf, *dot; cur && tok; tok = dot ? dot + 1 : NULL) {
        dot = strchr(tok, '.');
        if (dot)
            *dot = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    return cJSON_GetStringValue(cur); /* NULL unless a string */
}
