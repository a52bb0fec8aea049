/* image_tag.c: the image_tag kernel (Go ImageURI / the seed's BuildKey):
 * image ":" tag into a new NUL-terminated string that the caller frees with free().
 *
 * The two paths differ in code, as in Go, so the kernel asks the pool which one to run
 * (bufpool_config(bp)->pooled[BUFPOOL_STRING]):
 *   - pooled: take a `string` builder, append image, ":" and tag to it (growing it with
 *     bufpool_grow, geometric like Go's strings.Builder), copy the result out into a
 *     fresh exact-size allocation, put the builder back (the pool drops a builder that
 *     grew past its keep limit);
 *   - unpooled: allocate the exact size and build in place (Go's string concatenation).
 * Must not: print, exit, time, or return a string that shares memory with the builder.
 */
#include "kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Appends n bytes to the builder, growing it when needed; *b may move. */
static pb_err_t image_tag_append(bufpool_t *bp, bufpool_buf_t **b, const char *src,
                                 size_t n_bytes)
{
    bufpool_buf_t *buf = *b;
    if (n_bytes > SIZE_MAX - buf->len_bytes)
        return PB_ERR_NOMEM;
    size_t need = buf->len_bytes + n_bytes;
    if (need > buf->cap_bytes) {
        buf = bufpool_grow(bp, buf, need);
        if (!buf)
            return PB_ERR_NOMEM;
        *b = buf;
    }
    memcpy(buf->data + buf->len_bytes, src, n_bytes);
    buf->len_bytes = need;
    return PB_OK;
}

static pb_err_t image_tag_pooled(bufpool_t *bp, const char *image, size_t image_len,
                                 const char *tag, size_t tag_len, char **out)
{
    bufpool_buf_t *b = bufpool_get(bp, BUFPOOL_STRING);
    if (!b)
        return PB_ERR_NOMEM;
    b->len_bytes = 0;
    pb_err_t err = image_tag_append(bp, &b, image, image_len);
    if (err == PB_OK)
        err = image_tag_append(bp, &b, ":", 1);
    if (err == PB_OK)
        err = image_tag_append(bp, &b, tag, tag_len);
    if (err == PB_OK) {
        char *s = malloc(b->len_bytes + 1);
        if (s) {
            memcpy(s, b->data, b->len_bytes);
            s[b->len_bytes] = '\0';
            *out = s;
        } else {
            err = PB_ERR_NOMEM;
        }
    }
    b->len_bytes = 0;
    bufpool_put(bp, b);
    return err;
}

static pb_err_t image_tag_direct(const char *image, size_t image_len, const char *tag,
                                 size_t tag_len, char **out)
{
    char *s = malloc(image_len + 1 + tag_len + 1);
    if (!s)
        return PB_ERR_NOMEM;
    memcpy(s, image, image_len);
    s[image_len] = ':';
    memcpy(s + image_len + 1, tag, tag_len);
    s[image_len + 1 + tag_len] = '\0';
    *out = s;
    return PB_OK;
}

pb_err_t image_tag_build(bufpool_t *bp, const char *image, const char *tag, char **out)
{
    if (!bp || !image || !tag || !out)
        return PB_ERR_INPUT;
    *out = NULL;
    size_t image_len = strlen(image), tag_len = strlen(tag);
    if (image_len > SIZE_MAX / 2 - 2 || tag_len > SIZE_MAX / 2 - 2)
        return PB_ERR_NOMEM;
    if (bufpool_config(bp)->pooled[BUFPOOL_STRING])
        return image_tag_pooled(bp, image, image_len, tag, tag_len, out);
    return image_tag_direct(image, image_len, tag, tag_len, out);
}
