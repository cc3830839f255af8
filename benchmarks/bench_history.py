"""The customer chain over one ``voc.History`` vs the old per-function signatures.

Runs profiles, personas, issues, who else, churn per issue, the repair queue and churn features on
raw (unanalyzed) synthetic feedback, once with the old signatures (each function validates its
tables and analyzes the feedback it is given) and once over one :class:`voc.History`, and prints
the analyzer runs, full table validations and wall time of each. Usage::

    PYTHONPATH=. python benchmarks/bench_history.py --customers 2000
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import pandas as pd

import voc
import voc.frame
import voc.schema
from voc.churn import churn_features
from voc.repair import build_repair_queue
from voc.synthetic import generate_history

ANALYSIS = ["sentiment", "sentiment_score", "emotion", "intent", "non_complaint_reasons", "complaint_stage",
            "behaviors", "aspects", "journey_stage", "temperament", "error", "evidence"]


class Counter:
    """Counts calls of a module function it replaces (restored by :meth:`restore`)."""

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name, self.real, self.n = module, name, getattr(module, name), 0

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
            return self.real(*args, **kwargs)

        setattr(module, name, counting)

    def restore(self) -> None:
        setattr(self.module, self.name, self.real)


def old_chain(g: dict[str, pd.DataFrame], fb: pd.DataFrame, as_of: pd.Timestamp) -> None:
    prof = voc.profile_customers(fb, g["contacts"], g["events"], g["customers"])
    voc.assign_personas(prof, fb, g["events"])
    issues, assignment, model = voc.discover_issues(fb, n_issues=6, return_model=True)
    voc.who_else(0, fb, prof, g["events"], assignment=assignment, model=model)
    voc.churn_by_issue(assignment, prof, issues=issues)
    build_repair_queue(fb, g["contacts"], g["events"], g["customers"], profiles=prof, assignment=assignment)
    churn_features(fb, g["contacts"], g["events"], g["customers"], as_of=as_of, horizon_days=60)


def new_chain(g: dict[str, pd.DataFrame], fb: pd.DataFrame, as_of: pd.Timestamp) -> None:
    h = voc.History.from_frames(fb, g["contacts"], g["events"], g["customers"])
    voc.profile_customers(h)
    voc.assign_personas(h)
    model = voc.discover_issues(h, n_issues=6)
    voc.who_else(h, 0, model=model)
    voc.churn_by_issue(h, model)
    build_repair_queue(h, assignment=model)
    churn_features(h, as_of=as_of, horizon_days=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    g = generate_history(args.customers, seed=args.seed)
    fb = g["feedback"].drop(columns=ANALYSIS)
    as_of = pd.Timestamp(g["feedback"]["timestamp"].max()) - pd.Timedelta(days=90)
    voc.load()  # load the models outside the timings
    for name, chain in (("old signatures", old_chain), ("one History", new_chain)):
        voc_attr = Counter(voc, "analyze_frame")  # first: ``voc.analyze_frame`` resolves lazily to voc.frame's
        analyzer = Counter(voc.frame, "analyze_frame")
        checks = Counter(voc.schema, "apply_aliases")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chain(g, fb, as_of)
        seconds = time.perf_counter() - t0
        for c in (analyzer, voc_attr, checks):
            c.restore()
        print(f"{name:15s} {len(fb)} texts: analyzer runs {analyzer.n + voc_attr.n}, "
              f"table checks {checks.n}, {seconds:.1f} s")


if __name__ == "__main__":
    main()
