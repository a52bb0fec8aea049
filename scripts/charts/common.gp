# common.gp: shared settings for the poolbench chart scripts (loaded by each NAME.gp).
# Expects the variables of NAME.vars.gp (written by harness/report/charts.c): width, height,
# npanels, ncols, nrows, npol, polname[], ptitle[], pylabel[], pfile[], chart_title,
# chart_note, outbase, top_margin, bottom_margin. Only reads data; writes outbase.png/svg.

# Okabe-Ito palette (colour-blind safe), yellow last because it is faint on white
array palette[8] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
pal(k) = palette[(k - 1) % 8 + 1]
# one marker per series as well, so lines stay distinguishable in greyscale
array markers[8] = [7, 5, 9, 11, 13, 15, 4, 6]
mk(k) = markers[(k - 1) % 8 + 1]

# terminal for one output format ("png" or "svg")
term_png = sprintf("set terminal pngcairo size %d,%d font 'DejaVu Sans,10' noenhanced background rgb 'white'", width, height)
term_svg = sprintf("set terminal svg size %d,%d font 'DejaVu Sans,10' noenhanced background rgb 'white'", width, height)

# the legend, once per chart, centred under the title
key_cmd = sprintf("set key at screen 0.5, screen %.4f center top horizontal maxcols 12 maxrows 1 samplen 2.5 width 2 font ',11' box lc rgb '#bbbbbb' title 'pool policy:' ", 1 - 45.0 / height)
note_cmd = "set label 99 chart_note at screen 0.5, screen 0.012 center font ',10' textcolor rgb '#444444'"
layout_cmd = sprintf("set multiplot layout %d,%d title chart_title font ',14' margins 0.06,0.985,%.4f,%.4f spacing 0.06,%.4f", nrows, ncols, bottom_margin, top_margin, 110.0 / height)

set grid ytics lc rgb "#dddddd" lw 1
set border 3 lc rgb "#444444"
set tics nomirror
set xtics scale 0
