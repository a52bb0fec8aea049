# time.gp: time per op with 95 % CI error bars, one panel per scenario (and variant),
# backends on the x axis, one bar colour per pool policy. Run by harness/report/charts.c:
#   gnuplot -e "load 'DIR/charts/data/time.vars.gp'" scripts/charts/time.gp
load scriptdir.'/common.gp'
do for [fmt in "png svg"] {
    eval (fmt eq "png" ? term_png : term_svg)
    set output outbase.'.'.fmt
    eval layout_cmd
    set style data histograms
    set style histogram errorbars gap 2 lw 1
    set style fill solid 0.9 border rgb "#333333"
    set yrange [0:*]
    set xlabel "allocator backend"
    do for [i=1:npanels] {
        set title ptitle[i] font ",11"
        set ylabel pylabel[i]
        if (i == 1) { eval key_cmd; eval note_cmd } else { unset key; unset label 99 }
        # series without data in this panel are left out (pser); colours follow the policy
        # the legend: empty plots of the series in use, in the first panel only
        if (i == 1) {
            plot for [s in pser[i]] pfile[i] using (column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)):xtic(2) \
                     lc rgb pal(int(s)) notitle, \
                 for [s in legend_ser] NaN with boxes fs solid 0.9 lc rgb pal(int(s)) title polname[int(s)]
        } else {
            plot for [s in pser[i]] pfile[i] using (column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)):xtic(2) \
                     lc rgb pal(int(s)) notitle
        }
    }
    unset multiplot
    set output
}
