# scripts/bench/plot.gp - the picture of a scripts/bench.sh run, from the .dat files summary.py
# writes into dir: Mpps per frame size (IMIX included) per switch; latency percentiles at load;
# the rules x flows matrix. A panel whose file has no data rows is left out.
#   gnuplot -e "dir='..'; outfile='..'; topo='v2v'; pcts='10 50 90 %'; base='NDR'" plot.gp
rows(f) = int(system("tail -n +2 " . f . " 2>/dev/null | grep -c ."))
cols(f) = int(system("head -n 1 " . f . " 2>/dev/null | wc -w"))
rate = dir . "/rate.dat"; lat = dir . "/latency.dat"; mat = dir . "/matrix.dat"
np = (rows(rate) > 0) + (rows(lat) > 0) + (rows(mat) > 0)
if (np == 0) { print "plot.gp: nothing to plot in " . dir; exit }
set terminal pngcairo size 1000, 430 * np noenhanced
set output outfile
set multiplot layout np, 1
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
if (rows(rate) > 0) {
	set title sprintf("%s: forwarded Mpps per frame size (median over repetitions)", topo)
	set xlabel "frame size (bytes, FCS included)"
	set ylabel "Mpps"
	plot for [i=2:cols(rate)] rate using i:xtic(1) title columnheader(i)
}
if (rows(lat) > 0) {
	set title sprintf("latency at %s of each switch's own %s (first size), microseconds", pcts, base)
	set xlabel "switch @ load"
	set ylabel "us"
	set logscale y
	# from 0.1 us: an autoscaled log axis starts at the decade under the smallest value, 1 us
	# here, and a p50 of 1 us or less then had no bar at all
	set yrange [0.1:*]
	set xtics rotate by -30 # "qwikvirt@10%" labels overlap side by side
	plot for [i=2:cols(lat)] lat using i:xtic(1) title columnheader(i)
	unset logscale y
	set yrange [0:*]
	set xtics norotate
}
if (rows(mat) > 0) {
	set title "rules x flows at 64 B: max-rate Mpps (median)"
	set xlabel "rules x flows"
	set ylabel "Mpps"
	set xtics rotate by -45
	plot for [i=2:cols(mat)] mat using i:xtic(1) title columnheader(i)
}
unset multiplot
