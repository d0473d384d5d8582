/* SPDX-License-Identifier: MIT
 * sim/jsonw.h: appending JSON text to a gp_buf by hand, for the emulator's hot paths (pages of
 * 1,000 resources, the request log) where building a cJSON tree would cost more than the
 * answer itself. Values only; the caller writes the punctuation. */
#ifndef GPUP_SIM_JSONW_H
#define GPUP_SIM_JSONW_H

#include "model/buf.h"

/* Appends s as a JSON string ("..." with escapes), or null when s is NULL. */
GP_NODISCARD enum gp_status jsonw_string(struct gp_buf *b, const char *s);
/* Appends "key": followed by the string value (or null). */
GP_NODISCARD enum gp_status jsonw_member(struct gp_buf *b, const char *key, const char *s);

#endif
