#!/usr/bin/env python3
"""scripts/bench/summary.py - the tables, JSON and plot data of scripts/bench.sh from its
results.jsonl (one line per run) and matrix.jsonl: per size and switch the median/min/max Mpps
(the NDR with --method ndr), qwikvirt's ratios to the others per repetition (same repetition =
measured minutes apart on the same cores) and their median; NDR/PDR; latency percentiles at
load; blocked time of reconfigurations; the rules x flows matrix. Reads, never measures."""
import argparse
import json
import os
import statistics


def med(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return statistics.median(xs) if xs else None


def size_key(s):
    return (0, int(s)) if s.isdigit() else (1, s)


def f(v, fmt):
    return fmt % v if isinstance(v, (int, float)) else "-"


def load_lines(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def search_rate(run, kind):
    for s in run.get("search") or []:
        if s["kind"] == kind:
            return s["mpps"] if s["mpps"] else None
    return None


def search_gen_busy(run, kind):
    """The generator's busy share in the passing trial that set the search's rate."""
    for s in run.get("search") or []:
        if s["kind"] == kind and s["mpps"]:
            got = [t.get("gen_busy_pct") for t in s["trials"]
                   if t["pass"] and abs(t["offered_mpps"] - s["mpps"]) < 1e-9]
            return got[-1] if got else None
    return None


def main_table(rows, out, ndr):
    sizes = sorted({r["size"] for r in rows}, key=size_key)
    switches = list(dict.fromkeys(r["switch"] for r in rows))
    by = {}
    for r in rows:
        by.setdefault((r["size"], r["switch"]), {})[r["rep"]] = r
    what = "NDR Mpps" if ndr else "Mpps"
    hdr = "%-6s %-9s %8s %6s %6s %8s %5s %8s %8s %9s %7s  %s" % (
        "size", "switch", what, "min", "max", "cyc/pkt", "gen %", "p50 us", "p99 us",
        "p99.9 us", "RSS MB", "qwikvirt / this: per rep -> median")
    print(hdr)
    print("-" * len(hdr))
    for s in sizes:
        for sw in switches:
            reps = by.get((s, sw), {})
            mpps = [reps[k]["mpps"] for k in sorted(reps)]
            ok = [x for x in mpps if isinstance(x, (int, float)) and x > 0]
            lat = [r["latency"] or {} for r in reps.values()]
            e = {
                "size": s, "switch": sw, "n": len(ok), "measure": "ndr" if ndr else "rate",
                "mpps": {"median": med(ok), "min": min(ok) if ok else None,
                         "max": max(ok) if ok else None, "per_rep": mpps},
                "cycles_per_packet": med([r["cycles_per_pkt"] for r in reps.values()]),
                # the generator's own load in the same phase (null with --method ndr)
                "generator_busy_pct": med([(r.get("generator") or {}).get("busy_pct")
                                           for r in reps.values()]),
                "generator_cycles_per_packet": med([(r.get("generator") or {}).get(
                    "cycles_per_pkt") for r in reps.values()]),
                "latency_us": {k: med([x.get(k) for x in lat]) for k in ("p50", "p99", "p99_9")},
                "rss_kb": med([r["rss_kb"] for r in reps.values()]),
            }
            ratio_txt = ""
            if sw != "qwikvirt" and (s, "qwikvirt") in by:
                qv = by[(s, "qwikvirt")]
                rs = []
                # qvrules and the other qwikvirt variants are qwikvirt under load: this / qwikvirt
                inverse = sw.startswith("qv")
                for rep in sorted(reps):
                    q = (qv.get(rep) or {}).get("mpps")
                    o = reps[rep]["mpps"]
                    if inverse:
                        q, o = o, q
                    rs.append(q / o if isinstance(q, (int, float)) and o else None)
                key = "ratio_this_over_qwikvirt" if inverse else "ratio_qwikvirt_over_this"
                e[key] = {"per_rep": rs, "median": med(rs)}
                ratio_txt = "(this / qwikvirt) " if inverse else ""
                ratio_txt += " ".join(f(x, "%.2f") for x in rs)
                if med(rs) is not None:
                    ratio_txt += " -> %.2f" % med(rs)
            out["results"].append(e)
            print("%-6s %-9s %8s %6s %6s %8s %5s %8s %8s %9s %7s  %s" % (
                s, sw, f(e["mpps"]["median"], "%.2f"), f(e["mpps"]["min"], "%.2f"),
                f(e["mpps"]["max"], "%.2f"), f(e["cycles_per_packet"], "%.0f"),
                f(e["generator_busy_pct"], "%.0f"),
                f(e["latency_us"]["p50"], "%.1f"), f(e["latency_us"]["p99"], "%.1f"),
                f(e["latency_us"]["p99_9"], "%.1f"),
                f(e["rss_kb"] / 1024 if e["rss_kb"] else None, "%.0f"), ratio_txt))
    return sizes, switches, by


def ndr_table(sizes, switches, by, out):
    print("\nNDR / PDR (Mpps, both directions; medians over repetitions; trials per search; "
          "confirmed = the final full-length trial passed; gen % = the generator's busy share "
          "in the trial that set the NDR)")
    print("%-6s %-9s %9s %9s %10s %7s %5s" % ("size", "switch", "NDR", "PDR", "confirmed",
                                             "trials", "gen %"))
    for s in sizes:
        for sw in switches:
            reps = list(by.get((s, sw), {}).values())
            if not any(r.get("search") for r in reps):
                continue
            ndr = med([search_rate(r, "ndr") for r in reps])
            pdr = med([search_rate(r, "pdr") for r in reps])
            conf = sum(1 for r in reps for x in r.get("search") or []
                       if x["kind"] == "ndr" and x["confirmed"])
            trials = med([len(x["trials"]) for r in reps for x in r.get("search") or []])
            gen = med([search_gen_busy(r, "ndr") for r in reps])
            out["ndr"].append({"size": s, "switch": sw, "ndr_mpps": ndr, "pdr_mpps": pdr,
                               "ndr_confirmed": conf, "reps": len(reps),
                               "trials_median": trials, "generator_busy_pct_at_ndr": gen})
            print("%-6s %-9s %9s %9s %6d/%-3d %7s %5s" % (
                s, sw, f(ndr, "%.3f"), f(pdr, "%.3f"), conf, len(reps), f(trials, "%.0f"),
                f(gen, "%.0f")))


def load_table(sizes, switches, by, out):
    print("\nLatency at load (us; % of each switch's own NDR (or PDR: --load-base) of that repetition, both "
          "directions; medians over repetitions)")
    print("%-6s %-9s %5s %8s %8s %8s %9s %8s" % ("size", "switch", "load", "p50", "p90", "p99",
                                                  "p99.9", "loss %"))
    for s in sizes:
        for sw in switches:
            reps = [r for r in by.get((s, sw), {}).values() if r.get("latency_at_load")]
            pcts = sorted({int(k) for r in reps for k in r["latency_at_load"]})
            for p in pcts:
                xs = [r["latency_at_load"].get(str(p)) or {} for r in reps]
                e = {"size": s, "switch": sw, "load_pct": p}
                e.update({k: med([x.get(k) for x in xs]) for k in ("p50", "p90", "p99", "p99_9")})
                e["loss_ratio"] = med([x.get("loss_ratio") for x in xs])
                out["latency_at_load"].append(e)
                print("%-6s %-9s %4d%% %8s %8s %8s %9s %8s" % (
                    s, sw, p, f(e["p50"], "%.1f"), f(e["p90"], "%.1f"), f(e["p99"], "%.1f"),
                    f(e["p99_9"], "%.1f"),
                    f(e["loss_ratio"] * 100 if e["loss_ratio"] is not None else None, "%.3f")))


def blocked_table(rows, out):
    rows = [r for r in rows if r.get("blocked")]
    if not rows:
        return
    print("\nBlocked time of a reconfiguration at 90 % of NDR (lost packets / offered rate; "
          "medians over repetitions; 'none' = the same run without a change)")
    print("%-6s %-9s %-6s %11s %12s %10s" % ("size", "switch", "change", "lost", "blocked ms",
                                             "change s"))
    keys = list(dict.fromkeys((r["size"], r["switch"]) for r in rows))
    for s, sw in keys:
        reps = [r for r in rows if r["size"] == s and r["switch"] == sw]
        for op in ("none", "rules", "port", "chain"):
            if not any(op in r["blocked"] for r in reps):
                continue
            xs = [r["blocked"].get(op) or {} for r in reps]
            e = {"size": s, "switch": sw, "change": op,
                 "lost": med([x.get("lost") for x in xs]),
                 "blocked_ms": med([x.get("blocked_ms") for x in xs]),
                 "change_s": med([x.get("op_s") for x in xs]), "reps": len(reps)}
            out["blocked"].append(e)
            print("%-6s %-9s %-6s %11s %12s %10s" % (s, sw, op, f(e["lost"], "%.0f"),
                                                     f(e["blocked_ms"], "%.3f"),
                                                     f(e["change_s"], "%.3f")))


def matrix_table(cells, out):
    if not cells:
        return []
    rules = sorted({c["rules"] for c in cells})
    flows = sorted({c["flows"] for c in cells})
    sws = list(dict.fromkeys(c["switch"] for c in cells))
    m = {}
    for c in cells:
        m.setdefault((c["rules"], c["flows"], c["switch"]), []).append(c["mpps"])
    base = {sw: med(m.get((rules[0], flows[0], sw), [])) for sw in sws}
    print("\nRules x flows at 64 B (max-rate Mpps both directions, median; 'of 1x1' = the "
          "cell / the same switch's %d-rule %d-flow figure)" % (rules[0], flows[0]))
    hdr = "%7s %8s" % ("rules", "flows")
    for sw in sws:
        hdr += " %9s %7s" % (sw, "of 1x1")
    if "qwikvirt" in sws and len(sws) > 1:
        hdr += " %10s" % "qv / ovs"
    print(hdr)
    for r in rules:
        for fl in flows:
            line = "%7d %8d" % (r, fl)
            e = {"rules": r, "flows": fl}
            for sw in sws:
                v = med(m.get((r, fl, sw), []))
                rel = v / base[sw] if v is not None and base[sw] else None
                e[sw] = {"mpps": v, "of_1x1": rel}
                line += " %9s %7s" % (f(v, "%.3f"), f(rel, "%.2f"))
            if "qwikvirt" in sws and "ovs" in sws:
                q, o = e["qwikvirt"]["mpps"], e["ovs"]["mpps"]
                e["ratio_qwikvirt_over_ovs"] = q / o if q is not None and o else None
                line += " %10s" % f(e["ratio_qwikvirt_over_ovs"], "%.2f")
            out["matrix"].append(e)
            print(line)
    return sws


def plot_data(d, sizes, switches, by, out, matrix_sws):
    # rate.dat: one row per size (IMIX included, as a category), one column per switch
    with open(os.path.join(d, "rate.dat"), "w") as fh:
        fh.write("size " + " ".join(switches) + "\n")
        for s in sizes:
            vals = [med([r["mpps"] for r in by.get((s, sw), {}).values()]) for sw in switches]
            fh.write(s + " " + " ".join(f(v, "%.4f") if v is not None else "NaN"
                                        for v in vals) + "\n")
    # latency.dat: one row per (switch, load) at the first size, p50 p90 p99 p99.9
    with open(os.path.join(d, "latency.dat"), "w") as fh:
        fh.write("label p50 p90 p99 p99_9\n")
        first = sizes[0] if sizes else None
        for e in out["latency_at_load"]:
            if e["size"] == first:
                fh.write("%s@%d%% %s\n" % (e["switch"], e["load_pct"], " ".join(
                    f(e[k], "%.2f") if e[k] is not None else "NaN"
                    for k in ("p50", "p90", "p99", "p99_9"))))
    # matrix.dat: one row per cell "RxF", one column per switch
    with open(os.path.join(d, "matrix.dat"), "w") as fh:
        fh.write("cell " + " ".join(matrix_sws) + "\n")
        for e in out["matrix"]:
            fh.write("%dx%d %s\n" % (e["rules"], e["flows"], " ".join(
                f(e[sw]["mpps"], "%.4f") if e[sw]["mpps"] is not None else "NaN"
                for sw in matrix_sws)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--matrix")
    ap.add_argument("--machine")
    ap.add_argument("--json", required=True)
    ap.add_argument("--plot-dir")
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    rows = load_lines(a.results)
    meta = dict(m.split("=", 1) for m in a.meta)
    machine = {}
    if a.machine and os.path.exists(a.machine):
        with open(a.machine) as fh:
            machine = json.load(fh)
    out = {"meta": meta, "machine": machine, "results": [], "ndr": [], "latency_at_load": [],
           "blocked": [], "matrix": []}
    if machine:
        print("%s; %s CPUs; kernel %s; DPDK %s; %s; qwikvirt %s; load average %s -> %s" % (
            machine.get("cpu"), machine.get("cpus"), machine.get("kernel"), machine.get("dpdk"),
            machine.get("ovs"), machine.get("qwikvirt"), machine.get("load_average_start"),
            machine.get("load_average_end")))
        print("command: %s\n" % machine.get("command"))
    sizes, switches, by = [], [], {}
    if rows:
        sizes, switches, by = main_table(rows, out, meta.get("method") == "ndr")
        if any(r.get("search") for r in rows):
            ndr_table(sizes, switches, by, out)
        if any(r.get("latency_at_load") for r in rows):
            load_table(sizes, switches, by, out)
        blocked_table(rows, out)
    msws = matrix_table(load_lines(a.matrix), out)
    with open(a.json, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    if a.plot_dir:
        plot_data(a.plot_dir, sizes, switches, by, out, msws)


if __name__ == "__main__":
    main()
