/* scenario_lines.c: the line scanner run over a scenario or matrix file before libinih
 * parses it (scenario_lines.h).
 *
 * For: what libinih cannot report: invalid UTF-8, control bytes, over-long lines, a file
 * without keys, and the line numbers of section headers and override keys (libinih's
 * handler is built without INI_HANDLER_LINENO here).
 * Guarantees: the first problem gives one message "FILE:LINE: what is wrong".
 * Must not: interpret keys or values (scenario.c does), print, exit, create files.
 */
#include "scenario_lines.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario_keys.h"

/* Returns the length of a valid UTF-8 sequence at p (max n bytes), or 0. */
static size_t scenario_lines_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int scenario_lines_check(const char *path, scenario_lines_section_t *secs, size_t max_secs,
                         size_t *n_secs, int *n_lines, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = 1, has_content = 0;
    size_t ns = 0;
    char buf[1024];
    size_t len = 0;
    int c, rc = 0;
    int eof = 0;
    while (!eof) {
        c = fgetc(f);
        if (c == EOF)
            eof = 1;
        if (c != '\n' && c != EOF) {
            if (len < sizeof buf - 1)
                buf[len] = (char)c;
            len++;
            continue;
        }
        if (eof && len == 0)
            break;
        if (len >= 199) {
            snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: line is too long (%zu bytes; at most 198)",
                     path, line, len);
            rc = -1;
            break;
        }
        buf[len] = '\0';
        const unsigned char *p = (const unsigned char *)buf;
        size_t i = 0;
        if (line == 1 && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
            i = 3;
        for (; i < len;) {
            if (p[i] == 0 || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') || p[i] == 0x7F) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: control byte 0x%02x at column %zu",
                         path, line, p[i], i + 1);
                rc = -1;
                break;
            }
            size_t l = scenario_lines_utf8_len(p + i, len - i);
            if (l == 0) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: invalid UTF-8 at column %zu", path,
                         line, i + 1);
                rc = -1;
                break;
            }
            i += l;
        }
        if (rc)
            break;
        char *s = buf;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e && ns < max_secs) {
                size_t nl = (size_t)(e - s - 1);
                if (nl >= SCENARIO_NAME_BYTES)
                    nl = SCENARIO_NAME_BYTES - 1;
                memcpy(secs[ns].name, s + 1, nl);
                secs[ns].name[nl] = '\0';
                scenario_trim(secs[ns].name);
                secs[ns].line = line;
                ns++;
            } else if (e) {
                snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: too many sections", path, line);
                rc = -1;
                break;
            }
        }
        if (*s && *s != ';' && *s != '#' && *s != '[')
            has_content = 1;
        len = 0;
        line++;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:%d: read error", path, line);
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && !has_content) {
        snprintf(err, SCENARIO_ERR_BYTES, "%s:1: empty file (no keys): %s", path,
                 ns ? "sections without keys" : "nothing but comments or blank lines");
        rc = -1;
    }
    *n_secs = ns;
    *n_lines = line - 1;
    return rc;
}

int scenario_lines_key_line(const char *path, int sec_line, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sec_line;
    char buf[256];
    int line = 0, found = sec_line;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (line <= sec_line)
            continue;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '[')
            break;
        size_t kl = strlen(key);
        if (strncmp(s, key, kl) == 0 && (s[kl] == ' ' || s[kl] == '=' || s[kl] == '\t')) {
            found = line;
        }
    }
    fclose(f);
    return found;
}
