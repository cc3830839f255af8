"""Full analysis throughput vs bare jieba.lcut and SnowNLP sentiment, load time and RSS.

    python benchmarks/bench_analyze.py [--n 5000]

Texts: a fixed shuffle of the public review test splits in corpora/public/.
Every contender runs over the same texts in one process and one run; ratios
are printed against jieba.lcut (goal: full analysis >= 1.0x) and against SnowNLP
sentiment (goal: >= 25x). SnowNLP runs on --n-snownlp texts (it is slow) and its
rate is extrapolated per text.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--n-snownlp", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from voc.datasets import load_frame

    texts = []
    for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews"):
        texts += list(load_frame(name, split="test")["text"])
    random.Random(0).shuffle(texts)
    texts = texts[: args.n]
    chars = sum(map(len, texts))
    print(f"{len(texts)} texts, {chars} chars, mean {chars / len(texts):.0f} chars")

    rss0 = rss_mb()
    t = time.perf_counter()
    import voc

    nlp = voc.load()
    load_s = time.perf_counter() - t
    rss_load = rss_mb()

    import jieba

    jieba.initialize()
    list(nlp.pipe(texts[:200]))  # warm-up
    jieba.lcut(texts[0])

    # Contenders alternate over chunks of 500 texts, and each keeps its best of --repeat passes per chunk:
    # on a shared machine, a burst of load then hits all contenders alike.
    contenders = {
        "jieba.lcut (tokenize only)": lambda chunk: [jieba.lcut(x) for x in chunk],
        "voc nlp.pipe (all 9 tasks)": lambda chunk: [None for _ in nlp.pipe(chunk, batch_size=256)],
        "voc nlp.predict('sentiment')": lambda chunk: nlp.predict("sentiment", chunk),
    }
    total = dict.fromkeys(contenders, 0.0)
    for k in range(0, len(texts), 500):
        chunk = texts[k : k + 500]
        for name, fn in contenders.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn(chunk)
                times.append(time.perf_counter() - t)
            total[name] += min(times)
    jieba_s = total["jieba.lcut (tokenize only)"]
    rows = list(total.items())

    from snownlp import SnowNLP

    sub = texts[: args.n_snownlp]
    t = time.perf_counter()
    for x in sub:
        _ = SnowNLP(x).sentiments
    snow_s = (time.perf_counter() - t) * len(texts) / len(sub)
    rows.append((f"SnowNLP sentiments (extrapolated from {len(sub)})", snow_s))

    print(f"\nvoc.load(): {load_s:.2f} s; RSS before {rss0:.0f} MB, after load {rss_load:.0f} MB, "
          f"after runs {rss_mb():.0f} MB\n")
    print("| contender | texts/s | vs jieba.lcut | vs SnowNLP |\n|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {len(texts) / s:,.0f} | {jieba_s / s:.2f}x | {snow_s / s:.1f}x |")


if __name__ == "__main__":
    main()
