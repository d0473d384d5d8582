/* SPDX-License-Identifier: MIT
 * model/text.h: small string helpers shared by every layer: equality, duplication, and the
 * sanitizing of server-provided text before it reaches a terminal or a log. */
#ifndef GPUP_MODEL_TEXT_H
#define GPUP_MODEL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* NULL-safe equality: two NULLs are equal (htop String_eq). */
bool str_eq(const char *a, const char *b);
/* ASCII case-insensitive equality, NULL-safe. */
bool str_ieq(const char *a, const char *b);
/* Duplicates s (NULL gives NULL); caller frees. Returns NULL also when out of memory, so
 * callers that must tell the two apart check s first. */
char *text_dup(const char *s);
/* Copies src into dst of size n, always terminated; returns false when it had to truncate. */
bool text_copy(char *dst, size_t n, const char *src);

/* Makes untrusted text safe to draw or log: control characters (C0, DEL, C1), escape
 * sequences and invalid UTF-8 become '?', so a name cannot move the cursor or retitle the
 * terminal. Writes at most n-1 bytes plus NUL into dst; cuts only between characters.
 * Returns dst. */
char *text_sanitize(char *dst, size_t n, const char *src);

#endif
