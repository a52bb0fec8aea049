/* test_peak_rss.c: peak_rss.h. The parser on well-formed, tab-separated, missing,
 * malformed and overflowing VmHWM lines; the reader against the process's own growth
 * (64 MiB touched raise VmHWM by at least 64 MiB, and VmHWM stays when the memory is
 * given back, within the kernel's batching of RSS counters), and against a child spawned by this grown process: its VmHWM is its
 * own few MiB while wait4's ru_maxrss of the same child reports at least this parent's
 * peak (the Linux behaviour peak_rss.h works around; reported, not required, in case a
 * kernel stops copying the old high-water mark at exec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peak_rss.h"

extern char **environ;

#define MIB (1024u * 1024u)

static void test_parse(void **state)
{
    (void)state;
    uint64_t b = 7;
    assert_int_equal(peak_rss_parse_bytes("Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t    2012 kB\n"
                                          "VmRSS:\t 1 kB\n", &b), 0);
    assert_true(b == 2012u * 1024u);
    assert_int_equal(peak_rss_parse_bytes("VmHWM: 1 kB", &b), 0);
    assert_true(b == 1024u);
    b = 7;
    assert_int_equal(peak_rss_parse_bytes("VmRSS:\t 12 kB\n", &b), -1);          /* none  */
    assert_int_equal(peak_rss_parse_bytes("", &b), -1);
    assert_int_equal(peak_rss_parse_bytes("VmHWM:\t kB\n", &b), -1);             /* empty */
    assert_int_equal(peak_rss_parse_bytes("VmHWM:\t12 MB\n", &b), -1);           /* unit  */
    assert_int_equal(peak_rss_parse_bytes("VmHWM:\t99999999999999999999 kB\n", &b), -1);
    assert_int_equal(peak_rss_parse_bytes("XVmHWM:\t12 kB\n", &b), -1);          /* not at a line start */
    assert_true(b == 7);                                                         /* untouched */
}

static uint64_t read_or_fail(void)
{
    uint64_t b = 0;
    assert_int_equal(peak_rss_read_bytes(&b), 0);
    assert_true(b > 0);
    return b;
}

static void test_read_follows_growth(void **state)
{
    (void)state;
    uint64_t before = read_or_fail();
    size_t n = 64u * MIB;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    memset(p, 0x5a, n);
    uint64_t grown = read_or_fail();
    assert_true(grown >= before + n - MIB);   /* a page or two may have been resident */
    munmap(p, n);
    /* a high-water mark does not fall with the memory (munmap records it first); the
       kernel's per-thread RSS counters are synced in batches, so the mark read before
       the munmap may run a few hundred KiB ahead of the one recorded */
    assert_true(read_or_fail() + MIB >= grown);
}

/* The child: /bin/sh printing its own VmHWM (kB) with the shell's read builtin. */
static void test_child_of_grown_parent(void **state)
{
    (void)state;
    size_t n = 256u * MIB;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    memset(p, 0xa5, n);
    uint64_t parent = read_or_fail();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {"sh", "-c",
                    "while read -r k v u; do [ \"$k\" = VmHWM: ] && echo \"$v\"; done "
                    "< /proc/self/status; exit 0", NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char out[64] = "";
    ssize_t got = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    int status;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(got > 0);
    uint64_t child_kib = strtoull(out, NULL, 10);
    print_message("parent VmHWM %llu KiB; child VmHWM %llu KiB, its wait4 ru_maxrss %ld KiB\n",
                  (unsigned long long)(parent / 1024), (unsigned long long)child_kib,
                  ru.ru_maxrss);
    assert_true(child_kib > 0 && child_kib * 1024u < 64u * MIB);  /* a shell: a few MiB */
    if ((uint64_t)ru.ru_maxrss * 1024u < n)
        print_message("note: this kernel no longer copies the parent's high-water mark "
                      "into ru_maxrss at exec\n");
    munmap(p, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_read_follows_growth),
        cmocka_unit_test(test_child_of_grown_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
