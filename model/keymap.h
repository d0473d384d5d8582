/* SPDX-License-Identifier: MIT
 * model/keymap.h: the console's actions and the keys bound to them (htop Action_setBindings,
 * style.md 6). One X-macro table gives each action its id, config name, default keys, help
 * text and context; remapping from config replaces an action's keys; the help screen is
 * generated from the same table, so it is always true. Pure: no curses here. Key codes are
 * this module's own: a Unicode code point for a character, 1..31 for control keys (C-l = 12,
 * Esc = 27, Enter = 13) and KEY_CODE_* values above Unicode for named keys; tui/ translates
 * curses key codes into these. */
#ifndef GPUP_MODEL_KEYMAP_H
#define GPUP_MODEL_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "model/status.h"

/* Named keys: id, spec name as written in config ("<PgDn>"). */
#define KEY_CODES(X)                                                                           \
    X(KEY_CODE_UP, "Up")                                                                       \
    X(KEY_CODE_DOWN, "Down")                                                                   \
    X(KEY_CODE_LEFT, "Left")                                                                   \
    X(KEY_CODE_RIGHT, "Right")                                                                 \
    X(KEY_CODE_PGUP, "PgUp")                                                                   \
    X(KEY_CODE_PGDN, "PgDn")                                                                   \
    X(KEY_CODE_HOME, "Home")                                                                   \
    X(KEY_CODE_END, "End")                                                                     \
    X(KEY_CODE_INSERT, "Ins")                                                                  \
    X(KEY_CODE_DELETE, "Del")                                                                  \
    X(KEY_CODE_BACKSPACE, "BS")                                                                \
    X(KEY_CODE_BACKTAB, "S-Tab")                                                               \
    X(KEY_CODE_F1, "F1")                                                                       \
    X(KEY_CODE_F2, "F2")                                                                       \
    X(KEY_CODE_F3, "F3")                                                                       \
    X(KEY_CODE_F4, "F4")                                                                       \
    X(KEY_CODE_F5, "F5")                                                                       \
    X(KEY_CODE_F6, "F6")                                                                       \
    X(KEY_CODE_F7, "F7")                                                                       \
    X(KEY_CODE_F8, "F8")                                                                       \
    X(KEY_CODE_F9, "F9")                                                                       \
    X(KEY_CODE_F10, "F10")                                                                     \
    X(KEY_CODE_F11, "F11")                                                                     \
    X(KEY_CODE_F12, "F12")                                                                     \
    X(KEY_CODE_RESIZE, "Resize")

#define KEY_CODE_BASE 0x200000 /* above every Unicode code point */
#define KEY_CODE_ENUM_(id, name) id,
enum key_code_named {
    KEY_CODE_FIRST_ = KEY_CODE_BASE - 1,
    KEY_CODES(KEY_CODE_ENUM_) KEY_CODE_LAST_
};
#undef KEY_CODE_ENUM_

#define KEY_CODE_ESC 27
#define KEY_CODE_ENTER 13
#define KEY_CODE_TAB 9
#define KEY_CODE_CTRL(c) ((c) & 0x1f) /* KEY_CODE_CTRL('l') == 12 */

/* Where an action applies. A key is looked up in the screen's context first, then GLOBAL. */
#define KEYMAP_CONTEXTS(X)                                                                     \
    X(KM_GLOBAL, "global", "Everywhere")                                                       \
    X(KM_LIST, "list", "Lists")                                                                \
    X(KM_VM, "vm", "Virtual machine")                                                          \
    X(KM_FORM, "form", "Settings pages")

#define KEYMAP_CTX_ENUM_(id, name, title) id,
enum keymap_context { KEYMAP_CONTEXTS(KEYMAP_CTX_ENUM_) KEYMAP_CONTEXT_COUNT };
#undef KEYMAP_CTX_ENUM_

/* id, config name, default keys (space separated specs), context, help text. */
#define KEYMAP_ACTIONS(X)                                                                      \
    X(ACT_UP, "up", "<Up> k", KM_GLOBAL, "Move up one line")                                   \
    X(ACT_DOWN, "down", "<Down> j", KM_GLOBAL, "Move down one line")                           \
    X(ACT_PGUP, "page-up", "<PgUp> C-b", KM_GLOBAL, "Move up one page")                        \
    X(ACT_PGDN, "page-down", "<PgDn> C-f", KM_GLOBAL, "Move down one page")                    \
    X(ACT_HOME, "first", "<Home> g", KM_GLOBAL, "Go to the first line")                        \
    X(ACT_END, "last", "<End> G", KM_GLOBAL, "Go to the last line")                            \
    X(ACT_ENTER, "open", "<Enter>", KM_GLOBAL, "Open the selected item")                       \
    X(ACT_BACK, "back", "<Esc>", KM_GLOBAL, "Go back one level")                               \
    X(ACT_QUIT, "quit", "q", KM_GLOBAL, "Quit (from the home screen)")                         \
    X(ACT_HELP, "help", "? <F1>", KM_GLOBAL, "Show this help")                                 \
    X(ACT_PALETTE, "palette", ":", KM_GLOBAL, "Command palette")                               \
    X(ACT_NOTIFICATIONS, "notifications", "n", KM_GLOBAL, "Notifications")                     \
    X(ACT_REFRESH, "refresh", "r <F5>", KM_GLOBAL, "Refresh from the service")                 \
    X(ACT_REDRAW, "redraw", "C-l", KM_GLOBAL, "Repaint the whole screen")                      \
    X(ACT_FILTER, "filter", "/", KM_LIST, "Filter rows (Enter keeps, Esc clears)")             \
    X(ACT_SORT_NEXT, "sort-next", "s", KM_LIST, "Sort by the next column")                     \
    X(ACT_SORT_REVERSE, "sort-reverse", "S", KM_LIST, "Reverse the sort order")                \
    X(ACT_SORT_1, "sort-name", "1", KM_LIST, "Sort by name")                                   \
    X(ACT_SORT_2, "sort-group", "2", KM_LIST, "Sort by resource group")                        \
    X(ACT_SORT_3, "sort-location", "3", KM_LIST, "Sort by custom location / host")             \
    X(ACT_SORT_4, "sort-power", "4", KM_LIST, "Sort by power state")                           \
    X(ACT_SORT_5, "sort-provisioning", "5", KM_LIST, "Sort by provisioning state")             \
    X(ACT_SORT_6, "sort-size", "6", KM_LIST, "Sort by vCPU / memory")                          \
    X(ACT_SORT_7, "sort-gpu", "7", KM_LIST, "Sort by GPU")                                     \
    X(ACT_GROUP, "group", "b", KM_LIST, "Group rows by resource group (on / off)")             \
    X(ACT_JSON, "json", "J", KM_VM, "Show the raw JSON")                                       \
    X(ACT_COPY_ID, "copy-id", "y", KM_VM, "Copy the resource id (OSC 52)")                     \
    X(ACT_START, "start", "+", KM_VM, "Start the VM")                                          \
    X(ACT_STOP, "stop", "-", KM_VM, "Stop the VM")                                             \
    X(ACT_RESTART, "restart", "R", KM_VM, "Restart the VM")                                    \
    X(ACT_SIZE, "size", "z", KM_VM, "Settings > Size")                                         \
    X(ACT_NEXT_FIELD, "next-field", "<Tab>", KM_FORM, "Next field")                            \
    X(ACT_PREV_FIELD, "prev-field", "<S-Tab>", KM_FORM, "Previous field")                      \
    X(ACT_SAVE, "save", "<F2> C-w", KM_FORM, "Save (review first)")                            \
    X(ACT_DISCARD, "discard", "<F8> C-x", KM_FORM, "Discard changes")                          \
    X(ACT_DELETE_ASSIGNMENT, "delete-assignment", "<Del> C-d", KM_FORM,                        \
      "Delete the GPU assignment")

#define KEYMAP_ACT_ENUM_(id, name, keys, ctx, help) id,
enum keymap_action { ACT_NONE = -1, KEYMAP_ACTIONS(KEYMAP_ACT_ENUM_) KEYMAP_ACTION_COUNT };
#undef KEYMAP_ACT_ENUM_

#define KEYMAP_MAX_KEYS 4   /* keys per action */
#define KEYMAP_SPEC_MAX 16  /* longest spec text, NUL included ("<Resize>", "C-x") */

/* The bindings: plain data, copyable, no allocation. */
struct keymap {
    int keys[KEYMAP_ACTION_COUNT][KEYMAP_MAX_KEYS]; /* 0 = unused slot */
};

/* Fills km with the default keys of the table. */
void keymap_init(struct keymap *km);

/* Parses one key spec: "j", "G", "?", "<Down>", "<PgDn>", "<Esc>", "<Enter>", "<Tab>",
 * "<Space>", "<F5>", "C-l" / "<C-l>", or one UTF-8 character. Case matters for letters,
 * not for names ("<pgdn>"). GP_E_INVALID with a message naming the spec. */
GP_NODISCARD enum gp_status keymap_parse_key(const char *spec, int *out_key,
                                             struct gp_error *err);
/* Writes the spec of key into buf ("j", "<Down>", "C-l"); returns buf. */
const char *keymap_key_name(int key, char *buf, size_t n);

/* Looks up an action by its config name ("page-down"). ACT_NONE when unknown. */
enum keymap_action keymap_action_parse(const char *name);
const char *keymap_action_name(enum keymap_action a);
const char *keymap_action_help(enum keymap_action a);
enum keymap_context keymap_action_context(enum keymap_action a);
const char *keymap_context_title(enum keymap_context c);

/* Rebinds action `name` to the space separated specs (up to KEYMAP_MAX_KEYS), replacing its
 * keys. A key taken from another action whose context overlaps is removed there (the new
 * binding wins). On error nothing changes; the message names the action or the spec:
 * `unknown action "foo"`, `key "<Dwn>" for "down": unknown key name "Dwn"`. */
GP_NODISCARD enum gp_status keymap_bind(struct keymap *km, const char *name, const char *specs,
                                        struct gp_error *err);

struct settings_key;
/* Applies the ui.keys entries of the configuration (action, key specs, file, line). The
 * entries naming one action together replace its default keys. Every good entry is applied;
 * the first bad one is returned as GP_E_CONFIG "FILE:LINE: key "<Dwn>" for "down": unknown
 * key name" (or `unknown action "x"`), for the caller to show as a warning. */
GP_NODISCARD enum gp_status keymap_apply(struct keymap *km, const struct settings_key *keys,
                                         size_t n, struct gp_error *err);

/* The action for key in context ctx (that context first, then KM_GLOBAL). ACT_NONE if none. */
enum keymap_action keymap_lookup(const struct keymap *km, enum keymap_context ctx, int key);

/* "<Down> j" for an action's keys, into buf; "" when unbound. Returns buf. */
const char *keymap_action_keys(const struct keymap *km, enum keymap_action a, char *buf,
                               size_t n);

/* Help text, one line per entry, grouped by context with a title line per group:
 * calls line(ctx, text) for each line ("  <Down> j          Move down one line", or the
 * group title "Lists:"; an empty line between groups). */
void keymap_help(const struct keymap *km, void (*line)(void *ctx, const char *text), void *ctx);

#endif
