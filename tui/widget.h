/* SPDX-License-Identifier: MIT
 * tui/widget.h: small pieces the change flow screens share: buttons ("[ Save ]", focused,
 * disabled), where they were drawn (so a click finds them), a list of owned text lines
 * (sanitized on the way in, long lines wrapped), and the scrolling keys of a read-only page. */
#ifndef GPUP_TUI_WIDGET_H
#define GPUP_TUI_WIDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "model/keymap.h"
#include "model/status.h"
#include "tui/colors.h"
#include "tui/curses.h"

#define WIDGET_MAX_HITS 16

/* What a screen drew that a click can hit: one-row rectangles with the screen's own ids. The
 * screen resets it at the start of each draw (the screens that use it draw all of it each
 * time), so it always matches what the terminal shows. Held inside the screen. */
struct widget_hits {
    struct {
        int y, x, width;
        int id;
    } v[WIDGET_MAX_HITS];
    int n;
};

void widget_hits_reset(struct widget_hits *h);
/* Records columns [x, x + width) of row y as id (id >= 0). Past WIDGET_MAX_HITS it is
 * dropped: that control just takes no click. */
void widget_hits_add(struct widget_hits *h, int y, int x, int width, int id);
/* The id recorded at (y, x), window-relative; -1 when none. A hit empties the list: what it
 * presses changes the screen, so a second click before the next draw (the other press of a
 * double-click) aims at nothing rather than at a control that may have moved or gone. */
int widget_hits_take(struct widget_hits *h, int y, int x);

/* Draws "[ label ]" at (y, x); focused is shown reversed, disabled dim. Records the columns
 * drawn as id in hits (NULL: not clickable); a disabled button is recorded too, as its click
 * gets Enter's refusal. Returns its width. */
int widget_button(WINDOW *w, struct widget_hits *hits, int id, int y, int x, const char *label,
                  bool focused, bool disabled);
/* Width "[ label ]" takes. */
int widget_button_width(const char *label);

#define WIDGET_MAX_LINES 4096

/* One line of a page: text (owned, sanitized) and how to draw it. */
struct widget_line {
    char *text;
    enum theme_role role;
};

struct widget_lines {
    struct widget_line *v; /* owned */
    size_t n, cap;
    bool full;             /* WIDGET_MAX_LINES reached: later lines were dropped */
};

void widget_lines_init(struct widget_lines *l);
void widget_lines_cleanup(struct widget_lines *l);
/* Adds text (sanitized) as one line. GP_E_NOMEM. Past WIDGET_MAX_LINES lines are dropped. */
GP_NODISCARD enum gp_status widget_lines_add(struct widget_lines *l, enum theme_role role,
                                             const char *text);
GP_NODISCARD enum gp_status widget_lines_addf(struct widget_lines *l, enum theme_role role,
                                              const char *fmt, ...) GP_PRINTF(3, 4);
/* Adds text, which may hold several '\n'-separated lines, cutting each into pieces of at most
 * width columns; continuation pieces are indented like their line plus cont_indent. */
GP_NODISCARD enum gp_status widget_lines_add_wrapped(struct widget_lines *l, enum theme_role role,
                                                     const char *text, int width,
                                                     int cont_indent);
/* The first key bound to act ("<F2>"), "" when none, into buf. Returns buf. */
const char *widget_first_key(const struct keymap *km, enum keymap_action act, char *buf,
                             size_t n);
/* text padded with spaces to width terminal columns (UTF-8 aware) into dst. Returns the bytes
 * written, -1 when cut. */
int widget_pad(char *dst, size_t n, const char *text, int width);
/* Draws lines [top, top + rows) at rows y0.. of w, from column x. */
void widget_lines_draw(const struct widget_lines *l, WINDOW *w, int y0, int rows, int x,
                       size_t top);

/* Up/Down/PgUp/PgDn/Home/End on a page of rows lines out of n: moves *top, returns true when
 * act was one of them. */
bool widget_scroll(enum keymap_action act, size_t *top, size_t n, int rows);

#endif
