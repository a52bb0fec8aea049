/* test_scenario.c: scenario and matrix file parsing: every malformed case gives one
 * "FILE:LINE: ..." message naming the right line; valid files parse to the right values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static char g_dir[] = "/tmp/pb_test_scenario_XXXXXX";

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

static const char *VALID =
    "; a comment\n"
    "[scenario]\n"
    "workload = checksum\n"
    "description = test\n"
    "[input]\n"
    "seed = 9\n"
    "size = 1K, 2M\n"
    "[run]\n"
    "backends = glibc, glibc-mmap128k\n"
    "threads = 1, 4\n"
    "repetitions = 3\n"
    "timeout = 2m\n"
    "[pool]\n"
    "policies = all, none, hash+tar\n"
    "zero_on_put = on, off\n";

static char *with_line(int line, const char *repl);

static void test_valid(void **state)
{
    (void)state;
    const char *p = write_file("valid.ini", VALID, strlen(VALID));
    scenario_t sc;
    char err[SCENARIO_ERR_BYTES] = "";
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_string_equal(sc.name, "valid");
    assert_string_equal(sc.workload, "checksum");
    assert_int_equal(sc.seed, 9);
    assert_int_equal(sc.size_bytes.n, 2);
    assert_int_equal(sc.size_bytes.v[0], 1024);
    assert_int_equal(sc.size_bytes.v[1], 2 * 1024 * 1024);
    assert_int_equal(sc.backends.n, 2);
    assert_string_equal(sc.backends.v[1], "glibc-mmap128k");
    assert_int_equal(sc.threads.v[1], 4);
    assert_int_equal(sc.timeout_s, 120);
    assert_int_equal(sc.policies.n, 3);
    assert_string_equal(sc.policies.v[2], "hash+tar");
    assert_int_equal(sc.zero_on_put.n, 2);
    assert_int_equal(sc.zero_on_put.v[1], 0);
    assert_int_equal(sc.iterations, SCENARIO_UNSET);
    assert_int_equal(sc.go_iterations, SCENARIO_UNSET);
    assert_int_equal(sc.go_warmup_iterations, SCENARIO_UNSET);
    /* the Go runtime's own counts */
    char *c = with_line(11, "repetitions = 3\ngo_iterations = 8\ngo_warmup_iterations = 0\n");
    p = write_file("go.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.go_iterations, 8);
    assert_int_equal(sc.go_warmup_iterations, 0);
    assert_int_equal(sc.iterations, SCENARIO_UNSET);
}

/* Replaces line `line` (1-based) of VALID with `repl` (NULL: delete it) and expects an
 * error naming that file and `want_line`, containing `want`. */
static void expect_error(const char *name, const char *content, size_t len, int want_line,
                         const char *want)
{
    const char *p = write_file(name, content, len);
    scenario_t sc;
    char err[SCENARIO_ERR_BYTES] = "";
    assert_int_equal(scenario_load(p, &sc, err), -1);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%d: ", p, want_line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want)) {
        print_error("got '%s', want prefix '%s' and '%s'\n", err, prefix, want);
        fail();
    }
    assert_null(strchr(err, '\n'));
}

static char *with_line(int line, const char *repl)
{
    static char buf[4096];
    buf[0] = '\0';
    const char *s = VALID;
    for (int n = 1; *s; n++) {
        const char *e = strchr(s, '\n');
        size_t l = (size_t)(e - s) + 1;
        if (n == line) {
            if (repl)
                strcat(buf, repl);
        } else {
            strncat(buf, s, l);
        }
        s += l;
    }
    return buf;
}

static void test_unknown_key(void **state)
{
    (void)state;
    char *c = with_line(11, "repetitionz = 3\n");
    expect_error("k.ini", c, strlen(c), 11, "unknown key 'repetitionz'");
}

static void test_key_in_wrong_section(void **state)
{
    (void)state;
    char *c = with_line(6, "threads = 2\n");
    expect_error("ks.ini", c, strlen(c), 6, "belongs in section [run]");
}

static void test_unknown_section(void **state)
{
    (void)state;
    char *c = with_line(8, "[runs]\n");
    expect_error("s.ini", c, strlen(c), 8, "unknown section [runs]");
}

static void test_bad_values(void **state)
{
    (void)state;
    char *c = with_line(3, "workload = chksum\n");
    expect_error("b1.ini", c, strlen(c), 3, "unknown workload 'chksum'");
    c = with_line(11, "repetitions = three\n");
    expect_error("b2.ini", c, strlen(c), 11, "bad number 'three'");
    c = with_line(9, "backends = glibc, dlmalloc\n");
    expect_error("b3.ini", c, strlen(c), 9, "bad item 'dlmalloc'");
    c = with_line(14, "policies = all, hash+bogus\n");
    expect_error("b4.ini", c, strlen(c), 14, "bad item 'hash+bogus'");
    c = with_line(7, "size = 1K, 2X\n");
    expect_error("b5.ini", c, strlen(c), 7, "bad item '2X'");
    c = with_line(15, "zero_on_put = yes\n");
    expect_error("b6.ini", c, strlen(c), 15, "on or off");
    c = with_line(12, "timeout =\n");
    expect_error("b7.ini", c, strlen(c), 12, "empty value");
    c = with_line(11, "repetitions = 3\nrepetitions = 4\n");
    expect_error("b8.ini", c, strlen(c), 12, "given twice");
    c = with_line(11, "repetitions = 3\ngo_iterations = 0\n");   /* at least 1, as iterations */
    expect_error("b9.ini", c, strlen(c), 12, "go_iterations");
}

static void test_missing_field(void **state)
{
    (void)state;
    char *c = with_line(3, NULL); /* workload */
    expect_error("m1.ini", c, strlen(c), 2, "missing required key 'workload'");
    c = with_line(11, NULL); /* repetitions */
    expect_error("m2.ini", c, strlen(c), 8, "missing required key 'repetitions'");
}

static void test_bad_utf8_and_control(void **state)
{
    (void)state;
    char *c = with_line(4, "description = caf\xC3\x28\n");
    expect_error("u1.ini", c, strlen(c), 4, "invalid UTF-8");
    c = with_line(4, "description = over\xE0\x80\xAFlong\n");
    expect_error("u2.ini", c, strlen(c), 4, "invalid UTF-8");
    char nul[] = "[scenario]\nworkload = check\0sum\n";
    expect_error("u3.ini", nul, sizeof nul - 1, 2, "control byte 0x00");
    c = with_line(4, "description = caf\xC3\xA9 \xE2\x9C\x93\n"); /* valid UTF-8 */
    const char *p = write_file("u4.ini", c, strlen(c));
    scenario_t sc;
    char err[SCENARIO_ERR_BYTES];
    assert_int_equal(scenario_load(p, &sc, err), 0);
}

static void test_empty(void **state)
{
    (void)state;
    expect_error("e1.ini", "", 0, 1, "empty file");
    expect_error("e2.ini", "; only a comment\n\n", 18, 1, "empty file");
    expect_error("e3.ini", "[scenario]\n", 11, 1, "empty file");
}

static void test_huge_numbers(void **state)
{
    (void)state;
    char *c = with_line(11, "repetitions = 99999999999999999999999\n");
    expect_error("h1.ini", c, strlen(c), 11, "bad number");
    c = with_line(11, "repetitions = 1000000\n");
    expect_error("h2.ini", c, strlen(c), 11, "out of range");
    c = with_line(7, "size = 17179869184G\n");  /* overflows uint64 after the suffix */
    expect_error("h3.ini", c, strlen(c), 7, "bad item");
    c = with_line(7, "size = 100G\n");          /* fits, but absurd */
    expect_error("h4.ini", c, strlen(c), 7, "out of range");
    c = with_line(10, "threads = 0\n");
    expect_error("h5.ini", c, strlen(c), 10, "out of range");
    c = with_line(12, "timeout = 1000h\n");
    expect_error("h6.ini", c, strlen(c), 12, "out of range");
    c = with_line(6, "seed = -1\n");
    expect_error("h7.ini", c, strlen(c), 6, "bad number");
}

static void test_long_line(void **state)
{
    (void)state;
    char line[400];
    memset(line, 'x', sizeof line);
    memcpy(line, "description = ", 14);
    line[398] = '\n';
    line[399] = '\0';
    char *c = with_line(4, line);
    expect_error("l1.ini", c, strlen(c), 4, "too long");
}

/* The Go runtime runner as a backend (pb-go, no extra environment), Branch B's plain
 * policy alone and with pooled classes, and the headline key (default on). */
static void test_go_plain_headline(void **state)
{
    (void)state;
    assert_true(scenario_backend_known("go"));
    assert_string_equal(scenario_backend_runner("go"), "go");
    assert_null(scenario_backend_env("go"));
    assert_false(scenario_backend_known("golang"));
    char *c = with_line(9, "backends = glibc, go\n");
    const char *p = write_file("g1.ini", c, strlen(c));
    scenario_t sc;
    char err[SCENARIO_ERR_BYTES] = "";
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.backends.n, 2);
    assert_string_equal(sc.backends.v[1], "go");
    assert_int_equal(sc.headline, 1);                       /* the default */
    c = with_line(14, "policies = all, none, plain, hash+plain, tar+string+plain\n");
    p = write_file("g2.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.policies.n, 5);
    assert_string_equal(sc.policies.v[2], "plain");
    assert_string_equal(sc.policies.v[3], "hash+plain");
    c = with_line(4, "description = test\nheadline = off\n");
    p = write_file("g3.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.headline, 0);
    c = with_line(4, "description = test\nheadline = on\n");
    p = write_file("g4.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.headline, 1);
    /* a matrix may take a scenario out of the headline */
    scenario_override_t ov = {"headline", "off", 3};
    assert_int_equal(scenario_apply_override(&sc, "x.matrix", &ov, err), 0);
    assert_int_equal(sc.headline, 0);
    c = with_line(4, "headline = maybe\n");
    expect_error("g5.ini", c, strlen(c), 4, "bad value 'maybe' for 'headline' (on or off)");
    c = with_line(15, "headline = off\n");                  /* in [pool] */
    expect_error("g6.ini", c, strlen(c), 15, "belongs in section [scenario]");
    c = with_line(14, "policies = plain+plain\n");
    expect_error("g7.ini", c, strlen(c), 14, "bad item 'plain+plain'");
    c = with_line(14, "policies = all+plain\n");
    expect_error("g8.ini", c, strlen(c), 14, "bad item 'all+plain'");
    c = with_line(14, "policies = hash+\n");
    expect_error("g9.ini", c, strlen(c), 14, "bad item 'hash+'");
    c = with_line(9, "backends = glibc, golang\n");
    expect_error("g10.ini", c, strlen(c), 9, "glibc-mmap128k, go)");
}

/* heap_profile (the profiled pass): default off, on/off, from a matrix override, refused
 * outside [scenario] and with another word; it is not part of a cell's key. */
static void test_heap_profile(void **state)
{
    (void)state;
    scenario_t sc;
    char err[SCENARIO_ERR_BYTES] = "";
    char *c = with_line(4, "description = test\n");
    const char *p = write_file("hp1.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.heap_profile, 0);                   /* the default */
    c = with_line(4, "description = test\nheap_profile = on\n");
    p = write_file("hp2.ini", c, strlen(c));
    assert_int_equal(scenario_load(p, &sc, err), 0);
    assert_int_equal(sc.heap_profile, 1);
    scenario_override_t ov = {"heap_profile", "off", 7};
    assert_int_equal(scenario_apply_override(&sc, "x.matrix", &ov, err), 0);
    assert_int_equal(sc.heap_profile, 0);
    c = with_line(4, "heap_profile = sometimes\n");
    expect_error("hp3.ini", c, strlen(c), 4, "bad value 'sometimes' for 'heap_profile' (on or off)");
    c = with_line(15, "heap_profile = on\n");               /* in [pool] */
    expect_error("hp4.ini", c, strlen(c), 15, "belongs in section [scenario]");
}

static void test_parse_size(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(scenario_parse_size("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(scenario_parse_size("64K", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(scenario_parse_size("1G", &v), 0);
    assert_int_equal(v, 1073741824ULL);
    assert_int_equal(scenario_parse_size("18446744073709551615", &v), 0);
    assert_int_equal(scenario_parse_size("18446744073709551616", &v), -1);
    assert_int_equal(scenario_parse_size("1.5M", &v), -1);
    assert_int_equal(scenario_parse_size("K", &v), -1);
    assert_int_equal(scenario_parse_size("-1", &v), -1);
    assert_int_equal(scenario_parse_size("4T", &v), -1);
}

static void test_matrix_file(void **state)
{
    (void)state;
    const char *m = "[matrix]\nname = t\n[valid]\nrepetitions = 5\n[other]\n";
    const char *p = write_file("t.matrix", m, strlen(m));
    scenario_matrix_t mx;
    char err[SCENARIO_ERR_BYTES] = "";
    assert_int_equal(scenario_matrix_load(p, &mx, err), 0);
    assert_string_equal(mx.name, "t");
    assert_int_equal(mx.n_entries, 2);
    assert_string_equal(mx.entries[0].name, "valid");
    assert_int_equal(mx.entries[0].n_overrides, 1);
    assert_int_equal(mx.entries[0].overrides[0].line, 4);
    assert_string_equal(mx.entries[1].name, "other");
    /* the override applies with the matrix file's line in errors */
    const char *sp = write_file("valid.ini", VALID, strlen(VALID));
    scenario_t sc;
    assert_int_equal(scenario_load(sp, &sc, err), 0);
    assert_int_equal(scenario_apply_override(&sc, p, &mx.entries[0].overrides[0], err), 0);
    assert_int_equal(sc.repetitions, 5);
    scenario_override_t bad = {"repetitions", "0", 7};
    assert_int_equal(scenario_apply_override(&sc, "x.matrix", &bad, err), -1);
    assert_non_null(strstr(err, "x.matrix:7: "));
    scenario_matrix_free(&mx);

    const char *m2 = "[matrix]\nname = t\n[valid]\nrepetitionz = 5\n";
    p = write_file("t2.matrix", m2, strlen(m2));
    assert_int_equal(scenario_matrix_load(p, &mx, err), -1);
    assert_non_null(strstr(err, "t2.matrix:4: unknown override key 'repetitionz'"));
    const char *m3 = "[valid]\nrepetitions = 5\n";
    p = write_file("t3.matrix", m3, strlen(m3));
    assert_int_equal(scenario_matrix_load(p, &mx, err), -1);
    assert_non_null(strstr(err, "missing [matrix]"));
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_key_in_wrong_section),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_bad_utf8_and_control),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_go_plain_headline),
        cmocka_unit_test(test_heap_profile),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_matrix_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
