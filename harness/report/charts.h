/* charts.h: the comparison charts of a report (gnuplot, PNG and SVG).
 *
 * charts_write() groups the journal's ok samples into arms (scenario x variant x backend
 * x policy), computes per arm the median and the distribution-free 95 % CI of the median
 * (pb_stats; no interval when n < 6: the bar then has none), and for the ratio chart the
 * ratio of medians to the glibc/none arm of the same scenario and variant with a seeded
 * bootstrap 95 % CI. It writes tab-separated data files and one gnuplot variable file per
 * chart to DIR/charts/data/ and runs `gnuplot scripts/charts/NAME.gp`, which writes
 * DIR/charts/NAME.png (pngcairo) and DIR/charts/NAME.svg.
 *
 * Charts (CHARTS_*): time per scenario x backend x policy with CI error bars; ratio to
 * glibc/none on a log scale with the +-equivalence band and the keep threshold; peak
 * memory (peak_live_bytes, max_rss_bytes); allocator pressure (alloc calls per op, cleanup
 * cycles); thread scaling (scenarios sweeping threads: time vs threads); buffer-size sweep
 * (scenarios sweeping hash_size / tar_size / string_size: time vs buffer size).
 * Small multiples: one panel per scenario (and variant), backends on the x axis, one
 * colour (Okabe-Ito palette) and marker per policy, one legend per chart.
 *
 * Guarantees: a missing or failing gnuplot is never fatal: that chart's status is
 * CHARTS_FAILED with a message naming the chart and quoting gnuplot's own error; a chart
 * without data (e.g. no scenario sweeps threads) is CHARTS_NO_DATA with the reason.
 * Never prints, never exits; gnuplot's stderr goes to DIR/charts/data/NAME.log.
 */
#ifndef PB_CHARTS_H
#define PB_CHARTS_H

#include <stddef.h>
#include <stdint.h>
#include "journal.h"

typedef enum charts_id {
    CHARTS_TIME, CHARTS_RATIO, CHARTS_MEMORY, CHARTS_PRESSURE, CHARTS_SCALING, CHARTS_SIZES,
    CHARTS_COUNT
} charts_id_t;

typedef enum charts_status { CHARTS_OK, CHARTS_NO_DATA, CHARTS_FAILED } charts_status_t;

#define CHARTS_MSG_BYTES 768
#define CHARTS_PATH_BYTES 4096

typedef struct charts_result {
    const char *name;              /* file stem: "time", "ratio", ...            */
    const char *title;             /* what the chart shows, for the report      */
    charts_status_t status;
    char png[CHARTS_PATH_BYTES];   /* relative to DIR: "charts/time.png"         */
    char svg[CHARTS_PATH_BYTES];
    char message[CHARTS_MSG_BYTES];/* NO_DATA: why; FAILED: what and gnuplot's words */
} charts_result_t;

typedef struct charts_options {
    const char *scripts_dir;       /* NULL: $POOLBENCH_CHARTS_DIR, else the source tree's scripts/charts */
    const char *gnuplot;           /* NULL: $POOLBENCH_GNUPLOT, else "gnuplot" on PATH */
    double equivalence_margin;     /* the +- band, e.g. 0.10                      */
    double keep_time_ratio;        /* keep threshold as a time ratio, e.g. 1/1.15  */
    uint64_t bootstrap_seed;       /* ratio CIs                                    */
    double gnuplot_timeout_s;      /* per chart; <= 0: 120 s                        */
} charts_options_t;

/* Default options (margin 0.10, keep ratio 1/1.15, seed 1, timeout 120 s). */
void charts_default_options(charts_options_t *o);

/* Writes every chart of j into dir/charts. results[i] describes chart i. Returns 0 (even
 * when charts failed: see results), -1 when dir/charts cannot be created or on out of
 * memory (err says which). */
int charts_write(const journal_t *j, const char *dir, const charts_options_t *opt,
                 charts_result_t results[CHARTS_COUNT], char *err, size_t err_cap);

/* Name and title of chart id. */
const char *charts_name(charts_id_t id);
const char *charts_title(charts_id_t id);

#endif
