"""Dissatisfaction signals of every channel, one row per signal: :func:`collect_signals`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import (
    CONTACT_FEEDBACK_CHANNELS,
    ensure_analyzed,
    validate_contacts,
    validate_events,
    validate_feedback,
)
from voc.demands import urgency_parts
from voc.history import History
from voc.repair._common import _as_list, _id_column, _id_str, _is_missing
from voc.schema import id_str_column, none_if_missing

__all__ = [
    "STAGE_SEVERITY",
    "BEHAVIOR_SEVERITY",
    "EVENT_SEVERITY",
    "collect_signals",
]

#: Severity of a text by complaint stage.
STAGE_SEVERITY: dict[str, float] = {
    "none": 0.3,
    "latent_grumble": 0.4,
    "explicit_grumble": 0.6,
    "latent_complaint": 0.8,
    "complaint": 1.0,
}
#: Severity floor of a text showing a dissatisfaction behaviour.
BEHAVIOR_SEVERITY: dict[str, float] = {
    "direct_complaint": 0.6,
    "negative_review": 0.7,
    "word_of_mouth": 0.8,
    "reduced_purchase": 0.8,
}
#: Severity of an event by type (``nps`` = a score at or below ``low_nps``).
EVENT_SEVERITY: dict[str, float] = {
    "churn": 1.0,
    "cancel": 0.8,
    "unsubscribe": 0.8,
    "nps": 0.6,
    "return": 0.5,
    "self_service_fail": 0.5,
}


# --------------------------------------------------------------------------- signals
def collect_signals(
    feedback: pd.DataFrame | History,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    low_nps: float = 6,
    event_types: Iterable[str] = tuple(EVENT_SEVERITY),
    issue_col: str | None = None,
    assignment: pd.DataFrame | None = None,
    text_col: str = "text",
) -> pd.DataFrame:
    """All rows that show dissatisfaction (or report a resolution), in one long table.

    * **texts**: negative sentiment, a complaint stage other than ``none``, or a
      dissatisfaction behaviour -> ``role="signal"``; a text whose
      journey_stage is ``resolved`` and whose sentiment is not negative ->
      ``role="resolution"`` (it can close an item, never opens one).
    * **contacts**: ``resolved`` False or missing -> ``signal``; True ->
      ``resolution``.
    * **events**: types in ``event_types`` (NPS only at or below ``low_nps``) -> ``signal``.

    Args:
        feedback: A :class:`voc.History` (its analyzed feedback, contacts and events), or
            feedback texts (the analyzer runs when ``sentiment`` is missing).
        contacts: Contacts (optional; not with a History).
        events: Events (optional; not with a History).
        low_nps: NPS at or below this is dissatisfaction.
        event_types: Event types that are dissatisfaction signals.
        issue_col: Feedback/contacts column naming the issue (e.g. a gold issue code).
        assignment: :func:`voc.issues.discover_issues` output; its ``issue_id``
            becomes the issue key of the clustered feedback rows (``label`` the name).
        text_col: Text column.

    Returns:
        DataFrame, one row per signal: ``source``, ``row``, ``customer_id``,
        ``channel``, ``timestamp``, ``text``, ``role``, ``issue_key``,
        ``issue_name``, ``aspects``, ``complaint_stage``, ``emotion``,
        ``temperament``, ``intent``, ``reasons``, ``behaviors``, ``severity``,
        ``urgency``, ``evidence``, ``phone``, ``nickname``, ``order_id``,
        ``is_contact`` (a contact, or a text from a contact channel), ``recurred``
        (a text whose ``journey_stage`` is ``recurred``: "the same problem again").
    """
    parts = []
    if isinstance(feedback, History):
        feedback, contacts, events, _ = feedback.unpack("collect_signals", contacts, events)
        text_col = "text"
    if assignment is not None and hasattr(assignment, "assignment_"):
        assignment = assignment.assignment_
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    fb = fb[fb["validation_error"].isna()]
    if "customer_id" not in fb.columns:
        fb = fb.assign(customer_id=None)

    def col(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
        return df[name] if name in df.columns else pd.Series(default, index=df.index, dtype=object)

    def idcol(df: pd.DataFrame, name: str) -> pd.Series:
        # identity hints: aliases (phone_masked -> phone), always text (an order id read as float too)
        s = _id_column(df, name)
        if s is None:
            return pd.Series(None, index=df.index, dtype=object)
        if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is pd.NA:
            return s.map(_id_str).astype(object)
        # what s.map(_id_str).astype(object) gives, converting each distinct id once: missing
        # cells are NaN once any id is text (map infers the str dtype), None when none is
        ids = id_str_column(s)
        if ids.notna().any():
            ids[ids.isna()] = np.nan
        return ids

    stage = col(fb, "complaint_stage", "none").fillna("none").astype(str)
    beh = col(fb, "behaviors").map(_as_list)
    sent = col(fb, "sentiment", "neutral").astype(str)
    is_sig = (
        (sent == "negative") | (stage != "none") | beh.map(lambda b: any(x in BEHAVIOR_SEVERITY for x in b))
    )
    is_res = (col(fb, "journey_stage").astype(str) == "resolved") & (sent != "negative") & ~is_sig
    keep = is_sig | is_res
    f = fb[keep]
    key = pd.Series(None, index=f.index, dtype=object)
    name = pd.Series(None, index=f.index, dtype=object)
    if issue_col and issue_col in f.columns:
        key = f[issue_col].map(lambda v: None if _is_missing(v) else str(v))
        name = key
    elif assignment is not None and "issue_id" in assignment.columns:
        a = assignment.reindex(f.index)
        key = a["issue_id"].map(lambda v: None if pd.isna(v) else f"issue{int(v)}")
        name = a["label"] if "label" in a.columns else key
    f_sev = [
        max([STAGE_SEVERITY.get(s, 0.3)] + [BEHAVIOR_SEVERITY.get(b, 0.0) for b in bs])
        for s, bs in zip(stage[keep], beh[keep], strict=True)
    ]
    texts = f[text_col].astype(str)
    emo = col(f, "emotion", "neutral")
    tem = col(f, "temperament", "none")
    intent = col(f, "intent", "other")
    urg = [
        urgency_parts(s, e, t, 0, x, i)["urgency"]
        for s, e, t, x, i in zip(stage[keep], emo, tem, texts, intent, strict=True)
    ]
    contact_ch = {c.lower() for c in CONTACT_FEEDBACK_CHANNELS}
    parts.append(
        pd.DataFrame(
            {
                "source": "feedback",
                "row": f.index,
                "customer_id": f["customer_id"],
                "channel": f["channel"],
                "timestamp": f["timestamp"],
                "text": texts,
                "role": np.where(is_sig[keep], "signal", "resolution"),
                "issue_key": key,
                "issue_name": name,
                "aspects": col(f, "aspects").map(_as_list),
                "complaint_stage": stage[keep],
                "emotion": emo,
                "temperament": tem,
                "intent": intent,
                "reasons": col(f, "non_complaint_reasons").map(_as_list),
                "behaviors": beh[keep],
                "severity": f_sev,
                "urgency": urg,
                "evidence": col(f, "evidence").map(lambda e: e if isinstance(e, dict) else {}),
                "phone": idcol(f, "phone"),
                "nickname": idcol(f, "nickname"),
                "order_id": idcol(f, "order_id"),
                "is_contact": f["channel"].astype(str).str.lower().isin(contact_ch),
                "recurred": col(f, "journey_stage").astype(str) == "recurred",
            }
        )
    )
    if contacts is not None and len(contacts):
        ct = validate_contacts(contacts)
        ct = ct[ct["validation_error"].isna()]
        res = col(ct, "resolved")
        ok = res.map(lambda v: v is True)
        topic = col(ct, "topic").map(lambda v: "" if _is_missing(v) else str(v))
        ckey = (
            ct[issue_col].map(lambda v: None if _is_missing(v) else str(v))
            if issue_col and issue_col in ct.columns
            else pd.Series(None, index=ct.index, dtype=object)
        )
        parts.append(
            pd.DataFrame(
                {
                    "source": "contact",
                    "row": ct.index,
                    "customer_id": ct["customer_id"],
                    "channel": ct["channel"],
                    "timestamp": ct["timestamp"],
                    "text": topic,
                    "role": np.where(ok, "resolution", "signal"),
                    "issue_key": ckey,
                    "issue_name": ckey.where(ckey.notna(), topic.where(topic != "", None)),
                    "aspects": [[] for _ in range(len(ct))],
                    "complaint_stage": "none",
                    "emotion": None,
                    "temperament": None,
                    "intent": None,
                    "reasons": [[] for _ in range(len(ct))],
                    "behaviors": [[] for _ in range(len(ct))],
                    "severity": np.where(res.map(lambda v: v is False), 0.6, 0.4),
                    "urgency": 0.0,
                    "evidence": [{} for _ in range(len(ct))],
                    "phone": idcol(ct, "phone"),
                    "nickname": idcol(ct, "nickname"),
                    "order_id": idcol(ct, "order_id"),
                    "is_contact": True,
                    "recurred": False,
                }
            )
        )
    if events is not None and len(events):
        ev = validate_events(events)
        ev = ev[ev["validation_error"].isna()]
        types = {t.lower() for t in event_types}
        m = ev["type"].isin(types)
        if "nps" in types:
            low = (ev["type"] == "nps") & (col(ev, "score").astype(float) <= low_nps)
            m = m & ((ev["type"] != "nps") | low)
        ev = ev[m]
        detail = col(ev, "detail").map(lambda d: "" if _is_missing(d) else f":{d}")
        desc = ev["type"] + detail
        parts.append(
            pd.DataFrame(
                {
                    "source": "event",
                    "row": ev.index,
                    "customer_id": ev["customer_id"],
                    "channel": "event",
                    "timestamp": ev["timestamp"],
                    "text": desc,
                    "role": "signal",
                    "issue_key": None,
                    "issue_name": desc,
                    "aspects": [[] for _ in range(len(ev))],
                    "complaint_stage": "none",
                    "emotion": None,
                    "temperament": None,
                    "intent": None,
                    "reasons": [[] for _ in range(len(ev))],
                    "behaviors": [
                        ["reduced_purchase"] if t in ("cancel", "unsubscribe", "churn") else []
                        for t in ev["type"]
                    ],
                    "severity": ev["type"].map(EVENT_SEVERITY).fillna(0.5).to_numpy(),
                    "urgency": 0.0,
                    "evidence": [{} for _ in range(len(ev))],
                    "phone": None,
                    "nickname": None,
                    "order_id": idcol(ev, "order_id"),
                    "is_contact": False,
                    "recurred": False,
                }
            )
        )
    sig = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else pd.DataFrame()
    for c in ("issue_key", "issue_name"):
        if c in sig.columns:
            sig[c] = none_if_missing(sig[c])
    if "customer_id" in sig.columns:  # ids always text: 1001 in one table and "1001" in another match
        sig["customer_id"] = id_str_column(sig["customer_id"])  # None when missing
    return sig
