"""Silent-customer F1 and problem-level accuracy on planted truth: the rule before #14 vs the evidence rule.

Runs :func:`voc.customers.profile_customers` with ``rule="legacy"`` (the rule before #14, its
180-day window) and with the default evidence rule on :func:`voc.synthetic.generate_history`
data (gold analysis columns, the silent/level hard cases of
:func:`voc.synthetic.add_signal_hard_cases`), and prints one line per (data set, rule).

Data sets: ``dev`` (seed 0, default hard-case rates, the set the rule was developed on) and
``heldout`` (seeds 101 / 202, other hard-case rates, problems spread over 540 days), at 5,000 and
50,000 customers. Usage::

    PYTHONPATH=. python benchmarks/eval_customers.py            # 5k and 50k
    PYTHONPATH=. python benchmarks/eval_customers.py --sizes 5000
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from voc.customers import profile_customers
from voc.synthetic import generate_history

#: Held-out hard-case rates (different from voc.synthetic.SIGNAL_CASE_RATES; not tuned on).
HELDOUT_RATES = {
    "decoy_rate": 0.25,
    "routine_question_rate": 0.3,
    "question_negative_share": 0.5,
    "quiet_churn_rate": 0.08,
    "silent_solved_rate": 0.7,
    "long_episode_rate": 0.5,
    "unsolved_keep_ordering": 0.15,
}


def scores(prof: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Silent precision / recall / F1 and level accuracy (customers with a problem, and all)."""
    t = truth.set_index("customer_id").reindex(prof.index)
    pred, gold = prof["silent"].astype(bool), t["silent"].astype(bool)
    tp = float((pred & gold).sum())
    p = tp / max(pred.sum(), 1)
    r = tp / max(gold.sum(), 1)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    hit = prof["problem_level"] == t["problem_level"]
    return {
        "silent_P": p,
        "silent_R": r,
        "silent_F1": f1,
        "level_acc_problem": float(hit[t["has_problem"].astype(bool)].mean()),
        "level_acc_all": float(hit.mean()),
    }


def main() -> None:
    """Print the before/after table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    args = ap.parse_args()
    sets = {
        "dev": {"seed": 0},
        "heldout": {"seed": 101, "signal_cases": HELDOUT_RATES, "problem_window_days": 540},
    }
    print("| data | customers | rule | silent P | silent R | silent F1 | level acc (problem) | level acc (all) | time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for name, kw in sets.items():
            kw = dict(kw)
            if name == "heldout" and n > 5000:
                kw["seed"] = 202
            h = generate_history(n_customers=n, **kw)
            for rule in ("legacy", "evidence"):
                t0 = time.perf_counter()
                prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"], rule=rule)
                dt = time.perf_counter() - t0
                s = scores(prof, h["truth"])
                print(
                    f"| {name} (seed {kw['seed']}) | {n:,} | {rule} | {s['silent_P']:.3f} | {s['silent_R']:.3f} | "
                    f"{s['silent_F1']:.3f} | {s['level_acc_problem']:.3f} | {s['level_acc_all']:.3f} | {dt:.1f} s |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
