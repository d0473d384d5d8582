/* SPDX-License-Identifier: MIT
 * tui/colors.c: theme styles to curses colour pairs and attributes. */
#include "tui/colors.h"

/* Monochrome: readable with attributes alone (also the roles' attributes under NO_COLOR). */
static const attr_t mono_table[THEME_ROLE_COUNT] = {
    [THEME_TITLE] = A_BOLD,
    [THEME_TEXT] = A_NORMAL,
    [THEME_DIM] = A_DIM,
    [THEME_SELECTION] = A_REVERSE,
    [THEME_BORDER] = A_NORMAL,
    [THEME_HEADER] = A_BOLD | A_UNDERLINE,
    [THEME_RUNNING] = A_BOLD,
    [THEME_STOPPED] = A_NORMAL,
    [THEME_TRANSITION] = A_UNDERLINE,
    [THEME_WARNING] = A_BOLD,
    [THEME_ERROR] = A_BOLD | A_REVERSE,
    [THEME_OK] = A_NORMAL,
    [THEME_GPU] = A_BOLD,
    [THEME_BADGE] = A_REVERSE,
    [THEME_STATUS] = A_REVERSE,
    [THEME_KEY] = A_BOLD,
    [THEME_DIALOG] = A_NORMAL,
    [THEME_INPUT] = A_UNDERLINE,
};

static attr_t role_attr[THEME_ROLE_COUNT];
static bool use_colors;

static attr_t attrs_of(unsigned bits)
{
    attr_t a = A_NORMAL;
    if (bits & THEME_ATTR_BOLD)
        a |= A_BOLD;
    if (bits & THEME_ATTR_UNDERLINE)
        a |= A_UNDERLINE;
    if (bits & THEME_ATTR_REVERSE)
        a |= A_REVERSE;
    if (bits & THEME_ATTR_DIM)
        a |= A_DIM;
    return a;
}

void colors_init(bool use_color, const struct theme *t)
{
    struct theme builtin;
    if (!t) {
        theme_init_default(&builtin);
        t = &builtin;
    }
    use_colors = use_color && has_colors() && start_color() == OK && COLORS >= 8 &&
                 COLOR_PAIRS > THEME_ROLE_COUNT;
    for (int r = 0; r < THEME_ROLE_COUNT; r++)
        role_attr[r] = mono_table[r];
    if (!use_colors)
        return;
    bool defaults = use_default_colors() == OK;
    int ncolors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
    for (int r = 0; r < THEME_ROLE_COUNT; r++) {
        const struct theme_style *s = &t->roles[r];
        int fg = theme_color_index(s->fg, ncolors);
        int bg = theme_color_index(s->bg, ncolors);
        if (!defaults) {
            if (fg < 0)
                fg = COLOR_WHITE;
            if (bg < 0)
                bg = COLOR_BLACK;
        }
        init_pair((short)(r + 1), (short)fg, (short)bg);
        role_attr[r] = attrs_of(s->attrs) | (attr_t)COLOR_PAIR(r + 1);
    }
}

attr_t colors_attr(enum theme_role role)
{
    if (role < 0 || role >= THEME_ROLE_COUNT)
        return A_NORMAL;
    return role_attr[role];
}

bool colors_enabled(void)
{
    return use_colors;
}
