"""Cross-channel dedup and churn per issue against planted truth (issue #14).

Generates a history with :func:`voc.synthetic.generate_history`, plants the identity
hard cases of :func:`voc.synthetic.plant_identity_cases` (masked phones and order
numbers in texts, anonymous posts, decoys, late recurrences, float order ids, a
``phone_masked`` column), masks the texts as ``voc.analyze_frame`` does
(:func:`voc.privacy.mask_text`; the gold analysis columns are kept so that the numbers
do not move with the analyzer) and measures

* **dedup**: pairs of planted-issue texts (known, anonymous and decoy rows) that are
  truly the same (customer, issue) vs pairs in the same :func:`build_repair_queue`
  item: pair precision / recall / F1, the same over cross-channel pairs, the recall
  of the true pairs with an anonymous row, and decoys linked to a customer;
* **churn per issue**: per planted issue, membership = customers with a text of the
  issue (gold) extended by :func:`voc.issues.who_else` (default ``event_pattern="auto"``),
  then :func:`voc.issues.churn_by_issue`; error = ``|excess_churned - churns the
  generator caused through the issue|``, mean over the issues, and how often the
  truth falls in ``[excess_low, excess_high]``; with and without the events' ``detail``.

Usage::

    PYTHONPATH=. python benchmarks/eval_repair.py --customers 5000 50000 --seed 11
    PYTHONPATH=. python benchmarks/eval_repair.py --customers 5000 --seed 23 --mix heldout
    PYTHONPATH=. python benchmarks/eval_repair.py --customers 2000 --seed 31 --analyzer
    PYTHONPATH=. python benchmarks/eval_repair.py --customers 5000 50000 --no-signal-cases
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import profile_customers
from voc.issues import churn_by_issue, who_else
from voc.privacy import mask_text
from voc.repair import build_repair_queue
from voc.synthetic import generate_history, plant_identity_cases

MIXES: dict[str, dict[str, Any]] = {
    # the mix developed on
    "dev": {},
    # a mix not developed on: more anonymous posts, more decoys, more late recurrences, full phones
    "heldout": {
        "anonymous_rate": 0.45,
        "repeat_rate": 0.35,
        "decoy_rate": 0.3,
        "late_recurrence_rate": 0.25,
        "masked_phone_column": False,
    },
}


def _pairs(n: np.ndarray) -> int:
    return int((n * (n - 1) // 2).sum())


def dedup_eval(h: dict[str, pd.DataFrame], q: pd.DataFrame) -> dict[str, float]:
    """Pair precision / recall / F1 of the queue's items against the planted (customer, issue)."""
    fb, tt, it = h["feedback"], h["text_truth"], h["identity_truth"].set_index("row")
    sig = q.attrs["signals"]
    fbs = sig[sig["source"] == "feedback"]
    item = pd.Series(fbs["item_id"].to_numpy(), index=fbs["row"].to_numpy())
    ident = pd.Series(fbs["identity"].to_numpy(), index=fbs["row"].to_numpy())
    rows = tt.index[tt["issue"].notna()]
    true_cid = fb["customer_id"].astype(object).copy()
    true_cid.loc[it.index] = it["customer_id"]
    truth = [
        f"{c}|{i}" if c is not None and not pd.isna(c) else f"decoy|{r}"
        for r, c, i in zip(rows, true_cid.loc[rows], tt.loc[rows, "issue"], strict=True)
    ]
    pred = [f"i{item[r]}" if r in item.index else f"none{r}" for r in rows]
    anon = fb.loc[rows, "customer_id"].isna().to_numpy()
    d = pd.DataFrame({"t": truth, "p": pred, "ch": fb.loc[rows, "channel"].to_numpy(), "anon": anon})

    def counts(df: pd.DataFrame) -> tuple[int, int, int]:
        return (
            _pairs(df.groupby(["t", "p"]).size().to_numpy()),
            _pairs(df.groupby("t").size().to_numpy()),
            _pairs(df.groupby("p").size().to_numpy()),
        )

    tp, tru, prd = counts(d)
    tp_s, tru_s, prd_s = (
        _pairs(d.groupby(["t", "p", "ch"]).size().to_numpy()),
        _pairs(d.groupby(["t", "ch"]).size().to_numpy()),
        _pairs(d.groupby(["p", "ch"]).size().to_numpy()),
    )
    tp_x, tru_x, prd_x = tp - tp_s, tru - tru_s, prd - prd_s
    known = d[~d["anon"]]
    tp_k, tru_k, _ = counts(known)
    tp_a, tru_a = tp - tp_k, tru - tru_k

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    p, r = tp / max(prd, 1), tp / max(tru, 1)
    px, rx = tp_x / max(prd_x, 1), tp_x / max(tru_x, 1)
    decoys = it.index[it["kind"] == "decoy"]
    return {
        "pair_p": p,
        "pair_r": r,
        "pair_f1": f1(p, r),
        "xch_p": px,
        "xch_r": rx,
        "xch_f1": f1(px, rx),
        "anon_pair_recall": tp_a / max(tru_a, 1),
        "anon_pairs": float(tru_a),
        "decoys_linked": float(sum(ident.get(r) == "fuzzy" for r in decoys)),
        "decoys": float(len(decoys)),
    }


def churn_eval(h: dict[str, pd.DataFrame], events: pd.DataFrame) -> dict[str, float]:
    """Mean abs error of excess churn per planted issue, and CI coverage."""
    fb, tt, truth = h["feedback"], h["text_truth"], h["truth"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof = profile_customers(fb, h["contacts"], events, h["customers"])
    codes = sorted(truth["issue"].dropna().unique())
    gold = tt["issue"].notna() & fb["customer_id"].notna()
    asg = pd.DataFrame(
        {"customer_id": fb.loc[gold, "customer_id"], "issue_id": tt.loc[gold, "issue"].map(codes.index)},
        index=fb.index[gold],
    )
    parts = [asg]
    for k in range(len(codes)):
        w = who_else(k, fb, prof, events, assignment=asg)
        parts.append(w.as_assignment(k))
    table = churn_by_issue(pd.concat(parts, ignore_index=True), prof).set_index("issue_id")
    t = truth.set_index("customer_id")
    errs, cover = [], 0
    for k, code in enumerate(codes):
        caused = int(t.loc[t["issue"] == code, "churn_caused_by_issue"].sum())
        est = float(table.at[k, "excess_churned"]) if k in table.index else 0.0
        errs.append(abs(est - caused))
        if k in table.index:
            cover += bool(table.at[k, "excess_low"] <= caused <= table.at[k, "excess_high"])
    return {"churn_mae": float(np.mean(errs)), "ci_cover": cover / len(codes), "issues": float(len(codes))}


def run(n: int, seed: int, mix: str, analyzer: bool = False, signal_cases: bool = True) -> dict[str, float]:
    h = generate_history(n_customers=n, seed=seed, signal_cases=signal_cases)
    h = plant_identity_cases(h, seed=seed + 1, **MIXES[mix])
    if analyzer:  # the library's own labels instead of the gold ones (and its masking)
        import voc

        raw = h["feedback"][["customer_id", "channel", "timestamp", "text", "phone_masked", "order_id"]]
        h["feedback"] = voc.analyze_frame(raw)
    else:
        h["feedback"]["text"] = h["feedback"]["text"].map(mask_text)  # what voc.analyze_frame does
    out: dict[str, float] = {}
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = build_repair_queue(h["feedback"], h["contacts"], h["events"], h["customers"])
    out["queue_s"] = time.perf_counter() - t
    out.update(dedup_eval(h, q))
    t = time.perf_counter()
    c = churn_eval(h, h["events"])
    out.update({f"{k}_detail": v for k, v in c.items() if k != "issues"})
    c = churn_eval(h, h["events"].drop(columns="detail"))
    out.update({f"{k}_nodetail": v for k, v in c.items() if k != "issues"})
    out["churn_s"] = time.perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, nargs="+", default=[5000])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--mix", choices=sorted(MIXES), default="dev")
    ap.add_argument(
        "--analyzer", action="store_true", help="label the texts with voc.analyze_frame, not gold"
    )
    ap.add_argument(
        "--no-signal-cases", action="store_true",
        help="leave out the silent/level hard cases of generate_history (the data before they became the default)",
    )
    a = ap.parse_args()
    for n in a.customers:
        r = run(n, a.seed, a.mix, a.analyzer, signal_cases=not a.no_signal_cases)
        print(
            f"n={n} seed={a.seed} mix={a.mix} analyzer={a.analyzer} signal_cases={not a.no_signal_cases}: "
            + ", ".join(f"{k}={v:.3f}" for k, v in r.items()),
            flush=True,
        )


if __name__ == "__main__":
    main()
