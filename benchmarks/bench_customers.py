"""Customer-side scaling: profiles, repair queue and churn training at 50k / 200k / 500k customers.

    python benchmarks/bench_customers.py [--sizes 50000 200000 500000] [--repeat 3 2 1] [--write-docs]

Data: :func:`voc.synthetic.generate_history` (gold analysis columns, so no text model runs;
problems spread over 420 days so that churn training has monthly snapshots). Each size runs in
its own process; every function is timed ``--repeat`` times (per size) on the same frames (median and
min-max reported). The growth exponent between two sizes is ``log(t2 / t1) / log(n2 / n1)``
(1.0 = linear). ``--write-docs`` replaces the generated block of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- bench_customers:begin -->", "<!-- bench_customers:end -->"
TRAIN_AS_OF = ["2024-02-15", "2024-03-15", "2024-04-15", "2024-05-15"]
TEST_AS_OF = "2024-08-15"
FUNCTIONS = ("profile_customers", "build_repair_queue", "fit_time_split")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import rss_mb  # noqa: E402  (one RSS reader for the benchmarks)


def worker(n: int, repeat: int) -> dict:
    """Time the customer functions on one generated history (one process)."""
    import warnings

    warnings.simplefilter("ignore")
    from voc.churn import fit_time_split
    from voc.customers import profile_customers
    from voc.repair import build_repair_queue
    from voc.synthetic import generate_history

    t = time.perf_counter()
    h = generate_history(n_customers=n, seed=0, problem_window_days=420, churn_delay_days=(30, 150))
    gen_s = time.perf_counter() - t
    calls = {
        "profile_customers": lambda: profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"]),
        "build_repair_queue": lambda: build_repair_queue(h["feedback"], h["contacts"], h["events"], h["customers"]),
        "fit_time_split": lambda: fit_time_split(h, TRAIN_AS_OF, TEST_AS_OF, horizon_days=90),
    }
    out: dict = {"n": n, "generate_s": gen_s, "rows": {k: len(v) for k, v in h.items()}, "times": {}}
    for name, fn in calls.items():
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out["times"][name] = times
    out["rss_mb"] = rss_mb()
    return out


def table(runs: list[dict]) -> str:
    sizes = [r["n"] for r in runs]
    head = "| function | " + " | ".join(f"{n:,} customers: s, median (min–max)" for n in sizes)
    head += "".join(f" | exponent {a // 1000}k→{b // 1000}k" for a, b in zip(sizes, sizes[1:], strict=False)) + " |"
    lines = [head, "|---|" + "---|" * (len(sizes) + len(sizes) - 1)]
    for name in FUNCTIONS:
        meds = [statistics.median(r["times"][name]) for r in runs]
        cells = [f"{m:.1f} ({min(r['times'][name]):.1f}–{max(r['times'][name]):.1f})" for m, r in zip(meds, runs,
                                                                                                      strict=True)]
        cells += [f"{math.log(b / a) / math.log(nb / na):.2f}" for a, b, na, nb in
                  zip(meds, meds[1:], sizes, sizes[1:], strict=False)]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "| size | feedback rows | contacts | events | generate_history s | RSS after MB |", "|---|---|---|---|---|---|"]
    for r in runs:
        rows = r.get("rows") or {}
        lines.append(f"| {r['n']:,} | {rows.get('feedback', float('nan')):,} | {rows.get('contacts', float('nan')):,} | "
                     f"{rows.get('events', float('nan')):,} | {r['generate_s']:.0f} | {r.get('rss_mb', float('nan')):.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000, 500_000])
    ap.add_argument("--repeat", type=int, nargs="+", default=[3, 2, 1],
                    help="timed runs per size (one number for all sizes, or one per size)")
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--from-log", default=None, help="build the table from the per-size JSON lines of an earlier run")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat[0])))
        return
    if args.from_log:
        runs = [json.loads(line) for line in Path(args.from_log).read_text(encoding="utf-8").splitlines()
                if line.startswith('{"n"')]
        args.sizes = [r["n"] for r in runs]
        args.repeat = [len(r["times"][FUNCTIONS[0]]) for r in runs]
        write(runs, args, args.repeat)
        return
    repeats = (args.repeat * len(args.sizes))[: len(args.sizes)] if len(args.repeat) == 1 else args.repeat
    if len(repeats) != len(args.sizes):
        raise SystemExit("--repeat: one number, or one per size")
    runs = []
    for n, repeat in zip(args.sizes, repeats, strict=True):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run([sys.executable, __file__, "--worker", str(n), "--repeat", str(repeat)],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"worker failed at n={n}:\n{proc.stderr[-2000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    write(runs, args, repeats)


def write(runs: list[dict], args: argparse.Namespace, repeats: list[int]) -> None:
    """Print the table; with ``--write-docs`` also put it into docs/BENCHMARKS.md."""
    text = table(runs)
    print(text)
    if args.write_docs:
        doc = DOCS.read_text(encoding="utf-8")
        block = (f"{BEGIN}\nGenerated by `python benchmarks/bench_customers.py --sizes {' '.join(map(str, args.sizes))} "
                 f"--repeat {' '.join(map(str, repeats))} --write-docs` on {time.strftime('%Y-%m-%d')}.\n\n{text}\n{END}")
        if BEGIN in doc:
            doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip("\n") + f"\n\n## Customer side: scaling\n{block}\n"
        DOCS.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
