/* SPDX-License-Identifier: MIT
 * cli/confirm.c: the confirmation prompt before a change. */
#include "cli/confirm.h"

#include <string.h>

#include "model/text.h"

enum cli_confirm_result cli_confirm(const char *command, const char *target, const char *question,
                                    bool yes, FILE *in, bool in_is_tty, FILE *out,
                                    struct gp_error *err)
{
    if (yes)
        return CLI_CONFIRM_YES;
    if (!in_is_tty) {
        char t[128];
        (void)gp_error_set(err, GP_E_INVALID,
                           "%s: refusing to change %s without --yes: standard input is not a "
                           "terminal",
                           command, text_sanitize(t, sizeof(t), target ? target : "anything"));
        return CLI_CONFIRM_NO_TTY;
    }
    fputs(question, out);
    fflush(out);
    char line[64];
    if (!fgets(line, sizeof(line), in)) {
        fputc('\n', out);
        return CLI_CONFIRM_EOF;
    }
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    /* Leading and trailing blanks do not matter. */
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return str_ieq(s, "y") || str_ieq(s, "yes") ? CLI_CONFIRM_YES : CLI_CONFIRM_NO;
}
