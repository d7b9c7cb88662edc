#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn one run's CSV files (scripts/bench/run) into summary.md and the PNG
plots. Reads only what the run wrote into DIR; a figure whose CSV is
missing is reported as missing, never made up.

    scripts/bench/report.py DIR
"""

import csv
import math
import os
import re
import shutil
import subprocess
import sys


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def percentile(values, p):
    """Linear between the closest ranks (R-7), as bench-stats.c does."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p
    lo = math.floor(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def fmt_us(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x >= 100000:
        return f"{x / 1000:,.0f} ms"
    if x >= 10000:
        return f"{x / 1000:,.1f} ms"
    return f"{x:,.0f} µs"


def fmt_ratio(x):
    if x is None or math.isnan(x) or x == 0:
        return "n/a"
    return f"{x:.2f}×" if x >= 0.1 else f"1/{1 / x:,.0f}"


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
    if not os.path.isdir(out):
        sys.exit(f"report.py: no directory {out}")
    machine = open(os.path.join(out, "machine.txt")).read().strip() if os.path.exists(
        os.path.join(out, "machine.txt")) else "machine: unknown"

    # 1. restart latency: interleaved ours/raw, runit and s6.
    samples = read_csv(os.path.join(out, "restart-samples.csv"))
    lat = {}
    for row in samples:
        lat.setdefault(row["side"], []).append(float(row["latency_us"]))
    foreign = {}
    for kind in ("runit", "s6"):
        for life in ("short", "long"):
            rows = read_csv(os.path.join(out, f"foreign-{kind}-{life}.csv"))
            if rows:
                foreign[(kind, life)] = [float(r["latency_us"]) for r in rows]

    scale = read_csv(os.path.join(out, "scale.csv"))
    scale.sort(key=lambda r: int(r["children"]))
    by_n = {int(r["children"]): r for r in scale}
    daemon = []
    for name in sorted(os.listdir(out)):
        if name.startswith("daemon") and name.endswith(".csv"):
            daemon += read_csv(os.path.join(out, name))

    registry_ns = None
    reg_path = os.path.join(out, "registry.txt")
    if os.path.exists(reg_path):
        m = re.search(r"registry_lookup \+ unref, present ids\s+([\d.]+)", open(reg_path).read())
        if m:
            registry_ns = float(m.group(1))

    lines = ["# processhub benchmark summary", "", "```", machine, "```", ""]
    lines += ["Figures measured side by side in this one run (see scripts/bench/README.md for the method).",
              "The targets are issue 6's; they are measured here, never asserted in tests.", ""]
    lines += ["| figure | processhub | beside it | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]

    ours = lat.get("processhub", [])
    raw = lat.get("baseline", [])
    if ours and raw:
        p50o, p50r = percentile(ours, 0.5), percentile(raw, 0.5)
        p99o = percentile(ours, 0.99)
        lines.append(f"| restart p50, SIGKILL → replacement READY=1 ({len(ours)} per side) | {fmt_us(p50o)} | "
                     f"raw loop {fmt_us(p50r)} | {fmt_ratio(p50o / p50r)} | ≤ 1.25× raw | {verdict(p50o <= 1.25 * p50r)} |")
        lines.append(f"| restart p99 | {fmt_us(p99o)} | raw loop {fmt_us(percentile(raw, 0.99))} | "
                     f"{fmt_ratio(p99o / percentile(raw, 0.99))} | < 1 ms | {verdict(p99o < 1000)} |")
    else:
        lines.append("| restart latency | missing | | | | |")
    gap = {}
    for row in read_csv(os.path.join(out, "gap", "restart-samples.csv")):
        gap.setdefault(row["side"], []).append(float(row["latency_us"]))
    gap_ours, gap_raw = gap.get("processhub", []), gap.get("baseline", [])
    if gap_ours and gap_raw:
        p50o, p50r = percentile(gap_ours, 0.5), percentile(gap_raw, 0.5)
        p99o, p99r = percentile(gap_ours, 0.99), percentile(gap_raw, 0.99)
        lines.append(f"| restart p50 after 100 ms idle ({len(gap_ours)} per side) | {fmt_us(p50o)} | "
                     f"raw loop {fmt_us(p50r)} | {fmt_ratio(p50o / p50r)} | ≤ 1.25× raw | {verdict(p50o <= 1.25 * p50r)} |")
        lines.append(f"| restart p99 after 100 ms idle | {fmt_us(p99o)} | raw loop {fmt_us(p99r)} | "
                     f"{fmt_ratio(p99o / p99r)} | | |")
    else:
        lines.append("| restart after 100 ms idle | missing | | | | |")
    for kind in ("runit", "s6"):
        v = foreign.get((kind, "short"))
        if v and ours:
            lines.append(f"| restart p50, {kind} ({len(v)} samples, child killed as soon as it sleeps) | "
                         f"{fmt_us(percentile(ours, 0.5))} | {kind} {fmt_us(percentile(v, 0.5))} | "
                         f"{fmt_ratio(percentile(ours, 0.5) / percentile(v, 0.5))} | (≥ 1 s by design) | |")
        else:
            lines.append(f"| restart, {kind} | | skipped or missing | | | |")
    for n, r in by_n.items():
        ratio = float(r["start_ratio"])
        what = "ready" if r.get("ready", "notify") == "notify" else "exec'd (fd limit: see below)"
        lines.append(f"| start throughput, {n:,} children until all {what} | {float(r['ours_per_s']):,.0f}/s | "
                     f"raw clone3 burst {float(r['raw_per_s']):,.0f}/s | {fmt_ratio(ratio)} | ≥ 0.8× raw | "
                     f"{verdict(ratio >= 0.8)} |")
    lk = [r for r in scale if int(r["lookups"]) > 0]
    if lk:
        r = lk[-1]
        g, c = float(r["get_pid_ns"]), float(r["child_lookup_ns"])
        lines.append(f"| ph_get_pid, in-process ({int(r['lookups']):,} on {int(r['children']):,} children) | "
                     f"{g:.0f} ns | | | < 200 ns | {verdict(g < 200)} |")
        lines.append(f"| ph_child_lookup + free, in-process (same) | {c:.0f} ns | | | < 200 ns | {verdict(c < 200)} |")
    for r in read_csv(os.path.join(out, "hub-lookup.csv")):
        what = (f"{int(r['lookups']):,} on a {int(r['entries']):,}-entry registry "
                f"({int(r['local']):,} local children, the rest other nodes'), keys in the caller's cache")
        # The machine's limit, measured in the same run (older CSVs lack it).
        read = float(r["memory_read_ns"]) if r.get("memory_read_ns") else None
        if read:
            lines.append(f"| one dependent read from memory, the same run (bench-hub-lookup) | {read:.0f} ns | | "
                         f"1.00 reads | (the machine's limit) | |")
        for name, col, floor in (("ph_get_pid", "get_pid", "pid inline in a 32-byte cell"),
                                 ("ph_child_lookup + free", "child_lookup", "the info inline in a cell, copied")):
            v = float(r[col + "_ns"])
            fl = float(r["floor_" + col + "_ns"]) if r.get("floor_" + col + "_ns") else None
            reads = f"; {v / read:.2f} reads" if read else ""
            if fl:
                beside, ratio = f"floor ({floor}) {fl:.0f} ns", f"{fmt_ratio(v / fl)} floor{reads}"
            else:
                beside, ratio = f"key picked at random (old method) {float(r[col + '_random_key_ns']):.0f} ns", reads[2:]
            lines.append(f"| {name}, in-process, {what} | {v:.0f} ns | {beside} | {ratio} | < 200 ns | "
                         f"{verdict(v < 200)} |")
    if registry_ns is not None:
        lines.append(f"| registry_lookup on a 100,000-entry registry (hub/registry.h) | {registry_ns:.0f} ns | | | "
                     f"< 200 ns | {verdict(registry_ns < 200)} |")
    for n in (10000, 25000):
        r = by_n.get(n)
        if r:
            b = float(r["rss_per_child_b"])
            lines.append(f"| library (in-process hub) VmRSS per child at {n:,} | {b:,.0f} B | "
                         f"heap {float(r['heap_per_child_b']):,.0f} B, {float(r['fds_per_child']):.0f} fds | | "
                         f"(the target is the daemon's, below) | |")
    idle = [r for r in scale if int(r["idle_sec"]) > 0]
    for r in idle:
        lines.append(f"| idle hub with {int(r['children']):,} children, {r['idle_sec']} s | "
                     f"{float(r['idle_cpu_pct']):.2f} % CPU | {float(r['idle_switches_per_s']):.1f} wake-ups/s "
                     f"({r['idle_threads']} hub threads) | | | |")
    r = by_n.get(10000)
    if r:
        gone = float(r["ours_groups_gone_s"])
        lines.append(f"| stop of 10,000 (whole trees) until every group is gone | "
                     f"{gone if gone >= 0 else float(r['ours_stop_s']):.2f} s | raw {float(r['raw_stop_s']):.2f} s | "
                     f"{fmt_ratio((gone if gone >= 0 else float(r['ours_stop_s'])) / float(r['raw_stop_s']))} | | |")
    for d in daemon:
        what, status = d["what"], d["status"]
        m = re.match(r"[a-z ]*?([\d.]+)", status)
        target, ok = "", None
        s = re.match(r"pid ([\d.]+) us/op; lookup ([\d.]+) us/op; floor ([\d.]+) us/op.*?"
                     r"CPU per op pid ([\d.]+) us; lookup ([\d.]+) us; floor ([\d.]+) us \((.*)\)", status)
        if s and what == "socket_lookup":
            # Both requests against the target; beside them the floor (a
            # process that only answers, the same bytes) and the CPU each
            # answer cost, which the host's load moves much less.
            pid, lookup, floor = (float(s.group(i)) for i in (1, 2, 3))
            lines.append(f"| daemon: socket round trip, pid / lookup ({s.group(7)}) | {pid:.1f} / {lookup:.1f} µs | "
                         f"floor {floor:.1f} µs | {fmt_ratio(pid / floor)} / {fmt_ratio(lookup / floor)} | < 50 µs | "
                         f"{verdict(max(pid, lookup) < 50)} |")
            lines.append(f"| daemon: CPU per round trip, pid / lookup | {s.group(4)} / {s.group(5)} µs | "
                         f"floor {s.group(6)} µs | {fmt_ratio(float(s.group(4)) / float(s.group(6)))} / "
                         f"{fmt_ratio(float(s.group(5)) / float(s.group(6)))} | | |")
            continue
        if m and what == "socket_lookup":
            target, ok = "< 50 µs", max(float(x) for x in re.findall(r"([\d.]+) us/op", status)) < 50
        elif m and what == "daemon_rss_per_child":
            # The figure is at 25,000 (10,000 where the host cannot):
            # a smaller N spreads the daemon's fixed costs over fewer
            # children (--quick runs 2,000).
            n = re.search(r"at (\d+) children", status)
            if n and int(n.group(1)) >= 10000:
                target, ok = "< 1 KiB", float(m.group(1)) < 1024
            else:
                target = "(< 1 KiB at 10,000 and more)"
        elif m and what == "adoption_10000":
            # The figure is at 10,000; other N are for the scaling.
            target, ok = "< 1 s, none restarted", float(m.group(1)) < 1 and " 0 restarted" in status
        elif m and what.startswith("adoption_"):
            target, ok = "none restarted", " 0 restarted" in status
        lines.append(f"| daemon: {what.replace('_', ' ')} | {status} | | | {target} | "
                     f"{verdict(ok) if ok is not None else ''} |")
    lines.append("")

    # The distribution.
    lines += ["## Restart latency distribution", "",
              "| side | n | p50 | p90 | p99 | mean | min | max |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    dist = [("processhub (to READY=1)", ours), ("raw loop (to READY=1)", raw)]
    for kind in ("runit", "s6"):
        dist.append((f"{kind}, child killed as soon as it sleeps (to exec)", foreign.get((kind, "short"), [])))
        dist.append((f"{kind}, child up 1.1 s (to exec)", foreign.get((kind, "long"), [])))
    for name, v in dist:
        if v:
            lines.append(f"| {name} | {len(v)} | {fmt_us(percentile(v, .5))} | {fmt_us(percentile(v, .9))} | "
                         f"{fmt_us(percentile(v, .99))} | {fmt_us(sum(v) / len(v))} | {fmt_us(min(v))} | "
                         f"{fmt_us(max(v))} |")
    lines.append("")

    if scale:
        lines += ["## Scaling with N", "",
                  "| N | readiness | start ours | start raw | ratio | restart p50 ours / raw (with N running) | stop ours (until groups gone) | stop raw | VmRSS/child | heap/child |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in scale:
            gone = float(r["ours_groups_gone_s"])
            lines.append(
                f"| {int(r['children']):,} | {'READY=1' if r.get('ready') == 'notify' else 'exec'} | {float(r['ours_per_s']):,.0f}/s | {float(r['raw_per_s']):,.0f}/s | "
                f"{float(r['start_ratio']):.2f} | {fmt_us(float(r['ours_restart_p50_us']))} / "
                f"{fmt_us(float(r['raw_restart_p50_us']))} | "
                f"{float(r['ours_stop_s']):.2f} s ({gone:.2f} s) | {float(r['raw_stop_s']):.2f} s | "
                f"{float(r['rss_per_child_b']):,.0f} B | {float(r['heap_per_child_b']):,.0f} B |")
        lines.append("")
    skipped = [l for l in open(os.path.join(out, "run.log")).read().splitlines()
               if ("skipped" in l or "exec readiness" in l) and not l.startswith(("|", "- "))] if os.path.exists(os.path.join(out, "run.log")) else []
    if skipped:
        lines += ["## Skipped", ""] + [f"- {l.strip()}" for l in dict.fromkeys(skipped)] + [""]
    lines += ["Plots (not committed; made by every run): restart-latency.png, start-throughput.png, memory.png, "
              "scaling.png.", ""]
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))

    plots(out, lat, foreign, scale)


def write_cdf(path, values):
    v = sorted(values)
    with open(path, "w") as f:
        for i, x in enumerate(v):
            f.write(f"{x:.1f} {(i + 1) / len(v):.5f}\n")


def plots(out, lat, foreign, scale):
    if not shutil.which("gnuplot"):
        print("plots: skipped: no gnuplot")
        return
    series = [("processhub", lat.get("processhub")), ("raw loop", lat.get("baseline")),
              ("runit", foreign.get(("runit", "short"))), ("s6", foreign.get(("s6", "short"))),
              ("runit, child up 1.1 s", foreign.get(("runit", "long"))),
              ("s6, child up 1.1 s", foreign.get(("s6", "long")))]
    plot_cmds = []
    for i, (name, v) in enumerate(series):
        if v:
            dat = os.path.join(out, f"cdf-{i}.dat")
            write_cdf(dat, v)
            plot_cmds.append(f"'{dat}' using 1:2 with steps lw 2 title '{name} (n={len(v)})'")
    with open(os.path.join(out, "scale.dat"), "w") as f:
        for r in scale:
            f.write(" ".join(r[k] for k in ("children", "ours_per_s", "raw_per_s", "rss_per_child_b",
                                            "heap_per_child_b", "ours_restart_p50_us", "raw_restart_p50_us",
                                            "ours_groups_gone_s", "raw_stop_s")) + "\n")
    sd = os.path.join(out, "scale.dat")
    gp = [f"set terminal pngcairo size 900,560 font ',10'", "set grid", "set key top left"]
    if plot_cmds:
        gp += [f"set output '{out}/restart-latency.png'",
               "set title \"Restart latency: SIGKILL -> replacement ready (processhub, raw loop) or exec'd (runit, s6)\"",
               "set logscale x", "set xlabel 'latency (us, log scale)'", "set ylabel 'fraction of restarts'",
               "set key bottom right", "plot " + ", ".join(plot_cmds), "unset logscale x", "set key top left"]
    if scale:
        gp += [f"set output '{out}/start-throughput.png'", "set title 'Start throughput until every child is ready'",
               "set xlabel 'children (N)'", "set ylabel 'children/s'", "set yrange [0:*]",
               f"plot '{sd}' using 1:2 with linespoints lw 2 title 'processhub ph\\_start\\_children', "
               f"'{sd}' using 1:3 with linespoints lw 2 title 'raw clone3 burst'",
               f"set output '{out}/memory.png'", "set title 'In-process hub memory per running child'",
               "set ylabel 'bytes per child'",
               f"plot '{sd}' using 1:4 with linespoints lw 2 title 'VmRSS', "
               f"'{sd}' using 1:5 with linespoints lw 2 title 'malloc heap', 1024 with lines dt 2 title '1 KiB target'",
               f"set output '{out}/scaling.png'", "set multiplot layout 1,2 title 'Growth with N'",
               "set title 'restart p50 with N running'", "set ylabel 'us'",
               f"plot '{sd}' using 1:6 with linespoints lw 2 title 'processhub', "
               f"'{sd}' using 1:7 with linespoints lw 2 title 'raw loop'",
               "set title 'stop of all N'", "set ylabel 's'",
               f"plot '{sd}' using 1:8 with linespoints lw 2 title 'processhub, until groups gone', "
               f"'{sd}' using 1:9 with linespoints lw 2 title 'raw'",
               "unset multiplot"]
    r = subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        print("plots: gnuplot failed:\n" + r.stderr)
    else:
        print("plots: " + ", ".join(p for p in ("restart-latency.png", "start-throughput.png", "memory.png",
                                                  "scaling.png") if os.path.exists(os.path.join(out, p))))


if __name__ == "__main__":
    main()
