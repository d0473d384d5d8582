/* SPDX-License-Identifier: MIT
 * tui/colors.c: the built-in role tables and curses colour pairs. */
#include "tui/colors.h"

#include <string.h>

#define ROLE_NAME_(id, name) name,
static const char *const role_names[TUI_ROLE_COUNT] = {TUI_ROLES(ROLE_NAME_)};
#undef ROLE_NAME_

/* 8-colour defaults; -1 keeps the terminal's own background. */
static struct tui_role_style color_table[TUI_ROLE_COUNT] = {
    [ROLE_NORMAL] = {-1, -1, A_NORMAL},
    [ROLE_TITLE] = {COLOR_CYAN, -1, A_BOLD},
    [ROLE_STATUS] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
    [ROLE_HEADER] = {COLOR_YELLOW, -1, A_BOLD},
    [ROLE_SELECTED] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL},
    [ROLE_DIM] = {COLOR_BLUE, -1, A_NORMAL},
    [ROLE_OK] = {COLOR_GREEN, -1, A_NORMAL},
    [ROLE_WARN] = {COLOR_YELLOW, -1, A_NORMAL},
    [ROLE_ERROR] = {COLOR_RED, -1, A_BOLD},
    [ROLE_BADGE] = {COLOR_WHITE, COLOR_RED, A_BOLD},
    [ROLE_FILTER] = {COLOR_MAGENTA, -1, A_BOLD},
    [ROLE_GPU] = {COLOR_MAGENTA, -1, A_NORMAL},
};

/* Monochrome: readable with attributes alone. */
static const attr_t mono_table[TUI_ROLE_COUNT] = {
    [ROLE_NORMAL] = A_NORMAL,   [ROLE_TITLE] = A_BOLD,   [ROLE_STATUS] = A_REVERSE,
    [ROLE_HEADER] = A_BOLD | A_UNDERLINE, [ROLE_SELECTED] = A_REVERSE, [ROLE_DIM] = A_NORMAL,
    [ROLE_OK] = A_NORMAL,       [ROLE_WARN] = A_BOLD,    [ROLE_ERROR] = A_BOLD,
    [ROLE_BADGE] = A_REVERSE | A_BOLD, [ROLE_FILTER] = A_BOLD, [ROLE_GPU] = A_NORMAL,
};

static bool use_colors;

static void apply(enum tui_role r)
{
    init_pair((short)(r + 1), color_table[r].fg, color_table[r].bg);
}

void colors_init(bool use_color)
{
    use_colors = use_color && has_colors() && start_color() == OK;
    if (!use_colors)
        return;
    if (use_default_colors() != OK) {
        /* No default colours: use white on black where -1 was asked for. */
        for (int r = 0; r < TUI_ROLE_COUNT; r++) {
            if (color_table[r].fg < 0)
                color_table[r].fg = COLOR_WHITE;
            if (color_table[r].bg < 0)
                color_table[r].bg = COLOR_BLACK;
        }
    }
    for (int r = 0; r < TUI_ROLE_COUNT; r++)
        apply((enum tui_role)r);
}

void colors_set(enum tui_role role, struct tui_role_style style)
{
    if (role < 0 || role >= TUI_ROLE_COUNT)
        return;
    color_table[role] = style;
    if (use_colors)
        apply(role);
}

attr_t colors_attr(enum tui_role role)
{
    if (role < 0 || role >= TUI_ROLE_COUNT)
        return A_NORMAL;
    if (!use_colors)
        return mono_table[role];
    return color_table[role].attrs | (attr_t)COLOR_PAIR(role + 1);
}

const char *colors_role_name(enum tui_role role)
{
    return role >= 0 && role < TUI_ROLE_COUNT ? role_names[role] : NULL;
}

enum tui_role colors_role_parse(const char *name)
{
    for (int r = 0; r < TUI_ROLE_COUNT; r++)
        if (name && strcmp(name, role_names[r]) == 0)
            return (enum tui_role)r;
    return TUI_ROLE_COUNT;
}

bool colors_enabled(void)
{
    return use_colors;
}
