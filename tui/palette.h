/* SPDX-License-Identifier: MIT
 * tui/palette.h: the command palette (`:`, product.md 2.1.9): a one-line prompt in the status
 * line with Tab completion of command names, VM names and resource groups. The commands are
 * listed once, in PALETTE_COMMANDS, for completion and for the help screen; running them is
 * the app's (vm, rg, refresh, help, q) or the handler's it was given (the rest). */
#ifndef GPUP_TUI_PALETTE_H
#define GPUP_TUI_PALETTE_H

#include <stdbool.h>
#include <stddef.h>

struct vmtable;

#define PALETTE_MAX 128

/* name, argument, what it does */
#define PALETTE_COMMANDS(X)                                                                    \
    X("vm", "NAME", "Open a virtual machine")                                                  \
    X("rg", "NAME", "Show one resource group")                                                 \
    X("hosts", "", "Hosts and their GPUs")                                                     \
    X("create", "", "Create a virtual machine")                                                \
    X("resume", "", "Finish the operations left unfinished in the journal")                    \
    X("notifications", "", "Show the notifications")                                           \
    X("profile", "NAME", "Switch to another profile")                                          \
    X("theme", "NAME", "Switch to another theme")                                              \
    X("refresh", "", "Refresh from the service")                                               \
    X("help", "", "Show this help")                                                            \
    X("q", "", "Quit")                                                                         \
    X("quit", "", "Quit")

struct palette_command {
    const char *name, *arg, *what;
};
extern const struct palette_command palette_commands[];
extern const size_t palette_n_commands;

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
