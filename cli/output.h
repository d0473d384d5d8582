/* SPDX-License-Identifier: MIT
 * cli/output.h: how the CLI prints VMs: `table` for people (columns aligned to fit 80 columns,
 * server text sanitized), `json` as `az` prints it (an array of ARM VM objects for a list, one
 * object for show, plus `resourceGroup`), and `tsv` for shell scripts (one VM per line, no
 * header). Formatting only; the caller owns the FILE. */
#ifndef GPUP_CLI_OUTPUT_H
#define GPUP_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/args.h"
#include "model/buf.h"
#include "model/status.h"
#include "model/vm.h"

#define CLI_TABLE_WIDTH 80

/* The format to use: the one asked for, else table on a terminal and json otherwise. */
enum cli_format cli_output_resolve(enum cli_format requested, bool out_is_tty);

/* True when the current locale's character set is UTF-8 (for "—" and "×"). */
bool cli_output_locale_utf8(void);

/* A list of VMs (vm list, vm gpu list). format must be resolved (not DEFAULT).
 * GP_E_NOMEM, GP_E_IO when writing fails. */
GP_NODISCARD enum gp_status cli_output_vms(FILE *out, enum cli_format format, bool utf8,
                                           const struct vm *vms, size_t n);

/* One VM (vm show, the result of a change). */
GP_NODISCARD enum gp_status cli_output_vm(FILE *out, enum cli_format format, bool utf8,
                                          const struct vm *vm);

/* Appends s (NULL: "") to b as a JSON string: quotes, \" and \\, control characters as
 * \u00XX. GP_E_NOMEM / GP_E_TOO_LARGE from the buffer. */
GP_NODISCARD enum gp_status cli_output_append_json_string(struct gp_buf *b, const char *s);

/* The VM as `az` prints it: vm_to_json plus "resourceGroup", compact. Caller frees. */
GP_NODISCARD enum gp_status cli_output_vm_json(const struct vm *vm, char **out_json);

/* Writes compact JSON text indented by two spaces per level as `az` does, starting at depth
 * `depth` (the first line is not indented). The text must be valid JSON. GP_E_IO. */
GP_NODISCARD enum gp_status cli_output_json_pretty(FILE *out, const char *json, int depth);

/* Display width of UTF-8 text (one column per character). */
size_t cli_output_text_width(const char *s);

#endif
