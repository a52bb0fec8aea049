/* bench_front.c: the counting front end's per-call overhead, for one backend.
 *
 * Times malloc+free pairs of 64 B, 1 KiB and 64 KiB through the front end (the
 * interposed malloc/free, counting included) and through the backend directly
 * (alloc_backend.malloc/free), and prints ns per pair and the difference. Each figure is
 * the median of 15 rounds of 200,000 pairs (a fixed workload, no adaptive timing).
 * Usage: pb-bench-front-<backend> [pairs_per_round]. Exit 0, or 1 on allocation failure.
 */
#define _GNU_SOURCE
#include "alloc.h"
#include "alloc_backend.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_ROUNDS 15

static uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* one round: ns per pair, or a negative value on allocation failure */
static double bench_round(int direct, size_t size_bytes, long pairs)
{
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < pairs; i++) {
        void *p = direct ? alloc_backend.malloc(size_bytes) : malloc(size_bytes);
        if (p == NULL)
            return -1.0;
        *(volatile char *)p = (char)i;            /* touch: the block is used */
        __asm__ volatile("" : : "r"(p) : "memory");
        if (direct)
            alloc_backend.free(p);
        else
            free(p);
    }
    return (double)(bench_now_ns() - t0) / (double)pairs;
}

static double bench_median(int direct, size_t size_bytes, long pairs)
{
    double s[BENCH_ROUNDS];
    if (bench_round(direct, size_bytes, pairs / 10 + 1) < 0)   /* warm-up */
        return -1.0;
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        s[r] = bench_round(direct, size_bytes, pairs);
        if (s[r] < 0)
            return -1.0;
    }
    qsort(s, BENCH_ROUNDS, sizeof s[0], cmp_double);
    return s[BENCH_ROUNDS / 2];
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (pairs <= 0) {
        fprintf(stderr, "usage: %s [pairs_per_round > 0]\n", argv[0]);
        return 2;
    }
    char err[256];
    int ok = alloc_backend_verify(err, sizeof err);
    printf("backend %s %s (verify: %s%s)\n", alloc_backend_name(), alloc_backend_version(),
           ok == 0 ? "ok" : "FAILED: ", ok == 0 ? "" : err);
    printf("%-8s %14s %14s %14s\n", "size", "front_ns", "direct_ns", "overhead_ns");
    static const size_t sizes[] = { 64, 1024, 65536 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double front = bench_median(0, sizes[i], pairs);
        double direct = bench_median(1, sizes[i], pairs);
        if (front < 0 || direct < 0) {
            fprintf(stderr, "allocation of %zu bytes failed\n", sizes[i]);
            return 1;
        }
        printf("%-8zu %14.2f %14.2f %14.2f\n", sizes[i], front, direct, front - direct);
    }
    return 0;
}
