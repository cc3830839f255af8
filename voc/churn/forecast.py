"""Per open issue: customers affected, expected further churn if unfixed, value at risk."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.churn.features import _as_of, features_from_profiles
from voc.churn.model import ChurnModel
from voc.plotting import plot_issue_forecast as plot_issue_forecast  # moved to voc.plotting


def _risk_frame(
    model: ChurnModel | None,
    frame: pd.DataFrame,
    *,
    assignment: pd.DataFrame | None,
    open_issues: Iterable[Any] | None,
    as_of: Any,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features (derived from profiles when needed) and the churn risk per row."""
    if model is None:
        if "churn_risk" not in frame.columns:
            raise ValueError("pass a fitted ChurnModel, or a frame with a 'churn_risk' column")
        return frame, frame["churn_risk"].astype(float)
    names = list(model.feature_names_in_)
    feats = frame
    if any(c not in frame.columns for c in names):
        at = as_of if as_of is not None else frame.attrs.get("as_of")
        if at is None:
            raise ValueError(
                "the frame has neither the model's features nor profiles.attrs['as_of']; pass as_of= "
                "or features from voc.churn.churn_features"
            )
        feats = features_from_profiles(frame, assignment=assignment, open_issues=open_issues, as_of=at)
        gaps = [c for c in names if c in feats.columns and feats[c].isna().all()]
        if gaps:
            warnings.warn(
                f"features {gaps} need the raw tables; filled with training medians "
                "(use voc.churn.churn_features for full features)",
                stacklevel=3,
            )
    return feats, model.risk(feats)


def _pairs(
    assignment: pd.DataFrame, index: pd.Index, open_issues: Iterable[Any] | None, before: pd.Timestamp | None
) -> pd.DataFrame:
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("assignment needs 'customer_id' and 'issue_id' columns")
    a = assignment
    if before is not None and "timestamp" in a.columns:
        ts = pd.to_datetime(a["timestamp"], errors="coerce")
        a = a[ts.isna() | (ts < before)]
    a = a[["customer_id", "issue_id"]].dropna().drop_duplicates()
    # issue -1 is discover_issues' "other" bucket (texts with no shared topic): not an issue to forecast
    a = a[pd.to_numeric(a["issue_id"], errors="coerce").fillna(0) != -1]
    if open_issues is not None:
        a = a[a["issue_id"].isin(list(open_issues))]
    return a[a["customer_id"].isin(index)]


def issue_forecast(
    model: ChurnModel | None,
    profiles_or_features: pd.DataFrame,
    assignment: pd.DataFrame,
    issues: pd.DataFrame | None = None,
    *,
    horizon_days: float | None = None,
    value_col: str = "monetary",
    open_issues: Iterable[Any] | None = None,
    high_value_quantile: float = 0.8,
    risk_threshold: float = 0.3,
    as_of: Any = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per open issue: who is affected, how many will still churn if it stays unfixed, what it costs.

    The churn risk of each active customer comes from ``model`` over its
    training horizon; for another ``horizon_days`` it is rescaled with a
    constant hazard (``1 - (1 - risk) ** (horizon / model horizon)``).
    "Affected" = customers with a row of the issue in ``assignment`` (texts from
    :func:`voc.issues.discover_issues`, extended with
    :meth:`voc.issues.WhoElse.as_assignment` for customers found through
    events only). Customers who already churned are counted but carry no
    further risk.

    * ``expected_churn`` = sum of the risks of the active affected customers,
      with a normal interval of the Poisson-binomial count (the uncertainty of
      the outcomes given calibrated risks, not of the model);
    * ``expected_excess_churn`` = ``expected_churn`` - active affected x
      ``baseline_risk`` (mean risk of active customers with no open issue):
      the churn attributable to the issue if it stays unfixed;
    * ``value_at_risk`` = sum of risk x value (``value_col``, default the
      monetary value of RFM); ``high_value`` = affected customers whose value is
      in the top ``1 - high_value_quantile`` of all active customers,
      ``high_value_at_risk`` those of them with a risk >= ``risk_threshold``.

    Args:
        model: A fitted :class:`ChurnModel` (``None``: use a ``churn_risk`` column).
        profiles_or_features: Output of :func:`churn_features` (best) or of
            :func:`voc.customers.profile_customers` (features are derived from
            it; those needing the raw tables are filled with training medians).
        assignment: ``customer_id`` / ``issue_id`` [/ ``timestamp``] rows.
        issues: Issues table (``label``), e.g. from :func:`voc.issues.discover_issues`.
        horizon_days: Forecast horizon (default: the model's).
        value_col: Column with the customer value.
        open_issues: Issue ids still open (default: every issue in ``assignment``).
        high_value_quantile: Value quantile from which a customer is high-value.
        risk_threshold: Risk from which a customer counts as "at risk".
        as_of: Snapshot time (default ``attrs["as_of"]`` of the frame); assignment
            rows at or after it are ignored.
        confidence: Level of the ``expected_churn`` interval.

    Returns:
        One row per issue, largest value at risk first: ``issue_id``, ``label``,
        ``affected``, ``vocal``, ``silent``, ``already_churned``, ``active``,
        ``expected_churn``, ``expected_churn_low``, ``expected_churn_high``,
        ``expected_churn_silent``, ``baseline_risk``, ``expected_excess_churn``,
        ``value_affected``, ``value_at_risk``, ``high_value``,
        ``high_value_at_risk``, ``expected_high_value_churn``. ``attrs`` has
        ``horizon_days``, ``risk_threshold`` and ``high_value_min``.
    """
    from scipy.stats import norm

    frame = profiles_or_features
    at = as_of if as_of is not None else frame.attrs.get("as_of")
    at = _as_of(at) if at is not None else None
    feats, risk = _risk_frame(model, frame, assignment=assignment, open_issues=open_issues, as_of=at)
    h0 = float(model.horizon_days) if model is not None else float(horizon_days or 90)
    h = float(horizon_days) if horizon_days is not None else h0
    if h != h0:
        risk = 1.0 - (1.0 - risk.clip(0, 1)) ** (h / h0)
    if value_col not in frame.columns and value_col not in feats.columns:
        raise ValueError(f"issue_forecast: no value column {value_col!r}")
    value = (frame[value_col] if value_col in frame.columns else feats[value_col]).astype(float).fillna(0.0)
    churned = (
        frame["churned"].fillna(False).astype(bool)
        if "churned" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    active = ~churned
    risk = risk.where(active, 0.0)

    def flag(name: str) -> pd.Series:
        src = frame if name in frame.columns else feats
        return src[name].fillna(False).astype(bool) if name in src.columns else pd.Series(False, index=frame.index)

    silent, vocal = flag("silent"), flag("vocal")
    pairs = _pairs(assignment, frame.index, open_issues, at)
    hv_min = float(value[active].quantile(high_value_quantile)) if active.any() else float("inf")
    exposed = frame.index.isin(pairs["customer_id"])
    base_mask = active & ~exposed
    baseline = float(risk[base_mask].mean()) if base_mask.any() else float(risk[active].mean())
    z = float(norm.ppf(0.5 + confidence / 2))
    rows = []
    for iid, grp in pairs.groupby("issue_id", sort=False):
        ids = pd.Index(grp["customer_id"].unique())
        act = ids[active.reindex(ids).to_numpy()]
        r = risk.reindex(act)
        v = value.reindex(act)
        hv = act[(v >= hv_min).to_numpy()]
        exp = float(r.sum())
        sd = float(np.sqrt((r * (1 - r)).sum()))
        rows.append(
            {
                "issue_id": iid,
                "affected": len(ids),
                "vocal": int(vocal.reindex(ids).sum()),
                "silent": int(silent.reindex(ids).sum()),
                "already_churned": int(churned.reindex(ids).sum()),
                "active": len(act),
                "expected_churn": exp,
                "expected_churn_low": max(exp - z * sd, 0.0),
                "expected_churn_high": exp + z * sd,
                "expected_churn_silent": float(r[silent.reindex(act).to_numpy()].sum()),
                "baseline_risk": baseline,
                "expected_excess_churn": exp - len(act) * baseline,
                "value_affected": float(value.reindex(ids).sum()),
                "value_at_risk": float((r * v).sum()),
                "high_value": len(hv),
                "high_value_at_risk": int((risk.reindex(hv) >= risk_threshold).sum()),
                "expected_high_value_churn": float(risk.reindex(hv).sum()),
            }
        )
    cols = [
        "issue_id", "affected", "vocal", "silent", "already_churned", "active", "expected_churn",
        "expected_churn_low", "expected_churn_high", "expected_churn_silent", "baseline_risk",
        "expected_excess_churn", "value_affected", "value_at_risk", "high_value", "high_value_at_risk",
        "expected_high_value_churn",
    ]
    t = pd.DataFrame(rows, columns=cols)
    if issues is not None and "label" in issues.columns:
        lab = issues.set_index("issue_id")["label"] if "issue_id" in issues.columns else issues["label"]
        t.insert(1, "label", t["issue_id"].map(lab))
    t = t.sort_values("value_at_risk", ascending=False, kind="stable").reset_index(drop=True)
    t.attrs.update(horizon_days=h, risk_threshold=risk_threshold, high_value_min=hv_min, confidence=confidence)
    return t
