/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_config.c: any text as gpup's config file, through the same front end as a
 * file (config/settings: libconfig, then the walk and the model's value checks) via
 * settings_load_string. Every message must name "<string>:" and be terminated. Built by
 * `make fuzz` with libFuzzer and replayed by `make check` over tests/fuzz/corpus/config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "model/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5 leaks its string buffer when a syntax error follows a quoted string (e.g.
 * `profiles = { "a b" = {}; };`): 64 bytes once per failed load, in the library, not here. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct settings *s;
    static struct settings_warnings warn;
    if (!s && !(s = settings_new()))
        abort();
    memset(&warn, 0, sizeof(warn));
    struct gp_error err;
    gp_error_clear(&err);
    enum gp_status st = settings_load_string(s, (const char *)data, size, &warn, &err);
    if (st != GP_OK) {
        if (strnlen(err.message, sizeof(err.message)) == sizeof(err.message) ||
            strncmp(err.message, SETTINGS_STRING_NAME, strlen(SETTINGS_STRING_NAME)) != 0)
            abort();
        return 0;
    }
    if (s->n_profiles > SETTINGS_MAX_PROFILES || warn.count > SETTINGS_MAX_WARNINGS)
        abort();
    for (size_t i = 0; i < warn.count; i++)
        if (strnlen(warn.lines[i], SETTINGS_WARNING_MAX) == SETTINGS_WARNING_MAX)
            abort();
    if (s->active[0] && !settings_profile_find(s, s->active))
        abort();
    return 0;
}
