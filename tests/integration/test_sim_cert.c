/* SPDX-License-Identifier: MIT
 * tests/integration/test_sim_cert.c: certificate sign-in end to end over real HTTP against
 * gpup-sim --client-cert, with a throwaway RSA key and self-signed certificate made at run time
 * (tests/support/certfix). build/gpup (GPUP_BIN) signs in with the profile's certificate_file
 * and lists VMs with the token it got (ARM accepts only tokens the sim issued); `gpup login
 * --service-principal --certificate-file` works the same; a certificate the sim does not know
 * is exit 4 with Entra's AADSTS700027; a key of another certificate and a group-readable PEM
 * are refused (exit 4) before any request; and net/auth on a clock an hour off has its
 * assertion refused as outside its time range (AADSTS700024). No output of any run contains
 * key material. Skipped when either program is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/auth.h"
#include "net/http.h"
#include "net/loop.h"
#include "tests/support/certfix.h"
#include "tests/support/gpuprun.h"
#include "tests/support/simproc.h"
#include "tests/support/testio.h"

#define CLIENT "11111111-2222-3333-4444-555555555555"
#define TENANT "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

struct env {
    struct simproc sim;
    struct certfix a;          /* registered with the sim */
    struct certfix b;          /* another one */
    char key_a[80], key_b[80]; /* a line of each private key, never to be seen */
    char dir[256];
    char log[300];
    char pem[300];      /* certificate A and key A (0600) */
    char other[300];    /* certificate B and key B */
    char mismatch[300]; /* certificate A with key B */
};

static void no_key_in(const struct env *e, const char *text)
{
    assert_null(strstr(text, e->key_a));
    assert_null(strstr(text, e->key_b));
    assert_null(strstr(text, "PRIVATE KEY"));
}

/* Runs gpup with args in gpuprun's clean environment (HOME and XDG dirs in the test
 * directory). */
static struct gpuprun gpup(const struct env *e, const char *const *args)
{
    struct gpuprun r = gpuprun(e->dir, NULL, args);
    /* The key never shows, whatever happened (style.md 7). */
    no_key_in(e, r.out);
    no_key_in(e, r.err);
    return r;
}

/* Lines of the sim's log that contain both needles; the key is never among them. */
static size_t log_count(const struct env *e, const char *a, const char *b)
{
    char *log = gpuprun_slurp(e->log);
    no_key_in(e, log);
    free(log);
    return gpuprun_count_lines(e->log, a, b);
}

static size_t token_posts(const struct env *e)
{
    return log_count(e, "\"POST\"", "/" TENANT "/oauth2/v2.0/token");
}

/* A config whose one profile signs in as the service principal; cert NULL: no credential. */
static void write_config(const struct env *e, const char *auth, const char *cert)
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
                     e->sim.url, e->sim.url, auth, cert ? " certificate_file = \"" : "",
                     cert ? cert : "", cert ? "\";" : "");
    assert_true(n > 0 && (size_t)n < sizeof(text));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, (size_t)n), n);
    assert_int_equal(close(fd), 0);
}

static int setup(void **state)
{
    const char *bin = getenv("GPUP_BIN");
    if (!bin || access(bin, X_OK) != 0 || access(simproc_binary(), X_OK) != 0) {
        *state = NULL;
        return 0;
    }
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    (void)snprintf(e->dir, sizeof(e->dir), "/tmp/gpup-cert-test-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    certfix_new(&e->a);
    certfix_new(&e->b);
    certfix_key_line(&e->a, e->key_a, sizeof(e->key_a));
    certfix_key_line(&e->b, e->key_b, sizeof(e->key_b));
    char registered[300];
    (void)snprintf(registered, sizeof(registered), "%s/registered.crt", e->dir);
    certfix_write(registered, 0644, &e->a, &e->a, CERTFIX_CERT_ONLY);
    (void)snprintf(e->pem, sizeof(e->pem), "%s/sp.pem", e->dir);
    certfix_write(e->pem, 0600, &e->a, &e->a, CERTFIX_KEY_THEN_CERT);
    (void)snprintf(e->other, sizeof(e->other), "%s/other.pem", e->dir);
    certfix_write(e->other, 0600, &e->b, &e->b, CERTFIX_CERT_THEN_KEY);
    (void)snprintf(e->mismatch, sizeof(e->mismatch), "%s/mismatch.pem", e->dir);
    certfix_write(e->mismatch, 0600, &e->a, &e->b, CERTFIX_CERT_THEN_KEY);
    (void)snprintf(e->log, sizeof(e->log), "%s/sim.log", e->dir);
    /* no --token: ARM accepts only the tokens the login endpoint issued */
    const char *args[] = {"--fleet",     "12",   "--hosts",       "2",        "--log", e->log,
                          "--sp-client", CLIENT, "--client-cert", registered, NULL};
    if (simproc_start(&e->sim, args) != 0) {
        free(e);
        fail_msg("cannot start gpup-sim");
    }
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    (void)simproc_stop(&e->sim);
    certfix_free(&e->a);
    certfix_free(&e->b);
    char cmd[400];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", e->dir);
    free(e);
    return 0;
}

#define NEED_ENV(e)                                                                                \
    do {                                                                                           \
        if (!(e)) {                                                                                \
            skip();                                                                                \
            return; /* skip() ends the test; the analyzer cannot know */                           \
        }                                                                                          \
    } while (0)

static void test_certificate_profile(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    write_config(e, "service-principal", e->pem);
    struct gpuprun r = gpup(e, (const char *const[]){"vm", "list", "-o", "json", NULL});
    if (r.code != 0)
        fail_msg("exit %d: %s", r.code, r.err);
    assert_non_null(strstr(r.out, "virtualMachineInstances"));
    gpuprun_free(&r);
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":200"), 1);
    /* ARM served the list with that token (it refuses any other: --sp-client) */
    assert_int_equal(log_count(e, "\"path\":\"/subscriptions?", "\"status\":200"), 1);
    assert_int_equal(log_count(e, "Microsoft.ResourceGraph/resources", "\"status\":200"), 1);
    assert_int_equal(log_count(e, "\"status\":401", ""), 0);

    /* config show names the file, never its contents */
    r = gpup(e, (const char *const[]){"config", "show", NULL});
    assert_int_equal(r.code, 0);
    char want[400];
    (void)snprintf(want, sizeof(want), "certificate_file = \"%s\";  # config file", e->pem);
    assert_non_null(strstr(r.out, want));
    gpuprun_free(&r);
}

static void test_login_with_certificate_file(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    write_config(e, "device-code", NULL);
    struct gpuprun r = gpup(e, (const char *const[]){"login", "--service-principal",
                                                 "--certificate-file", e->pem, NULL});
    if (r.code != 0)
        fail_msg("exit %d: %s", r.code, r.err);
    assert_non_null(strstr(r.err, "Signed in: service-principal"));
    gpuprun_free(&r);
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":200"), 1);

    /* a certificate the application does not have: Entra's answer, exit 4 */
    r = gpup(e, (const char *const[]){"login", "--service-principal", "--certificate-file",
                                      e->other, NULL});
    assert_int_equal(r.code, 4);
    if (!strstr(r.err, "service principal") || !strstr(r.err, "AADSTS700027"))
        fail_msg("unclear message: %s", r.err);
    gpuprun_free(&r);
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":401"), 1);

    /* both kinds of credential: a usage error */
    r = gpup(e, (const char *const[]){"login", "--service-principal", "--certificate-file", e->pem,
                                      "--client-secret-file", e->pem, NULL});
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "cannot be used together"));
    gpuprun_free(&r);
    assert_int_equal(token_posts(e), 2);
}

static void test_refused_before_any_request(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    /* the key of another certificate */
    write_config(e, "service-principal", e->mismatch);
    struct gpuprun r = gpup(e, (const char *const[]){"vm", "list", NULL});
    assert_int_equal(r.code, 4);
    if (!strstr(r.err, "does not belong to its certificate"))
        fail_msg("unclear message: %s", r.err);
    gpuprun_free(&r);
    /* a PEM its group may read */
    assert_int_equal(chmod(e->pem, 0640), 0);
    write_config(e, "service-principal", e->pem);
    r = gpup(e, (const char *const[]){"vm", "list", NULL});
    assert_int_equal(r.code, 4);
    if (!strstr(r.err, "readable by group or others (mode 0640)"))
        fail_msg("unclear message: %s", r.err);
    gpuprun_free(&r);
    r = gpup(e, (const char *const[]){"login", "--service-principal", "--certificate-file", e->pem,
                                      NULL});
    assert_int_equal(r.code, 4);
    gpuprun_free(&r);
    assert_int_equal(token_posts(e), 0);
    assert_int_equal(log_count(e, "\"path\":\"/subscriptions", ""), 0);
    assert_int_equal(log_count(e, "Microsoft.ResourceGraph", ""), 0);
}

/* --- net/auth with a skewed clock ------------------------------------------------------- */

struct wait {
    bool done;
    enum gp_status st;
    struct gp_error err;
};

static void on_token(void *ctx, enum gp_status st, const struct gp_secret *token,
                     const struct gp_error *err)
{
    (void)token;
    struct wait *w = ctx;
    w->done = true;
    w->st = st;
    if (err)
        w->err = *err;
}

static int64_t skewed_clock(void *ctx)
{
    return (int64_t)time(NULL) + *(const int64_t *)ctx;
}

/* Signs in through net/auth and net/http with the clock off by skew seconds. */
static struct wait sign_in(const struct env *e, int64_t skew)
{
    struct gp_loop *loop = NULL;
    struct http_client *http = NULL;
    struct auth *a = NULL;
    assert_int_equal(loop_new(&loop), GP_OK);
    assert_int_equal(http_client_new(loop, NULL, &http), GP_OK);
    struct auth_config cfg = {
        .method = AUTH_SERVICE_PRINCIPAL,
        .authority = e->sim.url,
        .tenant = TENANT,
        .client_id = CLIENT,
        .certificate_file = e->pem,
        .az_path = "",
        .clock = skewed_clock,
        .clock_ctx = &skew,
        .keep_dumpable = true,
    };
    struct gp_error err;
    gp_error_clear(&err);
    assert_int_equal(auth_new(loop, &auth_http_transport_ops, http, &cfg, &a, &err), GP_OK);
    struct wait w = {0};
    assert_int_equal(auth_get_token(a, on_token, &w), GP_OK);
    for (int i = 0; i < 1000 && !w.done; i++)
        assert_int_equal(loop_run_once(loop, 100), GP_OK);
    assert_true(w.done);
    auth_free(a);
    http_client_free(http);
    loop_free(loop);
    no_key_in(e, w.err.message);
    return w;
}

static void test_clock_skew(void **state)
{
    struct env *e = *state;
    NEED_ENV(e);
    struct wait w = sign_in(e, 0);
    if (w.st != GP_OK)
        fail_msg("%s", w.err.message);
    /* an hour behind: the assertion expired before it was sent */
    w = sign_in(e, -3600);
    assert_int_equal(w.st, GP_E_AUTH);
    if (!strstr(w.err.message, "AADSTS700024"))
        fail_msg("unclear message: %s", w.err.message);
    assert_int_equal(w.err.http_status, 401);
    /* an hour ahead: not valid yet */
    w = sign_in(e, 3600);
    assert_int_equal(w.st, GP_E_AUTH);
    assert_non_null(strstr(w.err.message, "AADSTS700024"));
    assert_int_equal(log_count(e, "/" TENANT "/oauth2/v2.0/token", "\"status\":401"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_certificate_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_with_certificate_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_before_any_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_skew, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
