/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_armerror.c: any bytes as an ARM or OAuth error body (model/armerror), under
 * each kind of HTTP status and as a failed operation's status body. The line an operator reads
 * must be terminated and free of escape sequences. Built by `make fuzz` with libFuzzer and
 * replayed by `make check` over tests/fuzz/corpus/armerror. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/armerror.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field must be a terminated string without control characters (an ESC would let a
 * server drive the terminal). */
static void check_field(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

static void check_error(const struct gp_error *err)
{
    check_field(err->message, sizeof(err->message));
    check_field(err->code, sizeof(err->code));
    check_field(err->target, sizeof(err->target));
    check_field(err->request_id, sizeof(err->request_id));
    check_field(err->correlation_id, sizeof(err->correlation_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {400, 401, 404, 409, 429, 500, 503, 0, 299, 999, -1};
    const char *body = (const char *)data;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct gp_error err;
        gp_error_clear(&err);
        (void)armerror_from_response(&err, statuses[i], body, size);
        check_error(&err);
        if (statuses[i] >= 400 && statuses[i] <= 599 && err.status == GP_OK)
            abort();
        (void)armerror_reason(statuses[i]);
    }
    struct gp_error err;
    gp_error_clear(&err);
    (void)armerror_from_response(&err, 409, NULL, 0);
    check_error(&err);
    gp_error_clear(&err);
    if (armerror_from_operation(&err, body, size))
        check_error(&err);
    return 0;
}
