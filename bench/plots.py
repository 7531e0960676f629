#!/usr/bin/env python3
"""The user guide's plots, made by running the `lowrank` command line (bin/lowrank) on ML-latest-small.

Usage, from the repository root:  python3 bench/plots.py [out-dir]     (default docs/plots)

Writes three SVG files (no dependencies beyond Python 3) and prints the numbers behind them:
  loss-curves.svg           test RMSE per epoch for ALS, SGD and Adam (seeded 90/10 split, rank 64)
  rmse-vs-rank.svg          ALS test RMSE after 10 iterations for ranks 4 ... 128
  throughput-vs-threads.svg GEMM/SpMM/SDDMM GFLOP/s of `lowrank bench` on 1 and 2 threads (and more, if
                            the machine has them)
Takes a few minutes on 2 cores. Check `uptime` first: other work on the cores slows the timed parts.
"""
import json
import os
import re
import subprocess
import sys

DATA = os.path.join("..", "shared", "data", "movielens-small", "ratings.csv")
LOWRANK = os.path.join("bin", "lowrank")
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def lowrank(*args):
    done = subprocess.run([LOWRANK, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bin/lowrank {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def train(*args):
    return json.loads(lowrank("train", "--input", DATA, "--seed", "42", "--json", *args))


def line_chart(path, title, xlabel, ylabel, series, xs_are_log2=False):
    """series: list of (label, [(x, y), ...]); draws lines with points, a legend on the right."""
    W, H, L, R, T, B = 760, 420, 70, 230, 34, 50
    xs = sorted({x for _, pts in series for x, _ in pts})
    ys = [y for _, pts in series for _, y in pts]
    ylo, yhi = min(ys), max(ys)
    pad = (yhi - ylo) * 0.08 or abs(yhi) * 0.05 or 1.0
    ylo, yhi = ylo - pad, yhi + pad

    def px(x):
        if xs_are_log2:
            i = xs.index(x)
            return L + (W - L - R) * (i / max(1, len(xs) - 1))
        return L + (W - L - R) * ((x - xs[0]) / max(1e-12, xs[-1] - xs[0]))

    def py(y):
        return H - B - (H - T - B) * (y - ylo) / (yhi - ylo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L}" y="20" font-size="14">{title}</text>']
    for t in range(6):
        y = ylo + (yhi - ylo) * t / 5
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>'
                   f'<text x="{L - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>')
    ticks = xs if len(xs) <= 12 else xs[:: max(1, len(xs) // 10)]
    for x in ticks:
        out.append(f'<text x="{px(x):.1f}" y="{H - B + 18}" text-anchor="middle">{x:g}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" '
               f'text-anchor="middle">{ylabel}</text>')
    for i, (label, pts) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"/>' for x, y in pts]
        ly = T + 16 + 20 * i
        out.append(f'<line x1="{W - R + 15}" x2="{W - R + 45}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"/>'
                   f'<text x="{W - R + 52}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("docs", "plots")
    if not os.path.exists(DATA):
        sys.exit(f"{DATA} is missing: the plots need ML-latest-small in ../shared/data")
    os.makedirs(out_dir, exist_ok=True)

    # Loss curves: each solver with the defaults the CLI documents (rank 64; ALS 10 iterations, SGD 60
    # and Adam 100 epochs).
    curves = []
    print("| solver | epochs | test RMSE | s/epoch |\n|---|---|---|---|")
    for solver in ("als", "sgd", "adam"):
        r = train("--solver", solver)
        rmse = r["testRmsePerEpoch"]
        curves.append((f"{solver} (rank 64)", [(e + 1, v) for e, v in enumerate(rmse)]))
        print(f"| {solver} | {r['epochs']} | {r['testRmse']:.4f} | {r['secondsPerEpoch']:.3f} |")
    line_chart(os.path.join(out_dir, "loss-curves.svg"), "ML-latest-small, 90/10 split (seed 42): test RMSE per epoch",
               "epoch", "test RMSE", curves)

    # RMSE against rank, ALS with its defaults (λ 10, λ_b 5), 10 iterations.
    ranks = [4, 8, 16, 32, 64, 128]
    points = []
    print("\n| rank | ALS test RMSE | s/iteration |\n|---|---|---|")
    for k in ranks:
        r = train("--solver", "als", "--rank", str(k), "--epochs", "10")
        points.append((k, r["testRmse"]))
        print(f"| {k} | {r['testRmse']:.4f} | {r['secondsPerEpoch']:.3f} |")
    line_chart(os.path.join(out_dir, "rmse-vs-rank.svg"), "ML-latest-small: ALS test RMSE after 10 iterations vs rank",
               "rank", "test RMSE", [("ALS (λ 10, λ_b 5)", points)], xs_are_log2=True)

    # Kernel throughput against threads, from `lowrank bench` (Vector API column).
    threads = sorted({1, 2, os.cpu_count() or 1})
    row = re.compile(r"^(GEMM|SpMM|SDDMM)\b.*?\s([\d.]+) GF/s\s+([\d.]+) GF/s")
    per_kernel = {}
    print("\n| threads | kernel | GFLOP/s (Vector API) |\n|---|---|---|")
    for t in threads:
        for line in lowrank("bench", "--threads", str(t)).splitlines():
            m = row.match(line)
            if m:
                per_kernel.setdefault(m.group(1), []).append((t, float(m.group(3))))
                print(f"| {t} | {m.group(1)} | {float(m.group(3)):.1f} |")
    line_chart(os.path.join(out_dir, "throughput-vs-threads.svg"),
               "lowrank bench (4000×3000, rank 64): GFLOP/s vs threads", "threads", "GFLOP/s",
               sorted(per_kernel.items()))


if __name__ == "__main__":
    main()
