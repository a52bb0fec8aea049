/* test_cell.c: a child's exit code, signal, timeout (SIGTERM, then SIGKILL for a child
 * that ignores SIGTERM), stdout/stderr capture, the interrupt flag, concurrent groups,
 * a child that exits long after closing its pipes (no descriptor left behind), and
 * wait4 accounting of one child only (a big child does not leak into the next). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cell.h"

static void run_sh(const char *script, double timeout_s, cell_outcome_t *o)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    cell_spec_t spec = {.exe = "/bin/sh", .argv = argv, .timeout_s = timeout_s, .grace_s = 0.5};
    assert_int_equal(cell_run(&spec, o, NULL), 0);
}

static void test_exit_and_capture(void **state)
{
    (void)state;
    cell_outcome_t o;
    run_sh("echo hello; echo oops >&2; exit 3", 10, &o);
    assert_true(o.exited);
    assert_int_equal(o.exit_code, 3);
    assert_string_equal(o.out, "hello\n");
    assert_string_equal(o.err, "oops\n");
    char st[64];
    cell_status(&o, st, sizeof st);
    assert_string_equal(st, "exit:3");
    cell_outcome_free(&o);
    run_sh("true", 10, &o);
    cell_status(&o, st, sizeof st);
    assert_string_equal(st, "ok");
    cell_outcome_free(&o);
}

static void test_signal(void **state)
{
    (void)state;
    cell_outcome_t o;
    run_sh("kill -9 $$", 10, &o);
    assert_true(o.signaled);
    assert_int_equal(o.term_signal, 9);
    assert_false(o.timed_out);
    char st[64];
    cell_status(&o, st, sizeof st);
    assert_string_equal(st, "signal:9");
    cell_outcome_free(&o);
}

static void test_timeout_sleep(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sleep", "30", NULL};
    cell_spec_t spec = {.exe = "/bin/sleep", .argv = argv, .timeout_s = 0.3, .grace_s = 0.5};
    cell_outcome_t o;
    assert_int_equal(cell_run(&spec, &o, NULL), 0);
    assert_true(o.timed_out);
    assert_true(o.signaled);
    assert_int_equal(o.term_signal, SIGTERM);
    char st[64];
    cell_status(&o, st, sizeof st);
    assert_string_equal(st, "timeout");
    cell_outcome_free(&o);
}

static void test_timeout_ignores_term(void **state)
{
    (void)state;
    cell_outcome_t o;
    run_sh("trap '' TERM; sleep 30 & wait; sleep 30", 0.3, &o);
    assert_true(o.timed_out);
    assert_true(o.signaled);
    assert_int_equal(o.term_signal, SIGKILL);
    cell_outcome_free(&o);
}

static void test_interrupt(void **state)
{
    (void)state;
    volatile sig_atomic_t flag = 1;
    char *argv[] = {"/bin/sleep", "30", NULL};
    cell_spec_t spec = {.exe = "/bin/sleep", .argv = argv, .timeout_s = 30, .grace_s = 0.5};
    cell_outcome_t o;
    assert_int_equal(cell_run(&spec, &o, &flag), 0);
    assert_true(o.interrupted);
    assert_false(o.timed_out);
    cell_outcome_free(&o);
}

static void test_spawn_failure(void **state)
{
    (void)state;
    char *argv[] = {"/nonexistent/x", NULL};
    cell_spec_t spec = {.exe = "/nonexistent/x", .argv = argv, .timeout_s = 5, .grace_s = 0.5};
    cell_outcome_t o;
    cell_run(&spec, &o, NULL);
    char st[64];
    cell_status(&o, st, sizeof st);
    assert_true(strncmp(st, "spawn:", 6) == 0 || strcmp(st, "exit:127") == 0);
    cell_outcome_free(&o);
}

static void test_group(void **state)
{
    (void)state;
    char *a1[] = {"/bin/sh", "-c", "echo one", NULL};
    char *a2[] = {"/bin/sh", "-c", "echo two; exit 1", NULL};
    cell_spec_t specs[2] = {{.exe = "/bin/sh", .argv = a1, .timeout_s = 10, .grace_s = 0.5},
                            {.exe = "/bin/sh", .argv = a2, .timeout_s = 10, .grace_s = 0.5}};
    cell_outcome_t o[2];
    uint64_t wall = 0;
    assert_int_equal(cell_run_group(specs, 2, o, NULL, &wall), 0);
    assert_string_equal(o[0].out, "one\n");
    assert_string_equal(o[1].out, "two\n");
    assert_int_equal(o[0].exit_code, 0);
    assert_int_equal(o[1].exit_code, 1);
    assert_true(wall >= o[0].wall_ns && wall >= o[1].wall_ns);
    cell_outcome_free(&o[0]);
    cell_outcome_free(&o[1]);
}

static int open_fd_count(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A child that closes both pipes long before it exits: the driver then waits on its exit
 * alone (the pidfd), reaps it with its exit code, and leaves no descriptor behind (a
 * pidfd or pipe kept open would show in /proc/self/fd after 20 such runs). */
static void test_exit_after_pipes_closed(void **state)
{
    (void)state;
    int before = open_fd_count();
    for (int i = 0; i < 20; i++) {
        cell_outcome_t o;
        run_sh("echo out; exec >&- 2>&-; sleep 0.05; exit 4", 10, &o);
        assert_true(o.exited);
        assert_int_equal(o.exit_code, 4);
        assert_string_equal(o.out, "out\n");
        assert_true(o.wall_ns >= 50000000ull);
        cell_outcome_free(&o);
    }
    char *a1[] = {"/bin/sh", "-c", "exec >&- 2>&-; sleep 0.05", NULL};
    char *a2[] = {"/bin/sh", "-c", "echo two", NULL};
    cell_spec_t specs[2] = {{.exe = "/bin/sh", .argv = a1, .timeout_s = 10, .grace_s = 0.5},
                            {.exe = "/bin/sh", .argv = a2, .timeout_s = 10, .grace_s = 0.5}};
    cell_outcome_t g[2];
    uint64_t wall = 0;
    assert_int_equal(cell_run_group(specs, 2, g, NULL, &wall), 0);
    assert_int_equal(g[0].exit_code, 0);
    assert_string_equal(g[1].out, "two\n");
    assert_true(wall >= 50000000ull && wall >= g[0].wall_ns);
    cell_outcome_free(&g[0]);
    cell_outcome_free(&g[1]);
    assert_int_equal(open_fd_count(), before);
}

static void test_rss_per_child(void **state)
{
    (void)state;
    /* a child that writes every byte of 64 MiB (a bytearray filled by repetition, so every
     * page is touched), the same interpreter doing nothing, then a small child: the big
     * child's RSS is the interpreter's plus 64 MiB, and the small one does not inherit it */
    cell_outcome_t big, base, small;
    run_sh("exec /usr/bin/python3 -c 'b = bytearray(b\"\\x01\") * (64 << 20); "
           "print(sum(b[::4096]))'", 30, &big);
    run_sh("exec /usr/bin/python3 -c 'print(0)'", 30, &base);
    run_sh("true", 10, &small);
    assert_true(big.exited && big.exit_code == 0);
    assert_string_equal(big.out, "16384\n");   /* one per page: the bytes were written */
    assert_true(base.exited && base.exit_code == 0);
    long big_kib = big.ru.ru_maxrss, base_kib = base.ru.ru_maxrss, small_kib = small.ru.ru_maxrss;
    assert_true(big_kib > 0 && base_kib > 0 && small_kib > 0);
    long grew_kib = big_kib - base_kib;
    print_message("big child %ld KiB, same interpreter idle %ld KiB: +%ld KiB for 65536 KiB\n",
                  big_kib, base_kib, grew_kib);
    assert_true(grew_kib >= 65536 * 95 / 100);    /* within 5 % of the 64 MiB it wrote */
    assert_true(grew_kib <= 65536 * 105 / 100);
    assert_true(small_kib < big_kib);
    assert_true(small_kib < 32 * 1024);
    cell_outcome_free(&big);
    cell_outcome_free(&base);
    cell_outcome_free(&small);
}

/* The leader exits, leaving a background process in its group that holds the output
 * pipe: the cell still ends (the pipes are drained and closed), and the leftover process
 * was killed (its group is signalled while the leader is still an unreaped zombie). */
static void test_leftover_group_killed(void **state)
{
    (void)state;
    cell_outcome_t o;
    run_sh("sleep 30 & echo $!", 60, &o);
    assert_true(o.exited);
    assert_int_equal(o.exit_code, 0);
    assert_false(o.timed_out);
    long pid = strtol(o.out, NULL, 10);
    assert_true(pid > 1);
    /* gone, or a zombie waiting for init: never still sleeping (up to 5 s for delivery) */
    int alive = 1;
    for (int i = 0; i < 500 && alive; i++) {
        char path[64], st[512] = "";
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f) {
            alive = 0;
            break;
        }
        size_t n = fread(st, 1, sizeof st - 1, f);
        fclose(f);
        st[n] = '\0';
        const char *rp = strrchr(st, ')');
        if (rp && (rp[2] == 'Z' || rp[2] == 'X'))
            alive = 0;
        else
            usleep(10000);
    }
    if (alive)
        kill((pid_t)pid, SIGKILL);   /* do not leave it behind */
    assert_false(alive);
    cell_outcome_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_and_capture),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_timeout_sleep),
        cmocka_unit_test(test_timeout_ignores_term),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_spawn_failure),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_exit_after_pipes_closed),
        cmocka_unit_test(test_rss_per_child),
        cmocka_unit_test(test_leftover_group_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
