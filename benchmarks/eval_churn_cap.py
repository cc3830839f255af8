"""Accuracy and time of churn training with and without the ``max_fit_rows`` cap (issue #16).

    python benchmarks/eval_churn_cap.py [--n 200000] [--caps none 250000] [--seed 0]

Data: the scenario of ``benchmarks/bench_customers.py`` (:func:`voc.synthetic.generate_history`,
problems over 420 days, churn 30-150 days after them; default issues), training snapshots
2024-02-15 ... 2024-05-15, test snapshot 2024-08-15, horizon 90 days, ``model="auto"``.
For each cap, :func:`voc.churn.fit_time_split` runs on the same history and prints one JSON line:
seconds, the load average, rows, the kept model, its validation scores and the test ROC-AUC,
PR-AUC, Brier score and ECE. ``none`` = every row (the behaviour before the cap).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

TRAIN_AS_OF = ["2024-02-15", "2024-03-15", "2024-04-15", "2024-05-15"]
TEST_AS_OF = "2024-08-15"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--caps", nargs="+", default=["none", "250000"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from voc.churn import fit_time_split
    from voc.synthetic import generate_history

    h = generate_history(n_customers=args.n, seed=args.seed, problem_window_days=420, churn_delay_days=(30, 150))
    for cap_text in args.caps:
        cap = None if cap_text.lower() == "none" else int(cap_text)
        load0 = os.getloadavg()[0]
        t = time.perf_counter()
        s = fit_time_split(h, TRAIN_AS_OF, TEST_AS_OF, horizon_days=90, max_fit_rows=cap)
        secs = time.perf_counter() - t
        e = s.evaluation
        print(json.dumps({
            "n": args.n, "seed": args.seed, "max_fit_rows": cap, "seconds": round(secs, 1),
            "load_before_after": [round(load0, 1), round(os.getloadavg()[0], 1)],
            "train_rows": len(s.y_train), "fit_rows": s.model.n_fit_rows_, "test_rows": len(s.y_test),
            "kind": s.model.kind_, "validation": {k: round(v, 4) for k, v in s.model.validation_scores_.items()},
            "roc_auc": round(e.roc_auc, 4), "pr_auc": round(e.pr_auc, 4), "brier": round(e.brier, 5),
            "brier_base": round(e.brier_base, 5), "ece": round(e.ece, 4), "base_rate": round(e.base_rate, 4),
        }), flush=True)


if __name__ == "__main__":
    main()
