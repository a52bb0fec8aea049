/* test_pprof_encode.c: the heap profile encoder (harness/runner/pprof_encode.c).
 * - Go's scale factor (runtime/pprof scaleHeapSample): values computed independently
 *   (python's math.exp, in the comments) for the default rate, rate 1 (no scaling), an
 *   empty bucket and 0-byte requests;
 * - a synthetic snapshot (two buckets, stacks of this file's functions) encoded, gunzipped
 *   with zlib and unpacked with protobuf-c: string_table[0] is "", Go's four sample types
 *   and period space/bytes, each sample's values, the "bytes" label, the allocation
 *   machinery frame (malloc) dropped from the top, this file's functions and file name
 *   symbolized without the binary, default_sample_type for the allocs variant.
 * The independent decoders (python's wire-format parser, go tool pprof -raw) check real
 * profiles in test_profile.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "profile.h"
#include "profile.pb-c.h"

static void test_scale(void **state)
{
    int64_t c, s;
    /* python: 1/(1-exp(-avg/rate)) times count and bytes, truncated */
    pprof_scale_heap_sample(1, 524288, 524288, &c, &s);
    assert_int_equal(c, 1);
    assert_int_equal(s, 829411);
    pprof_scale_heap_sample(100, 6400, 524288, &c, &s);
    assert_int_equal(c, 819250);
    assert_int_equal(s, 52432000);
    pprof_scale_heap_sample(2, 2 * (8u << 20), 524288, &c, &s);   /* big blocks: ~1 */
    assert_int_equal(c, 2);
    assert_int_equal(s, 16777217);
    pprof_scale_heap_sample(3, 0, 524288, &c, &s);       /* 0-byte requests count as 1 */
    assert_int_equal(c, 1572865);
    assert_int_equal(s, 0);
    pprof_scale_heap_sample(7, 700, 1, &c, &s);          /* rate 1: exact */
    assert_int_equal(c, 7);
    assert_int_equal(s, 700);
    pprof_scale_heap_sample(0, 0, 524288, &c, &s);
    assert_int_equal(c, 0);
    assert_int_equal(s, 0);
}

__attribute__((noinline)) void pb_test_site_a(void) { __asm__ volatile(""); }
__attribute__((noinline)) void pb_test_site_b(void) { __asm__ volatile(""); }

static Perftools__Profiles__Profile *encode(const heap_snapshot_t *s, bool allocs)
{
    unsigned char *gz = NULL;
    size_t len = 0;
    assert_int_equal(pprof_heap_encode(s, allocs, "unit test", &gz, &len), 0);
    assert_true(len > 20 && gz[0] == 0x1f && gz[1] == 0x8b);   /* gzip magic */
    size_t cap = 1 << 20;
    unsigned char *raw = malloc(cap);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = gz;
    z.avail_in = (uInt)len;
    z.next_out = raw;
    z.avail_out = (uInt)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    Perftools__Profiles__Profile *p =
        perftools__profiles__profile__unpack(NULL, z.total_out, raw);
    inflateEnd(&z);
    free(raw);
    free(gz);
    assert_non_null(p);
    return p;
}

static const char *fn_name_of(Perftools__Profiles__Profile *p, uint64_t loc_id, const char **file)
{
    for (size_t i = 0; i < p->n_location; i++) {
        if (p->location[i]->id != loc_id || p->location[i]->n_line == 0)
            continue;
        uint64_t fid = p->location[i]->line[p->location[i]->n_line - 1]->function_id;
        for (size_t k = 0; k < p->n_function; k++)
            if (p->function[k]->id == fid) {
                *file = p->string_table[p->function[k]->filename];
                return p->string_table[p->function[k]->name];
            }
    }
    return NULL;
}

static void test_encode(void **state)
{
    heap_bucket_t b[2];
    memset(b, 0, sizeof b);
    /* return addresses: one past a function's first byte lands in it after the -1 */
    b[0].size_bytes = 100;
    b[0].allocs = 7;
    b[0].frees = 2;
    b[0].depth = 3;
    b[0].pc[0] = (uintptr_t)&malloc + 1;           /* the allocator: dropped */
    b[0].pc[1] = (uintptr_t)&pb_test_site_a + 1;
    b[0].pc[2] = (uintptr_t)&pb_test_site_b + 1;
    b[1].size_bytes = 4096;
    b[1].allocs = 1;
    b[1].depth = 1;
    b[1].pc[0] = (uintptr_t)&pb_test_site_b + 1;
    heap_snapshot_t s = {.b = b, .n = 2, .rate_bytes = 1, .window_ns = 5};
    Perftools__Profiles__Profile *p = encode(&s, false);
    assert_string_equal(p->string_table[0], "");
    const char *want[4][2] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                              {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    assert_int_equal(p->n_sample_type, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(p->string_table[p->sample_type[i]->type], want[i][0]);
        assert_string_equal(p->string_table[p->sample_type[i]->unit], want[i][1]);
    }
    assert_non_null(p->period_type);
    assert_string_equal(p->string_table[p->period_type->type], "space");
    assert_string_equal(p->string_table[p->period_type->unit], "bytes");
    assert_int_equal(p->period, 1);
    assert_int_equal(p->default_sample_type, 0);
    assert_int_equal(p->n_sample, 2);
    Perftools__Profiles__Sample *x = p->sample[0];
    assert_int_equal(x->n_value, 4);
    assert_int_equal(x->value[0], 7);
    assert_int_equal(x->value[1], 700);
    assert_int_equal(x->value[2], 5);
    assert_int_equal(x->value[3], 500);
    assert_int_equal(x->n_label, 1);
    assert_string_equal(p->string_table[x->label[0]->key], "bytes");
    assert_int_equal(x->label[0]->num, 100);
    assert_int_equal(x->n_location_id, 2);                 /* malloc dropped */
    const char *file = NULL;
    assert_string_equal(fn_name_of(p, x->location_id[0], &file), "pb_test_site_a");
    assert_non_null(strstr(file, "test_pprof_encode.c"));
    assert_string_equal(fn_name_of(p, x->location_id[1], &file), "pb_test_site_b");
    assert_int_equal(p->sample[1]->value[1], 4096);
    assert_int_equal(p->sample[1]->value[3], 4096);
    perftools__profiles__profile__free_unpacked(p, NULL);

    p = encode(&s, true);       /* /debug/pprof/allocs: default alloc_space */
    assert_string_equal(p->string_table[p->default_sample_type], "alloc_space");
    perftools__profiles__profile__free_unpacked(p, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
