/* test_engine.c: the engine (run/engine.h) against a scripted runner: the runner command
 * line of a cell, the journal line of a good run (max_rss_bytes the runner's own, not
 * the grown driver's that wait4 reports), the bad_output reasons (missing
 * metric, wrong backend, not JSON), wrong_result against an earlier reference, a labelled
 * side ("rev", inject_slowdown_pct, --inject-slowdown), warm-ups not journalled,
 * config.headline, a Go runtime cell (pb-go, backend "go"), and hyperfine units of one
 * `hyperfine --runs 1 --warmup 0` each (a scripted hyperfine).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "matrix.h"
#include "metrics.h"

static char g_dir[] = "/tmp/pb_test_engine_XXXXXX";

static void make_scenario(scenario_t *sc)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "micro");
    snprintf(sc->workload, sizeof sc->workload, "checksum");
    snprintf(sc->member, sizeof sc->member, "Dockerfile");
    sc->mode = SCENARIO_MODE_CELL;
    sc->processes = 1;
    sc->seed = 7;
    sc->files = SCENARIO_UNSET;
    sc->iterations = 3;
    sc->warmup_iterations = SCENARIO_UNSET;
    sc->go_iterations = SCENARIO_UNSET;
    sc->go_warmup_iterations = SCENARIO_UNSET;
    sc->gogc_percent = 100;
    sc->headline = 1;
    sc->repetitions = 2;
    sc->warmup_repetitions = 1;
    sc->timeout_s = 20;
    sc->backends.n = 1;
    strcpy(sc->backends.v[0], "glibc");
    sc->policies.n = 2;
    strcpy(sc->policies.v[0], "none");
    strcpy(sc->policies.v[1], "hash+tar");
    sc->size_bytes.n = 1;
    sc->size_bytes.v[0] = 4096;
}

/* A fake pb-RUNNER claiming backend CLAIMS: prints one JSON object with every metric;
 * MODE selects a defect. Its argv goes to args.txt. */
static void write_runner_as(const char *runner, const char *claims, const char *mode)
{
    char path[512], json[8192];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"schema_version\":1,\"status\":\"ok\",\"backend\":\"%s\"", claims);
#define ONE(name, kind, desc)                                                               \
    if (strcmp(mode, "lacks_metric") != 0 || strcmp(#name, "wall_ns") != 0)                  \
        n += (size_t)snprintf(json + n, sizeof json - n, ",\"%s\":%d", #name, 1000);
    PB_METRICS(ONE)
#undef ONE
    snprintf(json + n, sizeof json - n, ",\"result\":\"%s\"}",
             strcmp(mode, "other_result") == 0 ? "beef" : "cafe");
    snprintf(path, sizeof path, "%s/pb-%s", g_dir, runner);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const char *body = json;
    if (strcmp(mode, "wrong_backend") == 0)
        body = "{\"schema_version\":1,\"status\":\"ok\",\"backend\":\"jemalloc\",\"result\":\"cafe\"}";
    if (strcmp(mode, "not_json") == 0)
        body = "hello";
    fprintf(f, "#!/bin/sh\necho \"$@\" >> '%s/args.txt'\ncat <<'EOF'\n%s\nEOF\n", g_dir, body);
    fclose(f);
    chmod(path, 0755);
}

static void write_runner(const char *mode)
{
    write_runner_as("glibc", "glibc", mode);
}

static const matrix_cell_t *find_cell(const matrix_t *m, const char *policy, int rep)
{
    for (size_t i = 0; i < m->n_cells; i++)
        if (!strcmp(m->cells[i].policy, policy) && m->cells[i].rep == rep)
            return &m->cells[i];
    fail();
    return NULL;
}

static void test_argv(void **state)
{
    (void)state;
    scenario_t sc;
    make_scenario(&sc);
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_argv_t a;
    engine_side_t side = {.inject_slowdown_pct = 25, .inject_extra_ops_pct = 5,
                          .inject_live_pct = 30};
    assert_int_equal(engine_argv_build(find_cell(&m, "hash+tar", 1), "/x/pb-glibc", "/cache",
                                       &side, &a), 0);
    char line[2048] = "";
    for (size_t i = 0; a.argv[i]; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", a.argv[i]);
    assert_string_equal(line, "/x/pb-glibc --workload checksum --size 4096 --seed 7 --member "
                              "Dockerfile --pools hash,tar --iterations 3 --zero-on-put on "
                              "--standard-alloc calloc --gogc 100 --cache-dir /cache "
                              "--inject-slowdown 25 --inject-extra-ops 5 --inject-live 30");
    assert_null(a.argv[a.n]);
    char path[600];
    engine_runner_path("/b", "glibc-mmap128k", path, sizeof path);
    assert_string_equal(path, "/b/pb-glibc");
    matrix_free(&m);
    /* the Go runtime's cells take go_iterations and go_warmup_iterations when set */
    sc.backends.n = 2;
    strcpy(sc.backends.v[1], "go");
    sc.go_iterations = 9;
    sc.go_warmup_iterations = 2;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    for (size_t i = 0; i < m.n_cells; i++) {
        const matrix_cell_t *c = &m.cells[i];
        assert_int_equal(engine_argv_build(c, "/x/pb", "/cache", NULL, &a), 0);
        line[0] = '\0';
        for (size_t k = 0; a.argv[k]; k++)
            snprintf(line + strlen(line), sizeof line - strlen(line), " %s", a.argv[k]);
        int go = strcmp(c->backend, "go") == 0;
        assert_non_null(strstr(line, go ? " --iterations 9 --warmup 2 " : " --iterations 3 "));
        assert_int_equal(strstr(line, "--warmup") != NULL, go);
    }
    matrix_free(&m);
}

/* Runs the whole plan of sc on n_sides sides into journals j0.jsonl, j1.jsonl. */
static void run_plan(matrix_t *m, size_t n_sides, int check_results, engine_side_t *sides)
{
    char jp[2][600];
    for (size_t s = 0; s < n_sides; s++) {
        snprintf(jp[s], sizeof jp[s], "%s/j%zu.jsonl", g_dir, s);
        unlink(jp[s]);
        sides[s].fd = open(jp[s], O_WRONLY | O_CREAT | O_APPEND, 0644);
        assert_true(sides[s].fd >= 0);
        sides[s].bin_dir = g_dir;
        sides[s].journal_path = jp[s];
        /* a context block, so that journal_load accepts the file */
        json_object *ctx = json_object_new_object();
        json_object_object_add(ctx, "type", json_object_new_string("context"));
        json_object_object_add(ctx, "schema_version", json_object_new_int(PB_SCHEMA_VERSION));
        assert_int_equal(journal_append(sides[s].fd, ctx), 0);
        json_object_put(ctx);
    }
    assert_int_equal(matrix_plan_sides(m, 3, 1, 1, n_sides, NULL, NULL), 0);
    engine_t e = {.mx = m, .sides = sides, .n_sides = n_sides, .out_dir = g_dir,
                  .check_results = check_results};
    for (size_t i = 0; i < m->n_plan; i++)
        assert_int_equal(engine_run_unit(&e, &m->plan[i], i), ENGINE_OK);
    assert_int_equal(e.written, (size_t)m->n_cells * n_sides);
    engine_free(&e);
    for (size_t s = 0; s < n_sides; s++)
        close(sides[s].fd);
}

static void load(size_t side, journal_t *j)
{
    char p[600], err[JOURNAL_ERR_BYTES];
    snprintf(p, sizeof p, "%s/j%zu.jsonl", g_dir, side);
    assert_int_equal(journal_load(p, j, err), 0);
}

static void test_good_run_line(void **state)
{
    (void)state;
    write_runner("good");
    scenario_t sc;
    make_scenario(&sc);
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t side = {0};
    run_plan(&m, 1, 1, &side);
    journal_t j;
    load(0, &j);
    assert_int_equal(j.n_cells, m.n_cells); /* warm-ups ran, not journalled */
    for (size_t i = 0; i < j.n_cells; i++) {
        json_object *c = j.cells[i];
        assert_string_equal(journal_str(c, "status"), "ok");
        assert_string_equal(journal_str(c, "result"), "cafe");
        assert_string_equal(journal_str(c, "source"), "runner");
        assert_null(journal_str(c, "rev"));
        assert_true(journal_has(&j, journal_str(c, "key")));
        json_object *met, *v;
        assert_true(json_object_object_get_ex(c, "metrics", &met));
        assert_true(json_object_object_get_ex(met, "alloc_calls", &v));
        assert_int_equal(json_object_get_int64(v), 1000);
        json_object *cfg;
        assert_true(json_object_object_get_ex(c, "config", &cfg));
        assert_true(json_object_object_get_ex(cfg, "headline", &v));
        assert_true(json_object_is_type(v, json_type_boolean));
        assert_true(json_object_get_boolean(v));
    }
    journal_free(&j);
    matrix_free(&m);
}

/* max_rss_bytes is the runner's own (its VmHWM, runner/peak_rss.h), not wait4's
 * ru_maxrss, which Linux raises at exec to the spawning process's high-water mark: with
 * this process grown to 256 MiB, the scripted runner's 1000 must reach the journal. */
static void test_rss_is_the_runners_own(void **state)
{
    (void)state;
    size_t n = 256u << 20;
    unsigned char *big = malloc(n);
    assert_non_null(big);
    memset(big, 0x3c, n);
    write_runner("good");
    scenario_t sc;
    make_scenario(&sc);
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t side = {0};
    run_plan(&m, 1, 1, &side);
    journal_t j;
    load(0, &j);
    assert_true(j.n_cells > 0);
    for (size_t i = 0; i < j.n_cells; i++) {
        json_object *met, *v;
        assert_true(json_object_object_get_ex(j.cells[i], "metrics", &met));
        assert_true(json_object_object_get_ex(met, "max_rss_bytes", &v));
        assert_int_equal(json_object_get_int64(v), 1000);
    }
    journal_free(&j);
    matrix_free(&m);
    assert_int_equal(big[n / 2], 0x3c);
    free(big);
}

/* headline = off is journalled in every cell's config (decide/ reads it). */
static void test_headline_off_line(void **state)
{
    (void)state;
    write_runner("good");
    scenario_t sc;
    make_scenario(&sc);
    sc.headline = 0;
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t side = {0};
    run_plan(&m, 1, 1, &side);
    journal_t j;
    load(0, &j);
    assert_int_equal(j.n_cells, m.n_cells);
    for (size_t i = 0; i < j.n_cells; i++) {
        json_object *cfg, *v;
        assert_string_equal(journal_str(j.cells[i], "status"), "ok");
        assert_true(json_object_object_get_ex(j.cells[i], "config", &cfg));
        assert_true(json_object_object_get_ex(cfg, "headline", &v));
        assert_true(json_object_is_type(v, json_type_boolean));
        assert_false(json_object_get_boolean(v));
        assert_non_null(strstr(journal_str(cfg, "canonical"), "|headline=0|"));
    }
    journal_free(&j);
    matrix_free(&m);
}

/* Backend go runs pb-go and its cells are ok when it says backend "go" (and bad_output
 * when it claims another). */
static void test_go_cell(void **state)
{
    (void)state;
    char args[600];
    snprintf(args, sizeof args, "%s/args.txt", g_dir);
    scenario_t sc;
    make_scenario(&sc);
    strcpy(sc.backends.v[0], "go");
    snprintf(sc.policies.v[1], sizeof sc.policies.v[1], "hash+plain");
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    for (int round = 0; round < 2; round++) {
        write_runner_as("go", round == 0 ? "go" : "glibc", "good");
        unlink(args);
        engine_side_t side = {0};
        run_plan(&m, 1, 1, &side);
        journal_t j;
        load(0, &j);
        assert_int_equal(j.n_cells, m.n_cells);
        for (size_t i = 0; i < j.n_cells; i++) {
            assert_string_equal(journal_str(j.cells[i], "backend"), "go");
            if (round == 0) {
                assert_string_equal(journal_str(j.cells[i], "status"), "ok");
            } else {
                assert_string_equal(journal_str(j.cells[i], "status"), "bad_output");
                assert_non_null(strstr(journal_str(j.cells[i], "bad_output_reason"),
                                       "reports backend glibc, expected go"));
            }
        }
        journal_free(&j);
    }
    /* the policy's '+' became ',' on pb-go's command line too */
    FILE *f = fopen(args, "r");
    assert_non_null(f);
    char line[1024];
    size_t plain = 0;
    while (fgets(line, sizeof line, f))
        plain += strstr(line, "--pools hash,plain ") != NULL;
    fclose(f);
    assert_true(plain >= 2);
    matrix_free(&m);
}

/* A scripted hyperfine: appends its arguments to hf_args.txt and writes an export of one
 * run per --runs (wall 0.25 s, exit 0). */
static void write_hyperfine(char *path, size_t cap)
{
    snprintf(path, cap, "%s/hyperfine", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$@\" >> '%s/hf_args.txt'\nruns=0 out=\n"
               "while [ $# -gt 0 ]; do case \"$1\" in --runs) runs=$2; shift;; "
               "--export-json) out=$2; shift;; esac; shift; done\n"
               "t= c=; i=0; while [ $i -lt $runs ]; do t=\"$t${t:+,}0.25\"; c=\"$c${c:+,}0\"; "
               "i=$((i+1)); done\n"
               "printf '{\"results\":[{\"times\":[%%s],\"exit_codes\":[%%s]}]}' \"$t\" \"$c\" > \"$out\"\n",
            g_dir);
    fclose(f);
    chmod(path, 0755);
}

/* A hyperfine scenario: every measured cell is one `hyperfine --runs 1 --warmup 0` (its
 * own unit, so arms alternate), warm-ups run the runner itself and are not journalled. */
static void test_hyperfine_units(void **state)
{
    (void)state;
    write_runner("good");
    char hf[600], hf_args[600], args[600];
    write_hyperfine(hf, sizeof hf);
    snprintf(hf_args, sizeof hf_args, "%s/hf_args.txt", g_dir);
    snprintf(args, sizeof args, "%s/args.txt", g_dir);
    unlink(hf_args);
    unlink(args);
    scenario_t sc;
    make_scenario(&sc);
    sc.mode = SCENARIO_MODE_HYPERFINE;
    sc.repetitions = 3;
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    assert_int_equal(matrix_plan(&m, 3, 1, 1, NULL, NULL), 0);
    assert_int_equal(m.n_plan, m.n_cells + 2);       /* + one warm-up per arm */
    char jp[600];
    snprintf(jp, sizeof jp, "%s/j0.jsonl", g_dir);
    unlink(jp);
    engine_side_t side = {.bin_dir = g_dir, .journal_path = jp};
    side.fd = open(jp, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(side.fd >= 0);
    json_object *ctx = json_object_new_object();
    json_object_object_add(ctx, "type", json_object_new_string("context"));
    json_object_object_add(ctx, "schema_version", json_object_new_int(PB_SCHEMA_VERSION));
    assert_int_equal(journal_append(side.fd, ctx), 0);
    json_object_put(ctx);
    engine_t e = {.mx = &m, .sides = &side, .n_sides = 1, .out_dir = g_dir,
                  .hyperfine_exe = hf, .check_results = 1};
    for (size_t i = 0; i < m.n_plan; i++)
        assert_int_equal(engine_run_unit(&e, &m.plan[i], i), ENGINE_OK);
    assert_int_equal(e.written, m.n_cells);
    engine_free(&e);
    close(side.fd);
    journal_t j;
    load(0, &j);
    assert_int_equal(j.n_cells, m.n_cells);
    for (size_t i = 0; i < j.n_cells; i++) {
        assert_string_equal(journal_str(j.cells[i], "status"), "ok");
        assert_string_equal(journal_str(j.cells[i], "source"), "hyperfine");
        json_object *met, *v;
        assert_true(json_object_object_get_ex(j.cells[i], "metrics", &met));
        assert_true(json_object_object_get_ex(met, "wall_ns", &v));
        assert_int_equal(json_object_get_int64(v), 250000000);
    }
    journal_free(&j);
    /* one hyperfine call per measured cell, each --runs 1 --warmup 0 */
    FILE *f = fopen(hf_args, "r");
    assert_non_null(f);
    char line[2048];
    size_t calls = 0, single = 0;
    while (fgets(line, sizeof line, f)) {
        calls++;
        single += strstr(line, "--runs 1 --warmup 0 ") != NULL;
    }
    fclose(f);
    assert_int_equal(calls, m.n_cells);
    assert_int_equal(single, m.n_cells);
    /* the warm-ups ran the runner itself, once per arm */
    f = fopen(args, "r");
    assert_non_null(f);
    size_t runner_calls = 0;
    while (fgets(line, sizeof line, f))
        runner_calls++;
    fclose(f);
    assert_int_equal(runner_calls, 2);
    matrix_free(&m);
}

static void expect_bad_output(const char *mode, const char *reason_part)
{
    write_runner(mode);
    scenario_t sc;
    make_scenario(&sc);
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t side = {0};
    run_plan(&m, 1, 1, &side);
    journal_t j;
    load(0, &j);
    for (size_t i = 0; i < j.n_cells; i++) {
        assert_string_equal(journal_str(j.cells[i], "status"), "bad_output");
        const char *why = journal_str(j.cells[i], "bad_output_reason");
        assert_non_null(why);
        if (!strstr(why, reason_part))
            fail_msg("reason '%s' lacks '%s'", why, reason_part);
    }
    journal_free(&j);
    matrix_free(&m);
}

static void test_bad_outputs(void **state)
{
    (void)state;
    expect_bad_output("lacks_metric", "lacks 1 of the metrics");
    expect_bad_output("wrong_backend", "reports backend jemalloc, expected glibc");
    expect_bad_output("not_json", "not one JSON object");
}

/* A pinned expected result that the runner does not give: every cell wrong_result. */
static void test_wrong_result(void **state)
{
    (void)state;
    write_runner("good");
    scenario_t sc;
    make_scenario(&sc);
    snprintf(sc.expect, sizeof sc.expect, "beef");
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t side = {0};
    run_plan(&m, 1, 1, &side);
    journal_t j;
    load(0, &j);
    for (size_t i = 0; i < j.n_cells; i++) {
        assert_string_equal(journal_str(j.cells[i], "status"), "wrong_result");
        assert_string_equal(journal_str(j.cells[i], "expected"), "beef");
    }
    journal_free(&j);
    matrix_free(&m);
}

static void test_labelled_sides(void **state)
{
    (void)state;
    write_runner("good");
    char args[600];
    snprintf(args, sizeof args, "%s/args.txt", g_dir);
    unlink(args);
    scenario_t sc;
    make_scenario(&sc);
    matrix_t m;
    assert_int_equal(matrix_expand(&sc, 1, NULL, &m), 0);
    engine_side_t sides[2] = {{.label = "base"}, {.label = "slow", .inject_slowdown_pct = 10}};
    run_plan(&m, 2, 0, sides);
    for (size_t s = 0; s < 2; s++) {
        journal_t j;
        load(s, &j);
        assert_int_equal(j.n_cells, m.n_cells);
        for (size_t i = 0; i < j.n_cells; i++) {
            assert_string_equal(journal_str(j.cells[i], "rev"), sides[s].label);
            json_object *cfg, *v;
            assert_true(json_object_object_get_ex(j.cells[i], "config", &cfg));
            assert_true(json_object_object_get_ex(cfg, "inject_slowdown_pct", &v));
            assert_int_equal(json_object_get_int(v), (int)sides[s].inject_slowdown_pct);
        }
        journal_free(&j);
    }
    /* every run of the slow side, warm-ups included, got --inject-slowdown 10 */
    FILE *f = fopen(args, "r");
    assert_non_null(f);
    char line[1024];
    size_t slowed = 0, all = 0;
    while (fgets(line, sizeof line, f)) {
        all++;
        slowed += strstr(line, "--inject-slowdown 10") != NULL;
    }
    fclose(f);
    size_t warmups = m.n_warmups;
    assert_int_equal(all, 2 * (m.n_cells + warmups));
    assert_int_equal(slowed, m.n_cells + warmups);
    matrix_free(&m);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_good_run_line),
        cmocka_unit_test(test_rss_is_the_runners_own),
        cmocka_unit_test(test_headline_off_line),
        cmocka_unit_test(test_go_cell),
        cmocka_unit_test(test_hyperfine_units),
        cmocka_unit_test(test_bad_outputs),
        cmocka_unit_test(test_wrong_result),
        cmocka_unit_test(test_labelled_sides),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
