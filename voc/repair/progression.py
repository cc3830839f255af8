"""Complaint-stage progression and dissatisfaction alerts (seed 003).

:func:`complaint_progression` follows a customer's stage (潜在抱怨 → 显在抱怨 → 潜在投诉 →
投诉); :func:`dissatisfaction_alerts` flags stage jumps and dissatisfaction behaviours.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from voc.customers import (
    ensure_analyzed,
    validate_events,
    validate_feedback,
)
from voc.repair._common import _RANK, STAGE_ORDER, STAGE_ZH, _as_list

__all__ = [
    "complaint_progression",
    "dissatisfaction_alerts",
]

_NEGATIVE_BEHAVIORS = ("negative_review", "reduced_purchase", "word_of_mouth")


# --------------------------------------------------------------------------- seed 003
def complaint_progression(feedback: pd.DataFrame, *, text_col: str = "text") -> pd.DataFrame:
    """Complaint-stage path per customer (seed 003: 潜在抱怨 → 显在抱怨 → 潜在投诉 → 投诉).

    Texts with stage ``none`` are skipped; consecutive repeats of a stage are
    collapsed in ``path``.

    Args:
        feedback: Feedback texts with ``customer_id`` (analysed or not).
        text_col: Text column.

    Returns:
        DataFrame indexed by ``customer_id`` (customers with at least one staged
        text): ``path`` (``"latent_grumble>explicit_grumble"``), ``path_zh``,
        ``first_stage``, ``last_stage``, ``max_stage``, ``n_texts``,
        ``escalating`` (the last stage is above the first), ``toward_complaint``
        (escalating and the last stage is ``latent_complaint`` or ``complaint``),
        ``last_timestamp``.
    """
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    fb = fb[fb["validation_error"].isna()]
    if "customer_id" not in fb.columns or "complaint_stage" not in fb.columns:
        return pd.DataFrame()
    f = fb[fb["customer_id"].notna() & fb["complaint_stage"].isin(STAGE_ORDER[1:])]
    f = f.sort_values("timestamp", kind="stable")
    rows = []
    for cid, g in f.groupby("customer_id", sort=True):
        st = g["complaint_stage"].tolist()
        path = [s for k, s in enumerate(st) if k == 0 or s != st[k - 1]]
        first, last = st[0], st[-1]
        mx = max(st, key=_RANK.__getitem__)
        esc = _RANK[last] > _RANK[first]
        rows.append(
            {
                "customer_id": cid,
                "path": ">".join(path),
                "path_zh": "→".join(STAGE_ZH[s] for s in path),
                "first_stage": first,
                "last_stage": last,
                "max_stage": mx,
                "n_texts": len(st),
                "escalating": esc,
                "toward_complaint": esc and _RANK[last] >= _RANK["latent_complaint"],
                "last_timestamp": g["timestamp"].iloc[-1],
            }
        )
    return pd.DataFrame(rows).set_index("customer_id") if rows else pd.DataFrame()


def dissatisfaction_alerts(
    feedback: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    purchase_window_days: int = 90,
    min_prior_orders: int = 3,
    drop_ratio: float = 0.5,
    text_col: str = "text",
) -> pd.DataFrame:
    """Alerts when a customer moves toward complaint or shows a dissatisfaction behaviour (seed 003).

    Alert kinds:

    * ``stage_up`` -- a text whose complaint stage is higher than the customer's
      previous staged text (``from_stage`` → ``to_stage``);
    * ``complaint_threat`` -- a text at ``latent_complaint`` or ``complaint``
      (潜在投诉 / 投诉), whatever came before;
    * ``negative_review`` / ``word_of_mouth`` / ``reduced_purchase`` -- a text
      with that behaviour;
    * ``reduced_purchase`` from events -- a ``cancel`` / ``unsubscribe`` /
      ``churn`` event, or an order-rate drop: at least ``min_prior_orders``
      orders before the last ``purchase_window_days`` and a rate in the window
      below ``drop_ratio`` × the earlier rate (one alert at ``as_of``).

    Args:
        feedback: Feedback texts with ``customer_id``.
        events: Events (optional).
        as_of: Reference time for the order-rate check (default: latest timestamp).
        purchase_window_days: Recent window for the order-rate check.
        min_prior_orders: Orders needed before the window.
        drop_ratio: Rate ratio below which purchases "dropped".
        text_col: Text column.

    Returns:
        DataFrame sorted by time: ``customer_id``, ``timestamp``, ``alert``,
        ``from_stage``, ``to_stage``, ``source``, ``row``, ``evidence`` (the
        text or event, with spans).
    """
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    fb = fb[fb["validation_error"].isna()]
    out: list[dict[str, Any]] = []
    if "customer_id" in fb.columns:
        f = fb[fb["customer_id"].notna()].sort_values("timestamp", kind="stable")
        stage = f["complaint_stage"] if "complaint_stage" in f.columns else pd.Series("none", index=f.index)
        beh = (
            f["behaviors"].map(_as_list)
            if "behaviors" in f.columns
            else pd.Series([[]] * len(f), index=f.index)
        )
        evid = f["evidence"] if "evidence" in f.columns else pd.Series([{}] * len(f), index=f.index)
        prev: dict[Any, str] = {}
        for row, cid, ts, st, bs, txt, ev in zip(
            f.index, f["customer_id"], f["timestamp"], stage, beh, f[text_col].astype(str), evid, strict=True
        ):
            ev = ev if isinstance(ev, dict) else {}
            base = {"customer_id": cid, "timestamp": ts, "source": "feedback", "row": row}
            if st in _RANK and st != "none":
                before = prev.get(cid)
                if before is not None and _RANK[st] > _RANK[before]:
                    out.append(
                        {
                            **base,
                            "alert": "stage_up",
                            "from_stage": before,
                            "to_stage": st,
                            "evidence": {"text": txt, "spans": ev.get(st, [])},
                        }
                    )
                if _RANK[st] >= _RANK["latent_complaint"]:
                    out.append(
                        {
                            **base,
                            "alert": "complaint_threat",
                            "from_stage": before,
                            "to_stage": st,
                            "evidence": {"text": txt, "spans": ev.get(st, [])},
                        }
                    )
                prev[cid] = st
            for b in bs:
                if b in _NEGATIVE_BEHAVIORS:
                    out.append(
                        {
                            **base,
                            "alert": b,
                            "from_stage": None,
                            "to_stage": None,
                            "evidence": {"text": txt, "spans": ev.get(b, [])},
                        }
                    )
    if events is not None and len(events):
        ev = validate_events(events)
        ev = ev[ev["validation_error"].isna()]
        stop = ev[ev["type"].isin(["cancel", "unsubscribe", "churn"])]
        for row, cid, ts, t in zip(
            stop.index, stop["customer_id"], stop["timestamp"], stop["type"], strict=True
        ):
            out.append(
                {
                    "customer_id": cid,
                    "timestamp": ts,
                    "alert": "reduced_purchase",
                    "from_stage": None,
                    "to_stage": None,
                    "source": "event",
                    "row": row,
                    "evidence": {"event": t},
                }
            )
        orders = ev[ev["type"] == "order"]
        if len(orders):
            ref = pd.Timestamp(as_of) if as_of is not None else ev["timestamp"].max()
            start = ref - pd.Timedelta(days=purchase_window_days)
            g = orders.groupby("customer_id")["timestamp"]
            first = g.min()
            before = orders[orders["timestamp"] <= start].groupby("customer_id").size()
            recent = (
                orders[(orders["timestamp"] > start) & (orders["timestamp"] <= ref)]
                .groupby("customer_id")
                .size()
            )
            prior_days = ((start - first) / pd.Timedelta(days=1)).clip(lower=1.0)
            rate_before = (before / prior_days.reindex(before.index)).fillna(0)
            rate_recent = recent.reindex(before.index, fill_value=0) / purchase_window_days
            drop = before.index[(before >= min_prior_orders) & (rate_recent < drop_ratio * rate_before)]
            for cid in drop:
                out.append(
                    {
                        "customer_id": cid,
                        "timestamp": ref,
                        "alert": "reduced_purchase",
                        "from_stage": None,
                        "to_stage": None,
                        "source": "event",
                        "row": None,
                        "evidence": {
                            "orders_before": int(before[cid]),
                            "orders_recent": int(rate_recent[cid] * purchase_window_days),
                            "rate_ratio": round(float(rate_recent[cid] / rate_before[cid]), 3),
                        },
                    }
                )
    cols = ["customer_id", "timestamp", "alert", "from_stage", "to_stage", "source", "row", "evidence"]
    if not out:
        return pd.DataFrame(columns=cols)
    return (
        pd.DataFrame(out)[cols]
        .sort_values(["timestamp", "customer_id"], kind="stable")
        .reset_index(drop=True)
    )
