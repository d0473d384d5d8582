/* SPDX-License-Identifier: MIT
 * tui/palette.c: the command line: editing, completion. Running commands is the app's. */
#include "tui/palette.h"

#include <stdio.h>
#include <string.h>

#include "model/keymap.h"
#include "model/text.h"
#include "model/vmtable.h"

#define PALETTE_COMMAND_(name, arg, what) {name, arg, what},
const struct palette_command palette_commands[] = {PALETTE_COMMANDS(PALETTE_COMMAND_)};
#undef PALETTE_COMMAND_
const size_t palette_n_commands = sizeof(palette_commands) / sizeof(palette_commands[0]);

void palette_open(struct palette *p)
{
    p->active = true;
    p->text[0] = '\0';
    p->hint[0] = '\0';
}

static bool ieq_prefix(const char *s, const char *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char a = s[i], b = prefix[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (!a || a != b)
            return false;
    }
    return true;
}

/* Completion state: the longest common prefix of the candidates seen, and their count. */
struct completion {
    char common[PALETTE_MAX];
    size_t n;
    bool seen_dup; /* same text offered twice (resource groups repeat) */
};

static void offer(struct completion *c, const char *cand, const char *prefix, size_t plen)
{
    if (!cand || !ieq_prefix(cand, prefix, plen))
        return;
    if (c->n == 0) {
        (void)text_copy(c->common, sizeof(c->common), cand);
        c->n = 1;
        return;
    }
    if (strcmp(c->common, cand) == 0)
        return; /* the same value again */
    size_t k = 0;
    while (c->common[k] && c->common[k] == cand[k])
        k++;
    c->common[k] = '\0';
    c->n++;
}

static void complete(struct palette *p, const struct vmtable *t)
{
    char *space = strchr(p->text, ' ');
    struct completion c = {.n = 0};
    if (!space) {
        size_t plen = strlen(p->text);
        p->hint[0] = '\0';
        size_t used = 0;
        for (size_t i = 0; i < palette_n_commands; i++) {
            size_t before = c.n;
            offer(&c, palette_commands[i].name, p->text, plen);
            /* Several match: the hint lists them (as far as it holds them). */
            if (c.n > before) {
                int w = snprintf(p->hint + used, sizeof(p->hint) - used, "%s%s",
                                 used ? " " : "", palette_commands[i].name);
                if (w > 0 && (size_t)w < sizeof(p->hint) - used)
                    used += (size_t)w;
            }
        }
        if (c.n == 1) {
            int w = snprintf(p->text, sizeof(p->text), "%s ", c.common);
            if (w < 0 || (size_t)w >= sizeof(p->text)) /* no room for the space */
                (void)text_copy(p->text, sizeof(p->text), c.common);
        } else if (c.n > 1 && strlen(c.common) > plen)
            (void)text_copy(p->text, sizeof(p->text), c.common);
        if (c.n <= 1)
            snprintf(p->hint, sizeof(p->hint), "%s", c.n ? "" : "no such command");
        return;
    }
    size_t clen = (size_t)(space - p->text);
    const char *arg = space + 1;
    while (*arg == ' ')
        arg++;
    size_t plen = strlen(arg);
    bool vm = clen == 2 && strncmp(p->text, "vm", 2) == 0;
    bool rg = clen == 2 && strncmp(p->text, "rg", 2) == 0;
    if (!vm && !rg) {
        p->hint[0] = '\0';
        return;
    }
    for (size_t i = 0; t && i < vmtable_count(t); i++) {
        const struct vm *v = vmtable_row(t, i);
        offer(&c, vm ? v->name : v->resource_group, arg, plen);
    }
    if (c.n == 0) {
        snprintf(p->hint, sizeof(p->hint), "no %s starts with that", vm ? "VM" : "group");
        return;
    }
    char clean[PALETTE_MAX];
    text_sanitize(clean, sizeof(clean), c.common);
    if (strlen(clean) >= plen) {
        size_t off = (size_t)(arg - p->text);
        (void)text_copy(p->text + off, sizeof(p->text) - off, clean);
    }
    if (c.n > 1)
        snprintf(p->hint, sizeof(p->hint), "%zu matches", c.n);
    else
        p->hint[0] = '\0';
}

static void append_utf8(char *buf, size_t n, int cp)
{
    char enc[4];
    size_t k;
    unsigned u = (unsigned)cp;
    if (u < 0x80) {
        enc[0] = (char)u;
        k = 1;
    } else if (u < 0x800) {
        enc[0] = (char)(0xc0 | (u >> 6));
        enc[1] = (char)(0x80 | (u & 0x3f));
        k = 2;
    } else if (u < 0x10000) {
        enc[0] = (char)(0xe0 | (u >> 12));
        enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[2] = (char)(0x80 | (u & 0x3f));
        k = 3;
    } else {
        enc[0] = (char)(0xf0 | (u >> 18));
        enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        enc[3] = (char)(0x80 | (u & 0x3f));
        k = 4;
    }
    size_t len = strlen(buf);
    if (len + k >= n)
        return;
    memcpy(buf + len, enc, k);
    buf[len + k] = '\0';
}

enum palette_result palette_key(struct palette *p, int key, const struct vmtable *t)
{
    switch (key) {
    case KEY_CODE_ESC:
        p->active = false;
        return PALETTE_CANCEL;
    case KEY_CODE_ENTER:
        p->active = false;
        return PALETTE_RUN;
    case KEY_CODE_TAB:
        complete(p, t);
        return PALETTE_EDITING;
    case KEY_CODE_BACKSPACE: {
        size_t len = strlen(p->text);
        if (len == 0) {
            p->active = false;
            return PALETTE_CANCEL;
        }
        while (len > 0) {
            len--;
            if (((unsigned char)p->text[len] & 0xc0) != 0x80)
                break;
        }
        p->text[len] = '\0';
        p->hint[0] = '\0';
        return PALETTE_EDITING;
    }
    default:
        break;
    }
    if (key >= 0x20 && key != 0x7f && key < KEY_CODE_BASE) {
        append_utf8(p->text, sizeof(p->text), key);
        p->hint[0] = '\0';
    }
    return PALETTE_EDITING;
}

char *palette_split(char *line, char **out_arg)
{
    while (*line == ' ')
        line++;
    char *cmd = line;
    while (*line && *line != ' ')
        line++;
    if (*line)
        *line++ = '\0';
    while (*line == ' ')
        line++;
    char *arg = line;
    size_t n = strlen(arg);
    while (n > 0 && arg[n - 1] == ' ')
        arg[--n] = '\0';
    *out_arg = arg;
    return cmd;
}
