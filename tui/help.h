/* SPDX-License-Identifier: MIT
 * tui/help.h: the help screen (`?`), generated from the keymap in use, so it is always true. */
#ifndef GPUP_TUI_HELP_H
#define GPUP_TUI_HELP_H

struct app;
struct screen_ops;

/* Pushes a help screen for the app's current bindings. */
void help_open(struct app *a);
const struct screen_ops *help_screen_ops(void);

#endif
