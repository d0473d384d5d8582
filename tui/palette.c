/* SPDX-License-Identifier: MIT
 * tui/palette.c: the `:` command palette. */
#include "tui/palette.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keymap.h"
#include "model/text.h"
#include "tui/app.h"
#include "tui/colors.h"
#include "tui/draw.h"
#include "tui/input.h"
#include "tui/term.h"

struct palette_cmd_info {
    const char *name, *arg, *help, *noun, *title;
};

#define PALETTE_INFO_(id, name, arg, help, noun, title) {name, arg, help, noun, title},
static const struct palette_cmd_info cmds[PALETTE_CMD_COUNT] = {
    PALETTE_COMMANDS(PALETTE_INFO_)};
#undef PALETTE_INFO_

const char *palette_cmd_name(enum palette_cmd c)
{
    return (unsigned)c < PALETTE_CMD_COUNT ? cmds[c].name : "";
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool prefix_ieq(const char *s, const char *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s[i] || ascii_lower((unsigned char)s[i]) != ascii_lower((unsigned char)prefix[i]))
            return false;
    }
    return true;
}

static int cmp_ci(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

enum palette_cmd palette_cmd_parse(const char *name)
{
    for (int i = 0; i < PALETTE_CMD_COUNT; i++) {
        if (str_ieq(name, cmds[i].name))
            return (enum palette_cmd)i;
    }
    return PALETTE_CMD_COUNT;
}

static bool takes_arg(enum palette_cmd c)
{
    return cmds[c].arg[0] != '\0';
}

static bool arg_required(enum palette_cmd c)
{
    return takes_arg(c) && cmds[c].arg[0] != '[';
}

/* Splits line into the command word and the argument: skips blanks and a leading ':'.
 * *word / *word_len: the command; *rest: what follows its first blank, or NULL when the line
 * is still the command word. */
static void split(const char *line, const char **word, size_t *word_len, const char **rest)
{
    while (*line == ' ')
        line++;
    if (*line == ':')
        line++;
    while (*line == ' ')
        line++;
    *word = line;
    size_t n = 0;
    while (line[n] && line[n] != ' ')
        n++;
    *word_len = n;
    if (!line[n]) {
        *rest = NULL;
        return;
    }
    const char *r = line + n;
    while (*r == ' ')
        r++;
    *rest = r;
}

/* "vm, rg, profile, ..." from the table, so messages stay true. */
static const char *known_list(void)
{
    static char list[128];
    if (!list[0]) {
        size_t len = 0;
        for (int i = 0; i < PALETTE_CMD_COUNT; i++) {
            int w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
                             cmds[i].name);
            if (w < 0 || (size_t)w >= sizeof(list) - len)
                break;
            len += (size_t)w;
        }
    }
    return list;
}

enum gp_status palette_parse(const char *line, enum palette_cmd *out_cmd, char *arg, size_t n,
                             struct gp_error *err)
{
    const char *word, *rest;
    size_t wl;
    split(line, &word, &wl, &rest);
    if (n > 0)
        arg[0] = '\0';
    char name[32];
    if (wl == 0)
        return gp_error_set(err, GP_E_INVALID, "type a command (%s)", known_list());
    if (wl >= sizeof(name))
        wl = sizeof(name) - 1; /* long: unknown anyway, shown cut */
    memcpy(name, word, wl);
    name[wl] = '\0';
    enum palette_cmd c = palette_cmd_parse(name);
    if (c == PALETTE_CMD_COUNT) {
        char safe[32];
        text_sanitize(safe, sizeof(safe), name);
        return gp_error_set(err, GP_E_INVALID, "unknown command \"%s\"", safe);
    }
    size_t al = rest ? strlen(rest) : 0;
    while (al > 0 && rest[al - 1] == ' ')
        al--;
    if (al == 0 && arg_required(c))
        return gp_error_set(err, GP_E_INVALID, ":%s needs a %s", cmds[c].name, cmds[c].arg);
    if (al > 0 && !takes_arg(c))
        return gp_error_set(err, GP_E_INVALID, ":%s takes no argument", cmds[c].name);
    if (al >= n)
        return gp_error_set(err, GP_E_INVALID, "the %s is too long", cmds[c].noun);
    if (al > 0)
        memcpy(arg, rest, al);
    arg[al] = '\0';
    *out_cmd = c;
    return GP_OK;
}

/* --- the screen ---------------------------------------------------------------------------- */

struct name_list {
    char **v;
    size_t n, cap;
    bool full;
};

struct palette {
    struct screen screen;
    const struct palette_ops *ops;
    void *ctx;
    struct input in;
    char message[256];
    bool message_error;

    /* Names of names_cmd's argument, loaded when first needed, sorted, unique. */
    enum palette_cmd names_cmd;
    bool names_loaded;
    struct name_list names;

    /* Matches for what is typed: command ids (matching_cmds) or indices into names. */
    bool matching_cmds;
    enum palette_cmd match_cmd; /* the command whose argument is matched */
    size_t *match;
    size_t n_match, cap_match;
    size_t head_len; /* bytes of the line before the completed word */

    bool cycling;
    size_t cycle_i;
};

static void names_free(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void names_add(void *ctx, const char *name)
{
    struct name_list *l = ctx;
    if (!name || !name[0] || strlen(name) >= PALETTE_NAME_MAX)
        return;
    if (l->n == PALETTE_MAX_NAMES) {
        l->full = true;
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->full = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    char safe[PALETTE_NAME_MAX];
    text_sanitize(safe, sizeof(safe), name);
    char *copy = text_dup(safe);
    if (!copy) {
        l->full = true;
        return;
    }
    l->v[l->n++] = copy;
}

static int cmp_names(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    int c = cmp_ci(*x, *y);
    return c ? c : strcmp(*x, *y);
}

static void load_names(struct palette *p, enum palette_cmd c)
{
    if (p->names_loaded && p->names_cmd == c)
        return;
    names_free(&p->names);
    p->names_cmd = c;
    p->names_loaded = true;
    if (!p->ops || !p->ops->names || !takes_arg(c))
        return;
    p->ops->names(p->ctx, c, names_add, &p->names);
    struct name_list *l = &p->names;
    if (l->n == 0)
        return;
    qsort(l->v, l->n, sizeof(*l->v), cmp_names);
    size_t k = 1;
    for (size_t i = 1; i < l->n; i++) {
        if (strcmp(l->v[i], l->v[k - 1]) == 0)
            free(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
}

static bool match_push(struct palette *p, size_t i)
{
    if (p->n_match == p->cap_match) {
        size_t cap = p->cap_match ? p->cap_match * 2 : 32;
        size_t *m = realloc(p->match, cap * sizeof(*m));
        if (!m)
            return false;
        p->match = m;
        p->cap_match = cap;
    }
    p->match[p->n_match++] = i;
    return true;
}

static const char *match_text(const struct palette *p, size_t k)
{
    return p->matching_cmds ? cmds[p->match[k]].name : p->names.v[p->match[k]];
}

/* Recomputes the matches for the text typed. */
static void update_matches(struct palette *p)
{
    p->n_match = 0;
    p->matching_cmds = false;
    p->match_cmd = PALETTE_CMD_COUNT;
    const char *line = input_text(&p->in), *word, *rest;
    size_t wl;
    split(line, &word, &wl, &rest);
    if (!rest) {
        p->matching_cmds = true;
        p->head_len = (size_t)(word - line);
        for (size_t i = 0; i < PALETTE_CMD_COUNT; i++) {
            if (prefix_ieq(cmds[i].name, word, wl) && !match_push(p, i))
                break;
        }
        return;
    }
    char name[32];
    if (wl >= sizeof(name))
        return;
    memcpy(name, word, wl);
    name[wl] = '\0';
    enum palette_cmd c = palette_cmd_parse(name);
    if (c == PALETTE_CMD_COUNT) {
        /* Not a command: list them all. */
        p->matching_cmds = true;
        p->head_len = (size_t)(word - line);
        for (size_t i = 0; i < PALETTE_CMD_COUNT; i++) {
            if (!match_push(p, i))
                break;
        }
        return;
    }
    if (!takes_arg(c))
        return;
    p->match_cmd = c;
    p->head_len = (size_t)(rest - line);
    load_names(p, c);
    size_t al = strlen(rest);
    for (size_t i = 0; i < p->names.n; i++) {
        if (prefix_ieq(p->names.v[i], rest, al) && !match_push(p, i))
            break;
    }
}

static void set_message(struct palette *p, bool error, const char *msg)
{
    p->message_error = error;
    if (!text_copy(p->message, sizeof(p->message), msg)) {
        /* cut: keep it, it is only shown */
    }
}

/* Replaces the word being completed with text (plus a blank when complete adds one). */
static void replace_word(struct palette *p, const char *text, bool add_blank)
{
    char line[INPUT_MAX_BYTES + 2];
    const char *cur = input_text(&p->in);
    size_t head = p->head_len;
    size_t tl = strlen(text);
    if (head + tl + 1 >= sizeof(line))
        return;
    memcpy(line, cur, head);
    memcpy(line + head, text, tl);
    line[head + tl] = add_blank ? ' ' : '\0';
    line[head + tl + 1] = '\0';
    if (!input_set(&p->in, line))
        set_message(p, true, "the completion does not fit in the field");
}

/* Longest common prefix of the matches, in bytes, at a character boundary. */
static size_t common_prefix(const struct palette *p)
{
    const char *first = match_text(p, 0);
    size_t n = strlen(first);
    for (size_t k = 1; k < p->n_match; k++) {
        const char *t = match_text(p, k);
        size_t i = 0;
        while (i < n && t[i] && t[i] == first[i])
            i++;
        n = i;
    }
    while (n > 0 && ((unsigned char)first[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static void complete(struct palette *p)
{
    if (p->cycling && p->n_match > 1) {
        p->cycle_i = (p->cycle_i + 1) % p->n_match;
        replace_word(p, match_text(p, p->cycle_i), false);
        return;
    }
    update_matches(p);
    const char *typed = input_text(&p->in) + p->head_len;
    if (p->matching_cmds && p->n_match == PALETTE_CMD_COUNT && input_text(&p->in)[0] &&
        strchr(input_text(&p->in), ' ')) {
        set_message(p, true, "nothing to complete: the command is not known");
        return;
    }
    if (p->n_match == 0) {
        if (!p->matching_cmds && p->match_cmd == PALETTE_CMD_COUNT) {
            set_message(p, true, "nothing to complete: the command is not known");
        } else if (!p->matching_cmds && p->names.n == 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "no %s names to complete", cmds[p->match_cmd].noun);
            set_message(p, false, msg);
        } else {
            set_message(p, true, "nothing matches");
        }
        return;
    }
    if (p->n_match == 1) {
        const char *t = match_text(p, 0);
        bool blank = p->matching_cmds && takes_arg((enum palette_cmd)p->match[0]);
        replace_word(p, t, blank);
        update_matches(p);
        return;
    }
    size_t lcp = common_prefix(p);
    if (lcp > strlen(typed)) {
        char pre[PALETTE_NAME_MAX];
        if (lcp >= sizeof(pre))
            lcp = sizeof(pre) - 1;
        memcpy(pre, match_text(p, 0), lcp);
        pre[lcp] = '\0';
        replace_word(p, pre, false);
        update_matches(p);
        return;
    }
    /* Nothing more in common: Tab cycles through the matches. */
    p->cycling = true;
    p->cycle_i = 0;
    replace_word(p, match_text(p, 0), false);
}

static bool name_known(struct palette *p, enum palette_cmd c, const char *arg)
{
    load_names(p, c);
    if (p->names.n == 0)
        return true; /* nothing listed: the callback decides */
    for (size_t i = 0; i < p->names.n; i++) {
        if (str_ieq(p->names.v[i], arg))
            return true;
    }
    return p->names.full; /* too many to know */
}

static void run(struct palette *p, struct app *a)
{
    const char *line = input_text(&p->in);
    const char *word, *rest;
    size_t wl;
    split(line, &word, &wl, &rest);
    if (wl == 0) {
        app_pop(a);
        return;
    }
    enum palette_cmd c;
    char arg[PALETTE_NAME_MAX];
    struct gp_error err;
    gp_error_clear(&err);
    if (palette_parse(line, &c, arg, sizeof(arg), &err) != GP_OK) {
        set_message(p, true, err.message);
        return;
    }
    if (arg[0] && !name_known(p, c, arg)) {
        char msg[PALETTE_NAME_MAX + 64];
        char safe[PALETTE_NAME_MAX];
        text_sanitize(safe, sizeof(safe), arg);
        snprintf(msg, sizeof(msg), "no %s named \"%s\" (Tab completes)", cmds[c].noun, safe);
        set_message(p, true, msg);
        return;
    }
    const struct palette_ops *ops = p->ops;
    void *ctx = p->ctx;
    app_pop(a); /* frees p */
    if (!ops || !ops->run) {
        if (c == PALETTE_QUIT)
            app_quit(a);
        else
            app_flash(a, true, ":%s is not available here", cmds[c].name);
        return;
    }
    if (ops->run(ctx, a, c, arg, &err) != GP_OK)
        app_flash(a, true, "%s", err.message[0] ? err.message : "the command failed");
}

static bool palette_key(struct screen *s, struct app *a, enum keymap_action act, int key)
{
    struct palette *p = (struct palette *)s;
    if (key == KEY_CODE_TAB) {
        p->message[0] = '\0';
        complete(p);
        app_body_dirty(a);
        return true;
    }
    p->cycling = false;
    if (key == KEY_CODE_ESC) {
        app_pop(a);
        return true;
    }
    if (key == KEY_CODE_ENTER) {
        run(p, a);
        app_body_dirty(a);
        return true;
    }
    if ((key == KEY_CODE_BACKSPACE || key == 0x7f) && p->in.len == 0) {
        app_pop(a); /* Backspace on an empty line closes, as in vi */
        return true;
    }
    enum input_result r = input_key(&p->in, key);
    if (r == INPUT_IGNORED)
        return act != ACT_REDRAW && act != ACT_HELP; /* C-l and F1 keep their meaning */
    if (r == INPUT_CHANGED) {
        p->message[0] = '\0';
        update_matches(p);
    }
    app_body_dirty(a);
    return true;
}

static void palette_draw(struct screen *s, struct app *a, WINDOW *w, bool full)
{
    (void)a;
    (void)full;
    struct palette *p = (struct palette *)s;
    int rows = getmaxy(w), cols = getmaxx(w);
    werase(w);
    attr_t normal = colors_attr(THEME_TEXT);
    draw_text(w, 0, 0, 2, " :", colors_attr(THEME_INPUT));
    input_draw(&p->in, w, 0, 2, cols - 3, true, normal);
    if (p->message[0])
        draw_text(w, 1, 1, cols - 2, p->message,
                  colors_attr(p->message_error ? THEME_ERROR : THEME_WARNING));
    else
        draw_text(w, 1, 1, cols - 2, "Tab completes, Enter runs, Esc closes",
                  colors_attr(THEME_DIM));

    char title[160];
    if (p->matching_cmds) {
        snprintf(title, sizeof(title), "Commands");
    } else if (p->match_cmd != PALETTE_CMD_COUNT) {
        const char *typed = input_text(&p->in) + p->head_len;
        char safe[64];
        text_sanitize(safe, sizeof(safe), typed);
        if (p->cycling || !safe[0])
            snprintf(title, sizeof(title), "%s (%zu)", cmds[p->match_cmd].title, p->n_match);
        else
            snprintf(title, sizeof(title), "%s starting with \"%s\" (%zu)",
                     cmds[p->match_cmd].title, safe, p->n_match);
    } else {
        title[0] = '\0';
    }
    if (!title[0])
        return;
    draw_text(w, 3, 1, cols - 2, title, colors_attr(THEME_HEADER));
    int y = 4;
    for (size_t k = 0; k < p->n_match && y < rows; k++, y++) {
        if (y == rows - 1 && k + 1 < p->n_match) {
            char more[64];
            snprintf(more, sizeof(more), "%s %zu more", tui_glyph(GLYPH_ELLIPSIS),
                     p->n_match - k);
            draw_text(w, y, 3, cols - 4, more, colors_attr(THEME_DIM));
            break;
        }
        attr_t at = p->cycling && k == p->cycle_i ? colors_attr(THEME_SELECTION) : normal;
        if (p->matching_cmds) {
            const struct palette_cmd_info *ci = &cmds[p->match[k]];
            char left[48];
            snprintf(left, sizeof(left), "%s %s", ci->name, ci->arg);
            draw_text(w, y, 3, 18, left, at);
            draw_text(w, y, 22, cols - 23, ci->help, colors_attr(THEME_DIM));
        } else {
            draw_text(w, y, 3, cols - 4, match_text(p, k), at);
        }
    }
}

static void palette_destroy(struct screen *s)
{
    struct palette *p = (struct palette *)s;
    names_free(&p->names);
    free(p->match);
    free(p);
}

static const struct screen_ops ops_palette = {
    .name = "Command palette",
    .ctx = KM_FORM,
    .draw = palette_draw,
    .key = palette_key,
    .destroy = palette_destroy,
};

const struct screen_ops *palette_screen_ops(void)
{
    return &ops_palette;
}

void palette_open(struct app *a, const struct palette_ops *ops, void *ctx)
{
    struct palette *p = calloc(1, sizeof(*p));
    if (!p) {
        app_flash(a, true, "out of memory");
        return;
    }
    p->screen.ops = &ops_palette;
    p->ops = ops;
    p->ctx = ctx;
    input_init(&p->in, 200);
    p->names_cmd = PALETTE_CMD_COUNT;
    update_matches(p);
    app_push(a, &p->screen);
}
