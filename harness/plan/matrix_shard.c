/* matrix_shard.c: shard groups, their expected time and the bin packing (see
 * matrix_shard.h for the contract).
 *
 * The cost table: one row per workload, in integer ns, read by
 * matrix_shard_cell_cost_ns() as
 *     cell = start + load x input KiB + (iterations + warmup_iterations) x op
 *            (+ hyperfine: its own start; x processes: concurrent)
 *     op   = per_op + per_kib x input KiB + per_file x files   (x threads: per_thread rows)
 * start is a runner process; load is reading or generating its input once per cell. The
 * figures are rough: set from the per-scenario wall times of one quick matrix (4
 * repetitions, 336 cells) on the reference machine (2 vCPU Xeon guest, Debian 12) under
 * a load of about 25, where an image_tag or checksum cell took ~1-1.7 s, a tar_read
 * cell ~3 s, a tar_create or tar_copy cell of 8 MiB ~6 s, a single build of 8 MiB ~5 s
 * and a group of 4 concurrent builds of 4 MiB ~8 s (README, "Sharding the matrix").
 * The checksum kinds' load is 3 us/KiB: their input is generated into ordinary 4 KiB
 * pages, whose first touches cost ~2.6 ms a MiB on the reference guest (runner_input.c;
 * 1 us/KiB while it was on huge pages, until 2026-12-04). They only need to be right
 * relative to each other: they balance shards and decide nothing. Unset values take the
 * runner's defaults (files 64, iterations 1, warm-up 1, threads 2) and 1 MiB of input.
 */
#include "matrix_shard.h"

#include <stdlib.h>
#include <string.h>

typedef struct shard_cost_row {
    const char *workload;
    uint64_t start_ns, load_per_kib_ns, per_op_ns, per_kib_ns, per_file_ns;
    int per_thread;           /* the operation's work grows with threads (pool_churn)   */
} shard_cost_row_t;

static const shard_cost_row_t shard_cost_table[] = {
    /* workload               start     load/KiB  per_op  per_KiB  per_file  per_thread */
    {"checksum",              30000000,   3000,        0,    1000,       0, 0},
    {"sum_checksum",          30000000,   3000,        0,    1000,       0, 0},
    {"checksum_concurrent",   30000000,   3000,        0,     600,       0, 0},
    {"tar_create",            30000000,  25000,   100000,    6000,   20000, 0},
    {"tar_create_seq",        30000000,  25000,   100000,    6000,   20000, 0},
    {"tar_create_concurrent", 30000000,  25000,   100000,    6000,   20000, 0},
    {"tar_copy",              30000000,  25000,   100000,    6000,   20000, 0},
    {"tar_read",              30000000,  25000,     2000,       0,       0, 0},
    {"image_tag",             30000000,      0,       60,       0,       0, 0},
    {"pool_churn",            30000000,      0,      400,       0,       0, 1},
    {"build",                 30000000,   5000,   500000,   20000,  100000, 0},
    {"touch",                 30000000,      0,        0,     300,       0, 0},
};

/* hyperfine's own start and bookkeeping around each `hyperfine --runs 1` */
#define SHARD_HYPERFINE_NS 200000000ULL

/* An unknown workload (a newer scenario file): a mid-sized row, so it still balances. */
static const shard_cost_row_t shard_cost_default = {"", 30000000, 10000, 100000, 5000, 0, 0};

static uint64_t shard_or(uint64_t v, uint64_t dflt)
{
    return v == SCENARIO_UNSET ? dflt : v;
}

uint64_t matrix_shard_cell_cost_ns(const matrix_cell_t *c)
{
    const scenario_t *sc = c->sc;
    const shard_cost_row_t *row = &shard_cost_default;
    for (size_t i = 0; i < sizeof shard_cost_table / sizeof shard_cost_table[0]; i++)
        if (strcmp(sc->workload, shard_cost_table[i].workload) == 0)
            row = &shard_cost_table[i];
    uint64_t kib = shard_or(c->size_bytes, 1ULL << 20) >> 10;
    uint64_t files = shard_or(sc->files, 64);
    uint64_t ops = shard_or(c->iterations, 1) + shard_or(c->warmup_iterations, 1);
    uint64_t op = row->per_op_ns + row->per_kib_ns * kib + row->per_file_ns * files;
    if (row->per_thread)
        op *= shard_or(c->threads, 2);
    uint64_t cell = row->start_ns + row->load_per_kib_ns * kib + ops * op;
    if (sc->mode == SCENARIO_MODE_HYPERFINE)
        cell += SHARD_HYPERFINE_NS;
    if (sc->mode == SCENARIO_MODE_CONCURRENT)
        cell *= sc->processes ? sc->processes : 1;
    return cell;
}

typedef struct shard_group {
    const char *name;         /* the scenario's name                                    */
    uint64_t cost_ns;
    unsigned shard;
} shard_group_t;

static int shard_group_cmp(const void *a, const void *b)
{
    const shard_group_t *x = a, *y = b;
    if (x->cost_ns != y->cost_ns)
        return x->cost_ns > y->cost_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Index of cell i's group in g[0..n) (by scenario name), or n. */
static size_t shard_group_find(const shard_group_t *g, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].name, name) == 0)
            return i;
    return n;
}

int matrix_shard_assign(matrix_t *m, unsigned n, uint64_t *cost_ns)
{
    if (n < 1)
        n = 1;
    shard_group_t *g = malloc((m->n_cells ? m->n_cells : 1) * sizeof *g);
    unsigned *of = malloc((m->n_cells ? m->n_cells : 1) * sizeof *of);
    uint64_t *load = calloc(n, sizeof *load);
    if (!g || !of || !load) {
        free(g);
        free(of);
        free(load);
        return -1;
    }
    size_t n_g = 0;
    for (size_t i = 0; i < m->n_cells; i++) {
        const matrix_cell_t *c = &m->cells[i];
        size_t gi = shard_group_find(g, n_g, c->sc->name);
        if (gi == n_g)
            g[n_g++] = (shard_group_t){.name = c->sc->name};
        uint64_t cost = matrix_shard_cell_cost_ns(c);
        g[gi].cost_ns += cost;
        if (c->rep == 0)   /* the arm's warm-up cells run once per shard that has the arm */
            g[gi].cost_ns += cost * c->sc->warmup_repetitions;
    }
    qsort(g, n_g, sizeof *g, shard_group_cmp);
    for (size_t i = 0; i < n_g; i++) {
        unsigned best = 0;
        for (unsigned s = 1; s < n; s++)
            if (load[s] < load[best])
                best = s;
        g[i].shard = best;
        load[best] += g[i].cost_ns;
    }
    for (size_t i = 0; i < m->n_cells; i++)
        of[i] = g[shard_group_find(g, n_g, m->cells[i].sc->name)].shard;
    free(m->shard_of);
    m->shard_of = of;
    m->shard_n = n;
    if (cost_ns)
        memcpy(cost_ns, load, n * sizeof *load);
    free(load);
    free(g);
    return 0;
}
