/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_login.c: build/gpup (GPUP_BIN) against gpup-sim (GPUP_SIM) with
 * nothing but what an operator would set: GPUP_ENDPOINT + GPUP_TOKEN alone (the subscription
 * found through GET /subscriptions), a service-principal profile signing in at the sim's token
 * endpoint (right secret: the list; wrong secret: exit 4 saying why), and `gpup login
 * --device-code` showing the sign-in message and succeeding after the pending polls. Each gpup
 * runs with a clean environment and HOME / XDG dirs in a temporary directory. Skipped when
 * either program is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/gpuprun.h"
#include "tests/support/simproc.h"

#define TOKEN "login-integration-token"
#define CLIENT "11111111-2222-3333-4444-555555555555"
#define TENANT "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define SECRET "sim-sp-secret-value"
#define SUB "00000000-0000-0000-0000-000000000000"

struct env {
    struct simproc sim;
    char dir[256]; /* HOME and XDG dirs */
    char log[300]; /* the sim's request log */
    char secret_file[300];
};

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Runs gpup with args (NULL-terminated) and exactly the environment extra (NULL-terminated
 * "NAME=value" strings) besides gpuprun's own (HOME, XDG dirs, LANG). */
static struct gpuprun gpup(const struct env *e, const char *const *extra, const char *const *args)
{
    struct gpuprun r = gpuprun(e->dir, extra, args);
    /* Secrets never show, whatever happened (style.md 7). */
    assert_null(strstr(r.out, TOKEN));
    assert_null(strstr(r.err, TOKEN));
    assert_null(strstr(r.out, SECRET));
    assert_null(strstr(r.err, SECRET));
    return r;
}

/* Lines of the sim's log that contain both needles. */
static size_t log_count(const struct env *e, const char *a, const char *b)
{
    return gpuprun_count_lines(e->log, a, b);
}

/* Writes a config with one profile named name using auth, against the sim for ARM and login. */
static void write_config(const struct env *e, const char *auth, const char *secret_file)
{
    char dir[300], path[320], text[2048];
    (void)snprintf(dir, sizeof(dir), "%s/gpup", e->dir);
    (void)mkdir(dir, 0700);
    (void)snprintf(path, sizeof(path), "%s/config", dir);
    int n = snprintf(text, sizeof(text),
                     "profile = \"p\";\n"
                     "profiles = {\n"
                     "  p = { endpoint = \"%s\"; authority = \"%s\"; tenant = \"" TENANT "\";\n"
                     "        auth = \"%s\"; client_id = \"" CLIENT "\";%s%s%s };\n"
                     "};\n",
                     e->sim.url, e->sim.url, auth, secret_file ? " client_secret_file = \"" : "",
                     secret_file ? secret_file : "", secret_file ? "\";" : "");
    assert_true(n > 0 && (size_t)n < sizeof(text));
    write_file(path, text, 0600);
}

static int start_env(void **state, bool sp)
{
    const char *bin = getenv("GPUP_BIN");
    if (!bin || access(bin, X_OK) != 0 || access(simproc_binary(), X_OK) != 0) {
        *state = NULL;
        return 0;
    }
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    (void)snprintf(e->dir, sizeof(e->dir), "/tmp/gpup-login-test-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    (void)snprintf(e->log, sizeof(e->log), "%s/sim.log", e->dir);
    (void)snprintf(e->secret_file, sizeof(e->secret_file), "%s/sim-secret", e->dir);
    write_file(e->secret_file, SECRET "\n", 0600);
    const char *args[] = {"--fleet",
                          "12",
                          "--hosts",
                          "2",
                          "--token",
                          TOKEN,
                          "--log",
                          e->log,
                          "--device-interval",
                          "1",
                          "--device-pending",
                          "2",
                          "--no-slow-down",
                          sp ? "--sp-client" : NULL,
                          CLIENT,
                          "--sp-secret-file",
                          e->secret_file,
                          NULL};
    if (simproc_start(&e->sim, args) != 0) {
        free(e);
        fail_msg("cannot start gpup-sim");
    }
    *state = e;
    return 0;
}

static int setup_plain(void **state)
{
    return start_env(state, false);
}

static int setup_sp(void **state)
{
    return start_env(state, true);
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    (void)simproc_stop(&e->sim);
    char cmd[400];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", e->dir);
    free(e);
    return 0;
}

#define NEED_ENV(e)                                                                            \
    do {                                                                                       \
        if (!(e))                                                                              \
            skip();                                                                            \
    } while (0)

static void test_endpoint_and_token_alone(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    char endpoint[200], token[100];
    (void)snprintf(endpoint, sizeof(endpoint), "GPUP_ENDPOINT=%s", e->sim.url);
    (void)snprintf(token, sizeof(token), "GPUP_TOKEN=%s", TOKEN);
    const char *envs[] = {endpoint, token, NULL};
    struct gpuprun r = gpup(e, envs, (const char *const[]){"vm", "list", "-o", "json", NULL});
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"/subscriptions/" SUB "/"));
    assert_non_null(strstr(r.out, "virtualMachineInstances"));
    gpuprun_free(&r);
    /* The subscription came from the list. */
    assert_int_equal(log_count(e, "\"path\":\"/subscriptions?", "\"status\":200"), 1);

    /* The list as ARM gives it: one subscription, no nextLink. */
    char url[256], auth[128];
    (void)snprintf(url, sizeof(url), "%s/subscriptions?api-version=2022-12-01", e->sim.url);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", TOKEN);
    const char *hdrs[] = {auth, NULL};
    struct simproc_reply rep;
    assert_int_equal(simproc_http("GET", url, NULL, NULL, hdrs, &rep), 0);
    assert_int_equal(rep.status, 200);
    cJSON *root = cJSON_Parse(rep.body);
    assert_non_null(root);
    cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    assert_int_equal(cJSON_GetArraySize(value), 1);
    cJSON *sub = cJSON_GetArrayItem(value, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(sub, "id")->valuestring,
                        "/subscriptions/" SUB);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(sub, "subscriptionId")->valuestring, SUB);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(sub, "state")->valuestring, "Enabled");
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(sub, "tenantId")));
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "nextLink"));
    cJSON_Delete(root);
    simproc_reply_free(&rep);

    /* A wrong token: exit 4, nothing listed. */
    const char *bad[] = {endpoint, "GPUP_TOKEN=not-the-token", NULL};
    r = gpup(e, bad, (const char *const[]){"vm", "list", "-o", "json", NULL});
    assert_int_equal(r.code, 4);
    assert_null(strstr(r.out, "virtualMachineInstances"));
    gpuprun_free(&r);
}

static void test_service_principal(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    write_config(e, "service-principal", e->secret_file);
    struct gpuprun r = gpup(e, NULL, (const char *const[]){"vm", "list", "-o", "json", NULL});
    if (r.code != 0)
        fail_msg("exit %d: %s", r.code, r.err);
    assert_non_null(strstr(r.out, "virtualMachineInstances"));
    gpuprun_free(&r);
    assert_true(log_count(e, "\"POST\"", "/" TENANT "/oauth2/v2.0/token") >= 1);

    char wrong[320];
    (void)snprintf(wrong, sizeof(wrong), "%s/wrong-secret", e->dir);
    write_file(wrong, "not-the-secret\n", 0600);
    write_config(e, "service-principal", wrong);
    r = gpup(e, NULL, (const char *const[]){"vm", "list", "-o", "json", NULL});
    assert_int_equal(r.code, 4);
    assert_null(strstr(r.out, "virtualMachineInstances"));
    if (!strstr(r.err, "service principal") || !strstr(r.err, "client secret"))
        fail_msg("unclear message: %s", r.err);
    gpuprun_free(&r);
}

static void test_device_code(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    write_config(e, "device-code", NULL);
    struct gpuprun r = gpup(e, NULL, (const char *const[]){"login", "--device-code", NULL});
    if (r.code != 0)
        fail_msg("exit %d: %s", r.code, r.err);
    char both[8192];
    (void)snprintf(both, sizeof(both), "%s\n%s", r.out, r.err);
    assert_non_null(strstr(both, "https://microsoft.com/devicelogin"));
    assert_non_null(strstr(both, "enter the code"));
    gpuprun_free(&r);
    assert_int_equal(log_count(e, "\"POST\"", "/" TENANT "/oauth2/v2.0/devicecode"), 1);
    /* Two authorization_pending answers, then the token. */
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":400"), 2);
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":200"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_endpoint_and_token_alone, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_service_principal, setup_sp, teardown),
        cmocka_unit_test_setup_teardown(test_device_code, setup_sp, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
