/* SPDX-License-Identifier: MIT
 * tui/palette.h: the `:` command palette (product.md 2.1.9): `:vm NAME` opens a VM, `:rg NAME`
 * shows one resource group (`:rg` alone: all), `:profile NAME`, `:theme NAME`, `:refresh`,
 * `:q`; also `:hosts` (Hosts / GPUs) and `:create` (the Create virtual machine wizard). Tab completes command names, then the argument from names the caller lists (VM names,
 * resource groups, profiles, themes); Tab again cycles through the matches. An unknown command
 * or name says so and keeps the palette open; a known one closes it and runs through the
 * caller's callback. The palette is a screen pushed on the app's stack. */
#ifndef GPUP_TUI_PALETTE_H
#define GPUP_TUI_PALETTE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

struct app;
struct screen_ops;

/* id, name, argument ("" for none; "[NAME]" optional), help, what the argument names (for
 * messages), title of the list of names */
#define PALETTE_COMMANDS(X)                                                                    \
    X(PALETTE_VM, "vm", "NAME", "Open a virtual machine", "VM", "VM names")                    \
    X(PALETTE_RG, "rg", "[NAME]", "Show one resource group (none: all)", "resource group",     \
      "Resource groups")                                                                       \
    X(PALETTE_PROFILE, "profile", "NAME", "Switch to a profile", "profile", "Profiles")        \
    X(PALETTE_THEME, "theme", "NAME", "Switch the colour theme", "theme", "Themes")            \
    X(PALETTE_REFRESH, "refresh", "", "Reload from the service", "", "")                       \
    X(PALETTE_HOSTS, "hosts", "", "Hosts / GPUs", "", "")                                      \
    X(PALETTE_CREATE, "create", "", "Create virtual machine", "", "")                          \
    X(PALETTE_QUIT, "q", "", "Quit gpup", "", "")

#define PALETTE_CMD_ENUM_(id, name, arg, help, noun, title) id,
enum palette_cmd { PALETTE_COMMANDS(PALETTE_CMD_ENUM_) PALETTE_CMD_COUNT };
#undef PALETTE_CMD_ENUM_

const char *palette_cmd_name(enum palette_cmd c);
/* The command named exactly name (ASCII case-insensitive), or PALETTE_CMD_COUNT. */
enum palette_cmd palette_cmd_parse(const char *name);

#define PALETTE_MAX_NAMES 100000 /* names kept per command for completion */
#define PALETTE_NAME_MAX 256     /* longer names are skipped */

struct palette_ops {
    /* Lists the names cmd's argument may take: add(add_ctx, name) once per name (copied;
     * duplicates are dropped). NULL, or a command it lists nothing for: no completion and
     * any name is accepted. */
    void (*names)(void *ctx, enum palette_cmd cmd,
                  void (*add)(void *add_ctx, const char *name), void *add_ctx);
    /* Runs cmd after the palette closed; arg is "" when there is none. A failure is flashed
     * in the status line. NULL: :q quits, the others say they are not available. */
    enum gp_status (*run)(void *ctx, struct app *a, enum palette_cmd cmd, const char *arg,
                          struct gp_error *err);
};

/* Parses a palette line ("vm  train-01 ", ":rg", "q"): *out_cmd and the argument, trimmed,
 * into arg (size n). GP_E_INVALID with the operator's message: `unknown command "foo" (try
 * vm, rg, profile, theme, refresh, q)`, `:vm needs a NAME`, `:refresh takes no argument`. */
GP_NODISCARD enum gp_status palette_parse(const char *line, enum palette_cmd *out_cmd,
                                          char *arg, size_t n, struct gp_error *err);

/* Pushes the palette over the current screen. ops (borrowed, must outlive the palette) and
 * ctx are handed to its callbacks. */
void palette_open(struct app *a, const struct palette_ops *ops, void *ctx);
const struct screen_ops *palette_screen_ops(void);

#endif
