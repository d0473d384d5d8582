/* SPDX-License-Identifier: MIT
 * model/armerror.h: turns an error answer from ARM (or from a login endpoint) into one clear
 * line in struct gp_error: "409 VmMustBeStopped: The VM must be stopped (details: ...)".
 * Understands the ARM shape {"error":{"code","message","target","details":[...]}}, the OAuth
 * shape {"error":"invalid_client","error_description":"...","trace_id","correlation_id"} and
 * anything else (HTML from a proxy, empty bodies). Every server string is sanitized before it
 * is stored, so an error message cannot drive the terminal. Pure: no I/O. */
#ifndef GPUP_MODEL_ARMERROR_H
#define GPUP_MODEL_ARMERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

/* Upper bounds for hostile bodies. */
#define ARMERROR_MAX_BYTES (1024u * 1024u) /* larger bodies are not parsed, only named */
#define ARMERROR_MAX_DETAILS 8             /* details shown in the line */

/* The status an HTTP answer maps to: 400 GP_E_INVALID, 401/403 GP_E_AUTH, 404/410
 * GP_E_NOT_FOUND, 409/412 GP_E_RULE, 408/504 GP_E_TIMEOUT, 429 GP_E_BUSY, other non-2xx
 * GP_E_HTTP, 2xx GP_OK. */
enum gp_status armerror_status_for_http(int http_status);

/* Short reason phrase ("Conflict"); "" for codes it does not know. */
const char *armerror_reason(int http_status);

/* Fills err from an error answer: status (armerror_status_for_http), http_status, code,
 * target and the message line. body (len bytes, need not be NUL-terminated, may be NULL) is
 * borrowed. Keeps err's request-id fields; an OAuth trace_id/correlation_id fills request_id /
 * correlation_id when those are empty. Returns true when the body had a recognised error
 * shape, false when the line was built from the status (and a sanitized snippet of the body). */
bool armerror_from_response(struct gp_error *err, int http_status, const char *body, size_t len);

/* Like armerror_from_response for an "error" object that came inside a 200 answer (a failed
 * long-running operation's status body {"status":"Failed","error":{...}}): the line has no
 * HTTP status. Returns false (and leaves err untouched) when body holds no error object. */
bool armerror_from_operation(struct gp_error *err, const char *body, size_t len);

#endif
