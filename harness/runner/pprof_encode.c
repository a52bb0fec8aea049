/* pprof_encode.c: a heap snapshot (profile_heap.c) as a gzipped pprof profile.
 *
 * Symbolization happens here, when the profile is written, in the profiled process:
 * elfutils' libdwfl reports the process's modules (/proc/self/maps), and for each return
 * address (minus one, to land in the call) gives the function, the inlined frames
 * (DW_TAG_inlined_subroutine scopes: each with its own file:line, innermost first, as
 * pprof's Location.line wants) and file:line where the module has debug info; the ELF
 * symbol name otherwise. The profile is then complete (has_functions, has_filenames,
 * has_line_numbers, has_inline_frames on every mapping): `go tool pprof` needs no binary.
 * Frames of the allocation machinery (the sampler, the front end's entry points; in a
 * sanitizer build also the front end's hook and every frame of the sanitizer runtime)
 * are dropped from the top of each stack, so a stack starts at the allocation site (the
 * caller of malloc) in both modes, as in Go's heap profiles.
 * Encoding: protobuf-c from profile.proto (pprof's field numbers); gzip by zlib.
 * Values: Go's runtime/pprof scaleHeapSample. Must: run with the heap guard on (its own
 * allocations are not profiled); it allocates freely.
 */
#define _GNU_SOURCE
#include "profile.h"
#include "profile.pb-c.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

typedef Perftools__Profiles__Profile PbProfile;
typedef Perftools__Profiles__Sample PbSample;
typedef Perftools__Profiles__Location PbLocation;
typedef Perftools__Profiles__Line PbLine;
typedef Perftools__Profiles__Function PbFunction;
typedef Perftools__Profiles__Mapping PbMapping;
typedef Perftools__Profiles__ValueType PbValueType;
typedef Perftools__Profiles__Label PbLabel;

void pprof_scale_heap_sample(uint64_t count, uint64_t size_bytes, uint64_t rate_bytes,
                             int64_t *count_out, int64_t *size_out)
{
    if (rate_bytes <= 1) {          /* every allocation was recorded: no scaling */
        *count_out = (int64_t)count;
        *size_out = (int64_t)size_bytes;
        return;
    }
    if (count == 0) {
        *count_out = *size_out = 0;
        return;
    }
    /* a 0-byte request counts as 1 byte in the sampler's countdown */
    double avg = size_bytes ? (double)size_bytes / (double)count : 1.0;
    double scale = 1.0 / (1.0 - exp(-avg / (double)rate_bytes));
    *count_out = (int64_t)((double)count * scale);
    *size_out = (int64_t)((double)size_bytes * scale);
}

/* ---- string table -------------------------------------------------------------------- */
typedef struct strtab {
    char **s;
    size_t n, cap;
    uint32_t *slot;       /* open addressing: index + 1 */
    size_t nslot;
} strtab_t;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static int64_t str_id(strtab_t *t, const char *s)
{
    if (!s)
        s = "";
    if (t->n * 2 >= t->nslot) {
        size_t ns = t->nslot ? t->nslot * 2 : 1024;
        uint32_t *slot = calloc(ns, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < t->n; i++) {
            size_t h = str_hash(t->s[i]) & (ns - 1);
            while (slot[h])
                h = (h + 1) & (ns - 1);
            slot[h] = (uint32_t)i + 1;
        }
        free(t->slot);
        t->slot = slot;
        t->nslot = ns;
    }
    size_t h = str_hash(s) & (t->nslot - 1);
    while (t->slot[h]) {
        if (strcmp(t->s[t->slot[h] - 1], s) == 0)
            return t->slot[h] - 1;
        h = (h + 1) & (t->nslot - 1);
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        char **ns = realloc(t->s, nc * sizeof *ns);
        if (!ns)
            return -1;
        t->s = ns;
        t->cap = nc;
    }
    char *copy = strdup(s);
    if (!copy)
        return -1;
    t->s[t->n] = copy;
    t->slot[h] = (uint32_t)++t->n;
    return (int64_t)t->n - 1;
}

/* ---- growable arrays ----------------------------------------------------------------- */
#define VEC_PUSH(arr, n, cap, val)                                                   \
    do {                                                                             \
        if ((n) == (cap)) {                                                          \
            size_t nc_ = (cap) ? (cap) * 2 : 64;                                     \
            void *p_ = realloc((arr), nc_ * sizeof *(arr));                          \
            if (!p_)                                                                 \
                goto oom;                                                            \
            (arr) = p_;                                                              \
            (cap) = nc_;                                                             \
        }                                                                            \
        (arr)[(n)++] = (val);                                                        \
    } while (0)

/* ---- the encoder's state ------------------------------------------------------------- */
typedef struct sym_line {
    int64_t name, file;
    int64_t line;
} sym_line_t;

/* An open-addressing index over an array of 64-bit keys: slot[h] is 1 + the key's
 * position in the array, 0 an empty slot; kept at most half full. */
typedef struct key_index {
    uint32_t *slot;
    size_t nslot;
} key_index_t;

static size_t key_index_hash(uint64_t key, size_t nslot)
{
    return (key * 0x9E3779B97F4A7C15ull) >> 40 & (nslot - 1);
}

/* Room for one more of the n keys (first size first_nslot). Returns 0 or -1 (OOM). */
static int key_index_reserve(key_index_t *x, const uint64_t *keys, size_t n, size_t first_nslot)
{
    if (n * 2 < x->nslot)
        return 0;
    size_t ns = x->nslot ? x->nslot * 2 : first_nslot;
    uint32_t *slot = calloc(ns, sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t h = key_index_hash(keys[i], ns);
        while (slot[h])
            h = (h + 1) & (ns - 1);
        slot[h] = (uint32_t)i + 1;
    }
    free(x->slot);
    x->slot = slot;
    x->nslot = ns;
    return 0;
}

/* The slot holding key, or the empty slot where it goes. */
static size_t key_index_find(const key_index_t *x, const uint64_t *keys, uint64_t key)
{
    size_t h = key_index_hash(key, x->nslot);
    while (x->slot[h] && keys[x->slot[h] - 1] != key)
        h = (h + 1) & (x->nslot - 1);
    return h;
}

typedef struct enc {
    strtab_t st;
    Dwfl *dwfl;
    /* locations: pc -> id (open addressing), and their protobuf messages */
    uint64_t *loc_pc;
    key_index_t loc_index;
    PbLocation **loc;
    size_t nloc, caploc;
    bool *loc_skip;            /* the location is allocation machinery */
    /* functions: (name, file) -> id */
    PbFunction **fn;
    size_t nfn, capfn;
    uint64_t *fn_key;
    key_index_t fn_index;
    PbMapping **map;
    size_t nmap, capmap;
    bool skip_machinery;       /* heap profiles: drop the allocator's frames on top */
    bool leaf_exact;           /* CPU profiles: the first pc is not a return address */
    char symbuf[256];
} enc_t;

static const char *const machinery[] = {
    "heap_sample_cb", "sample_alloc", "front_note_alloc", "front_aligned", "malloc",
    "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
    "valloc", "pvalloc",
    /* the front end's sanitizer mode (alloc_front_sanitizer.c): the hook and the note
     * it calls, and the TSan-mode wrappers' helper */
    "alloc_front_note_alloc", "sanitizer_malloc_hook", "sanitizer_counted", NULL,
};

/* The sanitizer runtimes whose frames are allocation machinery: in a sanitizer build
 * the hook is called from inside the sanitizer's allocator (its malloc interceptor,
 * allocator and hook runner), whose frames carry the runtime's own names
 * (__interceptor_malloc, __asan::Allocator::Allocate, ...) or none (a stripped
 * library). Every frame in these libraries on top of a stack is dropped, so the stack
 * starts at the caller of malloc as in the normal build. (An interceptor that allocates
 * for its caller, e.g. strdup's, is dropped with them: the site is strdup's caller.) */
static const char *const machinery_libs[] = {
    "libasan.so", "libtsan.so", "libubsan.so", "liblsan.so", "libhwasan.so", NULL,
};

static bool is_machinery_module(Dwfl_Module *m)
{
    const char *mod = m ? dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
                        : NULL;
    if (!mod)
        return false;
    const char *base = strrchr(mod, '/');
    base = base ? base + 1 : mod;
    for (int i = 0; machinery_libs[i]; i++)
        if (strncmp(base, machinery_libs[i], strlen(machinery_libs[i])) == 0)
            return true;
    return false;
}

/* name is one of machinery[], also as a GCC clone of it (heap_sample_cb.part.0,
 * __interceptor_realloc.part.0, front_aligned.isra.0, ...: the name up to the dot) */
static bool is_machinery(const char *name)
{
    if (!name)
        return false;
    size_t len = strcspn(name, ".");
    for (int i = 0; machinery[i]; i++)
        if (strlen(machinery[i]) == len && strncmp(name, machinery[i], len) == 0)
            return true;
    return false;
}

static uint64_t fn_id(enc_t *e, int64_t name, int64_t file)
{
    uint64_t key = ((uint64_t)name << 32) ^ (uint64_t)file;
    if (key_index_reserve(&e->fn_index, e->fn_key, e->nfn, 1024) != 0)
        return 0;
    size_t h = key_index_find(&e->fn_index, e->fn_key, key);
    if (e->fn_index.slot[h])
        return e->fn_index.slot[h];
    PbFunction *f = malloc(sizeof *f);
    if (!f)
        return 0;
    perftools__profiles__function__init(f);
    f->id = e->nfn + 1;
    f->name = f->system_name = name;
    f->filename = file;
    size_t capk = e->capfn;
    VEC_PUSH(e->fn, e->nfn, e->capfn, f);
    if (capk != e->capfn) {
        uint64_t *k = realloc(e->fn_key, e->capfn * sizeof *k);
        if (!k)
            goto oom;
        e->fn_key = k;
    }
    e->fn_key[e->nfn - 1] = key;
    e->fn_index.slot[h] = (uint32_t)e->nfn;
    return e->nfn;
oom:
    free(f);
    return 0;
}

/* The name of a DIE, following abstract_origin / specification. */
static const char *die_name(Dwarf_Die *d)
{
    Dwarf_Attribute a;
    const char *s = NULL;
    if (dwarf_attr_integrate(d, DW_AT_name, &a))
        s = dwarf_formstring(&a);
    return s;
}

static int64_t die_call_attr(Dwarf_Die *d, int attr)
{
    Dwarf_Attribute a;
    Dwarf_Word w = 0;
    if (dwarf_attr(d, attr, &a) && dwarf_formudata(&a, &w) == 0)
        return (int64_t)w;
    return 0;
}

/* Symbolizes pc into lines (innermost first). Returns the count (>= 1) or 0 on OOM. */
static size_t symbolize(enc_t *e, uintptr_t pc, sym_line_t *out, size_t max, bool *skip)
{
    const char *sym = NULL;
    const char *file = NULL;
    int line = 0;
    Dwfl_Module *m = e->dwfl ? dwfl_addrmodule(e->dwfl, pc) : NULL;
    size_t n = 0;
    *skip = false;
    if (m) {
        sym = dwfl_module_addrname(m, pc);
        const char *at = sym ? strstr(sym, "@") : NULL;
        if (at && at != sym) {   /* versioned: __libc_start_main@@GLIBC_2.34 */
            size_t k = (size_t)(at - sym);
            snprintf(e->symbuf, sizeof e->symbuf, "%.*s", (int)(k < 255 ? k : 255), sym);
            sym = e->symbuf;
        }
        Dwfl_Line *l = dwfl_module_getsrc(m, pc);
        if (l)
            file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
        Dwarf_Addr bias = 0;
        Dwarf_Die *cu = dwfl_module_addrdie(m, pc, &bias);
        Dwarf_Die *scopes = NULL;
        int ns = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
        Dwarf_Files *files = NULL;
        size_t nfiles = 0;
        if (ns > 0 && dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
            files = NULL;
        const char *cur_file = file;
        int64_t cur_line = line;
        for (int i = 0; i < ns && n < max; i++) {
            int tag = dwarf_tag(&scopes[i]);
            if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
                continue;
            const char *name = die_name(&scopes[i]);
            if (tag == DW_TAG_subprogram && sym)
                name = sym;     /* the ELF name (no clones' suffix issues for C) */
            out[n].name = str_id(&e->st, name ? name : "??");
            out[n].file = str_id(&e->st, cur_file);
            out[n].line = cur_line;
            n++;
            if (tag == DW_TAG_subprogram)
                break;
            int64_t cf = die_call_attr(&scopes[i], DW_AT_call_file);
            cur_line = die_call_attr(&scopes[i], DW_AT_call_line);
            cur_file = files && cf > 0 && (size_t)cf < nfiles
                           ? dwarf_filesrc(files, (size_t)cf, NULL, NULL) : NULL;
        }
        free(scopes);
        if (n && e->skip_machinery && (is_machinery(sym) || is_machinery_module(m)))
            *skip = true;
    }
    if (n == 0) {
        char buf[320];
        Dwarf_Addr lo = 0;
        const char *mod = m ? dwfl_module_info(m, NULL, &lo, NULL, NULL, NULL, NULL, NULL)
                            : NULL;
        if (sym == NULL && mod) {
            /* a static function of a stripped library (OpenSSL's assembly, libarchive's
             * internals): named by its library and the start of its unwind entry
             * (.eh_frame FDE), so all its addresses add up to one function */
            Dwarf_Addr fn_start = pc, cfi_bias = 0;
            Dwarf_CFI *cfi = dwfl_module_eh_cfi(m, &cfi_bias);
            Dwarf_Frame *fr = NULL;
            if (cfi && dwarf_cfi_addrframe(cfi, pc - cfi_bias, &fr) == 0 && fr) {
                Dwarf_Addr st = 0, en = 0;
                if (dwarf_frame_info(fr, &st, &en, NULL) >= 0)
                    fn_start = st + cfi_bias;
                free(fr);
            }
            const char *base = strrchr(mod, '/');
            snprintf(buf, sizeof buf, "%s+0x%llx", base ? base + 1 : mod,
                     (unsigned long long)(fn_start - lo));
        } else if (sym == NULL) {
            snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)pc);
        } else {
            snprintf(buf, sizeof buf, "%s", sym);
            char *at = strstr(buf, "@@");  /* versioned: __libc_start_main@@GLIBC_2.34 */
            if (at && at != buf)
                *at = '\0';
        }
        out[0].name = str_id(&e->st, buf);
        out[0].file = str_id(&e->st, file);
        out[0].line = line;
        n = 1;
        *skip = e->skip_machinery && (is_machinery(sym) || is_machinery_module(m));
    }
    return n;
}

static uint64_t map_id(enc_t *e, uintptr_t pc)
{
    for (size_t i = 0; i < e->nmap; i++)
        if (pc >= e->map[i]->memory_start && pc < e->map[i]->memory_limit)
            return e->map[i]->id;
    return 0;
}

/* Location id of a return address (0 on OOM); *skip: it is allocation machinery. */
static uint64_t loc_id(enc_t *e, uintptr_t ret, bool *skip)
{
    uintptr_t pc = ret - 1;
    if (e->leaf_exact) {        /* set for the first frame only */
        pc = ret;
        e->leaf_exact = false;
    }
    if (key_index_reserve(&e->loc_index, e->loc_pc, e->nloc, 4096) != 0)
        return 0;
    size_t h = key_index_find(&e->loc_index, e->loc_pc, pc);
    uint32_t known = e->loc_index.slot[h];
    if (known) {
        *skip = e->loc_skip[known - 1];
        return known;
    }
    sym_line_t lines[16];
    size_t nl = symbolize(e, pc, lines, 16, skip);
    PbLocation *l = malloc(sizeof *l);
    PbLine **pl = calloc(nl, sizeof *pl);
    if (!l || !pl) {
        free(l);
        free(pl);
        return 0;
    }
    perftools__profiles__location__init(l);
    l->id = e->nloc + 1;
    l->address = pc;
    l->mapping_id = map_id(e, pc);
    l->line = pl;
    for (size_t i = 0; i < nl; i++) {
        pl[i] = malloc(sizeof *pl[i]);
        if (!pl[i])
            return 0;
        perftools__profiles__line__init(pl[i]);
        pl[i]->function_id = fn_id(e, lines[i].name, lines[i].file);
        pl[i]->line = lines[i].line;
        l->n_line++;
    }
    size_t cap = e->caploc;
    VEC_PUSH(e->loc, e->nloc, e->caploc, l);
    if (cap != e->caploc) {
        uint64_t *p = realloc(e->loc_pc, e->caploc * sizeof *p);
        bool *s = realloc(e->loc_skip, e->caploc * sizeof *s);
        if (p)
            e->loc_pc = p;
        if (s)
            e->loc_skip = s;
        if (!p || !s)
            return 0;
    }
    e->loc_pc[e->nloc - 1] = pc;
    e->loc_skip[e->nloc - 1] = *skip;
    e->loc_index.slot[h] = (uint32_t)e->nloc;
    return e->nloc;
oom:
    return 0;
}

/* Executable mappings of the process (/proc/self/maps), main binary first. */
static int read_mappings(enc_t *e)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8], path[4096] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo, &hi, perms, &off,
                   path) < 4)
            continue;
        if (perms[2] != 'x')
            continue;
        char *p = path;
        while (*p == ' ')
            p++;
        PbMapping *m = malloc(sizeof *m);
        if (!m)
            goto oom;
        perftools__profiles__mapping__init(m);
        m->id = e->nmap + 1;
        m->memory_start = lo;
        m->memory_limit = hi;
        m->file_offset = off;
        m->filename = str_id(&e->st, p);
        m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = 1;
        VEC_PUSH(e->map, e->nmap, e->capmap, m);
    }
    fclose(f);
    return 0;
oom:
    fclose(f);
    return -1;
}

static Dwfl *dwfl_open_self(void)
{
    static char *debuginfo_path = NULL;
    static const Dwfl_Callbacks cb = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .debuginfo_path = &debuginfo_path,
    };
    Dwfl *d = dwfl_begin(&cb);
    if (!d)
        return NULL;
    dwfl_report_begin(d);
    if (dwfl_linux_proc_report(d, getpid()) != 0 || dwfl_report_end(d, NULL, NULL) != 0) {
        dwfl_end(d);
        return NULL;
    }
    return d;
}

static int gzip_bytes(const unsigned char *in, size_t n, unsigned char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = z.total_out;
    return 0;
}

static void enc_free(enc_t *e, PbSample **samples, size_t nsamples)
{
    for (size_t i = 0; i < nsamples; i++) {
        if (!samples[i])
            continue;
        free(samples[i]->location_id);
        free(samples[i]->value);
        for (size_t k = 0; k < samples[i]->n_label; k++)
            free(samples[i]->label[k]);
        free(samples[i]->label);
        free(samples[i]);
    }
    free(samples);
    for (size_t i = 0; i < e->nloc; i++) {
        for (size_t k = 0; k < e->loc[i]->n_line; k++)
            free(e->loc[i]->line[k]);
        free(e->loc[i]->line);
        free(e->loc[i]);
    }
    free(e->loc);
    free(e->loc_pc);
    free(e->loc_index.slot);
    free(e->loc_skip);
    for (size_t i = 0; i < e->nfn; i++)
        free(e->fn[i]);
    free(e->fn);
    free(e->fn_key);
    free(e->fn_index.slot);
    for (size_t i = 0; i < e->nmap; i++)
        free(e->map[i]);
    free(e->map);
    for (size_t i = 0; i < e->st.n; i++)
        free(e->st.s[i]);
    free(e->st.s);
    free(e->st.slot);
    if (e->dwfl)
        dwfl_end(e->dwfl);
}

/* One sample of bucket b, or NULL (no sampled allocation, or OOM: *oom set). */
static PbSample *bucket_sample(enc_t *e, const heap_snapshot_t *s, const heap_bucket_t *b,
                               int64_t bytes_key, bool *oom)
{
    PbSample *x = calloc(1, sizeof *x);
    if (!x)
        goto fail;
    perftools__profiles__sample__init(x);
    x->value = calloc(4, sizeof *x->value);
    x->location_id = calloc(b->depth ? b->depth : 1, sizeof *x->location_id);
    x->label = calloc(1, sizeof *x->label);
    PbLabel *lab = malloc(sizeof *lab);
    if (!x->value || !x->location_id || !x->label || !lab) {
        free(lab);
        goto fail;
    }
    bool top = true;
    for (uint32_t k = 0; k < b->depth; k++) {
        bool skip = false;
        uint64_t id = loc_id(e, b->pc[k], &skip);
        if (!id) {
            free(lab);
            goto fail;
        }
        if (top && skip)
            continue;            /* allocation machinery above the allocation site */
        top = false;
        x->location_id[x->n_location_id++] = id;
    }
    uint64_t live = b->allocs >= b->frees ? b->allocs - b->frees : 0;
    x->n_value = 4;
    pprof_scale_heap_sample(b->allocs, b->allocs * b->size_bytes, s->rate_bytes,
                            &x->value[0], &x->value[1]);
    pprof_scale_heap_sample(live, live * b->size_bytes, s->rate_bytes, &x->value[2],
                            &x->value[3]);
    perftools__profiles__label__init(lab);
    lab->key = bytes_key;          /* Go's "bytes" label: the block size */
    lab->num = (int64_t)b->size_bytes;
    x->label[0] = lab;
    x->n_label = 1;
    return x;
fail:
    *oom = true;
    if (x) {
        free(x->value);
        free(x->location_id);
        free(x->label);
        free(x);
    }
    return NULL;
}

int pprof_heap_encode(const heap_snapshot_t *s, bool allocs_default, const char *comment,
                      unsigned char **gz, size_t *gz_len)
{
    enc_t e;
    memset(&e, 0, sizeof e);
    e.skip_machinery = true;
    PbSample **samples = NULL;
    size_t nsamples = 0;
    unsigned char *raw = NULL;
    int rc = -1;
    if (str_id(&e.st, "") != 0)
        goto done;
    int64_t t_ao = str_id(&e.st, "alloc_objects"), t_count = str_id(&e.st, "count"),
            t_as = str_id(&e.st, "alloc_space"), t_bytes = str_id(&e.st, "bytes"),
            t_io = str_id(&e.st, "inuse_objects"), t_is = str_id(&e.st, "inuse_space"),
            t_space = str_id(&e.st, "space"),
            t_comment = str_id(&e.st, comment ? comment : "");
    if (read_mappings(&e) != 0)
        goto done;
    e.dwfl = dwfl_open_self();
    samples = calloc(s->n ? s->n : 1, sizeof *samples);
    if (!samples)
        goto done;
    bool oom = false;
    for (size_t i = 0; i < s->n && !oom; i++) {
        if (s->b[i].allocs == 0)
            continue;
        PbSample *x = bucket_sample(&e, s, &s->b[i], t_bytes, &oom);
        if (x)
            samples[nsamples++] = x;
    }
    if (oom)
        goto done;

    PbValueType vt[4], period;
    PbValueType *vtp[4] = {&vt[0], &vt[1], &vt[2], &vt[3]};
    int64_t types[4][2] = {{t_ao, t_count}, {t_as, t_bytes}, {t_io, t_count}, {t_is, t_bytes}};
    for (int i = 0; i < 4; i++) {
        perftools__profiles__value_type__init(&vt[i]);
        vt[i].type = types[i][0];
        vt[i].unit = types[i][1];
    }
    perftools__profiles__value_type__init(&period);
    period.type = t_space;
    period.unit = t_bytes;

    PbProfile p;
    perftools__profiles__profile__init(&p);
    p.n_sample_type = 4;
    p.sample_type = vtp;
    p.n_sample = nsamples;
    p.sample = samples;
    p.n_mapping = e.nmap;
    p.mapping = e.map;
    p.n_location = e.nloc;
    p.location = e.loc;
    p.n_function = e.nfn;
    p.function = e.fn;
    p.n_string_table = e.st.n;
    p.string_table = e.st.s;
    p.period_type = &period;
    p.period = (int64_t)s->rate_bytes;
    p.time_nanos = (int64_t)s->window_start_ns;
    p.duration_nanos = (int64_t)s->window_ns;
    if (comment && *comment) {
        p.n_comment = 1;
        p.comment = &t_comment;
    }
    if (allocs_default)
        p.default_sample_type = t_as;
    size_t n = perftools__profiles__profile__get_packed_size(&p);
    raw = malloc(n ? n : 1);
    if (!raw)
        goto done;
    perftools__profiles__profile__pack(&p, raw);
    rc = gzip_bytes(raw, n, gz, gz_len);
done:
    free(raw);
    enc_free(&e, samples, nsamples);
    return rc;
}

/* ---- CPU profiles -------------------------------------------------------------------
 * gperftools' legacy CPU profile (words of the machine's size: header 0, 3, 0,
 * period_us, 0; records count, depth, pc[depth] with the interrupted pc first; trailer
 * 0, 1, 0; then the process's maps as text) re-encoded as a symbolized pprof profile
 * (sample types samples/count and cpu/nanoseconds, period cpu/nanoseconds, as Go's), so
 * that `go tool pprof FILE` reads it without the binary: Go's own pprof does not
 * symbolize C binaries from their DWARF. Must run in the profiled process (the same
 * address space). */
int pprof_cpu_encode(const char *legacy_path, int64_t duration_ns, const char *comment,
                     unsigned char **gz, size_t *gz_len)
{
    FILE *f = fopen(legacy_path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, nw = 0;
    uintptr_t *w = malloc(cap * sizeof *w);
    while (w) {
        if (nw == cap) {
            uintptr_t *nwp = realloc(w, cap * 2 * sizeof *w);
            if (!nwp) {
                free(w);
                w = NULL;
                break;
            }
            w = nwp;
            cap *= 2;
        }
        size_t got = fread(w + nw, sizeof *w, cap - nw, f);
        nw += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (!w || nw < 5 || w[0] != 0 || w[1] != 3) {
        free(w);
        return -1;
    }
    uint64_t period_ns = (uint64_t)w[3] * 1000u;
    enc_t e;
    memset(&e, 0, sizeof e);
    PbSample **samples = NULL;
    size_t nsamples = 0, capsamples = 0;
    unsigned char *raw = NULL;
    int rc = -1;
    if (str_id(&e.st, "") != 0)
        goto done;
    int64_t t_samples = str_id(&e.st, "samples"), t_count = str_id(&e.st, "count"),
            t_cpu = str_id(&e.st, "cpu"), t_ns = str_id(&e.st, "nanoseconds"),
            t_comment = str_id(&e.st, comment ? comment : "");
    if (read_mappings(&e) != 0)
        goto done;
    e.dwfl = dwfl_open_self();
    for (size_t i = 5; i + 2 <= nw;) {
        uintptr_t count = w[i], depth = w[i + 1];
        if (count == 0 && depth == 1)   /* trailer */
            break;
        if (i + 2 + depth > nw)
            break;
        PbSample *x = calloc(1, sizeof *x);
        if (!x)
            goto done;
        perftools__profiles__sample__init(x);
        VEC_PUSH(samples, nsamples, capsamples, x);
        x->value = calloc(2, sizeof *x->value);
        x->location_id = calloc(depth ? depth : 1, sizeof *x->location_id);
        if (!x->value || !x->location_id)
            goto done;
        x->n_value = 2;
        x->value[0] = (int64_t)count;
        x->value[1] = (int64_t)(count * period_ns);
        for (uintptr_t k = 0; k < depth; k++) {
            bool skip = false;
            e.leaf_exact = k == 0;
            uint64_t id = loc_id(&e, w[i + 2 + k], &skip);
            if (!id)
                goto done;
            x->location_id[x->n_location_id++] = id;
        }
        i += 2 + depth;
    }
    PbValueType vt[2], period;
    PbValueType *vtp[2] = {&vt[0], &vt[1]};
    perftools__profiles__value_type__init(&vt[0]);
    perftools__profiles__value_type__init(&vt[1]);
    perftools__profiles__value_type__init(&period);
    vt[0].type = t_samples;
    vt[0].unit = t_count;
    vt[1].type = period.type = t_cpu;
    vt[1].unit = period.unit = t_ns;
    PbProfile p;
    perftools__profiles__profile__init(&p);
    p.n_sample_type = 2;
    p.sample_type = vtp;
    p.n_sample = nsamples;
    p.sample = samples;
    p.n_mapping = e.nmap;
    p.mapping = e.map;
    p.n_location = e.nloc;
    p.location = e.loc;
    p.n_function = e.nfn;
    p.function = e.fn;
    p.n_string_table = e.st.n;
    p.string_table = e.st.s;
    p.period_type = &period;
    p.period = (int64_t)period_ns;
    p.duration_nanos = duration_ns;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    p.time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - duration_ns;
    if (comment && *comment) {
        p.n_comment = 1;
        p.comment = &t_comment;
    }
    size_t n = perftools__profiles__profile__get_packed_size(&p);
    raw = malloc(n ? n : 1);
    if (!raw)
        goto done;
    perftools__profiles__profile__pack(&p, raw);
    rc = gzip_bytes(raw, n, gz, gz_len);
done:
oom:
    free(raw);
    free(w);
    enc_free(&e, samples, nsamples);
    return rc;
}
