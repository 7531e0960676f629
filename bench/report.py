#!/usr/bin/env python3
"""Tables (markdown) and a GFLOP/s-vs-n plot (SVG, no dependencies) from JMH JSON in bench/results.

Usage: python3 bench/report.py [results-dir] [svg-out]
Peak FMA and STREAM triad come from peak-t1.json / peak-t2.json of the same session, and every ratio
below is against those measured numbers.
"""
import glob
import json
import os
import sys

SPARSE_DIMS = {  # rows, cols, nnz of the two matrices SparseBenchmark builds
    "movielens": (671, 9066, 100004),
    "synthetic10m": (100000, 20000, 10000000),
}
FMA_STEPS, FMA_CHAINS = 100000, 10


def load(results):
    runs = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        with open(path) as f:
            text = f.read()
        if not text.strip():
            continue  # a run still in progress (JMH writes the file at the end)
        if True:
            for r in json.loads(text):
                r["_file"] = os.path.basename(path)
                runs.append(r)
    return runs


def seconds(r):
    unit = r["primaryMetric"]["scoreUnit"]
    scale = {"ns/op": 1e-9, "us/op": 1e-6, "ms/op": 1e-3, "s/op": 1.0}[unit]
    return r["primaryMetric"]["score"] * scale


def name(r):
    return r["benchmark"].rsplit(".", 1)[-1]


def alloc(r):
    for key, m in r.get("secondaryMetrics", {}).items():
        if key.lstrip("·").endswith("gc.alloc.rate.norm"):
            return m["score"]
    return None


def peaks(runs):
    out = {}
    for r in runs:
        if not r["benchmark"].endswith("PeakBenchmark.fma") and not r["benchmark"].endswith("PeakBenchmark.triad"):
            continue
        t = r["threads"]
        if name(r) == "fma":
            lanes = int(r["params"]["lanes"])
            out[("fma", t)] = 2 * FMA_CHAINS * FMA_STEPS * lanes * t / seconds(r) / 1e9
        else:
            out[("triad", t)] = 12 * int(r["params"]["elements"]) * t / seconds(r) / 1e9
    return out


def gemm_flops(shape):
    dims = shape.split("-")[0].split("x")
    m, n, k = (int(d) for d in dims)
    return 2.0 * m * n * k


def gemm_rows(runs):
    rows = {}
    for r in runs:
        if not r["benchmark"].endswith("GemmBenchmark.multiply") or r["_file"].startswith("gc"):
            continue
        p = r["params"]
        rows[(p["shape"], int(p["threads"]), p["impl"])] = gemm_flops(p["shape"]) / seconds(r) / 1e9
    return rows


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
    svg = sys.argv[2] if len(sys.argv) > 2 else None
    runs = load(results)
    pk = peaks(runs)
    print("## Measured ceilings\n")
    print("| threads | FMA peak GFLOP/s | STREAM triad GB/s |\n|---|---|---|")
    for t in (1, 2):
        if ("fma", t) in pk or ("triad", t) in pk:
            print(f"| {t} | {pk.get(('fma', t), float('nan')):.1f} | {pk.get(('triad', t), float('nan')):.1f} |")

    g = gemm_rows(runs)
    shapes = sorted({s for s, _, _ in g}, key=lambda s: (("-" in s), gemm_flops(s)))
    print("\n## GEMM (GFLOP/s = 2mnk / time)\n")
    print("| shape | threads | lowrank PANAMA | OpenBLAS 0.3.31 | ratio | % of peak (ours) | % of peak (OpenBLAS) | SCALAR | naive |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in shapes:
        for t in (1, 2):
            ours, blas = g.get((s, t, "PANAMA")), g.get((s, t, "OPENBLAS"))
            if ours is None and blas is None:
                continue
            peak = pk.get(("fma", t))
            f = lambda v: "–" if v is None else f"{v:.1f}"
            ratio = "–" if not (ours and blas) else f"{ours / blas:.2f}×"
            pct = lambda v: "–" if (v is None or not peak) else f"{100 * v / peak:.0f}%"
            print(f"| {s} | {t} | {f(ours)} | {f(blas)} | {ratio} | {pct(ours)} | {pct(blas)} | "
                  f"{f(g.get((s, t, 'SCALAR')))} | {f(g.get((s, t, 'NAIVE')))} |")
    print("\n2-thread speed-up (PANAMA t=2 / t=1; OpenBLAS the same):\n")
    print("| shape | lowrank | OpenBLAS |\n|---|---|---|")
    for s in shapes:
        o1, o2, b1, b2 = (g.get((s, t, i)) for i, t in (("PANAMA", 1), ("PANAMA", 2), ("OPENBLAS", 1), ("OPENBLAS", 2)))
        if o1 and o2:
            print(f"| {s} | {o2 / o1:.2f}× | {'–' if not (b1 and b2) else f'{b2 / b1:.2f}×'} |")

    print("\n## SpMM / SDDMM (GB/s by the compulsory-traffic model; % of the measured triad)\n")
    print("| kernel | data | k | backend | threads | ms | ns/nonzero | GB/s compulsory | % of triad | GB/s incl. gathers | % of triad | roofline ms | % of roofline |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    sparse = [r for r in runs if "SparseBenchmark" in r["benchmark"] and not r["_file"].startswith("gc")]
    sparse.sort(key=lambda r: (name(r), r["params"]["data"], int(r["params"]["k"]), r["params"]["backend"], int(r["params"]["threads"])))
    for r in sparse:
        p = r["params"]
        m, n, nnz = SPARSE_DIMS[p["data"]]
        k, t = int(p["k"]), int(p["threads"])
        # Indices + values (SpMM) or indices + outputs (SDDMM), the row offsets, the m×k dense side
        # (C written or U read) and the n×k dense side (B or V) read once.
        bytes_moved = nnz * 8 + (m + 1) * 8 + m * k * 4 + n * k * 4
        # Upper model: every nonzero also pulls its k-float row of B (SpMM) or V (SDDMM) from memory.
        gather_bytes = bytes_moved + nnz * k * 4
        gbs = bytes_moved / seconds(r) / 1e9
        gbg = gather_bytes / seconds(r) / 1e9
        triad = pk.get(("triad", t))
        pct = lambda v: "–" if not triad else f"{100 * v / triad:.0f}%"
        # Roofline: the slower of the compulsory traffic at triad speed and 2·nnz·k flops at FMA peak.
        fma = pk.get(("fma", t))
        roof = None if not (triad and fma) else max(bytes_moved / (triad * 1e9), 2.0 * nnz * k / (fma * 1e9))
        roof_ms = "–" if roof is None else f"{roof * 1e3:.2f}"
        roof_pct = "–" if roof is None else f"{100 * roof / seconds(r):.0f}%"
        print(f"| {name(r)} | {p['data']} | {k} | {p['backend']} | {t} | {seconds(r) * 1e3:.2f} | "
              f"{seconds(r) * 1e9 / nnz:.1f} | {gbs:.2f} | {pct(gbs)} | {gbg:.1f} | {pct(gbg)} | {roof_ms} | {roof_pct} |")

    gram = [r for r in runs if r["benchmark"].endswith("GramBenchmark.gram") and not r["_file"].startswith("gc")]
    if gram:
        print("\n## Gram AᵀA (GFLOP/s = m·k·(k+1) / time: the triangle, whatever each one computes)\n")
        print("| m×k | threads | GRAM (ours) | GEMM Aᵀ·A (ours) | addGramUpper (ours) | OpenBLAS ssyrk | ratio GRAM/OpenBLAS | naive |")
        print("|---|---|---|---|---|---|---|---|")
        g2 = {}
        for r in gram:
            p = r["params"]
            m, k = (int(d) for d in p["shape"].split("x"))
            g2[(p["shape"], int(p["threads"]), p["impl"])] = m * k * (k + 1) / seconds(r) / 1e9
        for s in sorted({s for s, _, _ in g2}, key=lambda s: [int(d) for d in s.split("x")]):
            for t in (1, 2):
                ours, blas = g2.get((s, t, "GRAM")), g2.get((s, t, "OPENBLAS"))
                if ours is None and blas is None:
                    continue
                f = lambda v: "–" if v is None else f"{v:.1f}"
                ratio = "–" if not (ours and blas) else f"{ours / blas:.2f}×"
                print(f"| {s} | {t} | {f(ours)} | {f(g2.get((s, t, 'GEMM')))} | {f(g2.get((s, t, 'UPPER')))} | {f(blas)} | {ratio} | {f(g2.get((s, t, 'NAIVE')))} |")

    gc = [r for r in runs if r["_file"].startswith("gc")]
    if gc:
        print("\n## Allocation (JMH -prof gc, gc.alloc.rate.norm)\n")
        print("| benchmark | params | B/op |\n|---|---|---|")
        for r in gc:
            a = alloc(r)
            params = ", ".join(f"{k}={v}" for k, v in sorted(r["params"].items()))
            print(f"| {r['benchmark'].split('.')[-2]}.{name(r)} | {params} | {'–' if a is None else f'{a:.0f}'} |")

    if svg:
        plot(g, svg)
        print(f"\n(plot written to {svg})")


def plot(g, out):
    series = [("PANAMA", 1, "lowrank, 1 thread", "#1f77b4", ""), ("PANAMA", 2, "lowrank, 2 threads", "#1f77b4", "6,3"),
              ("OPENBLAS", 1, "OpenBLAS 0.3.31, 1 thread", "#d62728", ""),
              ("OPENBLAS", 2, "OpenBLAS 0.3.31, 2 threads", "#d62728", "6,3"),
              ("SCALAR", 1, "lowrank scalar", "#7f7f7f", ""), ("NAIVE", 1, "naive ikj Java", "#2ca02c", "")]
    ns = sorted({int(s.split("x")[0]) for s, _, _ in g if "-" not in s})
    if not ns:
        return
    ymax = max(v for (s, _, _), v in g.items() if "-" not in s) * 1.15
    W, H, L, R, T, B = 720, 420, 60, 230, 30, 50
    px = lambda n: L + (W - L - R) * (ns.index(n) / max(1, len(ns) - 1))
    py = lambda v: H - B - (H - T - B) * v / ymax
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{L}" y="18" font-size="14">fp32 GEMM, square n×n×n: GFLOP/s (higher is better)</text>']
    step = 5 if ymax < 60 else 10 if ymax < 120 else 50
    v = 0
    while v <= ymax:
        parts.append(f'<line x1="{L}" x2="{W - R}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#ddd"/>'
                     f'<text x="{L - 8}" y="{py(v) + 4:.1f}" text-anchor="end">{v}</text>')
        v += step
    for n in ns:
        parts.append(f'<text x="{px(n):.1f}" y="{H - B + 18}" text-anchor="middle">{n}</text>')
    parts.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">n</text>')
    for i, (impl, t, label, color, dash) in enumerate(series):
        pts = [(px(n), py(g[(f"{n}x{n}x{n}", t, impl)])) for n in ns if (f"{n}x{n}x{n}", t, impl) in g]
        if not pts:
            continue
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        ly = T + 20 + 20 * i
        parts.append(f'<line x1="{W - R + 15}" x2="{W - R + 45}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>'
                     f'<text x="{W - R + 52}" y="{ly + 4}">{label}</text>')
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
