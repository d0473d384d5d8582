/* SPDX-License-Identifier: MIT
 * tui/wizard.h: the Create virtual machine wizard (product.md 2.1.7), the portal's three tabs:
 *   1 Basics: name, resource group, custom location, image, vCPU, memory, admin user; each
 *     field is checked as it is typed, its message shown under it;
 *   2 Attach GPU: None / GPU Partition / GPU passthrough (DDA), only the modes the cluster
 *     has; the partition size is shown (host inventory, else config), never chosen; the free
 *     capacity and the service rules (model/rules, creating) for the choice;
 *   3 Review + create: validation runs first (a field that fails sends the operator back to
 *     it); then the plan (model/plan plan_build_create) opens in the Review screen
 *     (tui/review), whose Create stays disabled while a rule fails, and Progress follows.
 * Tab / S-Tab move between fields and buttons, Up / Down too (in the GPU choice they choose),
 * Left / Right cycle a field with a list of values, PgDn / PgUp change tab, F2 (save) goes to
 * Review + create, Esc goes back a tab and, from Basics, leaves (twice when something was
 * typed). */
#ifndef GPUP_TUI_WIZARD_H
#define GPUP_TUI_WIZARD_H

#include <stdbool.h>
#include <stddef.h>

#include "model/cluster.h"
#include "model/plan.h"
#include "model/settings.h"

struct app;
struct ops;
struct screen_ops;

/* What the wizard offers. Everything is copied by wizard_open. */
struct wizard_opts {
    const char *subscription;                 /* required for the plan */
    const char *location;                     /* Azure region of the Arc machine ("eastus") */
    const char *const *resource_groups;       /* choices; none: typed */
    size_t n_resource_groups;
    const char *const *custom_locations;      /* custom location resource ids; none: typed */
    size_t n_custom_locations;
    const char *const *images;                /* gallery image resource ids; none: typed */
    size_t n_images;
    /* Starting values (the profile's defaults); NULL: the first choice, or empty. A value
     * matches a list item by the whole id or by its last segment (a name). */
    const char *resource_group, *custom_location, *image, *admin_username;
    long processors, memory_mb;               /* <= 0: 4 vCPU, 8192 MB */
};

#define WIZARD_NAME_MAX 64
#define WIZARD_ADMIN_MAX 32
#define WIZARD_MAX_CPUS 64
#define WIZARD_MIN_MEMORY_MB 512
#define WIZARD_MAX_MEMORY_MB (1024L * 1024L)
#define WIZARD_MAX_CHOICES 1000

/* Field checks as the form shows them: true when valid; else msg gets the message
 * ("Use letters, digits, '-', '_' and '.' only"). */
bool wizard_check_name(const char *name, char *msg, size_t n);
bool wizard_check_resource_group(const char *rg, char *msg, size_t n);
bool wizard_check_admin(const char *user, char *msg, size_t n);
/* A resource id of the given type ("customLocations", "galleryImages"). what names the field. */
bool wizard_check_resource_id(const char *id, const char *type, const char *what, char *msg,
                              size_t n);
/* text as a whole number in [min, max] into *out. */
bool wizard_check_number(const char *text, long min, long max, const char *unit, long *out,
                         char *msg, size_t n);

/* Fills the starting values a profile gives (subscription, resource group, custom location:
 * an id, or a name matched against the list's last segments); p must outlive o. */
void wizard_opts_from_profile(struct wizard_opts *o, const struct settings_profile *p);

/* Pushes the wizard. ops runs the create (the cluster and plan options come from it);
 * opts is copied. */
void wizard_open(struct app *a, struct ops *ops, const struct wizard_opts *opts);
const struct screen_ops *wizard_screen_ops(void);

#endif
