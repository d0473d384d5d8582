/* SPDX-License-Identifier: MIT
 * model/theme.c: role table, style syntax, built-in theme and colour downgrade. */
#include "model/theme.h"

#include <stdio.h>
#include <string.h>

#include "model/text.h"

#define THEME_ROLE_NAME_(id, name, what) name,
#define THEME_ROLE_ABOUT_(id, name, what) what,
static const char *const role_names[] = {THEME_ROLES(THEME_ROLE_NAME_)};
static const char *const role_about[] = {THEME_ROLES(THEME_ROLE_ABOUT_)};
#undef THEME_ROLE_NAME_
#undef THEME_ROLE_ABOUT_

static const struct {
    const char *name;
    unsigned bit;
} attr_table[] = {
#define THEME_ATTR_ROW_(id, name, bit) {name, bit},
    THEME_ATTRS(THEME_ATTR_ROW_)
#undef THEME_ATTR_ROW_
};
#define ATTR_COUNT (sizeof(attr_table) / sizeof(attr_table[0]))

static const char *const base_colors[8] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

/* The xterm default palette for 0-15. */
static const uint32_t base_rgb[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_ROLE_COUNT ? role_names[r] : "?";
}

const char *theme_role_about(enum theme_role r)
{
    return (unsigned)r < THEME_ROLE_COUNT ? role_about[r] : "?";
}

bool theme_role_parse(const char *name, enum theme_role *out)
{
    for (unsigned i = 0; i < THEME_ROLE_COUNT; i++) {
        if (str_eq(role_names[i], name)) {
            *out = (enum theme_role)i;
            return true;
        }
    }
    return false;
}

/* ---- parsing --------------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum gp_status theme_color_parse(const char *word, int32_t *out, struct gp_error *err)
{
    size_t n = word ? strlen(word) : 0;
    if (str_eq(word, "default")) {
        *out = THEME_COLOR_DEFAULT;
        return GP_OK;
    }
    if (str_eq(word, "grey") || str_eq(word, "gray")) {
        *out = 8;
        return GP_OK;
    }
    if (n == 7 && word[0] == '#') {
        int32_t v = 0;
        for (size_t i = 1; i < 7; i++) {
            int h = hex_value(word[i]);
            if (h < 0)
                goto bad;
            v = v * 16 + h;
        }
        *out = THEME_COLOR_RGB | v;
        return GP_OK;
    }
    if (n >= 1 && n <= 3 && word[0] >= '0' && word[0] <= '9') {
        int32_t v = 0;
        for (size_t i = 0; i < n; i++) {
            if (word[i] < '0' || word[i] > '9')
                goto bad;
            v = v * 10 + (word[i] - '0');
        }
        if (v > 255)
            goto bad;
        *out = v;
        return GP_OK;
    }
    const char *base = word;
    int32_t offset = 0;
    if (word && strncmp(word, "bright", 6) == 0) {
        base = word + 6;
        if (*base == '-' || *base == '_')
            base++;
        offset = 8;
    }
    for (int32_t i = 0; base && i < 8; i++) {
        if (str_eq(base, base_colors[i])) {
            *out = i + offset;
            return GP_OK;
        }
    }
bad:
    return gp_error_set(err, GP_E_CONFIG,
                        "unknown colour \"%s\" (use black..white, bright-black..bright-white, "
                        "default, 0-255 or #rrggbb)",
                        word ? word : "");
}

static bool attr_parse(const char *word, unsigned *ref_attrs)
{
    for (size_t i = 0; i < ATTR_COUNT; i++) {
        if (str_eq(attr_table[i].name, word)) {
            *ref_attrs |= attr_table[i].bit;
            return true;
        }
    }
    return false;
}

enum gp_status theme_style_parse(const char *spec, struct theme_style *out,
                                 struct gp_error *err)
{
    struct theme_style s = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0};
    bool have_fg = false, have_bg = false, want_bg = false, none = false;
    size_t words = 0;
    const char *p = spec ? spec : "";
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " \t");
        char word[32];
        if (len >= sizeof(word))
            return gp_error_set(err, GP_E_CONFIG, "unknown word \"%.*s...\" in style",
                                (int)(sizeof(word) - 1), p);
        memcpy(word, p, len);
        word[len] = '\0';
        p += len;
        words++;
        if (str_eq(word, "none")) {
            none = true;
        } else if (str_eq(word, "on")) {
            if (want_bg || have_bg)
                return gp_error_set(err, GP_E_CONFIG, "\"on\" given twice in style");
            want_bg = true;
        } else if (attr_parse(word, &s.attrs)) {
            continue;
        } else {
            int32_t c = THEME_COLOR_DEFAULT; /* set by theme_color_parse when it succeeds */
            if (want_bg) {
                GP_TRY(theme_color_parse(word, &c, err));
                s.bg = c;
                have_bg = true;
                want_bg = false;
            } else if (!have_fg) {
                GP_TRY(theme_color_parse(word, &c, err));
                s.fg = c;
                have_fg = true;
            } else {
                /* A second foreground: most likely a typo of an attribute or a missing "on". */
                if (theme_color_parse(word, &c, NULL) == GP_OK)
                    return gp_error_set(err, GP_E_CONFIG,
                                        "two foreground colours in style (write \"FG on BG\")");
                return gp_error_set(err, GP_E_CONFIG,
                                    "unknown word \"%s\" in style (attributes: bold, "
                                    "underline, reverse, dim)",
                                    word);
            }
        }
    }
    if (words == 0)
        return gp_error_set(err, GP_E_CONFIG, "empty style (write \"none\" for no colour)");
    if (want_bg)
        return gp_error_set(err, GP_E_CONFIG, "\"on\" without a background colour");
    if (none && words > 1)
        return gp_error_set(err, GP_E_CONFIG, "\"none\" must stand alone");
    *out = s;
    return GP_OK;
}

static void color_name(int32_t c, char *dst, size_t n)
{
    if (c == THEME_COLOR_DEFAULT)
        snprintf(dst, n, "default");
    else if (THEME_COLOR_IS_RGB(c))
        snprintf(dst, n, "#%06x", (unsigned)(c & 0xffffff));
    else if (c >= 0 && c < 8)
        snprintf(dst, n, "%s", base_colors[c]);
    else if (c >= 8 && c < 16)
        snprintf(dst, n, "bright-%s", base_colors[c - 8]);
    else
        snprintf(dst, n, "%d", (int)c);
}

/* Appends " word" (no space first) to dst of size n holding *ref_used bytes; cuts at the end. */
static void put_word(char *dst, size_t n, size_t *ref_used, const char *word)
{
    int w = snprintf(dst + *ref_used, n - *ref_used, "%s%s", *ref_used ? " " : "", word);
    if (w > 0)
        *ref_used += (size_t)w < n - *ref_used ? (size_t)w : n - *ref_used - 1;
}

char *theme_style_format(const struct theme_style *s, char *dst, size_t n)
{
    char c[16];
    size_t used = 0;
    if (n == 0)
        return dst;
    dst[0] = '\0';
    for (size_t i = 0; i < ATTR_COUNT; i++)
        if (s->attrs & attr_table[i].bit)
            put_word(dst, n, &used, attr_table[i].name);
    if (s->fg != THEME_COLOR_DEFAULT || s->bg != THEME_COLOR_DEFAULT) {
        color_name(s->fg, c, sizeof(c));
        put_word(dst, n, &used, c);
    }
    if (s->bg != THEME_COLOR_DEFAULT) {
        put_word(dst, n, &used, "on");
        color_name(s->bg, c, sizeof(c));
        put_word(dst, n, &used, c);
    }
    if (used == 0)
        put_word(dst, n, &used, "none");
    return dst;
}

/* ---- built-in theme -------------------------------------------------------------------- */

void theme_init_default(struct theme *t)
{
    /* The dark theme, also in themes/dark.theme (test_theme checks they agree). */
    static const struct {
        enum theme_role role;
        struct theme_style style;
    } dark[] = {
        {THEME_TITLE, {15, 4, THEME_ATTR_BOLD}},
        {THEME_TEXT, {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0}},
        {THEME_DIM, {8, THEME_COLOR_DEFAULT, 0}},
        {THEME_SELECTION, {0, 6, 0}},
        {THEME_BORDER, {4, THEME_COLOR_DEFAULT, 0}},
        {THEME_HEADER, {6, THEME_COLOR_DEFAULT, THEME_ATTR_BOLD}},
        {THEME_RUNNING, {10, THEME_COLOR_DEFAULT, 0}},
        {THEME_STOPPED, {7, THEME_COLOR_DEFAULT, 0}},
        {THEME_TRANSITION, {11, THEME_COLOR_DEFAULT, 0}},
        {THEME_WARNING, {3, THEME_COLOR_DEFAULT, THEME_ATTR_BOLD}},
        {THEME_ERROR, {9, THEME_COLOR_DEFAULT, THEME_ATTR_BOLD}},
        {THEME_OK, {2, THEME_COLOR_DEFAULT, 0}},
        {THEME_GPU, {13, THEME_COLOR_DEFAULT, 0}},
        {THEME_BADGE, {0, 5, 0}},
        {THEME_STATUS, {15, 4, 0}},
        {THEME_KEY, {14, THEME_COLOR_DEFAULT, THEME_ATTR_BOLD}},
        {THEME_DIALOG, {THEME_COLOR_DEFAULT, 0, 0}},
        {THEME_INPUT, {15, 8, 0}},
    };
    memset(t, 0, sizeof(*t));
    (void)text_copy(t->name, sizeof(t->name), "dark");
    for (size_t i = 0; i < sizeof(dark) / sizeof(dark[0]); i++)
        t->roles[dark[i].role] = dark[i].style;
}

/* ---- downgrade ------------------------------------------------------------------------- */

static uint32_t index_rgb(int32_t i)
{
    static const uint32_t level[6] = {0, 95, 135, 175, 215, 255};
    if (i < 16)
        return base_rgb[i];
    if (i < 232) {
        int32_t k = i - 16;
        return (level[k / 36] << 16) | (level[(k / 6) % 6] << 8) | level[k % 6];
    }
    uint32_t g = (uint32_t)(8 + 10 * (i - 232));
    return (g << 16) | (g << 8) | g;
}

static uint32_t dist2(uint32_t a, uint32_t b)
{
    int32_t dr = (int32_t)((a >> 16) & 0xff) - (int32_t)((b >> 16) & 0xff);
    int32_t dg = (int32_t)((a >> 8) & 0xff) - (int32_t)((b >> 8) & 0xff);
    int32_t db = (int32_t)(a & 0xff) - (int32_t)(b & 0xff);
    return (uint32_t)(dr * dr + dg * dg + db * db);
}

/* The nearest of palette entries [from, to); with greys_only, only entries whose channels
 * are equal (so a grey never turns yellow on an 8-colour terminal). */
static int nearest(uint32_t rgb, int from, int to, bool greys_only)
{
    int best = -1;
    uint32_t best_d = UINT32_MAX;
    for (int i = from; i < to; i++) {
        uint32_t c = index_rgb(i);
        bool is_grey = ((c >> 16) & 0xff) == ((c >> 8) & 0xff) && ((c >> 8) & 0xff) == (c & 0xff);
        if (greys_only && !is_grey)
            continue;
        uint32_t d = dist2(rgb, c);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

static bool is_greyish(uint32_t rgb)
{
    uint32_t r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    uint32_t hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
    uint32_t lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    return hi - lo < 24;
}

int theme_color_index(int32_t color, int ncolors)
{
    if (color == THEME_COLOR_DEFAULT || ncolors < 8)
        return -1;
    if (!THEME_COLOR_IS_RGB(color) && color < ncolors)
        return (int)color;
    /* bright-red etc. on an 8-colour terminal: the plain colour. */
    if (!THEME_COLOR_IS_RGB(color) && color >= 9 && color < 16 && ncolors < 16)
        return (int)color - 8;
    uint32_t rgb = THEME_COLOR_IS_RGB(color) ? (uint32_t)(color & 0xffffff) : index_rgb(color);
    bool grey = is_greyish(rgb);
    if (ncolors >= 256)
        return nearest(rgb, 16, 256, false); /* the cube and greys; 0-15 vary by terminal */
    return nearest(rgb, 0, ncolors >= 16 ? 16 : 8, grey);
}

size_t theme_search_dirs(const char *const *env, const char *install_dir, const char *source_dir,
                         char dirs[3][SETTINGS_PATH_MAX])
{
    size_t n = 0;
    const char *xdg = settings_env_get(env, "XDG_CONFIG_HOME");
    const char *home = settings_env_get(env, "HOME");
    int w = -1;
    if (xdg && xdg[0] == '/')
        w = snprintf(dirs[n], SETTINGS_PATH_MAX, "%s/gpup/themes", xdg);
    else if (home)
        w = snprintf(dirs[n], SETTINGS_PATH_MAX, "%s/.config/gpup/themes", home);
    if (w > 0 && w < SETTINGS_PATH_MAX)
        n++;
    if (install_dir && *install_dir && text_copy(dirs[n], SETTINGS_PATH_MAX, install_dir))
        n++;
    if (source_dir && *source_dir && text_copy(dirs[n], SETTINGS_PATH_MAX, source_dir))
        n++;
    return n;
}
