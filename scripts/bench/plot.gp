# scripts/bench/plot.gp - rate against frame size for each switch (median Mpps), from the
# plot.dat that summary.py writes (first line "# size SWITCH..."; ncols = its columns):
#   gnuplot -e "datafile='..'; outfile='..'; topo='v2v'; ncols=4" plot.gp
set terminal pngcairo size 900,560 noenhanced
set output outfile
set title sprintf("%s: forwarded Mpps (median over repetitions) vs frame size", topo)
set xlabel "frame size (bytes)"
set ylabel "Mpps"
set logscale x 2
set grid
set key top right
set yrange [0:*]
header = system("head -n 1 " . datafile)
plot for [i=2:ncols] datafile using 1:i with linespoints lw 2 pt 7 title word(header, i + 1)
