# ratio.gp: time of each arm divided by the glibc/none arm of the same scenario and variant
# (ratio of medians, bootstrap 95 % CI), log scale. Grey band: +-band (no difference);
# dashed green line: the keep threshold (a time ratio, 1 / (1 + speed-up)). Below 1 = faster.
load scriptdir.'/common.gp'
do for [fmt in "png svg"] {
    eval (fmt eq "png" ? term_png : term_svg)
    set output outbase.'.'.fmt
    eval layout_cmd
    set logscale y 10
    set yrange [ymin:ymax]
    set ytics ("0.25" 0.25, "0.5" 0.5, "0.67" 0.6667, "0.8" 0.8, "1" 1, "1.25" 1.25, "1.5" 1.5, \
               "2" 2, "4" 4, "8" 8)
    set mytics 1
    set offsets 0.5, 0.5, 0, 0
    set object 1 rect from graph 0, first (1 - band) to graph 1, first (1 + band) behind \
        fc rgb "#e6e6e6" fs solid 1.0 noborder
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#777777" lw 1 back
    set arrow 2 from graph 0, first keep to graph 1, first keep nohead lc rgb "#1b7837" lw 1.5 dt 2 front
    set label 2 sprintf("keep: ratio < %.3f (%.0f %% faster)", keep, (1 / keep - 1) * 100) at graph 0.01, first keep \
        offset 0, -0.8 left font ",9" textcolor rgb "#1b7837" front
    set xlabel "allocator backend"
    w = 0.8 / npol
    do for [i=1:npanels] {
        set title ptitle[i] font ",11"
        set ylabel pylabel[i]
        if (i == 1) { eval key_cmd; eval note_cmd } else { unset key; unset label 99 }
        # the legend: empty plots of the series in use, in the first panel only
        if (i == 1) {
            plot pfile[i] using 1:(1):xtic(2) with points ps 0 notitle, \
                 for [s in pser[i]] pfile[i] using ($1 + (int(s) - (npol + 1) / 2.0) * w):(column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)) \
                     with yerrorbars lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 lw 1.5 notitle, \
                 for [s in legend_ser] NaN with points lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 title polname[int(s)]
        } else {
            plot pfile[i] using 1:(1):xtic(2) with points ps 0 notitle, \
                 for [s in pser[i]] pfile[i] using ($1 + (int(s) - (npol + 1) / 2.0) * w):(column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)) \
                     with yerrorbars lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 lw 1.5 notitle
        }
    }
    unset multiplot
    set output
}
