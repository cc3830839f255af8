"""Informal voice of customer -> formal demands (诉求) with an urgency score (seed 001).

Seed 001 asks a VOC system to turn what customers say in *informal* channels
(Weibo, app-store reviews, forums, e-commerce reviews ...) into *formal*
demands that customer service can act on. :func:`detect_demands` keeps the
texts that carry an actionable demand and scores their urgency;
:func:`to_tickets` turns them into ticket-like records (customer, issue,
demand, urgency, evidence) that :func:`voc.routing.route` can dispatch.

**Demand rule.** A text carries a demand when its sentiment is not positive and

* its ``intent`` is one of :data:`DEMAND_INTENTS` (complaint, refund_return,
  compensation, urge, cancel, help_request), or
* its ``complaint_stage`` is ``latent_complaint`` or ``complaint``, or
* it contains a demand cue (:data:`DEMAND_CUES`: 要求, 退钱, 赔偿, 给个说法,
  尽快处理 ...); the type then comes from the cue.

**Urgency** (0-1) is a weighted sum of five parts, each in [0, 1]::

    urgency = 0.30 x stage + 0.25 x emotion + 0.10 x temperament
            + 0.15 x repeat + 0.20 x time_words

* ``stage``: complaint_stage none 0, latent_grumble 0.25, explicit_grumble 0.5,
  latent_complaint 0.75, complaint 1 (:data:`STAGE_URGENCY`);
* ``emotion``: anger 1, anxiety 0.8, impatience 0.8, disappointment 0.5,
  resignation 0.3, neutral 0.2, delight 0 (:data:`EMOTION_URGENCY`);
* ``temperament``: impulsive_angry 1, sensitive 0.7, preachy 0.5,
  narcissistic 0.5, none 0 (:data:`TEMPERAMENT_URGENCY`);
* ``repeat``: earlier contacts and negative texts of the same customer in the
  ``repeat_days`` (30) before the text, ``min(1, n / 3)``;
* ``time_words``: 1 for a strong time word (马上, 立刻, 立即, 今天, 现在就,
  赶紧, 急用 ...), 0.5 for a mild one (尽快, 早点, 着急 ...) or an ``urge`` intent,
  else 0 (:data:`URGENT_WORDS`, :data:`SOON_WORDS`).

Every part is reported (``urgency_parts``), and the matched words are evidence.

Example:
    >>> import pandas as pd
    >>> from voc.demands import detect_demands, to_tickets
    >>> fb = pd.DataFrame({
    ...     "customer_id": ["A", "B"], "channel": ["weibo", "weibo"],
    ...     "timestamp": ["2024-05-01 10:00", "2024-05-01 11:00"],
    ...     "text": ["退款十天还没到账，今天必须给我退回来！", "退款有点慢，希望快一点"],
    ...     "sentiment": ["negative", "negative"], "emotion": ["anger", "disappointment"],
    ...     "intent": ["refund_return", "refund_return"],
    ...     "complaint_stage": ["latent_complaint", "latent_grumble"],
    ...     "temperament": ["impulsive_angry", "none"]})
    >>> d = detect_demands(fb)
    >>> d.sort_values("urgency", ascending=False)["customer_id"].tolist()
    ['A', 'B']
    >>> to_tickets(d)["type"].tolist()
    ['refund_return', 'refund_return']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import CONTACT_FEEDBACK_CHANNELS, ensure_analyzed, validate_contacts, validate_feedback

__all__ = [
    "DEMAND_INTENTS",
    "DEMAND_CUES",
    "URGENT_WORDS",
    "SOON_WORDS",
    "STAGE_URGENCY",
    "EMOTION_URGENCY",
    "TEMPERAMENT_URGENCY",
    "URGENCY_WEIGHTS",
    "DEMAND_ZH",
    "detect_demands",
    "to_tickets",
    "urgency_parts",
]

#: Intents that are an actionable demand.
DEMAND_INTENTS: frozenset[str] = frozenset(
    {"complaint", "refund_return", "compensation", "urge", "cancel", "help_request"}
)
DEMAND_ZH: dict[str, str] = {
    "complaint": "投诉追责",
    "refund_return": "退款退货",
    "compensation": "要求赔偿",
    "urge": "催办",
    "cancel": "退订/销户",
    "help_request": "求助/报障",
}
#: Demand cue (regular expression) -> demand type, for texts whose intent is not a demand.
DEMAND_CUES: dict[str, str] = {
    r"必须赔偿?|赔偿|赔钱|补偿|给个说法": "compensation",
    r"退钱|退款|退货|退回": "refund_return",
    r"投诉|12315|消协|曝光|举报": "complaint",
    r"注销|销户|退订|取消(?:会员|自动续费|订阅)": "cancel",
    r"尽快处理|赶紧处理|催一下|快点处理|什么时候(?:能|才)?(?:到|处理|解决)": "urge",
    r"怎么办|帮我|帮忙|求助|能不能(?:解决|处理)|要求": "help_request",
}
#: Strong time words (time_words = 1).
URGENT_WORDS: tuple[str, ...] = (
    "马上",
    "立刻",
    "立即",
    "今天",
    "现在就",
    "赶紧",
    "急用",
    "十万火急",
    "等不了",
    "刻不容缓",
    "今晚",
)
#: Mild time words (time_words = 0.5).
SOON_WORDS: tuple[str, ...] = ("尽快", "早点", "快点", "着急", "急着", "抓紧", "尽早")
STAGE_URGENCY: dict[str, float] = {
    "none": 0.0,
    "latent_grumble": 0.25,
    "explicit_grumble": 0.5,
    "latent_complaint": 0.75,
    "complaint": 1.0,
}
EMOTION_URGENCY: dict[str, float] = {
    "anger": 1.0,
    "anxiety": 0.8,
    "impatience": 0.8,
    "disappointment": 0.5,
    "resignation": 0.3,
    "neutral": 0.2,
    "delight": 0.0,
}
TEMPERAMENT_URGENCY: dict[str, float] = {
    "impulsive_angry": 1.0,
    "sensitive": 0.7,
    "preachy": 0.5,
    "narcissistic": 0.5,
    "none": 0.0,
}
#: Weights of the urgency parts (they sum to 1).
URGENCY_WEIGHTS: dict[str, float] = {
    "stage": 0.30,
    "emotion": 0.25,
    "temperament": 0.10,
    "repeat": 0.15,
    "time_words": 0.20,
}
_URGENT_RE = re.compile("|".join(map(re.escape, URGENT_WORDS)))
_SOON_RE = re.compile("|".join(map(re.escape, SOON_WORDS)))
_CUES = [(re.compile(p), t) for p, t in DEMAND_CUES.items()]
_SENT_SPLIT = re.compile(r"(?<=[。！？!?；;…\n])")


def _col(df: pd.DataFrame, name: str, default: Any) -> pd.Series:
    if name in df.columns:
        return df[name].where(df[name].notna(), default)
    return pd.Series(default, index=df.index, dtype=object)


def _cue_type(text: str) -> tuple[str | None, str | None]:
    for rx, t in _CUES:
        m = rx.search(text)
        if m:
            return t, m.group(0)
    return None, None


def _time_words(text: str) -> tuple[float, list[str]]:
    strong = _URGENT_RE.findall(text)
    if strong:
        return 1.0, strong
    soon = _SOON_RE.findall(text)
    return (0.5, soon) if soon else (0.0, [])


def _demand_sentence(text: str, span: str | None, limit: int = 80) -> str:
    """The sentence carrying the demand (the one with the cue, else the last one), at most ``limit`` chars."""
    sents = [s.strip() for s in _SENT_SPLIT.split(text) if s.strip()] or [text.strip()]
    pick = next((s for s in sents if span and span in s), sents[-1] if len(sents) > 1 else sents[0])
    return pick if len(pick) <= limit else pick[: limit - 1] + "…"


def _repeat_counts(
    fb: pd.DataFrame, contacts: pd.DataFrame | None, rows: pd.DataFrame, repeat_days: float
) -> np.ndarray:
    """Contacts + negative texts of the same customer in ``[t - repeat_days, t)`` for each row."""
    n = np.zeros(len(rows))
    if "customer_id" not in rows.columns:
        return n
    prior = []
    neg = fb[(fb["sentiment"] == "negative") & fb["customer_id"].notna()]
    prior.append(neg[["customer_id", "timestamp"]])
    if contacts is not None and len(contacts):
        ct = validate_contacts(contacts)
        prior.append(ct.loc[ct["validation_error"].isna(), ["customer_id", "timestamp"]])
    hist = pd.concat(prior, ignore_index=True)
    hist = hist[hist["customer_id"].isin(set(rows["customer_id"].dropna()))]
    if hist.empty:
        return n
    by_c = {k: np.sort(g["timestamp"].to_numpy()) for k, g in hist.groupby("customer_id")}
    win = np.timedelta64(int(repeat_days * 86400), "s")
    for i, (cid, ts) in enumerate(zip(rows["customer_id"], rows["timestamp"], strict=True)):
        arr = by_c.get(cid)
        if arr is None or pd.isna(ts):
            continue
        t = np.datetime64(ts)
        n[i] = np.searchsorted(arr, t, side="left") - np.searchsorted(arr, t - win, side="left")
    return n


def urgency_parts(
    stage: str | None,
    emotion: str | None,
    temperament: str | None,
    n_prior: float,
    text: str,
    intent: str | None = None,
) -> dict[str, float]:
    """The five urgency parts of one text (each 0-1) and their weighted sum ``urgency``.

    Args:
        stage: complaint_stage code.
        emotion: emotion code.
        temperament: temperament code.
        n_prior: Earlier contacts / negative texts of the customer in the repeat window.
        text: The text (for time words).
        intent: Intent code (``urge`` counts as a mild time word).

    Returns:
        ``{"stage", "emotion", "temperament", "repeat", "time_words", "urgency"}``.
    """
    tw, _ = _time_words(text or "")
    if intent == "urge":
        tw = max(tw, 0.5)
    parts = {
        "stage": STAGE_URGENCY.get(str(stage), 0.0),
        "emotion": EMOTION_URGENCY.get(str(emotion), 0.2),
        "temperament": TEMPERAMENT_URGENCY.get(str(temperament), 0.0),
        "repeat": float(min(1.0, max(0.0, n_prior) / 3.0)),
        "time_words": tw,
    }
    parts["urgency"] = round(sum(URGENCY_WEIGHTS[k] * v for k, v in parts.items()), 4)
    return parts


def detect_demands(
    feedback: pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    *,
    informal_only: bool = True,
    formal_channels: Iterable[str] = CONTACT_FEEDBACK_CHANNELS,
    repeat_days: float = 30.0,
    text_col: str = "text",
) -> pd.DataFrame:
    """Texts that carry an actionable demand, with the demand type, urgency and evidence.

    Args:
        feedback: Feedback texts (analysed; the analyzer runs when ``sentiment``
            is missing). Missing analysis columns default to neutral values.
        contacts: Contacts, counted in the ``repeat`` part of the urgency.
        informal_only: Keep only texts from informal channels (every channel not
            in ``formal_channels``); ``False`` scores all texts.
        formal_channels: Channels that already are a formal contact (chat and
            hotline transcripts, email).
        repeat_days: Window of the ``repeat`` part.
        text_col: Text column.

    Returns:
        The demand rows of ``feedback`` (same index) with the original columns
        plus ``demand_type`` (an intent code of :data:`DEMAND_INTENTS`),
        ``demand_type_zh``, ``demand`` (the sentence carrying it), ``demand_source``
        (``intent`` | ``stage`` | ``cue``), ``urgency`` (0-1),
        ``urgency_parts`` (dict) and ``demand_evidence`` (dict: the intent /
        cue span, time words, emotion and stage spans from ``evidence``).
    """
    fb = validate_feedback(feedback)
    fb = ensure_analyzed(fb, text_col=text_col)
    fb = fb[fb["validation_error"].isna()]
    if informal_only:
        formal = {c.lower() for c in formal_channels}
        fb = fb[~fb["channel"].astype(str).str.lower().isin(formal)]
    text = fb[text_col].astype(str)
    intent = _col(fb, "intent", "other").astype(str)
    stage = _col(fb, "complaint_stage", "none").astype(str)
    sentiment = _col(fb, "sentiment", "neutral").astype(str)

    cue = [_cue_type(t) for t in text]
    cue_type = pd.Series([c[0] for c in cue], index=fb.index, dtype=object)
    cue_span = pd.Series([c[1] for c in cue], index=fb.index, dtype=object)
    by_intent = intent.isin(DEMAND_INTENTS)
    by_stage = stage.isin({"latent_complaint", "complaint"})
    by_cue = cue_type.notna()
    keep = (sentiment != "positive") & (by_intent | by_stage | by_cue)
    d = fb[keep].copy()
    if d.empty:
        for c in (
            "demand_type",
            "demand_type_zh",
            "demand",
            "demand_source",
            "urgency",
            "urgency_parts",
            "demand_evidence",
        ):
            d[c] = pd.Series(dtype=object)
        return d
    intent, stage, cue_type, cue_span = intent[keep], stage[keep], cue_type[keep], cue_span[keep]
    by_intent, by_stage = by_intent[keep], by_stage[keep]
    d["demand_type"] = np.where(by_intent, intent, np.where(cue_type.notna(), cue_type, "complaint"))
    d["demand_source"] = np.where(by_intent, "intent", np.where(by_stage, "stage", "cue"))
    d["demand_type_zh"] = d["demand_type"].map(DEMAND_ZH)
    d["demand"] = [_demand_sentence(t, s) for t, s in zip(d[text_col].astype(str), cue_span, strict=True)]
    n_prior = _repeat_counts(fb, contacts, d, repeat_days)
    emo = _col(d, "emotion", "neutral")
    tem = _col(d, "temperament", "none")
    evid = _col(d, "evidence", None)
    parts, evidence = [], []
    for i, (st, em, te, t, it, cs, ev) in enumerate(
        zip(stage, emo, tem, d[text_col].astype(str), intent, cue_span, evid, strict=True)
    ):
        p = urgency_parts(st, em, te, n_prior[i], t, it)
        p["n_prior"] = int(n_prior[i])
        parts.append(p)
        e: dict[str, Any] = {}
        if cs:
            e["demand_cue"] = [cs]
        tw = _time_words(t)[1]
        if tw:
            e["time_words"] = tw
        if isinstance(ev, dict):
            for k in (it, em, st, te):
                if k in ev and ev[k]:
                    e[k] = list(ev[k])
        evidence.append(e)
    d["urgency"] = [p["urgency"] for p in parts]
    d["urgency_parts"] = parts
    d["demand_evidence"] = evidence
    return d


def _issue_of(d: pd.DataFrame, issue_col: str | None, assignment: pd.DataFrame | None) -> pd.Series:
    if issue_col and issue_col in d.columns:
        return d[issue_col]
    if assignment is not None and "label" in assignment.columns:
        lab = assignment["label"].reindex(d.index)
        if lab.notna().any():
            return lab
    if "aspects" in d.columns:
        return d["aspects"].map(lambda a: "|".join(a) if isinstance(a, (list, tuple)) and len(a) else "other")
    return pd.Series("other", index=d.index)


def to_tickets(
    demands: pd.DataFrame,
    *,
    issue_col: str | None = None,
    assignment: pd.DataFrame | None = None,
    text_col: str = "text",
) -> pd.DataFrame:
    """Ticket-like records from :func:`detect_demands`, most urgent first.

    Args:
        demands: Output of :func:`detect_demands`.
        issue_col: Column of ``demands`` naming the issue (e.g. a gold issue code).
        assignment: Output of :func:`voc.issues.discover_issues`; its ``label``
            names the issue of the clustered rows. Without either, the issue is
            the text's aspects (``"logistics"``, ``"after_sales|account_payment"``).
        text_col: Text column.

    Returns:
        DataFrame: ``ticket_id`` (``T`` + source row), ``customer_id``,
        ``channel``, ``timestamp``, ``type``, ``type_zh``, ``issue``, ``demand``,
        ``urgency``, ``urgency_parts``, ``evidence`` (dict with the text and the
        spans), ``source_row`` (index in the feedback table).
    """
    d = demands
    ev = [{"text": t, **e} for t, e in zip(d[text_col].astype(str), d["demand_evidence"], strict=True)]
    out = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in d.index],
            "customer_id": d["customer_id"] if "customer_id" in d.columns else None,
            "channel": d["channel"],
            "timestamp": d["timestamp"],
            "type": d["demand_type"],
            "type_zh": d["demand_type_zh"],
            "issue": _issue_of(d, issue_col, assignment),
            "demand": d["demand"],
            "urgency": d["urgency"],
            "urgency_parts": d["urgency_parts"],
            "evidence": ev,
            "source_row": d.index,
        }
    )
    return out.sort_values(["urgency", "timestamp"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
