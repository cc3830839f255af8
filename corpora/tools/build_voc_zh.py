"""Build corpora/voc_zh/{train,dev,test}.jsonl from the hand-written batches in raw/.

Steps: validate every row against the taxonomy, drop near-duplicates (character
4-gram Jaccard > 0.6 with an earlier row: the earlier one is kept), assign splits
70/15/15 by scenario (MD5 bucket of the scenario id, so a scenario never straddles
splits), write the split files and STATS.md (label tables, near-duplicate
statistics, lengths, and the top cue word per label with its precision).

Usage: python corpora/tools/build_voc_zh.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "corpora" / "tools"))

from check_batch import CODES, MULTI, grams, load  # noqa: E402

from voc.datasets import split_of  # noqa: E402

OUT = ROOT / "corpora" / "voc_zh"
TASKS = [t for t in CODES if t not in ("channel", "domain")]


def near_duplicate_filter(rows: list[dict], thr: float = 0.6) -> tuple[list[dict], list[tuple], float]:
    kept: list[dict] = []
    kept_grams: list[set[str]] = []
    index: dict[str, list[int]] = {}
    dropped = []
    max_sim = 0.0
    for r in rows:
        g = grams(r["text"])
        cand: Counter = Counter()
        for x in g:
            for j in index.get(x, ()):
                cand[j] += 1
        best, best_j = 0.0, -1
        for j, inter in cand.items():
            jac = inter / len(g | kept_grams[j])
            if jac > best:
                best, best_j = jac, j
        if best > thr:
            dropped.append((r["id"], kept[best_j]["id"], round(best, 3)))
            continue
        max_sim = max(max_sim, best)
        k = len(kept)
        kept.append(r)
        kept_grams.append(g)
        for x in g:
            index.setdefault(x, []).append(k)
    return kept, dropped, max_sim


def top_cues(rows: list[dict], task: str) -> list[tuple[str, str, float, int]]:
    """Per label: the word whose presence best predicts it (precision, support >= 10)."""
    docs = [set(jieba.lcut(r["text"])) for r in rows]
    df: Counter = Counter()
    for d in docs:
        df.update(d)
    out = []
    for label in CODES[task]:
        has = [label in (r[task] if task in MULTI else [r[task]]) for r in rows]
        co: Counter = Counter()
        for d, h in zip(docs, has, strict=True):
            if h:
                co.update(d)
        best = max(((co[w] / df[w], w) for w in co if df[w] >= 10 and len(w.strip()) > 0), default=(0.0, "-"))
        out.append((label, best[1], round(best[0], 2), sum(has)))
    return out


#: A solved problem is named in the text: such rows keep journey_stage ``resolved``.
SOLVED_CUE = re.compile(r"退回|退了|解决|修好|处理|到账|补|赔|好了|恢复|找回|换了|退款|终于|申诉|帮我|要回|自己")


def migrate_journey_none(rows: list[dict]) -> int:
    """Rule R21 (taxonomy v1.1): ``journey_stage = none`` when the text has no problem-solving journey.

    The batches were written under R14, which had no ``none`` and used conventions instead
    (praise -> resolved, plain question -> seeking_help, suggestion/filler -> problem_found).
    A row moves to ``none`` when nothing in its labels shows a problem: complaint_stage
    ``none``, no reason, no behaviour, sentiment not negative, intent praise / inquiry /
    suggestion / other, journey problem_found / seeking_help / resolved, and (for
    ``resolved``) no word in the text that names a solved problem (:data:`SOLVED_CUE`).
    """
    n = 0
    for r in rows:
        if (r["complaint_stage"] == "none" and not r["non_complaint_reasons"] and not r["behaviors"]
                and r["sentiment"] != "negative" and r["intent"] in ("praise", "inquiry", "suggestion", "other")
                and r["journey_stage"] in ("problem_found", "seeking_help", "resolved")
                and not (r["journey_stage"] == "resolved" and SOLVED_CUE.search(r["text"]))):
            r["journey_stage"] = "none"
            n += 1
    return n


def main() -> None:
    rows = []
    for path in sorted((OUT / "raw").glob("batch_*.jsonl")):
        for r in load(path):
            r["batch"] = path.stem.replace("batch_", "")
            rows.append(r)
    bad = []
    for r in rows:
        for task, codes in CODES.items():
            v = r.get(task)
            vals = v if task in MULTI else [v]
            if not isinstance(vals, list) or any(x not in codes for x in vals):
                bad.append(r["id"])
    rows = [r for r in rows if r["id"] not in set(bad)]
    migrated = migrate_journey_none(rows)
    print(f"journey_stage -> none (rule R21 migration): {migrated} rows")
    kept, dropped, max_sim = near_duplicate_filter(rows)
    for r in kept:
        r["split"] = split_of(r["scenario"], train=70, dev=15)
    fields = ["id", "batch", "scenario", "text", *TASKS, "channel", "domain"]
    for split in ("train", "dev", "test"):
        with open(OUT / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in kept:
                if r["split"] == split:
                    f.write(json.dumps({k: r[k] for k in fields}, ensure_ascii=False) + "\n")
    lines = ["# voc_zh statistics (generated by corpora/tools/build_voc_zh.py)", ""]
    sc = Counter(r["split"] for r in kept)
    lines += [f"Rows: {len(kept)} kept of {len(rows) + len(bad)} written; {len(bad)} invalid, "
              f"{len(dropped)} near-duplicates dropped (4-gram Jaccard > 0.6). "
              f"Highest similarity between kept texts: {max_sim:.3f}.", "",
              f"Splits (by scenario): train {sc['train']}, dev {sc['dev']}, test {sc['test']}; "
              f"{len({r['scenario'] for r in kept})} scenarios.", ""]
    lens = sorted(len(r["text"]) for r in kept)
    lines += [f"Length (chars): min {lens[0]}, median {lens[len(lens) // 2]}, max {lens[-1]}; "
              f"<= 12: {sum(x <= 12 for x in lens)}, >= 120: {sum(x >= 120 for x in lens)}.", ""]
    for task in CODES:
        c: Counter = Counter()
        for r in kept:
            c.update(r[task] if task in MULTI else [r[task]])
        lines.append(f"## {task}")
        lines.append("| label | count | train | dev | test |")
        lines.append("|---|---|---|---|---|")
        for label in CODES[task]:
            per = Counter(r["split"] for r in kept if label in (r[task] if task in MULTI else [r[task]]))
            lines.append(f"| {label} | {c[label]} | {per['train']} | {per['dev']} | {per['test']} |")
        if task in MULTI:
            lines.append(f"| (empty) | {sum(1 for r in kept if not r[task])} | | | |")
        lines.append("")
    lines += ["## Top cue word per label (jieba words with df >= 10; precision = P(label | word))", "",
              "| task | label | top word | precision | support |", "|---|---|---|---|---|"]
    for task in TASKS:
        for label, word, prec, n in top_cues(kept, task):
            lines.append(f"| {task} | {label} | {word} | {prec} | {n} |")
    (OUT / "STATS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:8]))


if __name__ == "__main__":
    main()
