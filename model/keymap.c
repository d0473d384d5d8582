/* SPDX-License-Identifier: MIT
 * model/keymap.c: the action table, key spec parsing and printing, remapping and help text. */
#include "model/keymap.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "model/settings.h"
#include "model/text.h"

struct action_info {
    const char *name;
    const char *keys;
    enum keymap_context ctx;
    const char *help;
};

#define ACTION_INFO_(id, name, keys, ctx, help) {name, keys, ctx, help},
static const struct action_info actions[KEYMAP_ACTION_COUNT] = {KEYMAP_ACTIONS(ACTION_INFO_)};
#undef ACTION_INFO_

#define CTX_TITLE_(id, name, title) title,
static const char *const context_titles[KEYMAP_CONTEXT_COUNT] = {KEYMAP_CONTEXTS(CTX_TITLE_)};
#undef CTX_TITLE_

#define KEY_NAME_(id, name) name,
static const char *const key_names[] = {KEY_CODES(KEY_NAME_)};
#undef KEY_NAME_
#define N_KEY_NAMES (sizeof(key_names) / sizeof(key_names[0]))

/* Names of single-byte keys that are awkward to write bare. */
static const struct {
    const char *name;
    int key;
} special_names[] = {
    {"Esc", KEY_CODE_ESC}, {"Enter", KEY_CODE_ENTER}, {"CR", KEY_CODE_ENTER},
    {"Return", KEY_CODE_ENTER}, {"Tab", KEY_CODE_TAB}, {"Space", ' '},
    {"PageUp", KEY_CODE_PGUP}, {"PageDown", KEY_CODE_PGDN}, {"Delete", KEY_CODE_DELETE},
    {"Insert", KEY_CODE_INSERT}, {"Backspace", KEY_CODE_BACKSPACE}, {"BackTab", KEY_CODE_BACKTAB},
    {"lt", '<'},
};

/* Decodes one UTF-8 character that must fill s exactly; -1 when s is not that. */
static int utf8_single(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int cp, more;
    if (p[0] < 0x80) {
        cp = p[0];
        more = 0;
    } else if ((p[0] & 0xe0) == 0xc0) {
        cp = p[0] & 0x1f;
        more = 1;
    } else if ((p[0] & 0xf0) == 0xe0) {
        cp = p[0] & 0x0f;
        more = 2;
    } else if ((p[0] & 0xf8) == 0xf0) {
        cp = p[0] & 0x07;
        more = 3;
    } else {
        return -1;
    }
    for (int i = 1; i <= more; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (p[more + 1] != '\0')
        return -1;
    if (cp > 0x10ffff)
        return -1;
    return cp;
}

/* "C-x" / "^x" body (without brackets): the control key, or -1. */
static int parse_ctrl(const char *s, size_t len)
{
    if (len == 3 && (s[0] == 'C' || s[0] == 'c') && s[1] == '-') {
        char c = s[2];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || c == '[' || c == '\\' || c == ']' || c == '_' ||
            c == '@')
            return c == '@' ? 0 : KEY_CODE_CTRL(c);
    }
    return -1;
}

static bool name_ieq(const char *a, size_t alen, const char *b)
{
    if (strlen(b) != alen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char ca = a[i], cb = b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char)(cb - 'A' + 'a');
        if (ca != cb)
            return false;
    }
    return true;
}

enum gp_status keymap_parse_key(const char *spec, int *out_key, struct gp_error *err)
{
    if (!spec || !*spec)
        return gp_error_set(err, GP_E_INVALID, "empty key");
    size_t len = strlen(spec);
    if (len >= KEYMAP_SPEC_MAX)
        return gp_error_set(err, GP_E_INVALID, "key \"%.20s...\" is too long", spec);
    int k = parse_ctrl(spec, len);
    if (k > 0) {
        *out_key = k;
        return GP_OK;
    }
    if (spec[0] == '<' && len > 2 && spec[len - 1] == '>') {
        const char *body = spec + 1;
        size_t blen = len - 2;
        k = parse_ctrl(body, blen);
        if (k > 0) {
            *out_key = k;
            return GP_OK;
        }
        for (size_t i = 0; i < N_KEY_NAMES; i++) {
            if (name_ieq(body, blen, key_names[i])) {
                *out_key = KEY_CODE_BASE + (int)i;
                return GP_OK;
            }
        }
        for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++) {
            if (name_ieq(body, blen, special_names[i].name)) {
                *out_key = special_names[i].key;
                return GP_OK;
            }
        }
        return gp_error_set(err, GP_E_INVALID, "unknown key name \"%s\"", spec);
    }
    k = utf8_single(spec);
    if (k <= 0x20 || k == 0x7f)
        return gp_error_set(err, GP_E_INVALID,
                            "\"%s\" is not one key (write named keys as <Down>, control keys "
                            "as C-l)",
                            spec);
    *out_key = k;
    return GP_OK;
}

const char *keymap_key_name(int key, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (key >= KEY_CODE_BASE && key < KEY_CODE_LAST_) {
        snprintf(buf, n, "<%s>", key_names[key - KEY_CODE_BASE]);
        return buf;
    }
    switch (key) {
    case KEY_CODE_ESC:
        snprintf(buf, n, "<Esc>");
        return buf;
    case KEY_CODE_ENTER:
        snprintf(buf, n, "<Enter>");
        return buf;
    case KEY_CODE_TAB:
        snprintf(buf, n, "<Tab>");
        return buf;
    case ' ':
        snprintf(buf, n, "<Space>");
        return buf;
    default:
        break;
    }
    if (key > 0 && key < 0x20) {
        snprintf(buf, n, "C-%c", (char)(key + 'a' - 1));
        return buf;
    }
    if (key > 0x20 && key < 0x7f) {
        snprintf(buf, n, "%c", (char)key);
        return buf;
    }
    if (key >= 0x80 && key <= 0x10ffff) {
        unsigned u = (unsigned)key;
        char tmp[5];
        if (u < 0x800) {
            tmp[0] = (char)(0xc0 | (u >> 6));
            tmp[1] = (char)(0x80 | (u & 0x3f));
            tmp[2] = '\0';
        } else if (u < 0x10000) {
            tmp[0] = (char)(0xe0 | (u >> 12));
            tmp[1] = (char)(0x80 | ((u >> 6) & 0x3f));
            tmp[2] = (char)(0x80 | (u & 0x3f));
            tmp[3] = '\0';
        } else {
            tmp[0] = (char)(0xf0 | (u >> 18));
            tmp[1] = (char)(0x80 | ((u >> 12) & 0x3f));
            tmp[2] = (char)(0x80 | ((u >> 6) & 0x3f));
            tmp[3] = (char)(0x80 | (u & 0x3f));
            tmp[4] = '\0';
        }
        snprintf(buf, n, "%s", tmp);
        return buf;
    }
    snprintf(buf, n, "<%d>", key);
    return buf;
}

void keymap_init(struct keymap *km)
{
    memset(km, 0, sizeof(*km));
    for (int a = 0; a < KEYMAP_ACTION_COUNT; a++) {
        struct gp_error err;
        gp_error_clear(&err);
        /* The defaults are constants checked by the tests; a bad one stays unbound. */
        if (keymap_bind(km, actions[a].name, actions[a].keys, &err) != GP_OK)
            continue;
    }
}

enum keymap_action keymap_action_parse(const char *name)
{
    for (int a = 0; a < KEYMAP_ACTION_COUNT; a++)
        if (str_eq(name, actions[a].name))
            return (enum keymap_action)a;
    return ACT_NONE;
}

const char *keymap_action_name(enum keymap_action a)
{
    return a >= 0 && a < KEYMAP_ACTION_COUNT ? actions[a].name : "none";
}

const char *keymap_action_help(enum keymap_action a)
{
    return a >= 0 && a < KEYMAP_ACTION_COUNT ? actions[a].help : "";
}

enum keymap_context keymap_action_context(enum keymap_action a)
{
    return a >= 0 && a < KEYMAP_ACTION_COUNT ? actions[a].ctx : KM_GLOBAL;
}

const char *keymap_context_title(enum keymap_context c)
{
    return c >= 0 && c < KEYMAP_CONTEXT_COUNT ? context_titles[c] : "";
}

static bool contexts_overlap(enum keymap_context a, enum keymap_context b)
{
    return a == b || a == KM_GLOBAL || b == KM_GLOBAL;
}

enum gp_status keymap_bind(struct keymap *km, const char *name, const char *specs,
                           struct gp_error *err)
{
    enum keymap_action a = keymap_action_parse(name);
    if (a == ACT_NONE)
        return gp_error_set(err, GP_E_INVALID, "unknown action \"%s\"", name ? name : "");
    int keys[KEYMAP_MAX_KEYS] = {0};
    size_t n = 0;
    const char *p = specs ? specs : "";
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        char spec[KEYMAP_SPEC_MAX];
        size_t len = (size_t)(e - p);
        if (len >= sizeof(spec))
            return gp_error_set(err, GP_E_INVALID, "key \"%.*s\" for \"%s\": too long",
                                (int)len, p, name);
        memcpy(spec, p, len);
        spec[len] = '\0';
        if (n == KEYMAP_MAX_KEYS)
            return gp_error_set(err, GP_E_INVALID, "key \"%s\" for \"%s\": at most %d keys",
                                spec, name, KEYMAP_MAX_KEYS);
        int k = 0;
        if (keymap_parse_key(spec, &k, err) != GP_OK) {
            gp_error_prefix(err, "key \"%s\" for \"%s\"", spec, name);
            return GP_E_INVALID;
        }
        keys[n++] = k;
        p = e;
    }
    if (n == 0)
        return gp_error_set(err, GP_E_INVALID, "no key given for \"%s\"", name);
    /* The new binding wins: take its keys away from overlapping actions. */
    for (int b = 0; b < KEYMAP_ACTION_COUNT; b++) {
        if (b == (int)a || !contexts_overlap(actions[b].ctx, actions[a].ctx))
            continue;
        for (size_t i = 0; i < KEYMAP_MAX_KEYS; i++) {
            for (size_t j = 0; j < n; j++) {
                if (km->keys[b][i] && km->keys[b][i] == keys[j]) {
                    memmove(&km->keys[b][i], &km->keys[b][i + 1],
                            (KEYMAP_MAX_KEYS - i - 1) * sizeof(int));
                    km->keys[b][KEYMAP_MAX_KEYS - 1] = 0;
                    i--; /* look at the slot that moved in (wraps to 0 then ++) */
                    break;
                }
            }
        }
    }
    memcpy(km->keys[a], keys, sizeof(keys));
    return GP_OK;
}

enum keymap_action keymap_lookup(const struct keymap *km, enum keymap_context ctx, int key)
{
    if (key == 0)
        return ACT_NONE;
    for (int pass = 0; pass < 2; pass++) {
        enum keymap_context want = pass == 0 ? ctx : KM_GLOBAL;
        if (pass == 1 && ctx == KM_GLOBAL)
            break;
        for (int a = 0; a < KEYMAP_ACTION_COUNT; a++) {
            if (actions[a].ctx != want)
                continue;
            for (size_t i = 0; i < KEYMAP_MAX_KEYS; i++)
                if (km->keys[a][i] == key)
                    return (enum keymap_action)a;
        }
    }
    return ACT_NONE;
}

const char *keymap_action_keys(const struct keymap *km, enum keymap_action a, char *buf,
                               size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (a < 0 || a >= KEYMAP_ACTION_COUNT)
        return buf;
    size_t used = 0;
    for (size_t i = 0; i < KEYMAP_MAX_KEYS && km->keys[a][i]; i++) {
        char one[KEYMAP_SPEC_MAX];
        keymap_key_name(km->keys[a][i], one, sizeof(one));
        int w = snprintf(buf + used, n - used, "%s%s", i ? " " : "", one);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

void keymap_help(const struct keymap *km, void (*line)(void *ctx, const char *text), void *ctx)
{
    for (int c = 0; c < KEYMAP_CONTEXT_COUNT; c++) {
        char text[160];
        if (c > 0)
            line(ctx, "");
        snprintf(text, sizeof(text), "%s:", context_titles[c]);
        line(ctx, text);
        for (int a = 0; a < KEYMAP_ACTION_COUNT; a++) {
            if ((int)actions[a].ctx != c)
                continue;
            char keys[KEYMAP_MAX_KEYS * KEYMAP_SPEC_MAX];
            keymap_action_keys(km, (enum keymap_action)a, keys, sizeof(keys));
            snprintf(text, sizeof(text), "  %-16s %s%s", keys[0] ? keys : "(unbound)",
                     actions[a].help, "");
            line(ctx, text);
        }
    }
}

/* Records a problem of keymap_apply when it comes before the one kept (file order), prefixed
 * with where the entry came from. */
static void apply_problem(struct gp_error *err, size_t *first, const struct settings_key *keys,
                          size_t i, const char *msg)
{
    if (i >= *first)
        return;
    *first = i;
    if (keys[i].file[0])
        gp_error_set(err, GP_E_CONFIG, "%s:%d: %s", keys[i].file, keys[i].line, msg);
    else
        gp_error_set(err, GP_E_CONFIG, "ui.keys: %s", msg);
}

enum gp_status keymap_apply(struct keymap *km, const struct settings_key *keys, size_t n,
                            struct gp_error *err)
{
    assert(keys || n == 0);
    size_t first = n; /* index of the earliest bad entry; n: none */
    struct gp_error one;
    for (size_t i = 0; i < n; i++) {
        if (keymap_action_parse(keys[i].action) == ACT_NONE) {
            char msg[128];
            snprintf(msg, sizeof(msg), "unknown action \"%.64s\"", keys[i].action);
            apply_problem(err, &first, keys, i, msg);
        }
    }
    for (int a = 0; a < KEYMAP_ACTION_COUNT; a++) {
        char specs[KEYMAP_MAX_KEYS * (KEYMAP_SPEC_MAX + 1)] = "";
        size_t used = 0;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (!str_eq(keys[i].action, actions[a].name))
                continue;
            /* Check the entry alone first, so a problem names its own line. */
            struct keymap scratch = *km;
            gp_error_clear(&one);
            if (keymap_bind(&scratch, actions[a].name, keys[i].key, &one) != GP_OK) {
                apply_problem(err, &first, keys, i, one.message);
                continue;
            }
            size_t len = strlen(keys[i].key);
            if (used + len + 2 > sizeof(specs)) {
                apply_problem(err, &first, keys, i, "too many keys for one action");
                continue;
            }
            if (used)
                specs[used++] = ' ';
            memcpy(specs + used, keys[i].key, len + 1);
            used += len;
            any = true;
        }
        if (!any)
            continue;
        gp_error_clear(&one);
        if (keymap_bind(km, actions[a].name, specs, &one) != GP_OK) {
            /* Together the entries name too many keys: point at the action's last entry. */
            for (size_t i = n; i-- > 0;) {
                if (str_eq(keys[i].action, actions[a].name)) {
                    apply_problem(err, &first, keys, i, one.message);
                    break;
                }
            }
        }
    }
    return first < n ? GP_E_CONFIG : GP_OK;
}
