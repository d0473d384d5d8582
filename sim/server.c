/* SPDX-License-Identifier: MIT
 * sim/server.c: libmicrohttpd glue for gpup-sim: requests in, arm_handle, answers out. */
#include "sim/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "model/buf.h"
#include "model/text.h"
#include "sim/jsonw.h"

/* Answers held back by the fault "slow": the connection is suspended and a small timer thread
 * resumes it when its time has come, so other clients are not held up. */
#define SLOW_MAX 256

/* --state: a change is saved at once when the last save is older than this, else this long
 * after the last save (by the resumer thread), so a busy fleet is rewritten at most ~5 times a
 * second instead of after every change. */
#define SAVE_DEBOUNCE_US 200000

/* Oversized bodies up to this are read (and dropped) before the 413. */
#define DISCARD_MAX (64ull * 1024 * 1024)

struct slow_entry {
    struct MHD_Connection *con;
    int64_t due_us;
};

struct server {
    struct MHD_Daemon *daemon;
    struct arm_service *svc;
    struct sim_tokens *tokens; /* svc->set.tokens, the login endpoints; NULL: none */
    FILE *log;
    bool quiet;
    bool save_failed_reported;
    int listen_fd;
    pthread_t resumer;
    bool resumer_started;
    pthread_mutex_t store; /* held while the store is used: by the server thread around each
                              request, by the resumer thread for a deferred save */
    int64_t last_save_us;  /* when the last save ended (store) */
    pthread_mutex_t lock;  /* guards the fields below */
    pthread_cond_t wake;
    int64_t save_due_us; /* a deferred save is due then; 0: none */
    struct slow_entry slow[SLOW_MAX];
    size_t n_slow;
    int suspended; /* suspended connections not yet answered */
    bool stopping;
};

/* What one request carries between MHD's calls. */
struct req_ctx {
    char *uri; /* path?query as received */
    int64_t start_us;
    char method[16];
    struct gp_buf body;
    bool started;
    bool too_large;
    int status; /* 0: no answer (reset or client gone) */
    bool logged;
    struct MHD_Response *held; /* the answer waiting out a "slow" delay */
    bool suspended;            /* counted in server.suspended */
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    struct req_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->uri = text_dup(uri ? uri : "");
    c->start_us = mono_us();
    gp_buf_init(&c->body, ARM_MAX_BODY);
    return c;
}

static void log_line(struct server *srv, const struct req_ctx *c)
{
    struct gp_buf b;
    gp_buf_init(&b, 64 * 1024);
    double ms = (double)(mono_us() - c->start_us) / 1000.0;
    enum gp_status st = gp_buf_append_str(&b, "{");
    if (st == GP_OK)
        st = jsonw_member(&b, "method", c->method[0] ? c->method : "?");
    if (st == GP_OK)
        st = gp_buf_append_str(&b, ",");
    if (st == GP_OK)
        st = jsonw_member(&b, "path", c->uri ? c->uri : "");
    if (st == GP_OK)
        st = gp_buf_printf(&b, ",\"status\":%d,\"ms\":%.3f}\n", c->status, ms);
    if (st == GP_OK) {
        (void)fwrite(b.data, 1, b.len, srv->log);
        (void)fflush(srv->log);
    }
    gp_buf_cleanup(&b);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con;
    (void)toe;
    struct server *srv = cls;
    struct req_ctx *c = *con_cls;
    if (!c)
        return;
    if (c->suspended) {
        pthread_mutex_lock(&srv->lock);
        srv->suspended--;
        pthread_mutex_unlock(&srv->lock);
    }
    if (c->held)
        MHD_destroy_response(c->held);
    if (srv->log && !c->logged)
        log_line(srv, c); /* the client went away before an answer */
    gp_buf_cleanup(&c->body);
    free(c->uri);
    free(c);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return;
    /* A split header/body write would cost clients ~40 ms through delayed ACKs. */
    int one = 1;
    (void)setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static const char *header(struct MHD_Connection *con, const char *name)
{
    return MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
}

static void save_if_dirty(struct server *srv)
{
    struct arm_service *svc = srv->svc;
    if (!svc->dirty || !svc->set.state_path)
        return;
    struct gp_error err;
    gp_error_clear(&err);
    if (fleet_save(&svc->fleet, svc->set.state_path, &err) != GP_OK) {
        if (!srv->save_failed_reported)
            fprintf(stderr, "gpup-sim: %s\n", err.message);
        srv->save_failed_reported = true;
        srv->last_save_us = mono_us(); /* retried after the debounce delay, not at once */
        return;
    }
    svc->dirty = false;
    srv->last_save_us = mono_us();
}

/* After a request (store held): saves now when the last save is old enough, else leaves it to
 * the resumer thread. */
static void save_soon(struct server *srv)
{
    struct arm_service *svc = srv->svc;
    if (!svc->dirty || !svc->set.state_path)
        return;
    int64_t due = srv->last_save_us + SAVE_DEBOUNCE_US;
    if (mono_us() >= due) {
        save_if_dirty(srv);
        if (!svc->dirty)
            return;
        due = srv->last_save_us + SAVE_DEBOUNCE_US;
    }
    pthread_mutex_lock(&srv->lock);
    if (!srv->resumer_started) { /* no thread to defer to */
        pthread_mutex_unlock(&srv->lock);
        save_if_dirty(srv);
        return;
    }
    if (!srv->save_due_us) {
        srv->save_due_us = due;
        pthread_cond_signal(&srv->wake);
    }
    pthread_mutex_unlock(&srv->lock);
}

static enum MHD_Result send_answer(struct server *srv, struct MHD_Connection *con,
                                   struct req_ctx *c, struct MHD_Response *resp);
static bool hold(struct server *srv, struct MHD_Connection *con, struct req_ctx *c,
                 struct MHD_Response *resp, long delay_ms);
static void stop_resumer(struct server *srv);

static const char *tokens_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *tokens_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* Frees an answer body (a NUL-terminated string) that may hold a token. */
static void wipe_free(void *p)
{
    if (p)
        explicit_bzero(p, strlen(p));
    free(p);
}

/* The login endpoints (sim/tokens.c), when the request is for one: true with the answer queued
 * (or MHD_NO in *out_result when it could not be). */
static bool answer_login(struct server *srv, struct MHD_Connection *con, const char *url,
                         struct req_ctx *c, enum MHD_Result *out_result)
{
    struct sim_tokens *tk = srv->tokens;
    if (!tk || c->too_large)
        return false;
    struct sim_tokens_request rq = {
        .method = c->method,
        .path = url,
        .body = c->body.data,
        .body_len = c->body.len,
        .arg = tokens_arg,
        .header = tokens_header,
        .ctx = con,
    };
    struct sim_tokens_response tr;
    memset(&tr, 0, sizeof(tr));
    if (!sim_tokens_handle(tk, &rq, &tr))
        return false;
    size_t len = tr.body ? strlen(tr.body) : 0;
    struct MHD_Response *resp;
    if (len) { /* the answer holds a token: MHD frees it through wipe_free */
        resp = MHD_create_response_from_buffer_with_free_callback(len, tr.body, wipe_free);
        if (resp)
            tr.body = NULL;
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (c->body.data) /* the form may carry a secret */
        explicit_bzero(c->body.data, c->body.len);
    if (tr.body)
        explicit_bzero(tr.body, len);
    if (!resp) {
        sim_tokens_response_clear(&tr);
        *out_result = MHD_NO;
        return true;
    }
    (void)MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    (void)MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (tr.www_authenticate)
        (void)MHD_add_response_header(resp, "WWW-Authenticate", tr.www_authenticate);
    c->status = tr.status ? tr.status : 500;
    sim_tokens_response_clear(&tr);
    *out_result = send_answer(srv, con, c, resp);
    return true;
}

static enum MHD_Result answer(struct server *srv, struct MHD_Connection *con, const char *url,
                              struct req_ctx *c)
{
    enum MHD_Result login_result;
    if (answer_login(srv, con, url, c, &login_result))
        return login_result;
    struct arm_request q;
    memset(&q, 0, sizeof(q));
    q.method = c->method;
    q.path = url;
    q.api_version = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "api-version");
    q.skip_token = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "$skipToken");
    q.host = header(con, "Host");
    q.content_type = header(con, "Content-Type");
    q.authorization = header(con, "Authorization");
    q.client_request_id = header(con, "x-ms-client-request-id");
    q.correlation_id = header(con, "x-ms-correlation-request-id");
    q.body = c->body.data;
    q.body_len = c->body.len;
    q.body_too_large = c->too_large;
    q.now_ms = mono_us() / 1000;
    q.now_wall_ms = wall_ms();
    struct arm_response r;
    pthread_mutex_lock(&srv->store);
    arm_handle(srv->svc, &q, &r);
    save_soon(srv);
    pthread_mutex_unlock(&srv->store);
    if (r.reset) {
        arm_response_cleanup(&r);
        if (srv->log) {
            log_line(srv, c);
            c->logged = true;
        }
        return MHD_NO; /* MHD closes the connection without an answer */
    }
    struct MHD_Response *resp;
    if (r.body && r.body_len) {
        resp = MHD_create_response_from_buffer(r.body_len, r.body, MHD_RESPMEM_MUST_FREE);
        if (resp)
            r.body = NULL; /* MHD owns it now */
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) {
        arm_response_cleanup(&r);
        return MHD_NO;
    }
    for (size_t i = 0; i < r.n_headers; i++)
        (void)MHD_add_response_header(resp, r.headers[i].name, r.headers[i].value);
    c->status = r.status;
    arm_response_cleanup(&r);
    if (r.delay_ms > 0 && hold(srv, con, c, resp, r.delay_ms))
        return MHD_YES; /* answered when the resumer wakes the connection */
    return send_answer(srv, con, c, resp);
}

/* Queues the answer (the log line first, so a client that got it can read its line). */
static enum MHD_Result send_answer(struct server *srv, struct MHD_Connection *con,
                                   struct req_ctx *c, struct MHD_Response *resp)
{
    if (srv->log && !c->logged) {
        log_line(srv, c);
        c->logged = true;
    }
    enum MHD_Result ok = MHD_queue_response(con, (unsigned)c->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The fault "slow": suspends the connection with its answer ready; the resumer thread wakes it
 * after delay_ms. False when it cannot (too many held, or stopping): answer at once. */
static bool hold(struct server *srv, struct MHD_Connection *con, struct req_ctx *c,
                 struct MHD_Response *resp, long delay_ms)
{
    pthread_mutex_lock(&srv->lock);
    bool ok = srv->resumer_started && !srv->stopping && srv->n_slow < SLOW_MAX;
    if (ok) {
        srv->slow[srv->n_slow++] = (struct slow_entry){con, mono_us() + (int64_t)delay_ms * 1000};
        srv->suspended++;
        c->held = resp;
        c->suspended = true;
        MHD_suspend_connection(con);
        pthread_cond_signal(&srv->wake);
    }
    pthread_mutex_unlock(&srv->lock);
    return ok;
}

static void *resumer_main(void *arg)
{
    struct server *srv = arg;
    pthread_mutex_lock(&srv->lock);
    for (;;) {
        int64_t now = mono_us(), next = INT64_MAX;
        for (size_t i = 0; i < srv->n_slow;) {
            if (srv->stopping || srv->slow[i].due_us <= now) {
                MHD_resume_connection(srv->slow[i].con);
                srv->slow[i] = srv->slow[--srv->n_slow];
                continue;
            }
            if (srv->slow[i].due_us < next)
                next = srv->slow[i].due_us;
            i++;
        }
        if (srv->stopping)
            break;
        if (srv->save_due_us && srv->save_due_us <= now) {
            /* Never the store lock while holding lock: the server thread takes them in the
             * other order. */
            srv->save_due_us = 0;
            pthread_mutex_unlock(&srv->lock);
            pthread_mutex_lock(&srv->store);
            save_if_dirty(srv);
            pthread_mutex_unlock(&srv->store);
            pthread_mutex_lock(&srv->lock);
            continue;
        }
        if (srv->save_due_us && srv->save_due_us < next)
            next = srv->save_due_us;
        if (next == INT64_MAX) {
            pthread_cond_wait(&srv->wake, &srv->lock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait_ns = (next - now) * 1000 + ts.tv_nsec;
            ts.tv_sec += (time_t)(wait_ns / 1000000000);
            ts.tv_nsec = (long)(wait_ns % 1000000000);
            pthread_cond_timedwait(&srv->wake, &srv->lock, &ts);
        }
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct server *srv = cls;
    struct req_ctx *c = *con_cls;
    if (!c)
        return MHD_NO; /* out of memory in on_uri */
    if (!c->started) {
        c->started = true;
        (void)text_copy(c->method, sizeof(c->method), method);
        const char *len = header(con, "Content-Length");
        if (len) {
            char *end = NULL;
            unsigned long long n = strtoull(len, &end, 10);
            if (end && *end == '\0' && n > ARM_MAX_BODY) {
                c->too_large = true;
                /* Up to DISCARD_MAX the body is read and dropped, then 413: answering while the
                 * client still sends would close on unread data, and the kernel's reset can
                 * destroy the answer before the client reads it. Past that, refuse at once. */
                if (n > DISCARD_MAX)
                    return answer(srv, con, url, c);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!c->too_large && gp_buf_append(&c->body, upload_data, *upload_data_size) != GP_OK)
            c->too_large = true; /* the buffer freed itself; the rest is discarded */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->held) { /* resumed after a "slow" delay */
        struct MHD_Response *resp = c->held;
        c->held = NULL;
        pthread_mutex_lock(&srv->lock);
        c->suspended = false;
        srv->suspended--;
        pthread_mutex_unlock(&srv->lock);
        return send_answer(srv, con, c, resp);
    }
    if (c->status)
        return MHD_YES; /* already answered (early 413) */
    return answer(srv, con, url, c);
}

static enum gp_status open_listener(const char *host, const char *port, int *out_fd, char *out_url,
                                    size_t url_len, struct gp_error *err)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return gp_error_set(err, GP_E_NETWORK, "--listen %s:%s: %s", host, port, gai_strerror(rc));
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return gp_error_set(err, GP_E_NETWORK, "--listen %s:%s: %s", host, port, strerror(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        close(fd);
        return gp_error_set(err, GP_E_NETWORK, "getsockname: %s", strerror(errno));
    }
    unsigned p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    bool v6 = strchr(host, ':') != NULL;
    (void)snprintf(out_url, url_len, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", p);
    *out_fd = fd;
    return GP_OK;
}

enum gp_status server_start(struct arm_service *svc, const char *host, const char *port,
                            const char *log_path, bool quiet, struct server **out, char *out_url,
                            size_t url_len, struct gp_error *err)
{
    *out = NULL;
    struct server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return gp_error_set(err, GP_E_NOMEM, "out of memory");
    srv->svc = svc;
    srv->tokens = svc->set.tokens;
    srv->quiet = quiet;
    srv->listen_fd = -1;
    if (log_path) {
        srv->log = fopen(log_path, "a");
        if (!srv->log) {
            enum gp_status st =
                gp_error_set(err, GP_E_IO, "--log %s: %s", log_path, strerror(errno));
            free(srv);
            return st;
        }
    }
    enum gp_status st = open_listener(host, port, &srv->listen_fd, out_url, url_len, err);
    if (st != GP_OK) {
        if (srv->log)
            fclose(srv->log);
        free(srv);
        return st;
    }
    pthread_mutex_init(&srv->lock, NULL);
    pthread_mutex_init(&srv->store, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->wake, &ca);
    pthread_condattr_destroy(&ca);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (!quiet)
        flags |= MHD_USE_ERROR_LOG;
    /* Without the resumer thread "slow" answers hold the server thread instead. */
    srv->resumer_started = pthread_create(&srv->resumer, NULL, resumer_main, srv) == 0;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(128 * 1024), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_END);
    if (!srv->daemon) {
        close(srv->listen_fd);
        stop_resumer(srv);
        if (srv->log)
            fclose(srv->log);
        pthread_cond_destroy(&srv->wake);
        pthread_mutex_destroy(&srv->lock);
        pthread_mutex_destroy(&srv->store);
        free(srv);
        return gp_error_set(err, GP_E_NETWORK, "cannot start the HTTP server");
    }
    *out = srv;
    return GP_OK;
}

/* Resumes every held connection and ends the resumer thread. */
static void stop_resumer(struct server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_cond_signal(&srv->wake);
    pthread_mutex_unlock(&srv->lock);
    if (srv->resumer_started)
        pthread_join(srv->resumer, NULL);
    srv->resumer_started = false;
}

void server_stop(struct server *srv)
{
    if (!srv)
        return;
    /* MHD must not be stopped with suspended connections: resume them all and let the server
     * thread answer them (bounded wait: it only has to run each handler once). */
    stop_resumer(srv);
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&srv->lock);
        int left = srv->suspended;
        pthread_mutex_unlock(&srv->lock);
        if (left <= 0)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(srv->daemon); /* closes the listening socket too */
    save_if_dirty(srv);
    if (srv->log)
        fclose(srv->log);
    pthread_cond_destroy(&srv->wake);
    pthread_mutex_destroy(&srv->lock);
    pthread_mutex_destroy(&srv->store);
    free(srv);
}
