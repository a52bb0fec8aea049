/* export_csv.c: the tidy samples table (export_csv.h). Reads the journal only; never
 * prints to the terminal, never exits. Column order is fixed by export_csv.h. */
#include "export_csv.h"

#include <string.h>

int export_csv_field(FILE *out, const char *s)
{
    if (!s)
        return 0;
    if (strpbrk(s, ",\"\r\n") == NULL)
        return fputs(s, out) < 0 ? -1 : 0;
    if (fputc('"', out) == EOF)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && fputc('"', out) == EOF)
            return -1;
        if (fputc(*p, out) == EOF)
            return -1;
    }
    return fputc('"', out) == EOF ? -1 : 0;
}

static const char *const id_columns[EXPORT_CSV_ID_COLUMNS] = {
    "scenario", "workload", "backend", "policy", "variant", "rep", "status", "source", "result"
};

static int write_header(FILE *out)
{
    for (int i = 0; i < EXPORT_CSV_ID_COLUMNS; i++)
        if (fprintf(out, "%s%s", i ? "," : "", id_columns[i]) < 0)
            return -1;
#define CSV_HEAD(name, kind, desc) if (fputs("," #name, out) < 0) return -1;
    PB_METRICS(CSV_HEAD)
#undef CSV_HEAD
    return fputs("\r\n", out) < 0 ? -1 : 0;
}

static int write_row(json_object *cell, FILE *out)
{
    char rep[32];
    long long r = journal_int(cell, "rep", -1);
    if (r >= 0)
        snprintf(rep, sizeof rep, "%lld", r);
    else
        rep[0] = '\0';
    const char *vals[EXPORT_CSV_ID_COLUMNS] = {
        journal_str(cell, "scenario"), journal_str(cell, "workload"),
        journal_str(cell, "backend"),  journal_str(cell, "policy"),
        journal_str(cell, "variant"),  rep,
        journal_str(cell, "status"),   journal_str(cell, "source"),
        journal_str(cell, "result"),
    };
    for (int i = 0; i < EXPORT_CSV_ID_COLUMNS; i++) {
        if (i && fputc(',', out) == EOF)
            return -1;
        if (export_csv_field(out, vals[i]) < 0)
            return -1;
    }
    pb_metrics_t m;
    journal_present_t present;
    memset(&m, 0, sizeof m);
    memset(&present, 0, sizeof present);
    json_object *metrics = NULL;
    if (json_object_object_get_ex(cell, "metrics", &metrics) &&
        json_object_is_type(metrics, json_type_object))
        journal_metrics_get(metrics, &m, &present);
#define CSV_VAL(name, kind, desc) \
    if (present.name ? fprintf(out, ",%llu", (unsigned long long)m.name) < 0 \
                     : fputc(',', out) == EOF) \
        return -1;
    PB_METRICS(CSV_VAL)
#undef CSV_VAL
    return fputs("\r\n", out) < 0 ? -1 : 0;
}

long export_csv_write(const journal_t *j, FILE *out)
{
    if (write_header(out) < 0)
        return -1;
    long rows = 0;
    for (size_t i = 0; i < j->n_cells; i++) {
        if (write_row(j->cells[i], out) < 0)
            return -1;
        rows++;
    }
    return fflush(out) == 0 ? rows : -1;
}
