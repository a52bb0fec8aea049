/* matrix.c: cells, keys, shuffle and shards (see matrix.h for the contract). */
#include "matrix.h"
#include "matrix_shard.h"
#include "stats.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void matrix_sha256_hex(const void *data, size_t n, char out[MATRIX_KEY_HEX])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        memset(md, 0, sizeof md);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

uint64_t matrix_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int matrix_parse_shard(const char *s, unsigned *k, unsigned *n)
{
    unsigned long a, b;
    char tail;
    if (!s || sscanf(s, "%lu/%lu%c", &a, &b, &tail) != 2)
        return -1;
    if (a < 1 || b < 1 || a > b || b > 1000000)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

static const char *mode_name(scenario_mode_t m)
{
    return m == SCENARIO_MODE_CONCURRENT ? "concurrent"
         : m == SCENARIO_MODE_HYPERFINE ? "hyperfine" : "cell";
}

static void u64s(char *buf, size_t cap, uint64_t v)
{
    if (v == SCENARIO_UNSET)
        snprintf(buf, cap, "default");
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

/* A size for labels: 64K, 1M, 3G when exact, else plain bytes. */
static void size_label(char *buf, size_t cap, uint64_t v)
{
    if (v == SCENARIO_UNSET)
        snprintf(buf, cap, "default");
    else if (v && v % (1ULL << 30) == 0)
        snprintf(buf, cap, "%lluG", (unsigned long long)(v >> 30));
    else if (v && v % (1ULL << 20) == 0)
        snprintf(buf, cap, "%lluM", (unsigned long long)(v >> 20));
    else if (v && v % 1024 == 0)
        snprintf(buf, cap, "%lluK", (unsigned long long)(v >> 10));
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

/* Is the workload's result a digest of an archive the runner wrote? Its bytes depend on
 * the tar writer (libarchive in the C runners, archive/tar in pb-go; both extract to the
 * same tree), so the Go runtime's cells of these workloads agree among themselves only.
 * Every other result (checksums, tags, the member read back, pool_churn) must agree
 * across all runners. */
static int result_is_writer_specific(const char *workload)
{
    static const char *const w[] = {"tar_create", "tar_create_seq", "tar_create_concurrent",
                                    "tar_copy", "build"};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcmp(workload, w[i]) == 0)
            return 1;
    return 0;
}

/* Fills canon/key/arm_key/input_key/variant of c from its fields. */
static void matrix_cell_keys(matrix_cell_t *c)
{
    const scenario_t *sc = c->sc;
    char size[24], thr[24], hs[24], ts[24], ss[24], files[24], it[24], wi[24], gogc[24];
    u64s(size, sizeof size, c->size_bytes);
    u64s(thr, sizeof thr, c->threads);
    u64s(hs, sizeof hs, c->hash_size_bytes);
    u64s(ts, sizeof ts, c->tar_size_bytes);
    u64s(ss, sizeof ss, c->string_size_bytes);
    u64s(files, sizeof files, sc->files);
    u64s(it, sizeof it, c->iterations);
    u64s(wi, sizeof wi, c->warmup_iterations);
    u64s(gogc, sizeof gogc, sc->gogc_percent);
    char input[MATRIX_CANON_BYTES];
    snprintf(input, sizeof input,
             "schema=1|scenario=%s|workload=%s|mode=%s|processes=%llu|seed=%llu|files=%s|"
             "size=%s|path=%s|member=%s|image=%s|tag=%s|threads=%s",
             sc->name, sc->workload, mode_name(sc->mode), (unsigned long long)sc->processes,
             (unsigned long long)sc->seed, files, size, sc->input_path, sc->member, sc->image,
             sc->tag, thr);
    {   /* the result group: the input, plus the policy or the tar writer where they
         * change the result (only then, so other groups keep their keys) */
        char group[MATRIX_CANON_BYTES + 96];
        snprintf(group, sizeof group, "%s", input);
        size_t gl = strlen(group);
        if (sc->result_check == SCENARIO_CHECK_POLICY)
            gl += (size_t)snprintf(group + gl, sizeof group - gl, "|policy=%s", c->policy);
        if (strcmp(c->backend, "go") == 0 && result_is_writer_specific(sc->workload))
            snprintf(group + gl, sizeof group - gl, "|tar_writer=go");
        matrix_sha256_hex(group, strlen(group), c->input_key);
    }
    snprintf(c->canon, sizeof c->canon,
             "%s|backend=%s|policy=%s|hash_size=%s|tar_size=%s|string_size=%s|zero_on_put=%d|"
             "standard_alloc=%s|iterations=%s|warmup_iterations=%s|gogc=%s|pprof_http=%d",
             input, c->backend, c->policy, hs, ts, ss, c->zero_on_put, c->standard_alloc, it, wi,
             gogc, sc->pprof_http);
    size_t len = strlen(c->canon);
    if (!sc->headline)   /* only when off: cells that vote in the headline keep their keys */
        snprintf(c->canon + len, sizeof c->canon - len, "|headline=0");
    matrix_sha256_hex(c->canon, strlen(c->canon), c->arm_key);
    len = strlen(c->canon);
    if (c->counting)   /* the arm's counting repetition (matrix_add_counting) */
        len += (size_t)snprintf(c->canon + len, sizeof c->canon - len, "|instrument=counting");
    snprintf(c->canon + len, sizeof c->canon - len, "|rep=%d", c->rep);
    matrix_sha256_hex(c->canon, strlen(c->canon), c->key);
    if (sc->result_check == SCENARIO_CHECK_OFF)   /* a group of one: nothing to compare */
        memcpy(c->input_key, c->key, MATRIX_KEY_HEX);
    /* the swept values only, for tables */
    c->variant[0] = '\0';
    size_label(size, sizeof size, c->size_bytes);
    size_label(hs, sizeof hs, c->hash_size_bytes);
    size_label(ts, sizeof ts, c->tar_size_bytes);
    size_label(ss, sizeof ss, c->string_size_bytes);
#define VAR(cond, ...) do { if (cond) { size_t l_ = strlen(c->variant); \
    snprintf(c->variant + l_, sizeof c->variant - l_, __VA_ARGS__); } } while (0)
    VAR(sc->size_bytes.n > 1, "size=%s ", size);
    VAR(sc->threads.n > 1, "threads=%s ", thr);
    VAR(sc->hash_size_bytes.n > 1, "hash_size=%s ", hs);
    VAR(sc->tar_size_bytes.n > 1, "tar_size=%s ", ts);
    VAR(sc->string_size_bytes.n > 1, "string_size=%s ", ss);
    VAR(sc->buffer_size_bytes.n > 1, "buffer_size=%s ", hs);
    VAR(sc->zero_on_put.n > 1, "zero_on_put=%s ", c->zero_on_put ? "on" : "off");
    VAR(sc->standard_alloc.n > 1, "standard_alloc=%s ", c->standard_alloc);
#undef VAR
    len = strlen(c->variant);
    if (len)
        c->variant[len - 1] = '\0';
}

static int in_filter(const char *filter, const char *backend)
{
    if (!filter)
        return 1;
    size_t bl = strlen(backend);
    for (const char *p = filter; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == bl && strncmp(p, backend, l) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int matrix_hash(matrix_t *out);

int matrix_expand(const scenario_t *scs, size_t n_scs, const char *backends_filter, matrix_t *out)
{
    memset(out, 0, sizeof *out);
    static const uint64_t unset_one[1] = {SCENARIO_UNSET};
    size_t cap = 0;
    for (size_t s = 0; s < n_scs; s++) {
        const scenario_t *sc = &scs[s];
#define L(list) ((list).n ? (list).v : unset_one)
#define N(list) ((list).n ? (list).n : 1)
        const uint64_t zop_default[1] = {1};
        const uint64_t *zop = sc->zero_on_put.n ? sc->zero_on_put.v : zop_default;
        size_t n_zop = N(sc->zero_on_put);
        size_t n_sa = N(sc->standard_alloc);
        for (size_t b = 0; b < sc->backends.n; b++) {
            if (!in_filter(backends_filter, sc->backends.v[b]))
                continue;
            for (size_t p = 0; p < sc->policies.n; p++)
            for (size_t si = 0; si < N(sc->size_bytes); si++)
            for (size_t ti = 0; ti < N(sc->threads); ti++)
            for (size_t hi = 0; hi < N(sc->hash_size_bytes); hi++)
            for (size_t ri = 0; ri < N(sc->tar_size_bytes); ri++)
            for (size_t gi = 0; gi < N(sc->string_size_bytes); gi++)
            for (size_t bi = 0; bi < N(sc->buffer_size_bytes); bi++)
            for (size_t zi = 0; zi < n_zop; zi++)
            for (size_t ai = 0; ai < n_sa; ai++)
            for (uint64_t rep = 0; rep < sc->repetitions; rep++) {
                if (out->n_cells == cap) {
                    size_t nc = cap ? cap * 2 : 256;
                    matrix_cell_t *g = realloc(out->cells, nc * sizeof *g);
                    if (!g) {
                        matrix_free(out);
                        return -1;
                    }
                    out->cells = g;
                    cap = nc;
                }
                matrix_cell_t *c = &out->cells[out->n_cells++];
                memset(c, 0, sizeof *c);
                c->sc = sc;
                snprintf(c->backend, sizeof c->backend, "%s", sc->backends.v[b]);
                snprintf(c->policy, sizeof c->policy, "%s", sc->policies.v[p]);
                c->size_bytes = L(sc->size_bytes)[si];
                c->threads = L(sc->threads)[ti];
                c->hash_size_bytes = L(sc->hash_size_bytes)[hi];
                c->tar_size_bytes = L(sc->tar_size_bytes)[ri];
                c->string_size_bytes = L(sc->string_size_bytes)[gi];
                if (sc->buffer_size_bytes.n)
                    c->hash_size_bytes = c->tar_size_bytes = sc->buffer_size_bytes.v[bi];
                c->zero_on_put = (int)zop[zi];
                snprintf(c->standard_alloc, sizeof c->standard_alloc, "%s",
                         sc->standard_alloc.n ? sc->standard_alloc.v[ai] : "calloc");
                int go = strcmp(c->backend, "go") == 0;
                c->iterations = go && sc->go_iterations != SCENARIO_UNSET
                                    ? sc->go_iterations : sc->iterations;
                c->warmup_iterations = go && sc->go_warmup_iterations != SCENARIO_UNSET
                                           ? sc->go_warmup_iterations
                                           : sc->warmup_iterations;
                c->rep = (int)rep;
                matrix_cell_keys(c);
            }
        }
#undef L
#undef N
    }
    if (out->n_cells == 0)
        return -2;
    if (matrix_hash(out) != 0) {
        matrix_free(out);
        return -1;
    }
    return 0;
}

/* The matrix hash: SHA-256 of the sorted keys of the measured cells. 0 or -1 (OOM). */
static int matrix_hash(matrix_t *out)
{
    const char **keys = malloc(out->n_cells * sizeof *keys);
    char *cat = malloc(out->n_cells * MATRIX_KEY_HEX + 1);
    if (!keys || !cat) {
        free(keys);
        free(cat);
        return -1;
    }
    for (size_t i = 0; i < out->n_cells; i++)
        keys[i] = out->cells[i].key;
    qsort(keys, out->n_cells, sizeof *keys, cmp_str);
    size_t len = 0;
    for (size_t i = 0; i < out->n_cells; i++) {
        memcpy(cat + len, keys[i], 64);
        cat[len + 64] = '\n';
        len += 65;
    }
    matrix_sha256_hex(cat, len, out->hash);
    free(keys);
    free(cat);
    return 0;
}

/* Does this cell's arm get a counting repetition? (a C backend in a "cell" scenario) */
static int matrix_splits(const matrix_cell_t *c)
{
    return c->sc->mode == SCENARIO_MODE_CELL && strcmp(c->backend, "go") != 0;
}

int matrix_cell_bare(const matrix_t *m, const matrix_cell_t *c)
{
    return m->split_instrument && !c->counting && matrix_splits(c);
}

int matrix_add_counting(matrix_t *m)
{
    if (m->split_instrument)
        return 0;
    size_t extra = 0;
    for (size_t i = 0; i < m->n_cells; i++)
        if (matrix_splits(&m->cells[i]) &&
            (i + 1 == m->n_cells || strcmp(m->cells[i + 1].arm_key, m->cells[i].arm_key) != 0))
            extra++;
    matrix_cell_t *g = malloc((m->n_cells + extra + 1) * sizeof *g);
    if (!g)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < m->n_cells; i++) {
        g[n++] = m->cells[i];
        if (matrix_splits(&m->cells[i]) &&
            (i + 1 == m->n_cells || strcmp(m->cells[i + 1].arm_key, m->cells[i].arm_key) != 0)) {
            matrix_cell_t *c = &g[n++];
            *c = m->cells[i];
            c->rep = 0;
            c->counting = 1;
            matrix_cell_keys(c);
        }
    }
    matrix_cell_t *old = m->cells;
    size_t old_n = m->n_cells;
    m->cells = g;
    m->n_cells = n;
    if (matrix_hash(m) != 0) {
        m->cells = old;
        m->n_cells = old_n;
        free(g);
        return -1;
    }
    free(old);
    free(m->shard_of);         /* cell indices moved: the shard assignment is recomputed */
    m->shard_of = NULL;
    m->shard_n = 0;
    m->split_instrument = 1;
    return 0;
}

int matrix_in_shard(matrix_t *m, size_t i, unsigned k, unsigned n)
{
    if ((!m->shard_of || m->shard_n != n) && matrix_shard_assign(m, n, NULL) != 0)
        return -1;
    return m->shard_of[i] == k - 1;
}

typedef struct unit_sort {
    matrix_unit_t u;
    size_t order;
} unit_sort_t;

static int cmp_unit(const void *a, const void *b)
{
    const unit_sort_t *x = a, *y = b;
    if (x->u.block != y->u.block)
        return x->u.block < y->u.block ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int matrix_plan(matrix_t *m, uint64_t seed, unsigned shard_k, unsigned shard_n,
                int (*done)(const char *key, void *user), void *user)
{
    return matrix_plan_sides(m, seed, shard_k, shard_n, 1, done, user);
}

/* Adds one unit per side. */
static void plan_push(unit_sort_t *us, size_t *n_u, matrix_unit_t u, size_t n_sides)
{
    for (size_t s = 0; s < n_sides; s++) {
        u.side = s;
        us[*n_u].u = u;
        us[*n_u].order = *n_u;
        (*n_u)++;
    }
}

int matrix_plan_sides(matrix_t *m, uint64_t seed, unsigned shard_k, unsigned shard_n,
                      size_t n_sides, int (*done)(const char *key, void *user), void *user)
{
    free(m->plan);
    free(m->warmups);
    m->plan = NULL;
    m->warmups = NULL;
    m->n_plan = m->n_warmups = 0;
    size_t n_w = 0, cap_u = m->n_cells + 1, n_u = 0;
    for (size_t i = 0; i < m->n_cells; i++)
        if (m->cells[i].rep == 0)
            n_w += m->cells[i].sc->warmup_repetitions;
    if (n_sides < 1)
        n_sides = 1;
    if (matrix_shard_assign(m, shard_n, NULL) != 0)
        return -1;
    unit_sort_t *us = malloc((cap_u + n_w) * n_sides * sizeof *us);
    m->warmups = malloc((n_w ? n_w : 1) * sizeof *m->warmups);
    if (!us || !m->warmups) {
        free(us);
        return -1;
    }
    /* Every mode alike: one unit per measured cell, in the block of its repetition (a
     * hyperfine unit is one `hyperfine --runs 1`, so the arms of a hyperfine scenario
     * alternate like any other), and warmup_repetitions warm-up units per arm with work
     * left. Sharding is per scenario (matrix_shard.h), so an arm is whole on a shard. */
    for (size_t i = 0; i < m->n_cells;) {
        /* one arm = the run of consecutive cells with the same arm_key */
        size_t j = i;
        while (j < m->n_cells && strcmp(m->cells[j].arm_key, m->cells[i].arm_key) == 0)
            j++;
        const scenario_t *sc = m->cells[i].sc;
        int any_pending = 0;
        for (size_t c = i; c < j; c++) {
            if (m->shard_of[c] != shard_k - 1)
                continue;
            if (done && done(m->cells[c].key, user))
                continue;
            any_pending = 1;
            /* an arm's counting cell runs in the first block, before its timed cells:
             * they take its bytes per operation for their cleanup cycles (engine.c) */
            int block = m->cells[c].counting ? -1 : m->cells[c].rep;
            plan_push(us, &n_u, (matrix_unit_t){.first = c, .n_cells = 1,
                                                .block = block}, n_sides);
        }
        for (uint64_t w = 0; any_pending && w < sc->warmup_repetitions; w++) {
            matrix_cell_t *wc = &m->warmups[m->n_warmups];
            *wc = m->cells[i];
            wc->rep = -(int)(w + 1);
            matrix_cell_keys(wc);
            plan_push(us, &n_u, (matrix_unit_t){.first = m->n_warmups, .n_cells = 1,
                                                .warmup = 1, .block = wc->rep}, n_sides);
            m->n_warmups++;
        }
        i = j;
    }
    qsort(us, n_u, sizeof *us, cmp_unit);
    for (size_t a = 0; a < n_u;) {
        size_t b = a;
        while (b < n_u && us[b].u.block == us[a].u.block)
            b++;
        stats_rng_t rng;
        uint64_t st = seed ^ (0xA0761D6478BD642FULL * (uint64_t)(int64_t)(us[a].u.block + 1000));
        stats_rng_seed(&rng, matrix_splitmix64(&st));
        for (size_t x = b - a; x > 1; x--) {
            size_t y = (size_t)stats_rng_below(&rng, x);
            unit_sort_t t = us[a + x - 1];
            us[a + x - 1] = us[a + y];
            us[a + y] = t;
        }
        a = b;
    }
    m->plan = malloc((n_u ? n_u : 1) * sizeof *m->plan);
    if (!m->plan) {
        free(us);
        return -1;
    }
    for (size_t i = 0; i < n_u; i++)
        m->plan[i] = us[i].u;
    m->n_plan = n_u;
    free(us);
    return 0;
}

void matrix_free(matrix_t *m)
{
    free(m->cells);
    free(m->warmups);
    free(m->plan);
    free(m->shard_of);
    memset(m, 0, sizeof *m);
}
