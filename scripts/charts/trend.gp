# trend.gp: the nightly trend chart of `poolbench history --chart OUT`.
# Expects the variables of OUT.vars.gp (written by harness/nightly/history.c): datafile, outbase,
# nseries, ncols, nrows, width, height, thr_pct, metric, stitle[]. The data file has one
# block per series (blocks separated by two blank lines), columns:
#   idx "MM-DD commit" median ci_lo ci_hi band_lo band_hi
# One panel per series: the median of each night's run with its 95 % CI (error bars),
# and the shaded band from the previous night's median up to +thr_pct % (the gate fails
# only when a night's whole CI lies above it). Only reads data; writes outbase.png/svg.

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size width,height font 'DejaVu Sans,10' noenhanced background rgb 'white'
    } else {
        set terminal svg size width,height font 'DejaVu Sans,10' noenhanced background rgb 'white'
    }
    set output outbase.'.'.fmt
    set multiplot layout nrows,ncols title sprintf("nightly trend of %s (median, 95 %% CI; band: previous night +%.0f %%)", metric, thr_pct) font ',13'
    set grid ytics lc rgb "#dddddd"
    set border 3 lc rgb "#444444"
    set tics nomirror
    set xtics rotate by -30 font ',8'
    set key top left font ',9' box lc rgb '#bbbbbb'
    set xlabel "night (MM-DD) and commit"
    set ylabel metric
    set autoscale y
    set offsets 0.5, 0.5, graph 0.08, graph 0.08
    do for [i=1:nseries] {
        set title stitle[i] font ',11'
        plot datafile index (i-1) using 1:6:7 with filledcurves fc rgb '#d9ead3' fs solid 0.8 noborder title sprintf('gate band (+%.0f %%)', thr_pct), \
             '' index (i-1) using 1:3:4:5:xtic(2) with yerrorlines lc rgb '#0072B2' pt 7 ps 1 lw 1.5 title 'median, 95 % CI'
    }
    unset multiplot
    set output
}
