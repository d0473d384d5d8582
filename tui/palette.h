/* SPDX-License-Identifier: MIT
 * tui/palette.h: the command palette (`:`, product.md 2.1.9): a one-line prompt in the status
 * line with Tab completion of command names, VM names and resource groups:
 *     :vm NAME   open a VM        :rg NAME    show one resource group
 *     :refresh   reload           :help       the keys         :q  quit
 * :profile and :theme (and anything else) go to the handler the app was given. */
#ifndef GPUP_TUI_PALETTE_H
#define GPUP_TUI_PALETTE_H

#include <stdbool.h>
#include <stddef.h>

struct vmtable;

#define PALETTE_MAX 128

struct palette {
    bool active;
    char text[PALETTE_MAX]; /* without the leading ':' */
    char hint[96];          /* shown after the text: completions or an error */
};

enum palette_result { PALETTE_EDITING, PALETTE_CANCEL, PALETTE_RUN };

void palette_open(struct palette *p);
/* One key while open. Tab completes from the commands and the VMs of t. PALETTE_RUN: the
 * line in p->text is ready to run (the palette is closed). */
enum palette_result palette_key(struct palette *p, int key, const struct vmtable *t);

/* Splits "vm  train-04 " into command "vm" and argument "train-04" (both trimmed) in place;
 * returns the command ("" when none). *out_arg is "" when there is none. */
char *palette_split(char *line, char **out_arg);

#endif
