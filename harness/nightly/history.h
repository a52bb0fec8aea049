/* history.h: the nightly history, an embedded SQLite database (default
 * results/history.sqlite), and the `poolbench history` command.
 *
 * What it is for: one row per cell result of every recorded run (commit, date, scenario,
 * backend, policy, variant, every PB_METRICS value), so the trend of a workload can be
 * printed and drawn (median and CI per night and commit, ratio to the first and to the
 * previous night, the gate's +max_regression band).
 *
 * Guarantees: the schema is versioned (PRAGMA user_version = HISTORY_SCHEMA_VERSION,
 * PRAGMA application_id = HISTORY_APPLICATION_ID); a run is recorded in one transaction
 * (all its rows or none). A file that is not SQLite, is corrupt, belongs to another
 * application or has a newer schema is refused with HISTORY_EBADFILE and a message
 * naming it, and is never modified: it is checked through a read-only connection before
 * anything is written. Library part: never exits, and prints only on the streams
 * history_trend is given.
 */
#ifndef PB_HISTORY_H
#define PB_HISTORY_H

#include <stdint.h>
#include <stdio.h>
#include "journal.h"

#define HISTORY_SCHEMA_VERSION 1
#define HISTORY_APPLICATION_ID 0x50424831   /* "PBH1" */
#define HISTORY_DEFAULT_DB "results/history.sqlite"
#define HISTORY_ERR_BYTES 1024

enum { HISTORY_OK = 0, HISTORY_EBADFILE = -1, HISTORY_EIO = -2 };

typedef struct history history_t;

/* Opens (create != 0: creates when missing) and checks a history database.
 * Returns HISTORY_OK, HISTORY_EBADFILE (not ours / corrupt / newer schema / missing when
 * !create; err says which) or HISTORY_EIO (cannot open or initialise; err). */
int history_open(const char *path, int create, history_t **out, char err[HISTORY_ERR_BYTES]);

/* Records every cell of a journal (one transaction): run_id groups one gate/night run,
 * role is "baseline"/"candidate"/..., commit the measured commit, unix_s the run's time.
 * Returns 0 or HISTORY_EIO (err; nothing of this call is kept). */
int history_record(history_t *h, const journal_t *j, const char *run_id, const char *role,
                   const char *commit, int64_t unix_s, char err[HISTORY_ERR_BYTES]);

/* Number of result rows (tests). -1 on error. */
long long history_count(history_t *h);

void history_close(history_t *h);

/* What `poolbench history` shows (history_trend_default_options gives the defaults). */
typedef struct history_trend_options {
    const char *db;            /* the database (HISTORY_DEFAULT_DB)                    */
    const char *scenario;      /* NULL = every scenario                                 */
    const char *backend;       /* NULL = every backend                                  */
    const char *policy;        /* NULL = every policy                                   */
    const char *metric;        /* a PB_METRICS name (ns_per_op)                         */
    const char *role;          /* which side of each gate run (candidate)               */
    const char *chart;         /* OUT: draws OUT.png and OUT.svg; NULL = no chart       */
    const char *thresholds;    /* for the band; NULL = scenarios/thresholds.ini if any  */
    const char *scripts_dir;   /* the folder of trend.gp (scripts/charts)               */
} history_trend_options_t;

void history_trend_default_options(history_trend_options_t *o);

/* The trend of every series (scenario x backend x policy x variant) of the database,
 * read-only: per run the number of ok samples, the median with its 95 % CI and the
 * ratios to the first and previous run, printed on out (messages on errf); the chart
 * when asked. Returns the command's exit code: 0, 2 (bad metric, thresholds or
 * database), 3 (out of memory, chart not drawn). */
int history_trend(const history_trend_options_t *o, FILE *out, FILE *errf);

/* `poolbench history [--db FILE] [--scenario S] [--backend B] [--policy P] [--metric M]
 * [--role R] [--chart OUT] [--thresholds FILE]` (harness/cli/cmd_history.c: parses its
 * arguments, then history_trend). Exit 0, 2 (bad input or database), 3 (harness error). */

#endif
