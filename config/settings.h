/* SPDX-License-Identifier: MIT
 * config/settings.h: reads gpup's libconfig file into struct settings (model/settings.h).
 * Every problem is reported as "FILE:LINE: message": syntax errors from libconfig, wrong types
 * and bad values from the setting's own file and line. Unknown keys do not stop gpup; they
 * become "FILE:LINE: warning: ..." lines collected for the caller to print. Value checks live
 * in model/settings; this module only walks the file. */
#ifndef GPUP_CONFIG_SETTINGS_H
#define GPUP_CONFIG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/secret.h"
#include "model/settings.h"
#include "model/status.h"

/* Largest config file we read (it is a few KiB; a bigger one is a mistake). */
#define SETTINGS_FILE_MAX (1024L * 1024L)
/* Largest secret file (token, client secret). */
#define SETTINGS_SECRET_FILE_MAX 65536L

/* Resets *s and reads path into it. When the file does not exist: GP_OK with no profiles if
 * !must_exist (the default location), GP_E_CONFIG "FILE: cannot read: ..." otherwise. On
 * success s->file is path. warn may be NULL (warnings are then dropped). GP_E_CONFIG with
 * "FILE:LINE: ..." in err for anything wrong in the file. */
GP_NODISCARD enum gp_status settings_load_file(struct settings *s, const char *path,
                                               bool must_exist, struct settings_warnings *warn,
                                               struct gp_error *err);

/* The name messages give text read by settings_load_string. */
#define SETTINGS_STRING_NAME "<string>"

/* Resets *s and reads config text (len bytes, need not be NUL-terminated; borrowed) into it,
 * as settings_load_file does, with messages "<string>:LINE: ...". s->file stays "". The text
 * may not @include files nor hold NUL bytes (GP_E_CONFIG). */
GP_NODISCARD enum gp_status settings_load_string(struct settings *s, const char *text, size_t len,
                                                 struct settings_warnings *warn,
                                                 struct gp_error *err);

/* Finds the file (--config, GPUP_CONFIG, $XDG_CONFIG_HOME/gpup/config,
 * ~/.config/gpup/config: settings_config_path) and reads it; a missing file is an error only
 * when it was named. env is environ-like. */
GP_NODISCARD enum gp_status settings_load(struct settings *s, const char *flag_config,
                                          const char *const *env,
                                          struct settings_warnings *warn, struct gp_error *err);

/* Reads a token or client secret from a file into out (trailing newline dropped). Refuses a
 * file that others may read (mode o+r), one that is not a regular file, an empty one, and one
 * over SETTINGS_SECRET_FILE_MAX. The read buffer is wiped. Messages name the file, never the
 * contents. */
GP_NODISCARD enum gp_status settings_read_secret_file(const char *path, struct gp_secret *out,
                                                      struct gp_error *err);

#endif
