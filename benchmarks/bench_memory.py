"""Flat memory while streaming: analyze N texts (1M by default) through ``nlp.pipe``.

    python benchmarks/bench_memory.py [--n 1000000] [--every 50000] [--json-out FILE]
    python benchmarks/bench_memory.py --frame [--n 1000000] [--chunksize 20000]

Texts are generated lazily by cycling the ``voc_zh`` corpus texts with a counter
suffix (every text distinct, so no cache can help); every 997th item is a bad input
(None, NaN, empty, undecodable bytes) to exercise the error path too. Results are
consumed one by one and only aggregated into bounded counters: neither the inputs
nor the results are ever held in a list. RSS (``/proc/self/status`` VmRSS) is sampled
every ``--every`` texts; the script prints the series and the least-squares slope in
MB per 100k texts over the samples after the first (the first includes warm-up:
lazy tokenizer tables, OpenCC, allocator arenas).

``--frame``: ``voc.analyze_frame`` of an N-row DataFrame (the same texts), whose result columns
are kept: RSS is sampled by a thread every 0.5 s; the script prints the RSS growth per row of
the returned frame (what keeping the results costs) and the peak above the final RSS (what the
streaming itself costs on top, bounded by ``--chunksize`` rows of records).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BAD = (None, float("nan"), "", b"\xff\xfe\xfd", "\u200b")


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def generate(base: list[str], n: int) -> Iterator[Any]:
    """``n`` texts: corpus texts cycled with a counter suffix, some bad items mixed in."""
    m = len(base)
    for i in range(n):
        if i % 997 == 996:
            yield BAD[(i // 997) % len(BAD)]
        else:
            yield f"{base[i % m]} {i}"


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    k = len(xs)
    if k < 2:
        return 0.0
    mx, my = sum(xs) / k, sum(ys) / k
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def frame_run(args: argparse.Namespace, base: list[str]) -> None:
    """``analyze_frame`` of ``args.n`` rows: RSS per kept row and the streaming overhead."""
    import threading

    import pandas as pd

    import voc

    nlp = voc.load()
    voc.analyze_frame(pd.DataFrame({"text": base[:2000]}), nlp=nlp, progress=False)  # warm-up
    df = pd.DataFrame({"text": list(generate(base, args.n))})
    gc.collect()
    before = rss_mb()
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            samples.append(rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    out = voc.analyze_frame(df, nlp=nlp, progress=False, chunksize=args.chunksize)
    seconds = time.perf_counter() - t0
    done.set()
    thread.join()
    gc.collect()
    after = rss_mb()
    peak = max([*samples, after])
    res = {
        "n": args.n,
        "chunksize": args.chunksize,
        "seconds": round(seconds, 1),
        "rows_per_s": round(args.n / seconds, 1),
        "rss_input_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "kb_per_row": round((after - before) * 1024 / args.n, 3),
        "peak_above_final_mb": round(peak - after, 1),
        "rows_out": len(out),
    }
    print(json.dumps(res))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frame", action="store_true", help="measure analyze_frame with its results kept")
    ap.add_argument("--chunksize", type=int, default=20_000, help="analyze_frame chunksize (--frame)")
    ap.add_argument("--n", type=int, default=1_000_000, help="texts to analyze")
    ap.add_argument("--every", type=int, default=50_000, help="RSS sampling interval (texts)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--json-out", default=None, help="also write the figures as JSON")
    args = ap.parse_args()

    from voc.datasets import load_frame

    base = [t for t in load_frame("voc_zh")["text"].tolist() if isinstance(t, str)]
    if args.frame:
        frame_run(args, base)
        return
    rss_start = rss_mb()
    import voc

    nlp = voc.load()
    rss_loaded = rss_mb()
    print(f"{args.n} texts (voc_zh cycled, {len(base)} distinct bases), batch_size {args.batch_size}")
    print(f"RSS before load {rss_start:.0f} MB, after load {rss_loaded:.0f} MB")

    sentiments: Counter[str] = Counter()
    errors = 0
    chars = 0
    seen = 0
    series: list[tuple[int, float, float]] = []  # (texts done, RSS MB, texts/s since last)
    t0 = t_last = time.perf_counter()
    for r in nlp.pipe(generate(base, args.n), batch_size=args.batch_size):
        seen += 1
        if r.error is not None:
            errors += 1
        else:
            sentiments[r.sentiment.label] += 1
            chars += len(r.text)
        if seen % args.every == 0:
            now = time.perf_counter()
            series.append((seen, rss_mb(), args.every / (now - t_last)))
            t_last = now
            print(
                f"  {seen:>9,d} texts  RSS {series[-1][1]:7.1f} MB  {series[-1][2]:6.0f} texts/s", flush=True
            )
    total_s = time.perf_counter() - t0
    gc.collect()

    xs = [float(s[0]) for s in series[1:]]
    ys = [s[1] for s in series[1:]]
    per_100k = slope(xs, ys) * 100_000
    out = {
        "n": args.n,
        "rows_out": seen,
        "rows_lost": args.n - seen,
        "errors": errors,
        "seconds": round(total_s, 1),
        "texts_per_s": round(seen / total_s, 1),
        "rss_before_load_mb": round(rss_start, 1),
        "rss_after_load_mb": round(rss_loaded, 1),
        "rss_series_mb": [[s[0], round(s[1], 1)] for s in series],
        "rss_min_max_after_first_mb": [round(min(ys), 1), round(max(ys), 1)] if ys else None,
        "slope_mb_per_100k_texts": round(per_100k, 3),
        "sentiments": dict(sentiments),
    }
    print(
        f"done: {seen:,d} results for {args.n:,d} inputs (lost {args.n - seen}), {errors} with error, "
        f"{total_s:.0f} s, {seen / total_s:.0f} texts/s"
    )
    if ys:
        print(
            f"RSS after first sample: min {min(ys):.1f} MB, max {max(ys):.1f} MB; "
            f"slope {per_100k:+.3f} MB per 100k texts"
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
