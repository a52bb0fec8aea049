/* scenario_matrix.c: loading a matrix file (scenarios/NAME.matrix) with libinih:
 * scenario_matrix_load and scenario_matrix_free of scenario.h.
 *
 * For: a [matrix] section (name, description) and one [SCENARIO] section per scenario
 * of the run, whose keys override that scenario's (any key of the key table but name).
 * Guarantees: the first error gives exactly one message "FILE:LINE: what is wrong" (bad
 * or repeated section, unknown override key, every check of the line scanner); each
 * override keeps the line it was given on, so a bad override value is reported there when
 * it is applied (scenario_apply_override). On error nothing stays allocated.
 * Must not: read the scenario files themselves (scenario_set.c does), print, exit.
 */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_keys.h"
#include "scenario_lines.h"

typedef struct scenario_matrix_ctx {
    scenario_matrix_t *m;
    char msg[SCENARIO_ERR_BYTES];
    int failed;
    int seen_name;
} scenario_matrix_ctx_t;

/* A key of the [matrix] section: name or description. Returns 1, or 0 with ctx->msg. */
static int scenario_matrix_own_key(scenario_matrix_ctx_t *ctx, const char *name,
                                   const char *value)
{
    char v[256];
    snprintf(v, sizeof v, "%s", value);
    scenario_trim(v);
    if (strcmp(name, "name") == 0 && v[0] && strlen(v) < SCENARIO_NAME_BYTES) {
        snprintf(ctx->m->name, sizeof ctx->m->name, "%s", v);
        ctx->seen_name = 1;
        return 1;
    }
    if (strcmp(name, "description") == 0) {
        snprintf(ctx->m->description, sizeof ctx->m->description, "%s", v);
        return 1;
    }
    snprintf(ctx->msg, sizeof ctx->msg,
             strcmp(name, "name") == 0 ? "bad value for '%s' (1..63 bytes)"
                                       : "unknown key '%s' in [matrix] (known: name, description)",
             name);
    ctx->failed = 1;
    return 0;
}

/* Fails the parse with a message. Returns 0 (libinih's "stop"). */
static int scenario_matrix_fail(scenario_matrix_ctx_t *ctx, const char *msg)
{
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    ctx->failed = 1;
    return 0;
}

/* An override key for scenario `section`. Returns 1, or 0 with ctx->msg. */
static int scenario_matrix_override(scenario_matrix_ctx_t *ctx, const char *section,
                                    const char *name, const char *value)
{
    char msg[SCENARIO_ERR_BYTES];
    scenario_matrix_entry_t *e = NULL;
    for (size_t i = 0; i < ctx->m->n_entries; i++)
        if (strcmp(ctx->m->entries[i].name, section) == 0)
            e = &ctx->m->entries[i];
    if (!e) {
        snprintf(msg, sizeof msg, "internal: section [%s] not pre-scanned", section);
        return scenario_matrix_fail(ctx, msg);
    }
    const scenario_key_t *k = scenario_key_find(name);
    if (!k || strcmp(name, "name") == 0) {
        snprintf(msg, sizeof msg, "unknown override key '%s' for scenario [%s]", name, section);
        return scenario_matrix_fail(ctx, msg);
    }
    if (strlen(value) >= sizeof e->overrides[0].value) {
        snprintf(msg, sizeof msg, "value of '%s' is too long", name);
        return scenario_matrix_fail(ctx, msg);
    }
    scenario_override_t *grown = realloc(e->overrides, (e->n_overrides + 1) * sizeof *grown);
    if (!grown)
        return scenario_matrix_fail(ctx, "out of memory");
    e->overrides = grown;
    scenario_override_t *ov = &e->overrides[e->n_overrides++];
    snprintf(ov->key, sizeof ov->key, "%s", name);
    snprintf(ov->value, sizeof ov->value, "%s", value);
    ov->line = 0; /* filled from the pre-scan below */
    return 1;
}

/* libinih's handler: one key of one section. Returns 1 to go on, 0 on the first error. */
static int scenario_matrix_handler(void *user, const char *section, const char *name,
                                   const char *value)
{
    scenario_matrix_ctx_t *ctx = user;
    if (ctx->failed)
        return 1;
    if (strcmp(section, "matrix") == 0)
        return scenario_matrix_own_key(ctx, name, value);
    if (!section[0]) {
        char msg[SCENARIO_ERR_BYTES];
        snprintf(msg, sizeof msg, "key '%s' outside any section", name);
        return scenario_matrix_fail(ctx, msg);
    }
    return scenario_matrix_override(ctx, section, name, value);
}

/* One entry per scenario section, in file order, from the line scanner's headers:
 * names checked, no scenario twice, one [matrix]. Returns 0, or -1 with err. */
static int scenario_matrix_entries(const char *path, const scenario_lines_section_t *secs,
                                   size_t n_secs, scenario_matrix_t *out,
                                   char err[SCENARIO_ERR_BYTES])
{
    int seen_matrix = 0;
    for (size_t i = 0; i < n_secs; i++) {
        if (strcmp(secs[i].name, "matrix") == 0) {
            if (seen_matrix++) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: [matrix] given twice", path, secs[i].line);
                return -1;
            }
            continue;
        }
        const char *nm = secs[i].name;
        int ok = nm[0] != '\0';
        for (const char *p = nm; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
                ok = 0;
        if (!ok) {
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: bad scenario name [%s] (letters, digits, '_' and '-')", path,
                     secs[i].line, nm);
            return -1;
        }
        for (size_t j = 0; j < out->n_entries; j++)
            if (strcmp(out->entries[j].name, nm) == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: scenario [%s] listed twice", path,
                         secs[i].line, nm);
                return -1;
            }
        scenario_matrix_entry_t *e = &out->entries[out->n_entries++];
        snprintf(e->name, sizeof e->name, "%s", nm);
        e->line = secs[i].line;
    }
    return 0;
}

/* Runs libinih over the file for [matrix] and the overrides, then checks that the
 * matrix has a name and scenarios. Returns 0, or -1 with err. */
static int scenario_matrix_parse(const char *path, int n_lines, scenario_matrix_t *out,
                                 char err[SCENARIO_ERR_BYTES])
{
    scenario_matrix_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.m = out;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, scenario_matrix_handler, &ctx);
    fclose(f);
    if (line != 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, line,
                 ctx.failed ? ctx.msg : "syntax error (expected [section], key = value, or a ; comment)");
        return -1;
    }
    if (!ctx.seen_name) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:1: missing [matrix] section with 'name'", path);
        return -1;
    }
    if (out->n_entries == 0) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: the matrix lists no scenarios", path, n_lines);
        return -1;
    }
    return 0;
}

int scenario_matrix_load(const char *path, scenario_matrix_t *out, char err[SCENARIO_ERR_BYTES])
{
    memset(out, 0, sizeof *out);
    scenario_lines_section_t secs[64];
    size_t n_secs = 0;
    int n_lines = 0;
    if (scenario_lines_check(path, secs, 64, &n_secs, &n_lines, err) != 0)
        return -1;
    snprintf(out->path, sizeof out->path, "%s", path);
    out->entries = calloc(n_secs ? n_secs : 1, sizeof *out->entries);
    if (!out->entries) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: out of memory", path);
        return -1;
    }
    if (scenario_matrix_entries(path, secs, n_secs, out, err) != 0 ||
        scenario_matrix_parse(path, n_lines, out, err) != 0) {
        scenario_matrix_free(out);
        return -1;
    }
    for (size_t i = 0; i < out->n_entries; i++)
        for (size_t j = 0; j < out->entries[i].n_overrides; j++)
            out->entries[i].overrides[j].line =
                scenario_lines_key_line(path, out->entries[i].line, out->entries[i].overrides[j].key);
    return 0;
}

void scenario_matrix_free(scenario_matrix_t *m)
{
    if (m->entries)
        for (size_t i = 0; i < m->n_entries; i++)
            free(m->entries[i].overrides);
    free(m->entries);
    m->entries = NULL;
    m->n_entries = 0;
}
