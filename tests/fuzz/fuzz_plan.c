/* fuzz_plan.c: expansion and plan of fuzzed scenarios (fuzz_plan.h). */
#include "fuzz_plan.h"
#include "fuzz_check.h"
#include "matrix.h"

#include <string.h>

static size_t fuzz_plan_n(size_t n)
{
    return n ? n : 1;
}

/* The number of cells matrix_expand makes, saturated above FUZZ_PLAN_MAX_CELLS. */
static size_t fuzz_plan_cells(const scenario_t *sc)
{
    const size_t f[] = {
        sc->backends.n, sc->policies.n, fuzz_plan_n(sc->size_bytes.n),
        fuzz_plan_n(sc->threads.n), fuzz_plan_n(sc->hash_size_bytes.n),
        fuzz_plan_n(sc->tar_size_bytes.n), fuzz_plan_n(sc->string_size_bytes.n),
        fuzz_plan_n(sc->buffer_size_bytes.n), fuzz_plan_n(sc->zero_on_put.n),
        fuzz_plan_n(sc->standard_alloc.n)};
    size_t cells = 1;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        cells *= f[i];
        if (cells > FUZZ_PLAN_MAX_CELLS)
            return FUZZ_PLAN_MAX_CELLS + 1;
    }
    if (sc->repetitions > FUZZ_PLAN_MAX_CELLS)
        return FUZZ_PLAN_MAX_CELLS + 1;
    cells *= (size_t)sc->repetitions;
    return cells > FUZZ_PLAN_MAX_CELLS ? FUZZ_PLAN_MAX_CELLS + 1 : cells;
}

static void fuzz_plan_check_hex(const char *s)
{
    fuzz_check(strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64, "key is not 64 hex", s);
}

void fuzz_plan_expand(const scenario_t *scs, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += fuzz_plan_cells(&scs[i]);
        if (total > FUZZ_PLAN_MAX_CELLS)
            return;
    }
    matrix_t m;
    int rc = matrix_expand(scs, n, NULL, &m);
    fuzz_check(rc == 0 || rc == -2, "matrix_expand failed", "out of memory?");
    if (rc != 0)
        return;
    fuzz_check(m.n_cells == total, "matrix_expand made another number of cells", "");
    for (size_t i = 0; i < m.n_cells; i++) {
        fuzz_plan_check_hex(m.cells[i].key);
        fuzz_plan_check_hex(m.cells[i].arm_key);
        fuzz_plan_check_hex(m.cells[i].input_key);
    }
    fuzz_plan_check_hex(m.hash);
    fuzz_check(matrix_plan(&m, 42, 1, 1, NULL, NULL) == 0, "matrix_plan failed", "");
    size_t measured = 0;
    for (size_t u = 0; u < m.n_plan; u++) {
        const matrix_unit_t *unit = &m.plan[u];
        fuzz_check(unit->first < (unit->warmup ? m.n_warmups : m.n_cells),
                   "a planned unit points past the cells", "");
        measured += !unit->warmup;
    }
    fuzz_check(measured == m.n_cells, "the plan does not run every cell once", "");
    matrix_free(&m);
}
