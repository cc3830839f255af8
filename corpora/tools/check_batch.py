"""Validate authored corpus batch files (JSONL) for corpora/voc_zh/raw/.

Usage: python corpora/tools/check_batch.py corpora/voc_zh/raw/batch_a.jsonl [--all]

Checks: schema, label codes, per-value counts, length spread, and
character 4-gram Jaccard similarity > 0.6 against every other text in the
given file (and, with --all, in every other raw batch file).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

CODES = {
    "sentiment": ["negative", "neutral", "positive"],
    "emotion": ["anger", "anxiety", "disappointment", "impatience", "resignation", "delight", "neutral"],
    "intent": ["complaint", "inquiry", "help_request", "refund_return", "cancel", "compensation",
               "urge", "suggestion", "praise", "venting", "other"],
    "non_complaint_reasons": ["channel_blocked", "self_reliance", "distrust_service", "let_it_go",
                              "not_bother", "conflict_avoidance", "fear_retaliation", "privacy_concern"],
    "complaint_stage": ["none", "latent_grumble", "explicit_grumble", "latent_complaint", "complaint"],
    "behaviors": ["direct_complaint", "negative_review", "reduced_purchase", "word_of_mouth"],
    "aspects": ["product_quality", "logistics", "price_billing", "after_sales", "customer_service",
                "account_payment", "app_website", "privacy_security", "other"],
    "journey_stage": ["none", "problem_found", "seeking_help", "in_progress", "resolved", "unresolved",
                      "unsolvable", "recurred"],
    "temperament": ["none", "narcissistic", "impulsive_angry", "preachy", "sensitive"],
    "channel": ["weibo", "app_review", "ecommerce_review", "chat", "hotline_transcript", "forum",
                "survey_verbatim"],
    "domain": ["ecommerce", "food_delivery", "telecom", "banking_payment", "ride_hailing_travel", "auto",
               "apps_internet", "utilities", "airline_hotel"],
}
MULTI = {"non_complaint_reasons", "behaviors", "aspects"}
REQUIRED = ["id", "scenario", "text", *CODES]


def grams(text: str, n: int = 4) -> set[str]:
    t = "".join(text.split())
    if len(t) < n:
        return {t}
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def load(path: Path) -> list[dict]:
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            print(f"{path}:{i}: bad JSON: {e}")
    return rows


def check(rows: list[dict], path: Path) -> int:
    errors = 0
    for r in rows:
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            print(f"{r.get('id')}: missing {missing}")
            errors += 1
            continue
        for task, codes in CODES.items():
            v = r[task]
            if task in MULTI:
                if not isinstance(v, list) or any(x not in codes for x in v):
                    print(f"{r['id']}: bad {task}={v!r}")
                    errors += 1
            elif v not in codes:
                print(f"{r['id']}: bad {task}={v!r}")
                errors += 1
        if not (2 <= len(r["text"]) <= 400):
            print(f"{r['id']}: length {len(r['text'])}")
    ids = Counter(r["id"] for r in rows)
    for k, c in ids.items():
        if c > 1:
            print(f"duplicate id {k}")
            errors += 1
    return errors


def near_dups(rows: list[dict], others: list[dict], thr: float = 0.6) -> list[tuple]:
    pool = [(r["id"], grams(r["text"])) for r in others]
    index: dict[str, list[int]] = {}
    for j, (_, g) in enumerate(pool):
        for x in g:
            index.setdefault(x, []).append(j)
    out = []
    for r in rows:
        g = grams(r["text"])
        cand = Counter()
        for x in g:
            for j in index.get(x, ()):
                cand[j] += 1
        for j, inter in cand.items():
            oid, og = pool[j]
            if oid == r["id"]:
                continue
            jac = inter / len(g | og)
            if jac > thr:
                out.append((r["id"], oid, round(jac, 2)))
    return out


def main() -> None:
    path = Path(sys.argv[1])
    rows = load(path)
    errors = check(rows, path)
    others = rows
    if "--all" in sys.argv:
        for p in sorted(path.parent.glob("*.jsonl")):
            if p != path:
                others = others + load(p)
    dups = near_dups(rows, others)
    seen = set()
    for a, b, j in dups:
        if (b, a) in seen:
            continue
        seen.add((a, b))
        print(f"near-duplicate (4-gram Jaccard {j}): {a} ~ {b}")
    print(f"\n{len(rows)} rows, {errors} schema errors, {len(seen)} near-duplicate pairs")
    for task in CODES:
        c = Counter()
        for r in rows:
            v = r.get(task)
            for x in v if isinstance(v, list) else [v]:
                c[x] += 1
        print(f"{task}: " + ", ".join(f"{k}={c.get(k, 0)}" for k in CODES[task]))
    lens = sorted(len(r.get("text", "")) for r in rows)
    if lens:
        print(f"length: min {lens[0]}, median {lens[len(lens)//2]}, max {lens[-1]}, "
              f"<=10: {sum(x <= 10 for x in lens)}, >=100: {sum(x >= 100 for x in lens)}")


if __name__ == "__main__":
    main()
