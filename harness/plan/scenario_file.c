/* scenario_file.c: loading one scenario file (scenarios/NAME.ini) with libinih:
 * scenario_load of scenario.h.
 *
 * For: the order of a load: the line scanner (scenario_lines.c) first, then libinih with
 * a handler that puts each key through the key table (scenario.c), then the checks
 * across keys, and the scenario's name from the file name when the file gives none.
 * Guarantees: the first error gives exactly one message "FILE:LINE: what is wrong"
 * (unknown section or key, a key in the wrong section or given twice, bad value, missing
 * required key, and every check of the line scanner).
 * Must not: print, exit, create files.
 */
#include "scenario.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "scenario_keys.h"
#include "scenario_lines.h"

typedef struct scenario_file_ctx {
    scenario_t *sc;
    char msg[SCENARIO_ERR_BYTES];
    int failed;
    char bad_section[SCENARIO_NAME_BYTES];  /* unknown section: report its header line */
} scenario_file_ctx_t;

/* libinih's handler: one key of one section. Returns 1 to go on, 0 on the first error
 * (ctx->msg says what). */
static int scenario_file_handler(void *user, const char *section, const char *name,
                                 const char *value)
{
    scenario_file_ctx_t *ctx = user;
    if (ctx->failed)
        return 1; /* report only the first error */
    if (!scenario_section_known(section)) {
        snprintf(ctx->msg, sizeof ctx->msg,
                 section[0] ? "unknown section [%s] (sections: scenario, input, run, pool)"
                            : "key '%s' outside any section", section[0] ? section : name);
        snprintf(ctx->bad_section, sizeof ctx->bad_section, "%s", section);
        ctx->failed = 1;
        return 0;
    }
    const scenario_key_t *k = scenario_key_find(name);
    if (!k || strcmp(scenario_key_section(k), section) != 0) {
        if (k)
            snprintf(ctx->msg, sizeof ctx->msg, "key '%s' belongs in section [%s], not [%s]",
                     name, scenario_key_section(k), section);
        else {
            char known[1024];
            scenario_keys_of_section(section, known, sizeof known);
            snprintf(ctx->msg, sizeof ctx->msg, "unknown key '%s' in [%s] (known: %s)", name,
                     section, known);
        }
        ctx->failed = 1;
        return 0;
    }
    uint64_t bit = scenario_key_bit(k);
    if (ctx->sc->seen_mask & bit) {
        snprintf(ctx->msg, sizeof ctx->msg,
                 "'%s' given twice (an indented line continues the previous key: remove the "
                 "indentation)", name);
        ctx->failed = 1;
        return 0;
    }
    ctx->sc->seen_mask |= bit;
    if (scenario_key_set(ctx->sc, k, value, ctx->msg, sizeof ctx->msg) != 0) {
        ctx->failed = 1;
        return 0;
    }
    return 1;
}

/* Runs libinih over the file. Returns 0, or -1 with err (an unknown section is reported
 * at its header's line). */
static int scenario_file_parse(const char *path, scenario_t *out,
                               const scenario_lines_section_t *secs, size_t n_secs,
                               char err[SCENARIO_ERR_BYTES])
{
    scenario_file_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    scenario_defaults(out);
    ctx.sc = out;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, scenario_file_handler, &ctx);
    fclose(f);
    if (line != 0) {
        for (size_t i = 0; ctx.bad_section[0] && i < n_secs; i++)
            if (strcmp(secs[i].name, ctx.bad_section) == 0) {
                line = secs[i].line;
                break;
            }
        if (ctx.failed)
            snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, line, ctx.msg);
        else
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: syntax error (expected [section], key = value, or a ; comment)",
                     path, line);
        return -1;
    }
    return 0;
}

/* Sections libinih never reported (no keys in them) must still be known ones. */
static int scenario_file_check_sections(const char *path, const scenario_lines_section_t *secs,
                                        size_t n_secs, char err[SCENARIO_ERR_BYTES])
{
    for (size_t i = 0; i < n_secs; i++)
        if (!scenario_section_known(secs[i].name)) {
            snprintf(err, SCENARIO_ERR_BYTES,
                     "%s:%d: unknown section [%s] (sections: scenario, input, run, pool)", path,
                     secs[i].line, secs[i].name);
            return -1;
        }
    return 0;
}

/* The checks across keys, reported at the header of the section the message names (else
 * at the last line). */
static int scenario_file_validate(const char *path, const scenario_t *sc,
                                  const scenario_lines_section_t *secs, size_t n_secs,
                                  int n_lines, char err[SCENARIO_ERR_BYTES])
{
    char msg[SCENARIO_ERR_BYTES - 600];
    if (scenario_validate(sc, msg, sizeof msg) != 0) {
        int where = n_lines > 0 ? n_lines : 1;
        for (size_t i = 0; i < n_secs; i++)
            if (strstr(msg, secs[i].name)) /* point at the section the key belongs in */
                where = secs[i].line;
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: %s", path, where, msg);
        return -1;
    }
    return 0;
}

int scenario_load(const char *path, scenario_t *out, char err[SCENARIO_ERR_BYTES])
{
    scenario_lines_section_t secs[32];
    size_t n_secs = 0;
    int n_lines = 0;
    if (scenario_lines_check(path, secs, 32, &n_secs, &n_lines, err) != 0 ||
        scenario_file_parse(path, out, secs, n_secs, err) != 0 ||
        scenario_file_check_sections(path, secs, n_secs, err) != 0 ||
        scenario_file_validate(path, out, secs, n_secs, n_lines, err) != 0)
        return -1;
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!out->name[0]) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        snprintf(out->name, sizeof out->name, "%s", b);
        char *dot = strrchr(out->name, '.');
        if (dot)
            *dot = '\0';
    }
    return 0;
}
