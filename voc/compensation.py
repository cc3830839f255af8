"""Compensation standard and case-flow tracking (seed 001: "解决不了，如何赔偿填补客户低谷").

Seed 001 asks for a compensation standard keyed by the customer's value grade,
the problem level (1-4), the mood grade and the acceptance history, giving
"compensate or not" and a fixed amount band, and describes how a case flows:

* 需要赔偿 → 沟通定额赔偿 (offer) → 客户接受 → 引导评价 → 评价/不评价
* 需要赔偿 → offer → 不接受 → 方案协商 (negotiation) → 接受 → 引导评价
* 需要赔偿 → offer → 不接受 → 方案协商 → 不接受 → 投诉 (complaint) → 再次协商 (renegotiation) → 接受
* 不需要赔偿 → 规范话术告知 (inform) → 情绪安抚 (soothe) → 接受 / 不接受 → 情绪安抚 → 引导评价

The table lives in ``voc/data/compensation_table.csv`` (columns ``value_grade``,
``problem_level``, ``mood_grade``, ``acceptance``, ``compensate``,
``amount_low``, ``amount_high``, ``note``); ``*`` matches anything and the
first matching row wins, so put specific rows first. Edit it or pass your own.

Grades:

* ``value_grade`` (:func:`value_grades`): A = top 20 % of order amount
  (RFM monetary), B = the next 30 %, C = the rest (and customers without orders).
* ``mood_grade`` (:func:`mood_grade`): ``angry`` (emotion anger, or complaint
  stage latent_complaint / complaint), ``upset`` (anxiety, impatience,
  disappointment, resignation, or explicit_grumble), else ``calm``.
* ``acceptance``: ``rejected_before`` / ``accepted_before`` / ``none`` from the
  customer's earlier cases (:func:`track_cases`).

Example:
    >>> import pandas as pd
    >>> from voc.compensation import recommend_compensation
    >>> cases = pd.DataFrame({"value_grade": ["A", "C"], "problem_level": [4, 1],
    ...                       "mood_grade": ["angry", "calm"]})
    >>> recommend_compensation(cases)[["compensate", "amount_low", "amount_high"]].values.tolist()
    [[True, 100.0, 200.0], [False, 0.0, 0.0]]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.schema import parse_bool

__all__ = [
    "DEFAULT_TABLE",
    "STEPS",
    "load_compensation_table",
    "value_grades",
    "mood_grade",
    "compensation_inputs",
    "recommend_compensation",
    "track_cases",
    "acceptance_rates",
]

DEFAULT_TABLE = Path(__file__).parent / "data" / "compensation_table.csv"
_KEYS = ("value_grade", "problem_level", "mood_grade", "acceptance")
#: Case steps understood by :func:`track_cases`.
STEPS: dict[str, str] = {
    "offer": "沟通定额赔偿",
    "inform": "规范话术告知",
    "soothe": "情绪安抚",
    "accepted": "客户接受",
    "rejected": "客户不接受",
    "negotiation": "方案协商",
    "complaint": "投诉",
    "renegotiation": "再次协商",
    "review_invited": "引导评价",
    "reviewed": "客户评价",
}


def load_compensation_table(table: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check the compensation table (default: the shipped CSV).

    Raises:
        ValueError: A column is missing or ``compensate`` is not yes/no.
    """
    df = (
        table.copy()
        if isinstance(table, pd.DataFrame)
        else pd.read_csv(table or DEFAULT_TABLE, dtype=str, keep_default_na=False)
    )
    need = [*_KEYS, "compensate", "amount_low", "amount_high"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"compensation table is missing column(s) {missing}; found {list(df.columns)}")
    comp = df["compensate"].map(parse_bool)  # the one boolean parser (voc.schema)
    bad = comp.isna()
    if bad.any():
        raise ValueError(
            f"compensation table: compensate must be yes/no, got {df.loc[bad, 'compensate'].tolist()}"
        )
    df["compensate"] = comp.astype(bool)
    for c in ("amount_low", "amount_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0.0).astype(float)
    for c in _KEYS:
        df[c] = df[c].astype(str).str.strip().replace("", "*")
    if "note" not in df.columns:
        df["note"] = ""
    return df.reset_index(drop=True)


def value_grades(monetary: pd.Series, cuts: tuple[float, float] = (0.5, 0.8)) -> pd.Series:
    """Value grade from order amount: A above the ``cuts[1]`` percentile, B above ``cuts[0]``, else C."""
    pct = monetary.fillna(0).rank(pct=True)
    grade = np.where(pct > cuts[1], "A", np.where(pct > cuts[0], "B", "C"))
    return pd.Series(np.where(monetary.fillna(0) <= 0, "C", grade), index=monetary.index)


def mood_grade(emotion: Any, complaint_stage: Any = None) -> str:
    """``angry`` / ``upset`` / ``calm`` from an emotion code and a complaint stage (see module doc)."""
    if emotion == "anger" or complaint_stage in ("latent_complaint", "complaint"):
        return "angry"
    if (
        emotion in ("anxiety", "impatience", "disappointment", "resignation")
        or complaint_stage == "explicit_grumble"
    ):
        return "upset"
    return "calm"


def compensation_inputs(
    profiles: pd.DataFrame, feedback: pd.DataFrame, cases: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per customer with a problem: ``value_grade``, ``problem_level``, ``mood_grade``, ``acceptance``.

    Args:
        profiles: :func:`voc.customers.profile_customers` output.
        feedback: Analysed feedback; the mood comes from the customer's latest negative text.
        cases: :func:`track_cases` output (``customer_id``, ``outcome``) for the acceptance history.

    Returns:
        DataFrame indexed by ``customer_id``.
    """
    p = profiles[profiles["problem_level"] > 0]
    out = pd.DataFrame(index=p.index)
    out["value_grade"] = value_grades(profiles["monetary"]).reindex(p.index)
    out["problem_level"] = p["problem_level"].astype(int)
    from voc.customers import ensure_analyzed

    fb = ensure_analyzed(feedback)
    f = fb[(fb["sentiment"] == "negative") & fb["customer_id"].isin(p.index)]
    last = f.sort_values("timestamp").groupby("customer_id").tail(1).set_index("customer_id")
    moods = {
        c: mood_grade(e, s)
        for c, e, s in zip(
            last.index,
            last.get("emotion", pd.Series(index=last.index)),
            last.get("complaint_stage", pd.Series(index=last.index)),
            strict=True,
        )
    }
    out["mood_grade"] = [moods.get(c, "calm") for c in out.index]
    acc = pd.Series("none", index=out.index)
    if cases is not None and len(cases) and "customer_id" in cases.columns:
        c = cases[cases["customer_id"].isin(out.index)]
        rej = set(c.loc[c["outcome"] == "not_accepted", "customer_id"])
        ok = set(c.loc[c["outcome"] == "accepted", "customer_id"])
        acc[acc.index.isin(ok)] = "accepted_before"
        acc[acc.index.isin(rej)] = "rejected_before"
    out["acceptance"] = acc
    return out


def recommend_compensation(
    cases: pd.DataFrame, table: str | Path | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Compensate or not, and the amount band, for each case; the first matching table row wins.

    Args:
        cases: Rows with ``value_grade``, ``problem_level``, ``mood_grade`` and
            optionally ``acceptance`` (missing = ``none``).
        table: Compensation table (default shipped).

    Returns:
        A copy of ``cases`` with ``compensate`` (bool), ``amount_low``,
        ``amount_high``, ``rule`` (table row number) and ``note``; a case no row
        matches gets ``compensate=False`` and ``rule=None``.
    """
    t = load_compensation_table(table)
    out = cases.copy()
    rows = t.to_dict("records")
    res = []
    for rec in out.to_dict("records"):
        vals = {k: str(rec.get(k, "none") if k == "acceptance" else rec.get(k)) for k in _KEYS}
        if vals["acceptance"] in ("None", "nan"):
            vals["acceptance"] = "none"
        hit = next(
            (i for i, r in enumerate(rows) if all(r[k] == "*" or r[k] == vals[k] for k in _KEYS)), None
        )
        if hit is None:
            res.append((False, 0.0, 0.0, None, "no rule matched"))
        else:
            r = rows[hit]
            res.append((bool(r["compensate"]), r["amount_low"], r["amount_high"], hit, r["note"]))
    out["compensate"] = [r[0] for r in res]
    out["amount_low"] = [r[1] for r in res]
    out["amount_high"] = [r[2] for r in res]
    out["rule"] = [r[3] for r in res]
    out["note"] = [r[4] for r in res]
    return out


def track_cases(case_events: pd.DataFrame) -> pd.DataFrame:
    """Follow each compensation case through the seed-001 flow.

    Args:
        case_events: One row per step: ``case_id``, ``timestamp``, ``step`` (one of
            :data:`STEPS`), optionally ``customer_id``.

    Returns:
        One row per case: ``customer_id`` (if given), ``kind`` (``compensate``
        when the case has an ``offer``, else ``no_compensation``), ``path``
        (the steps, ``>``-joined), ``outcome`` (``accepted`` when the last
        accept/reject decision is ``accepted``, ``not_accepted`` when it is
        ``rejected``, else ``open``), ``accepted_at`` (``first_offer`` |
        ``negotiation`` | ``after_complaint`` | ``None``), ``flow``
        (``kind:accepted_at`` or ``kind:outcome``), ``complained``,
        ``review_invited``, ``reviewed``, ``n_rejections``.

    Raises:
        ValueError: Missing columns or an unknown step.
    """
    missing = [c for c in ("case_id", "timestamp", "step") if c not in case_events.columns]
    if missing:
        raise ValueError(f"case_events is missing column(s) {missing}")
    ev = case_events.copy()
    ev["step"] = ev["step"].astype(str).str.strip().str.lower()
    bad = sorted(set(ev["step"]) - set(STEPS))
    if bad:
        raise ValueError(f"unknown case step(s) {bad}; expected one of {list(STEPS)}")
    ev["timestamp"] = pd.to_datetime(ev["timestamp"])
    ev = ev.sort_values(["case_id", "timestamp"], kind="stable")
    rows = []
    for cid, g in ev.groupby("case_id", sort=False):
        steps = g["step"].tolist()
        decisions = [s for s in steps if s in ("accepted", "rejected")]
        outcome = "open" if not decisions else ("accepted" if decisions[-1] == "accepted" else "not_accepted")
        accepted_at = None
        if outcome == "accepted":
            before = steps[: len(steps) - steps[::-1].index("accepted") - 1]
            if "complaint" in before:
                accepted_at = "after_complaint"
            elif "negotiation" in before or "renegotiation" in before or "rejected" in before:
                accepted_at = "negotiation"
            else:
                accepted_at = "first_offer"
        kind = "compensate" if "offer" in steps else "no_compensation"
        rows.append(
            {
                "case_id": cid,
                "customer_id": g["customer_id"].iloc[0] if "customer_id" in g.columns else None,
                "kind": kind,
                "path": ">".join(steps),
                "outcome": outcome,
                "accepted_at": accepted_at,
                "flow": f"{kind}:{accepted_at or outcome}",
                "complained": "complaint" in steps,
                "review_invited": "review_invited" in steps,
                "reviewed": "reviewed" in steps,
                "n_rejections": steps.count("rejected"),
            }
        )
    return pd.DataFrame(rows).set_index("case_id")


def acceptance_rates(cases: pd.DataFrame, by: str = "kind") -> pd.DataFrame:
    """Acceptance, complaint and review rates per group of :func:`track_cases` output.

    Args:
        cases: :func:`track_cases` output.
        by: Grouping column (``kind``, ``flow`` or ``path``).

    Returns:
        DataFrame indexed by ``by``: ``n_cases``, ``accepted_rate`` (among closed
        cases), ``first_offer_rate`` (accepted at the first offer, among closed),
        ``complaint_rate``, ``review_invited_rate``, ``review_rate`` (reviewed
        among invited), ``open``.
    """
    g = cases.groupby(by)
    closed = cases[cases["outcome"] != "open"]
    gc = closed.groupby(by)
    out = pd.DataFrame({"n_cases": g.size(), "open": g["outcome"].apply(lambda s: int((s == "open").sum()))})
    out["accepted_rate"] = gc["outcome"].apply(lambda s: float((s == "accepted").mean()))
    out["first_offer_rate"] = gc["accepted_at"].apply(lambda s: float((s == "first_offer").mean()))
    out["complaint_rate"] = g["complained"].mean()
    out["review_invited_rate"] = g["review_invited"].mean()
    inv = cases[cases["review_invited"]].groupby(by)["reviewed"].mean()
    out["review_rate"] = inv.reindex(out.index)
    return out.sort_values("n_cases", ascending=False)
