#!/usr/bin/env python3
"""scripts/bench/summary.py - the table and JSON of scripts/bench.sh from its results.tsv:
per size and switch the median/min/max Mpps, and qwikvirt's ratios to the others per repetition
(same repetition = measured minutes apart on the same cores) and their median."""
import argparse
import csv
import json
import statistics


def num(v):
    try:
        f = float(v)
        return None if f != f else f  # NaN -> None
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def size_key(s):
    return (0, int(s)) if s.isdigit() else (1, s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tsv", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--plot-data")
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.tsv), delimiter="\t"))
    sizes = sorted({r["size"] for r in rows}, key=size_key)
    switches = list(dict.fromkeys(r["switch"] for r in rows))
    by = {}
    for r in rows:
        by.setdefault((r["size"], r["switch"]), {})[int(r["rep"])] = r

    out = {"meta": dict(m.split("=", 1) for m in a.meta), "results": []}
    hdr = "%-6s %-9s %6s %6s %6s %9s %8s %8s %9s %9s  %s" % (
        "size", "switch", "Mpps", "min", "max", "cyc/pkt", "p50 us", "p99 us", "p99.9 us",
        "RSS MB", "qwikvirt / this: per rep -> median")
    print(hdr)
    print("-" * len(hdr))
    for s in sizes:
        for sw in switches:
            reps = by.get((s, sw), {})
            mpps = [num(r["mpps"]) for r in reps.values()]
            ok = [x for x in mpps if x is not None]
            e = {
                "size": s, "switch": sw, "n": len(ok),
                "mpps": {"median": med(ok), "min": min(ok) if ok else None,
                         "max": max(ok) if ok else None, "per_rep": mpps},
                "cycles_per_packet": med([num(r["cycles_per_pkt"]) for r in reps.values()]),
                "latency_us": {k: med([num(r[c]) for r in reps.values()]) for k, c in
                               (("p50", "lat_p50_us"), ("p99", "lat_p99_us"),
                                ("p99_9", "lat_p999_us"))},
                "latency_loss_ratio": med([num(r["lat_loss"]) for r in reps.values()]),
                "rss_kb": med([num(r["rss_kb"]) for r in reps.values()]),
            }
            ratio_txt = ""
            if sw != "qwikvirt" and (s, "qwikvirt") in by:
                qv = by[(s, "qwikvirt")]
                rs = []
                # qvrules is qwikvirt under load: its ratio is the other way round
                inverse = sw == "qvrules"
                for rep, r in sorted(reps.items()):
                    q, o = num(qv.get(rep, {}).get("mpps")), num(r["mpps"])
                    if inverse:
                        q, o = o, q
                    rs.append(q / o if q is not None and o else None)
                key = "ratio_this_over_qwikvirt" if inverse else "ratio_qwikvirt_over_this"
                e[key] = {"per_rep": rs, "median": med(rs)}
                ratio_txt = "(this / qwikvirt) " if inverse else ""
                ratio_txt += " ".join("%.2f" % x if x is not None else "-" for x in rs)
                if med(rs) is not None:
                    ratio_txt += " -> %.2f" % med(rs)
            out["results"].append(e)

            def f(v, fmt):
                return fmt % v if v is not None else "-"
            print("%-6s %-9s %6s %6s %6s %9s %8s %8s %9s %9s  %s" % (
                s, sw, f(e["mpps"]["median"], "%.2f"), f(e["mpps"]["min"], "%.2f"),
                f(e["mpps"]["max"], "%.2f"), f(e["cycles_per_packet"], "%.0f"),
                f(e["latency_us"]["p50"], "%.1f"), f(e["latency_us"]["p99"], "%.1f"),
                f(e["latency_us"]["p99_9"], "%.1f"),
                f(e["rss_kb"] / 1024 if e["rss_kb"] else None, "%.0f"), ratio_txt))
    with open(a.json, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    if a.plot_data:
        # numeric sizes only (IMIX has no x position): size, then one median column per switch
        with open(a.plot_data, "w") as fh:
            fh.write("# size " + " ".join(switches) + "\n")
            for s in sizes:
                if not s.isdigit():
                    continue
                vals = []
                for sw in switches:
                    m = med([num(r["mpps"]) for r in by.get((s, sw), {}).values()])
                    vals.append("%.4f" % m if m is not None else "NaN")
                fh.write(s + " " + " ".join(vals) + "\n")


if __name__ == "__main__":
    main()
