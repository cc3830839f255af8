"""Proactive list: silent customers with an open problem, ranked, with a suggested action."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.history import History

__all__ = ["proactive_list"]


def proactive_list(
    profiles: pd.DataFrame | History,
    personas: pd.DataFrame | None = None,
    assignment: pd.DataFrame | Any = None,
    *,
    issues: pd.DataFrame | None = None,
    strategies: str | Path | pd.DataFrame | None = None,
    extra: Iterable[pd.DataFrame] = (),
    top: int | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Silent customers with an open problem, ranked, with a suggested action (seed 004 "主动服务").

    Candidates: ``profiles.silent`` and ``problem_status`` not ``solved``.
    Priority (0-1) = 0.4 x problem_level / 4 + 0.3 x value percentile
    (monetary) + 0.3 x recency (``exp(-days since last problem / 30)``), times
    0.6 for customers who already churned (win-back rather than prevention).
    The action combines the issue, the non-complaint reason strategy (or the
    archetype strategy when no reason is known) and the problem-level
    strategy of the strategy table.

    Args:
        profiles: A :class:`voc.History` (its profiles and ``as_of``) or the output of
            :func:`voc.customers.profile_customers`.
        personas: Output of :func:`voc.personas.assign_personas` (or ``None``).
        assignment: A fitted :class:`voc.IssueModel` (its ``assignment_`` and ``issues_``),
            the assignment of :func:`discover_issues`, or ``None``.
        issues: Issues table, for labels.
        strategies: Strategy table (default shipped).
        extra: More ``customer_id`` / ``issue_id`` frames (e.g.
            :meth:`WhoElse.as_assignment`) for customers without texts.
        top: Keep the first ``top`` rows.
        as_of: Reference time for recency (default ``profiles.attrs["as_of"]``).

    Returns:
        Ranked DataFrame: ``rank``, ``customer_id``, ``priority``,
        ``problem_level``, ``problem_status``, ``issue_id``, ``issue_label``,
        ``primary_archetype``, ``top_reason``, ``churned``, ``last_problem``,
        ``monetary``, ``action_zh``, ``action_en``.
    """
    from voc.personas import _strategy_lookup

    lookup = _strategy_lookup(strategies)
    if isinstance(profiles, History):
        as_of = profiles.as_of if as_of is None else as_of
        profiles = profiles.profiles
    if assignment is not None and hasattr(assignment, "assignment_"):
        issues = assignment.issues_ if issues is None else issues
        assignment = assignment.assignment_
    p = profiles[profiles["silent"].astype(bool) & (profiles["problem_status"] != "solved")].copy()
    if as_of is None:
        as_of = profiles.attrs.get("as_of", p["last_problem"].max())
    as_of = pd.Timestamp(as_of)
    value = profiles["monetary"].rank(pct=True).reindex(p.index).fillna(0)
    days = (as_of - p["last_problem"]) / pd.Timedelta(days=1)
    recency = np.exp(-days.clip(lower=0).fillna(365) / 30.0)
    pr = 0.4 * p["problem_level"] / 4 + 0.3 * value + 0.3 * recency
    pr = pr * np.where(p["churned"].astype(bool), 0.6, 1.0)
    p["priority"] = pr.round(4)

    frames = [
        f[["customer_id", "issue_id"]]
        for f in ([assignment] if assignment is not None else []) + list(extra)
        if f is not None and len(f)
    ]
    if frames:
        a = pd.concat(frames, ignore_index=True).dropna()
        a = a[a["customer_id"].isin(p.index)]
        mode = (
            a.groupby(["customer_id", "issue_id"])
            .size()
            .reset_index(name="n")
            .sort_values(["customer_id", "n"], ascending=[True, False])
            .drop_duplicates("customer_id")
            .set_index("customer_id")
        )
        p["issue_id"] = mode["issue_id"].reindex(p.index).astype("Int64")
    else:
        p["issue_id"] = pd.Series(pd.NA, index=p.index, dtype="Int64")
    labels = issues["label"] if issues is not None and "label" in issues.columns else pd.Series(dtype=object)
    p["issue_label"] = [labels.get(int(i)) if pd.notna(i) else None for i in p["issue_id"]]
    p["primary_archetype"] = personas["primary_archetype"].reindex(p.index) if personas is not None else None

    zh, en = [], []
    for r in p.itertuples():
        about_zh = f"「{r.issue_label}」" if isinstance(r.issue_label, str) else "近期遇到的问题"
        about_en = f"'{r.issue_label}'" if isinstance(r.issue_label, str) else "their recent problem"
        why = lookup.get(("reason", str(r.top_reason))) if isinstance(r.top_reason, str) else None
        who = (
            lookup.get(("archetype", str(r.primary_archetype)))
            if isinstance(r.primary_archetype, str)
            else None
        )
        lvl = lookup.get(("level", str(int(r.problem_level))))
        parts = [s for s in (why or who, lvl) if s]
        head_zh = "挽回流失客户" if r.churned else "主动联系"
        head_en = "Win back" if r.churned else "Reach out"
        zh.append(f"{head_zh}，关于{about_zh}：" + "；".join(s[0] for s in parts))
        en.append(f"{head_en} about {about_en}: " + "; ".join(s[1] for s in parts))
    p["action_zh"], p["action_en"] = zh, en
    p = p.sort_values("priority", ascending=False, kind="stable")
    cols = [
        "priority",
        "problem_level",
        "problem_status",
        "issue_id",
        "issue_label",
        "primary_archetype",
        "top_reason",
        "churned",
        "last_problem",
        "monetary",
        "action_zh",
        "action_en",
    ]
    out = p[cols].reset_index()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top else out
