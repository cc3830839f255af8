"""Win-back list: customers a fixed issue drove away, ranked, with a message each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.churn.features import _as_of
from voc.churn.forecast import _risk_frame
from voc.churn.model import ChurnModel


def winback_list(
    issue_id: Any,
    assignment: pd.DataFrame,
    profiles: pd.DataFrame,
    personas: pd.DataFrame | None = None,
    model: ChurnModel | None = None,
    *,
    fixed_at: Any = None,
    issues: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    quiet_days: float = 60,
    value_col: str = "monetary",
    strategies: str | Path | pd.DataFrame | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Customers a fixed issue drove away, ranked for a win-back message (seed 004 "主动服务").

    Candidates: customers with a row of ``issue_id`` in ``assignment`` (before
    ``fixed_at`` when the assignment has timestamps) who **churned**, or who
    went **quiet**: still customers, no order for ``quiet_days`` and none since
    they hit the issue.

    ``score = value x likelihood`` with ``likelihood = cause x recency x
    loyalty x state`` (0-1):

    * ``cause`` 1 when the churn / the last order came after the customer's
      first row of the issue (the loss followed the issue), else 0.4;
    * ``recency`` ``exp(-days since the loss / 180)`` (the loss = the churn date,
      or the last order of a quiet customer), counted at ``fixed_at``;
    * ``loyalty`` ``0.5 + 0.5 x`` the mean of the tenure and order-frequency
      percentiles among all profiled customers;
    * ``state`` 0.7 for churned customers, 1 for quiet ones; with ``model`` and
      ``features`` a quiet customer's state is ``0.5 + 0.5 x churn risk``
      (the likelier to leave, the more urgent the message).

    The message names the fixed issue, apologises and invites the customer
    back, then follows the strategy for the customer's non-complaint reason and
    archetype (``voc/data/persona_strategies.csv``, seed 000); without either,
    the strategy for the customer's problem level (seed 001).

    Args:
        issue_id: The fixed issue (or a list of ids).
        assignment: ``customer_id`` / ``issue_id`` [/ ``timestamp``] rows (from
            :func:`voc.issues.discover_issues`, plus
            :meth:`voc.issues.WhoElse.as_assignment` for silent customers).
        profiles: Output of :func:`voc.customers.profile_customers` (``churned``,
            ``churn_date``, ``recency_days``, ``tenure_days``, ``frequency``,
            ``top_reason`` and ``value_col``).
        personas: Output of :func:`voc.personas.assign_personas` (for
            ``primary_archetype``), or ``None``.
        model: Optional :class:`ChurnModel` to rank quiet customers by risk.
        fixed_at: When the issue was fixed (default ``profiles.attrs["as_of"]``).
        issues: Issues table, for the label.
        features: Features of the customers for ``model`` (default: derived
            from ``profiles``).
        quiet_days: Days without an order after which a customer is quiet.
        value_col: Customer value column.
        strategies: Strategy table (default shipped).
        top: Keep the first ``top`` rows.

    Returns:
        Ranked DataFrame (export with ``.to_csv``): ``rank``, ``customer_id``,
        ``issue_id``, ``issue_label``, ``state`` (``churned`` | ``quiet``),
        ``first_hit``, ``lost_at``, ``days_lost``, ``after_issue``, ``value``,
        ``likelihood``, ``score``, ``churn_risk``, ``primary_archetype``,
        ``top_reason``, ``problem_status``, ``message_zh``, ``message_en``.
    """
    from voc.personas import _strategy_lookup

    ids = list(issue_id) if isinstance(issue_id, (list, tuple, set)) else [issue_id]
    ref = fixed_at if fixed_at is not None else profiles.attrs.get("as_of")
    if ref is None:
        raise ValueError("winback_list: pass fixed_at= (or profiles with attrs['as_of'])")
    ref = _as_of(ref)
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("winback_list: assignment needs 'customer_id' and 'issue_id' columns")
    a = assignment[assignment["issue_id"].isin(ids) & assignment["customer_id"].notna()]
    ts = (
        pd.to_datetime(a["timestamp"], errors="coerce")
        if "timestamp" in a.columns
        else pd.Series(pd.NaT, index=a.index)
    )
    a = a.assign(_ts=ts)[ts.isna() | (ts <= ref)]
    a = a[a["customer_id"].isin(profiles.index)]
    first_hit = a.groupby("customer_id")["_ts"].min()
    issue_of = a.groupby("customer_id")["issue_id"].agg(lambda s: s.mode().iloc[0])
    p = profiles.reindex(first_hit.index)
    as_of = _as_of(profiles.attrs.get("as_of", ref))

    churned = p["churned"].fillna(False).astype(bool) & (p["churn_date"] <= ref)
    last_order = as_of - pd.to_timedelta(p["recency_days"].astype(float), unit="D")
    no_order_since = last_order.isna() | first_hit.isna() | (last_order < first_hit)
    quiet = ~churned & ((ref - last_order.fillna(p.get("first_seen", pd.NaT))) / pd.Timedelta(days=1) >= quiet_days)
    quiet &= no_order_since
    keep = churned | quiet
    p, first_hit, issue_of = p[keep], first_hit[keep], issue_of[keep]
    state = np.where(churned[keep], "churned", "quiet")
    lost_at = pd.Series(np.where(state == "churned", p["churn_date"], last_order[keep]), index=p.index)
    lost_at = pd.to_datetime(lost_at)
    days_lost = ((ref - lost_at) / pd.Timedelta(days=1)).clip(lower=0)
    after = first_hit.isna() | lost_at.isna() | (lost_at >= first_hit - pd.Timedelta(days=1))

    ten_pct = profiles["tenure_days"].rank(pct=True).reindex(p.index).fillna(0.5)
    freq_pct = profiles["frequency"].rank(pct=True).reindex(p.index).fillna(0.5)
    loyalty = 0.5 + 0.5 * (ten_pct + freq_pct) / 2
    recency = np.exp(-days_lost.fillna(365) / 180.0)
    cause = np.where(after, 1.0, 0.4)
    st_factor = pd.Series(np.where(state == "churned", 0.7, 1.0), index=p.index)
    risk = pd.Series(np.nan, index=p.index)
    if model is not None and (state == "quiet").any():
        qids = p.index[state == "quiet"]
        if features is not None:
            r = model.risk(features.reindex(qids))
        else:
            _, r_all = _risk_frame(model, profiles, assignment=assignment, open_issues=None, as_of=as_of)
            r = r_all.reindex(qids)
        risk.loc[qids] = r.to_numpy()
        st_factor.loc[qids] = 0.5 + 0.5 * r.to_numpy()
    likelihood = (cause * recency * loyalty * st_factor).clip(0, 1)
    if value_col not in p.columns:
        raise ValueError(f"winback_list: profiles have no value column {value_col!r}")
    value = p[value_col].astype(float).fillna(0.0)

    lookup = _strategy_lookup(strategies)
    labels: dict[Any, str] = {}
    if issues is not None and "label" in issues.columns:
        lab = issues.set_index("issue_id")["label"] if "issue_id" in issues.columns else issues["label"]
        labels = {k: str(v) for k, v in lab.items() if isinstance(v, str)}
    arche = (
        personas["primary_archetype"].reindex(p.index)
        if personas is not None and "primary_archetype" in personas.columns
        else pd.Series(None, index=p.index, dtype=object)
    )
    reason = p["top_reason"] if "top_reason" in p.columns else pd.Series(None, index=p.index, dtype=object)
    level = p["problem_level"] if "problem_level" in p.columns else pd.Series(np.nan, index=p.index)
    day = ref.strftime("%Y-%m-%d")
    zh, en = [], []
    for cid in p.index:
        iid = issue_of[cid]
        name_zh = f"「{labels[iid]}」" if iid in labels else "您之前遇到的"
        name_en = f"'{labels[iid]}'" if iid in labels else f"issue {iid}"
        parts = []
        rs = reason.get(cid)
        if isinstance(rs, str) and ("reason", rs) in lookup:
            parts.append(lookup[("reason", rs)])
        ar = arche.get(cid)
        if isinstance(ar, str) and ("archetype", ar) in lookup:
            parts.append(lookup[("archetype", ar)])
        lvl = level.get(cid)
        if not parts and pd.notna(lvl) and ("level", str(int(lvl))) in lookup:
            parts.append(lookup[("level", str(int(lvl)))])
        head_zh = f"告知{name_zh}问题已于{day}修复，致歉并邀请回来（可附补偿券）"
        head_en = f"Tell them {name_en} was fixed on {day}, apologise and invite them back (with a voucher)"
        zh.append("；".join([head_zh, *(s[0] for s in parts)]))
        en.append("; ".join([head_en, *(s[1] for s in parts)]))
    out = pd.DataFrame(
        {
            "customer_id": p.index,
            "issue_id": issue_of.to_numpy(),
            "issue_label": [labels.get(i) for i in issue_of],
            "state": state,
            "first_hit": first_hit.to_numpy(),
            "lost_at": lost_at.to_numpy(),
            "days_lost": days_lost.round(1).to_numpy(),
            "after_issue": np.asarray(after, dtype=bool),
            "value": value.to_numpy(),
            "likelihood": np.round(np.asarray(likelihood, dtype=float), 4),
            "churn_risk": risk.to_numpy(),
            "primary_archetype": arche.to_numpy(),
            "top_reason": reason.to_numpy(),
            "problem_status": p["problem_status"].to_numpy() if "problem_status" in p.columns else None,
            "message_zh": zh,
            "message_en": en,
        }
    )
    out["score"] = np.round(out["value"] * out["likelihood"], 4)
    out = out.sort_values(["score", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    order = [
        "rank", "customer_id", "issue_id", "issue_label", "state", "first_hit", "lost_at", "days_lost",
        "after_issue", "value", "likelihood", "score", "churn_risk", "primary_archetype", "top_reason",
        "problem_status", "message_zh", "message_en",
    ]
    out = out[order]
    out.attrs.update(fixed_at=ref, issue_id=ids)
    return out.head(top) if top else out
