# sizes.gp: buffer-size sweep (hash_size / tar_size / string_size: 32K, 64K, 1M...). One panel
# per scenario (and other swept values) x backend; x = pool buffer size (log scale).
load scriptdir.'/common.gp'
do for [fmt in "png svg"] {
    eval (fmt eq "png" ? term_png : term_svg)
    set output outbase.'.'.fmt
    eval layout_cmd
    set logscale x 2
    set offsets graph 0.05, graph 0.05, 0, 0
    set yrange [0:*]
    set xlabel "pool buffer size (bytes, log scale)"
    do for [i=1:npanels] {
        set title ptitle[i] font ",11"
        set ylabel pylabel[i]
        if (i == 1) { eval key_cmd; eval note_cmd } else { unset key; unset label 99 }
        # the legend: empty plots of the series in use, in the first panel only
        if (i == 1) {
            plot for [s in pser[i]] pfile[i] using 1:(column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)):xtic(2) \
                     with yerrorlines lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 lw 1.5 notitle, \
                 for [s in legend_ser] NaN with linespoints lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 lw 1.5 title polname[int(s)]
        } else {
            plot for [s in pser[i]] pfile[i] using 1:(column(3*int(s))):(column(3*int(s)+1)):(column(3*int(s)+2)):xtic(2) \
                     with yerrorlines lc rgb pal(int(s)) pt mk(int(s)) ps 1.1 lw 1.5 notitle
        }
    }
    unset multiplot
    set output
}
