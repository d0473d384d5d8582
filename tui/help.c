/* SPDX-License-Identifier: MIT
 * tui/help.c: the help screen: the keymap's help lines, scrollable. */
#include "tui/help.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keymap.h"
#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/palette.h"
#include "tui/widget.h"

#define HELP_MAX_LINES 256

struct help {
    struct screen screen;
    char *lines[HELP_MAX_LINES];
    size_t n;
    size_t top;
    int rows;
};

static void add_line(void *ctx, const char *text)
{
    struct help *h = ctx;
    if (h->n < HELP_MAX_LINES) {
        h->lines[h->n] = text_dup(text);
        if (h->lines[h->n])
            h->n++;
    }
}

static size_t max_top(const struct help *h)
{
    size_t page = h->rows > 0 ? (size_t)h->rows : 1;
    return h->n > page ? h->n - page : 0;
}

static void help_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct help *h = (struct help *)s;
    int cols = getmaxx(w);
    for (int y = 0; y < h->rows; y++) {
        size_t i = h->top + (size_t)y;
        const char *t = i < h->n ? h->lines[i] : "";
        bool title = t[0] && t[0] != ' ';
        draw_text(w, y, 1, cols - 1, t, colors_attr(title ? THEME_HEADER : THEME_TEXT));
    }
}

static bool help_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    (void)key;
    struct help *h = (struct help *)s;
    if (act == ACT_HELP || act == ACT_ENTER) {
        app_pop(a);
        return true;
    }
    size_t top = h->top;
    if (!widget_scroll(act, &top, h->n, h->rows))
        return false;
    if (top != h->top) {
        h->top = top;
        app_body_dirty(a);
    }
    return true;
}

static void help_resize(struct screen *s, struct app *a, int rows, int cols)
{
    (void)a;
    (void)cols;
    struct help *h = (struct help *)s;
    h->rows = rows;
    if (h->top > max_top(h))
        h->top = max_top(h);
}

static void help_destroy(struct screen *s)
{
    struct help *h = (struct help *)s;
    for (size_t i = 0; i < h->n; i++)
        free(h->lines[i]);
    free(h);
}

static const struct screen_ops help_ops = {
    .name = "Help",
    .ctx = KM_GLOBAL,
    .draw = help_draw,
    .key = help_key,
    .resize = help_resize,
    .destroy = help_destroy,
};

const struct screen_ops *help_screen_ops(void)
{
    return &help_ops;
}

void help_open(struct app *a)
{
    struct help *h = calloc(1, sizeof(*h));
    if (!h) {
        app_flash(a, true, "out of memory");
        return;
    }
    h->screen.ops = &help_ops;
    add_line(h, "Keys (change them in the keys section of the config file); Esc goes back");
    add_line(h, "");
    keymap_help(app_keymap(a), add_line, h);
    add_line(h, "");
    add_line(h, "Commands (after :, Tab completes):");
    for (size_t i = 0; i < palette_n_commands; i++) {
        const struct palette_command *pc = &palette_commands[i];
        if (strcmp(pc->name, "quit") == 0)
            continue; /* :q says it */
        char line[128];
        char head[32];
        snprintf(head, sizeof(head), ":%s%s%s", pc->name, pc->arg[0] ? " " : "", pc->arg);
        snprintf(line, sizeof(line), "  %-16s %s", head, pc->what);
        add_line(h, line);
    }
    app_push(a, &h->screen);
}
