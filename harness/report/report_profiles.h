/* report_profiles.h: the report's "Heap profiles" section: the seed's four heap-profile
 * questions answered per arm, from the profiled pass of `poolbench matrix`
 * (run/profile_pass.h: DIR/profiles/profiles.json and one .pb.gz per arm).
 *
 * report_profiles_load reads the profiles with `go tool pprof` (Debian's golang-go; the
 * executable is $PB_GO or `go` on PATH) and saves its text beside each profile, the
 * files Go engineers read:
 *   <stem>.alloc_space.txt    -top -sample_index=alloc_space    (top sites by bytes)
 *   <stem>.alloc_objects.txt  -top -sample_index=alloc_objects  (top sites by objects)
 *   <stem>.inuse_space.txt    -top -sample_index=inuse_space    (live at the end)
 *   <stem>.pooled.txt         -top -sample_index=alloc_space -focus='^bufpool_' (the
 *                             allocations whose stack goes through the pool package:
 *                             bufpool_get's misses, bufpool_alloc, bufpool_grow; the
 *                             share of all allocation the pool's buffers account for)
 *   <stem>.pooled_objects.txt the same by alloc_objects
 *   <stem>.inuse_objects.txt  -top -sample_index=inuse_objects
 *   diff-<stem>-minus-<none stem>.txt  -top -diff_base=<none arm> (what the pool removes:
 *                             negative, and what it adds: positive)
 * and keeps a compact table of each (values in bytes / objects, -unit=B) for the section.
 * report_profiles_section writes the section (REPORT_DOC_FULL) or a pointer to it
 * (REPORT_DOC_SHORT). Guarantees: no profiles.json = no section and no error; a profile
 * go cannot read, or no go, is said in the section (never a made-up number); the
 * section says the profiled runs were never used for verdicts.
 */
#ifndef PB_REPORT_PROFILES_H
#define PB_REPORT_PROFILES_H

#include <stddef.h>
#include <stdint.h>
#include "report_md.h"

#define REPORT_PROFILES_TOP 5
#define REPORT_PROFILES_TEXT 256

typedef struct report_profile_site {
    char name[160];
    double value;          /* flat bytes or objects (a diff: negative = removed)       */
    double pct;            /* of the profile's total (a diff: of the base's total)      */
} report_profile_site_t;

typedef struct report_profile_table {
    int ok;                /* go tool pprof read it                                    */
    double total;          /* "of T total"                                             */
    double shown;          /* "accounting for X" (the focused total with -focus)        */
    report_profile_site_t top[REPORT_PROFILES_TOP];
    size_t n;
} report_profile_table_t;

typedef struct report_profile_arm {
    char scenario[64], backend[32], policy[64], variant[64];
    char file[256], stem[256], status[32];
    double runner_alloc_bytes;          /* the runner's JSON, or -1                     */
    report_profile_table_t space, objects, inuse, inuse_objects, pooled_space, pooled_objects;
} report_profile_arm_t;

typedef struct report_profile_diff {
    size_t arm, base;                   /* indices into arms                            */
    char file[320];
    int ok;
    double base_total;
    report_profile_site_t removed[REPORT_PROFILES_TOP], added[REPORT_PROFILES_TOP];
    size_t n_removed, n_added;
} report_profile_diff_t;

typedef struct report_profiles {
    int present;                        /* DIR/profiles/profiles.json exists            */
    char problem[REPORT_PROFILES_TEXT]; /* why nothing could be read, or ""             */
    uint64_t rate_bytes;
    report_profile_arm_t *arms;
    size_t n_arms;
    report_profile_diff_t *diffs;
    size_t n_diffs;
} report_profiles_t;

/* Reads dir/profiles/ (nothing there: present = 0, returns 0). Returns 0, or -1 when
 * out of memory. A missing go or an unreadable profile is a problem in p, not an error. */
int report_profiles_load(const char *dir, report_profiles_t *p);
void report_profiles_free(report_profiles_t *p);

/* The section (full documents) or its pointer (report.md). Nothing when !p->present. */
void report_profiles_section(const report_profiles_t *p, report_emitter_t *e,
                             report_document_t which);

/* One `go tool pprof -top -unit=B` text parsed into t (exported for the unit test):
 * the header's totals and the first REPORT_PROFILES_TOP rows whose flat value has the
 * sign asked for (0: any non-zero, -1: negative, 1: positive), in pprof's order.
 * Returns 0, or -1 when the text has no "Showing nodes" header. */
int report_profiles_parse_top(const char *text, int sign, report_profile_table_t *t);

#endif
