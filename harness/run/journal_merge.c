/* journal_merge.c: shard journals into one (journal_merge.h). */
#define _GNU_SOURCE
#include "journal_merge.h"
#include "journal.h"
#include "journal_read.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MERGE_OK = 0, MERGE_USAGE = 2, MERGE_HARNESS = 3 };

/* Loads every input; all must come from the matrix of the first. */
static int merge_load(const char *const *inputs, size_t n, journal_t *js)
{
    char err[JOURNAL_READ_MSG_BYTES], warn[JOURNAL_READ_MSG_BYTES];
    for (size_t i = 0; i < n; i++) {
        int rc = journal_read(inputs[i], &js[i], 1, err, warn);
        if (warn[0])
            fprintf(stderr, "poolbench: %s; `poolbench matrix --resume` cuts it off\n", warn);
        if (rc != 0) {
            fprintf(stderr, "poolbench: %s\n", err);
            return MERGE_USAGE;
        }
        const char *h0 = journal_str(js[0].context, "matrix_hash");
        const char *hi = journal_str(js[i].context, "matrix_hash");
        if (!h0 || !hi || strcmp(h0, hi) != 0) {
            fprintf(stderr, "poolbench merge: %s comes from a different matrix than %s "
                            "(matrix_hash %.16s... vs %.16s...): merge only shards of one matrix\n",
                    inputs[i], inputs[0], hi ? hi : "none", h0 ? h0 : "none");
            return MERGE_USAGE;
        }
    }
    return MERGE_OK;
}

/* The merged context block: a copy of the first input's, with where every shard came
 * from: each input's journal, shard, seed, host and its whole context block. */
static int merge_context(int fd, const char *const *inputs, size_t n, const journal_t *js)
{
    json_object *ctx = NULL;
    if (json_object_deep_copy(js[0].context, &ctx, NULL) != 0 || !ctx)
        return MERGE_HARNESS;
    json_object *from = json_object_new_array();
    for (size_t i = 0; i < n && from; i++) {
        json_object *e = json_object_new_object(), *copy = NULL;
        json_object_object_add(e, "journal", json_object_new_string(inputs[i]));
        json_object *sh;
        if (json_object_object_get_ex(js[i].context, "shard", &sh))
            json_object_object_add(e, "shard", json_object_get(sh));
        json_object_object_add(e, "seed", json_object_get(json_object_object_get(js[i].context, "seed")));
        json_object_object_add(e, "host", json_object_get(json_object_object_get(js[i].context, "host")));
        if (json_object_deep_copy(js[i].context, &copy, NULL) == 0)
            json_object_object_add(e, "context", copy);
        json_object_array_add(from, e);
    }
    json_object_object_add(ctx, "merged_from", from);
    json_object_object_add(ctx, "shard", json_object_new_string("merged"));
    int rc = journal_append(fd, ctx) != 0 ? MERGE_HARNESS : MERGE_OK;
    json_object_put(ctx);
    return rc;
}

/* Where cell came from, unless it says already (an input that is itself a merge):
 * "origin": {"journal": index into merged_from, "shard", "host"} of its input. */
static void merge_origin(json_object *cell, size_t i, const journal_t *in)
{
    if (json_object_object_get_ex(cell, "origin", NULL))
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "journal", json_object_new_uint64(i));
    json_object_object_add(o, "shard", json_object_get(json_object_object_get(in->context, "shard")));
    json_object_object_add(o, "host", json_object_get(json_object_object_get(in->context, "host")));
    json_object_object_add(cell, "origin", o);
}

/* Every look of every input (adaptive repetitions: the report splits alpha over the
 * planned looks, so a merge that dropped them would test at the unsplit alpha), each with
 * the origin of its input, as cells have. */
static int merge_looks(int fd, size_t n, const journal_t *js)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < js[i].n_looks; k++) {
            merge_origin(js[i].looks[k], i, &js[i]);
            if (journal_append(fd, js[i].looks[k]) != 0)
                return MERGE_HARNESS;
        }
    return MERGE_OK;
}

/* Every cell once, then the cross-check of results across shards. */
static int merge_cells(int fd, const char *jpath, size_t n, const journal_t *js,
                       size_t *written, size_t *dups)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < js[i].n_cells; k++) {
            const char *key = journal_str(js[i].cells[k], "key");
            int dup = 0;
            for (size_t p = 0; p < i && !dup; p++)
                dup = journal_has(&js[p], key);
            if (dup) {
                (*dups)++;
                continue;
            }
            merge_origin(js[i].cells[k], i, &js[i]);
            if (journal_append(fd, js[i].cells[k]) != 0)
                return MERGE_HARNESS;
            (*written)++;
        }
    journal_t merged;
    char err[JOURNAL_ERR_BYTES];
    if (journal_load(jpath, &merged, err) != 0) {
        fprintf(stderr, "poolbench merge: %s\n", err);
        return MERGE_HARNESS;
    }
    int rc = MERGE_OK;
    json_object *corr = json_object_new_array();
    int nfix = corr ? journal_verify_results(&merged, corr) : -1;
    for (int i = 0; i < nfix; i++)
        if (journal_append(fd, json_object_array_get_idx(corr, (size_t)i)) != 0)
            rc = MERGE_HARNESS;
    if (nfix > 0)
        fprintf(stderr, "poolbench merge: %d cell(s) disagree with the reference result "
                        "across shards: marked wrong_result\n", nfix);
    json_object_put(corr);
    journal_free(&merged);
    return rc;
}

/* OUT/results.jsonl, created exclusively under OUT/.lock. */
static int merge_write(const char *out, const char *const *inputs, size_t n, const journal_t *js)
{
    char jpath[PATH_MAX];
    snprintf(jpath, sizeof jpath, "%s/%s", out, JOURNAL_FILE);
    if (access(jpath, F_OK) == 0) {
        fprintf(stderr, "poolbench merge: %s already exists: choose a new OUT folder\n", jpath);
        return MERGE_USAGE;
    }
    if (util_mkdir_p(out) != 0) {
        fprintf(stderr, "poolbench merge: cannot create %s: %s\n", out, strerror(errno));
        return MERGE_HARNESS;
    }
    char err[JOURNAL_ERR_BYTES];
    int lock = journal_lock(out, err);
    if (lock < 0) {
        fprintf(stderr, "poolbench merge: %s\n", err);
        return lock == -1 ? MERGE_USAGE : MERGE_HARNESS;
    }
    int fd = open(jpath, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "poolbench merge: cannot create %s: %s\n", jpath, strerror(errno));
        close(lock);
        return MERGE_HARNESS;
    }
    size_t written = 0, dups = 0;
    int rc = merge_context(fd, inputs, n, js);
    if (rc == MERGE_OK)
        rc = merge_cells(fd, jpath, n, js, &written, &dups);
    if (rc == MERGE_OK)
        rc = merge_looks(fd, n, js);
    close(fd);
    close(lock);
    fprintf(stderr, "poolbench: merged %zu journals into %s: %zu cells (%zu duplicates dropped)\n",
            n, jpath, written, dups);
    return rc;
}

int journal_merge(const char *out, const char *const *inputs, size_t n)
{
    journal_t *js = calloc(n, sizeof *js);
    if (!js)
        return MERGE_HARNESS;
    int rc = merge_load(inputs, n, js);
    if (rc == MERGE_OK)
        rc = merge_write(out, inputs, n, js);
    for (size_t i = 0; i < n; i++)
        journal_free(&js[i]);
    free(js);
    return rc;
}
