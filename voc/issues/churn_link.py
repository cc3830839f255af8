"""Churn per issue: Wilson / Newcombe intervals, excess churn and its bar chart."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from voc.history import History
from voc.plotting import plot_churn_by_issue as plot_churn_by_issue  # moved to voc.plotting

__all__ = ["churn_by_issue", "newcombe_interval", "plot_churn_by_issue", "wilson_interval"]


def wilson_interval(
    x: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``x / n`` (vectorised; NaN where n = 0)."""
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def newcombe_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x0: np.ndarray | float,
    n0: np.ndarray | float,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid score interval (method 10) for ``x1/n1 - x0/n0``."""
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l0, u0 = wilson_interval(x0, n0, confidence)
    d = p1 - p0
    return d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


_PROBLEM_EVENT_COLUMNS = ("n_returns", "n_cancels", "n_self_service_fail", "n_low_nps")


def churn_by_issue(
    assignment: pd.DataFrame | History,
    profiles: pd.DataFrame | Any = None,
    *,
    issues: pd.DataFrame | None = None,
    confidence: float = 0.95,
    baseline: str = "unaffected",
) -> pd.DataFrame:
    """Churn of customers with each issue vs customers without it, and the customers lost to it.

    For issue *i*: ``affected`` = profiled customers with at least one row of
    *i* in ``assignment``; the comparison group (``baseline``) is the profiled
    customers with no issue at all in ``assignment`` and no problem event
    (``n_returns``, ``n_cancels``, ``n_self_service_fail``, ``n_low_nps`` of the
    profile, when present: such an event may belong to an issue whose customers
    were not found, e.g. events without ``detail``) (``"unaffected"``, the
    default), or every customer without *i* (``"others"``; it counts the
    churn other issues cause as normal churn and so underestimates). ``diff`` = churn rate of the affected - churn rate of the others,
    with a Newcombe hybrid-score interval; ``excess_churned`` = affected x diff
    (with the interval scaled the same way) is "how many customers we lost
    because of this issue" -- an observational estimate.

    ``churn_by_issue(history, model)`` takes a :class:`voc.History` and a fitted
    :class:`voc.IssueModel` (its ``assignment_`` and ``issues_``; the history's profiles).

    Args:
        assignment: A :class:`voc.History` (then ``profiles`` is the fitted
            :class:`~voc.issues.IssueModel` or an assignment frame), or rows with ``customer_id`` and ``issue_id`` (from
            :func:`discover_issues`, optionally extended with
            :meth:`WhoElse.as_assignment`).
        profiles: Output of :func:`voc.customers.profile_customers` (``churned``).
        issues: The issues table, for labels.
        confidence: Confidence level of the intervals.
        baseline: ``"unaffected"`` or ``"others"`` (see above).

    Returns:
        One row per issue, most excess churn first: ``issue_id``, ``label``,
        ``affected``, ``churned``, ``churn_rate``, ``others``,
        ``others_churned``, ``churn_rate_without``, ``diff``, ``diff_low``,
        ``diff_high``, ``excess_churned``, ``excess_low``, ``excess_high``,
        ``significant`` (interval excludes 0). ``others`` / ``others_churned`` /
        ``churn_rate_without`` describe the comparison group.
    """
    if isinstance(assignment, History):
        h, found = assignment, profiles
        if hasattr(found, "assignment_"):
            if issues is None:
                issues = found.issues_
            found = found.assignment_
        if not isinstance(found, pd.DataFrame):
            raise TypeError("churn_by_issue(history, issues): issues must be a fitted IssueModel or an assignment frame")
        assignment, profiles = found, h.profiles
    if profiles is None:
        raise ValueError("churn_by_issue: profiles are required with an assignment frame")
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("churn_by_issue: assignment needs 'customer_id' and 'issue_id' columns")
    if baseline not in ("unaffected", "others"):
        raise ValueError(f"churn_by_issue: baseline must be 'unaffected' or 'others', not {baseline!r}")
    churned = profiles["churned"].fillna(False).astype(bool)
    pairs = assignment[["customer_id", "issue_id"]].dropna().drop_duplicates()
    pairs = pairs[pairs["customer_id"].isin(profiles.index)]
    n_all, c_all = len(profiles), int(churned.sum())
    pairs = pairs.assign(churned=churned.reindex(pairs["customer_id"]).to_numpy())
    g = pairs.groupby("issue_id")
    t = pd.DataFrame({"affected": g.size(), "churned": g["churned"].sum().astype(int)})
    t["churn_rate"] = t["churned"] / t["affected"]
    if baseline == "unaffected":
        clean = ~profiles.index.isin(pairs["customer_id"].unique())
        for c in _PROBLEM_EVENT_COLUMNS:  # an unexplained problem event may be an unseen issue
            if c in profiles.columns:
                clean &= ~(pd.to_numeric(profiles[c], errors="coerce").fillna(0) > 0).to_numpy()
        t["others"] = int(clean.sum())
        t["others_churned"] = int(churned[clean].sum())
    else:
        t["others"] = n_all - t["affected"]
        t["others_churned"] = c_all - t["churned"]
    with np.errstate(invalid="ignore", divide="ignore"):
        t["churn_rate_without"] = t["others_churned"] / t["others"]
    t["diff"] = t["churn_rate"] - t["churn_rate_without"]
    lo, hi = newcombe_interval(t["churned"], t["affected"], t["others_churned"], t["others"], confidence)
    t["diff_low"], t["diff_high"] = lo, hi
    t["excess_churned"] = t["affected"] * t["diff"]
    t["excess_low"] = t["affected"] * t["diff_low"]
    t["excess_high"] = t["affected"] * t["diff_high"]
    t["significant"] = (t["diff_low"] > 0) | (t["diff_high"] < 0)
    if issues is not None and "label" in issues.columns:
        t.insert(0, "label", issues["label"].reindex(t.index))
    t = t.reset_index().sort_values("excess_churned", ascending=False, kind="stable").reset_index(drop=True)
    t.attrs["confidence"] = confidence
    return t
