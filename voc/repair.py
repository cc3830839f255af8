"""Centralized repair of dissatisfied customers (seed 002) and dissatisfaction recognition (seed 003).

Seed 002 (集中修复) gathers the dissatisfied customers of every channel (hotline,
complaints, bot, WeChat ...), checks whether a customer who complained in
several places "几天之内同时在营业厅、热线、微信公众号" is talking about the same
problem, and calls each one back once, with a script adapted to the
customer's temperament, at the moment of truth (MOT). Seed 003 follows a
customer's complaint stage (潜在抱怨 → 显在抱怨 → 潜在投诉 → 投诉) and the
behaviours of dissatisfaction (negative review, reduced purchase, word of mouth).

* :func:`build_repair_queue` -- one item per (customer, issue) across
  feedback, contacts and events, with links to every source row, the issue
  summary, all evidence, a priority, a status and a repair suggestion.
* :func:`resolve_identities` -- fuzzy identity for rows without a
  ``customer_id`` (order number, masked phone, nickname, plus issue similarity).
* :func:`common_issues` -- the issues shared across the queue (top issues, counts, channels).
* :func:`complaint_progression` / :func:`dissatisfaction_alerts` -- stage
  progression per customer and alerts (seed 003).
* :func:`plant_duplicates` / :func:`dedup_scores` -- evaluation on
  :func:`voc.synthetic.generate_history` with planted cross-channel duplicates.

Identity hints (all optional): ``phone`` (full, masked ``138****1234`` or a
4-digit tail), ``nickname`` and ``order_id`` columns in ``feedback`` and
``contacts``; ``phone`` / ``nickname`` in ``customers``; ``order_id`` in
``events``. Texts are also searched for ``尾号1234`` and ``订单号 XXXXXXXX``.

Example:
    >>> import pandas as pd
    >>> from voc.repair import build_repair_queue
    >>> fb = pd.DataFrame({
    ...     "customer_id": ["C1", "C1", "C1"],
    ...     "channel": ["weibo", "hotline_transcript", "app_review"],
    ...     "timestamp": ["2024-05-01 09:00", "2024-05-02 10:00", "2024-05-02 12:00"],
    ...     "text": ["退款十天了还没到账，气死了", "你好，我的退款还没到账，请尽快处理", "app一打开就闪退"],
    ...     "sentiment": ["negative"] * 3, "emotion": ["anger", "impatience", "anger"],
    ...     "intent": ["refund_return", "urge", "help_request"],
    ...     "complaint_stage": ["explicit_grumble", "explicit_grumble", "explicit_grumble"],
    ...     "aspects": [["after_sales"], ["after_sales"], ["app_website"]]})
    >>> q = build_repair_queue(fb)
    >>> sorted(len(s) for s in q["sources"])
    [1, 2]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
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

__all__ = [
    "STAGE_ORDER",
    "STAGE_ZH",
    "STAGE_SEVERITY",
    "EVENT_SEVERITY",
    "BEHAVIOR_SEVERITY",
    "STATUS_FACTOR",
    "HINT_WEIGHTS",
    "TEMPERAMENT_SCRIPTS",
    "collect_signals",
    "resolve_identities",
    "build_repair_queue",
    "common_issues",
    "complaint_progression",
    "dissatisfaction_alerts",
    "plant_duplicates",
    "dedup_scores",
]

#: Complaint stages of seed 003, in order.
STAGE_ORDER: tuple[str, ...] = ("none", "latent_grumble", "explicit_grumble", "latent_complaint", "complaint")
STAGE_ZH: dict[str, str] = {
    "none": "无",
    "latent_grumble": "潜在抱怨",
    "explicit_grumble": "显在抱怨",
    "latent_complaint": "潜在投诉",
    "complaint": "投诉",
}
_RANK = {s: i for i, s in enumerate(STAGE_ORDER)}
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
#: Priority multiplier per item status (resolved: a follow-up call; churned: win-back).
STATUS_FACTOR: dict[str, float] = {"open": 1.0, "in_progress": 1.0, "churned": 0.6, "resolved": 0.3}
#: Weight of each identity hint when it points to exactly one customer.
HINT_WEIGHTS: dict[str, float] = {
    "order": 0.9,
    "phone": 0.7,  # 3-digit prefix + 4-digit tail
    "phone_tail": 0.35,  # 4-digit tail only
    "nickname": 0.4,
    "issue": 0.4,  # the text is about an issue the candidate already raised
}
#: Repair script per temperament (seed 002: 个性化修复).
TEMPERAMENT_SCRIPTS: dict[str, tuple[str, str]] = {
    "narcissistic": (
        "充分赞美和认同客户的见解，让客户体验到被认同",
        "Praise and acknowledge the customer's views",
    ),
    "impulsive_angry": (
        "先让客户尽情发泄，多安抚，让客户感受到被理解",
        "Let them vent first and soothe them so they feel understood",
    ),
    "preachy": (
        "化身好学生，耐心倾听客户的说教，让客户感受到被尊重",
        "Be a good student: listen respectfully",
    ),
    "sensitive": (
        "给予足够的耐心，用贴近客户的语言和同理心关怀客户",
        "Be patient, use the customer's own words and show empathy",
    ),
}
_DEFAULT_SCRIPT = (
    "外呼回访：问题解决、难点解释、情绪安抚",
    "Call back: solve, explain the difficulty, calm emotions",
)
_ESCALATED_SCRIPT = (
    "对已投诉/扬言投诉的问题进行二次修复，避免投诉升级",
    "Second repair of a complaint (or a threat to complain) to stop it escalating",
)
_RESOLVED_SCRIPT = ("回访确认满意度，强化终点的愉悦体验", "Follow up on satisfaction; end on a pleasant peak")
_CHURNED_SCRIPT = (
    "挽回流失客户：道歉、说明改进并给予补偿",
    "Win back: apologise, explain the fix, compensate",
)

_NEGATIVE_BEHAVIORS = ("negative_review", "reduced_purchase", "word_of_mouth")
_TAIL_RE = re.compile(r"尾号\s*[:：]?\s*(\d{4})")
_ORDER_RE = re.compile(r"订单(?:号|编号)?\s*[:：#]?\s*([A-Za-z0-9]{8,24})")
_CLEAN_RE = re.compile(r"\[[^\]]{1,8}\]|[^\w]")


# --------------------------------------------------------------------------- helpers
def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def _as_list(v: Any) -> list[str]:
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return [str(x) for x in v]
    if _is_missing(v):
        return []
    if isinstance(v, str):
        return [x.strip() for x in re.split(r"[|,;]", v) if x.strip()]
    return []


def _phone_keys(v: Any) -> list[tuple[str, str]]:
    """``[(kind, key)]`` for a phone value: full/masked -> prefix+tail and tail; a bare tail -> tail."""
    if _is_missing(v):
        return []
    s = str(v).strip()
    digits = re.sub(r"\D", "", s)
    masked = bool(re.search(r"[*xX＊]", s))
    if len(digits) < 4:
        return []
    tail = digits[-4:]
    keys = [("phone_tail", tail)]
    if (masked and len(digits) >= 7) or (not masked and len(digits) >= 11):
        keys.insert(0, ("phone", digits[:3] + "*" + tail))
    return keys


def _nick_key(v: Any) -> str | None:
    if _is_missing(v):
        return None
    s = re.sub(r"\s+", "", str(v)).lstrip("@").lower()
    return s or None


def _clean(text: Any) -> str:
    return _CLEAN_RE.sub("", str(text)) if not _is_missing(text) else ""


def _text_vectors(texts: Sequence[str]) -> Any:
    """L2-normalised TF-IDF over character 1-2-grams (sparse), one row per text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    cleaned = [_clean(t) or "_" for t in texts]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    return vec.fit_transform(cleaned)


def _pair_cosine(x: Any, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    if len(i) == 0:
        return np.zeros(0)
    return np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()


# --------------------------------------------------------------------------- signals
def collect_signals(
    feedback: pd.DataFrame,
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
        feedback: Feedback texts (the analyzer runs when ``sentiment`` is missing).
        contacts: Contacts (optional).
        events: Events (optional).
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
        ``is_contact`` (a contact, or a text from a contact channel).
    """
    parts = []
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    fb = fb[fb["validation_error"].isna()]
    if "customer_id" not in fb.columns:
        fb = fb.assign(customer_id=None)

    def col(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
        return df[name] if name in df.columns else pd.Series(default, index=df.index, dtype=object)

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
                "phone": col(f, "phone"),
                "nickname": col(f, "nickname"),
                "order_id": col(f, "order_id"),
                "is_contact": f["channel"].astype(str).str.lower().isin(contact_ch),
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
                    "phone": col(ct, "phone"),
                    "nickname": col(ct, "nickname"),
                    "order_id": col(ct, "order_id"),
                    "is_contact": True,
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
                    "order_id": col(ev, "order_id"),
                    "is_contact": False,
                }
            )
        )
    sig = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else pd.DataFrame()
    for c in ("issue_key", "issue_name", "customer_id"):
        if c in sig.columns:
            sig[c] = pd.Series([None if _is_missing(v) else v for v in sig[c]], index=sig.index, dtype=object)
    return sig


# --------------------------------------------------------------------------- identity
def _reference_index(
    sig: pd.DataFrame, customers: pd.DataFrame | None, events: pd.DataFrame | None
) -> dict[tuple[str, str], set[Any]]:
    """``(hint kind, key) -> customer ids`` from every row that has both an id and a hint."""
    idx: dict[tuple[str, str], set[Any]] = defaultdict(set)

    def add(ids: Iterable[Any], phones: Iterable[Any], nicks: Iterable[Any], orders: Iterable[Any]) -> None:
        for cid, ph, nk, od in zip(ids, phones, nicks, orders, strict=True):
            if _is_missing(cid):
                continue
            for k in _phone_keys(ph):
                idx[k].add(cid)
            n = _nick_key(nk)
            if n:
                idx[("nickname", n)].add(cid)
            if not _is_missing(od):
                idx[("order", str(od).strip())].add(cid)

    none = [None] * len(sig)
    add(
        sig["customer_id"],
        sig["phone"].tolist() if "phone" in sig else none,
        sig["nickname"].tolist() if "nickname" in sig else none,
        sig["order_id"].tolist() if "order_id" in sig else none,
    )
    if customers is not None and len(customers):
        n = [None] * len(customers)
        add(
            customers["customer_id"],
            customers.get("phone", n),
            customers.get("nickname", n),
            customers.get("order_id", n),
        )
    if events is not None and "order_id" in events.columns:
        e = events[events["order_id"].notna()]
        add(e["customer_id"], [None] * len(e), [None] * len(e), e["order_id"])
    return idx


def _row_hints(phone: Any, nick: Any, order: Any, text: str) -> list[tuple[str, str]]:
    hints = list(_phone_keys(phone))
    n = _nick_key(nick)
    if n:
        hints.append(("nickname", n))
    if not _is_missing(order):
        hints.append(("order", str(order).strip()))
    for m in _TAIL_RE.findall(text or ""):
        if ("phone_tail", m) not in hints:
            hints.append(("phone_tail", m))
    for m in _ORDER_RE.findall(text or ""):
        if ("order", m) not in hints:
            hints.append(("order", m))
    # a prefix+tail key already implies its tail: count the strongest phone hint once
    if any(k == "phone" for k, _ in hints):
        hints = [h for h in hints if h[0] != "phone_tail"]
    return hints


def resolve_identities(
    signals: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    threshold: float = 0.6,
    margin: float = 0.15,
    sim_threshold: float = 0.3,
    max_gap_days: float = 60,
    vectors: Any = None,
) -> pd.DataFrame:
    """Give rows without ``customer_id`` the identity of a known customer, when the hints agree.

    For a row without id, every hint (:func:`_row_hints`: phone, nickname,
    order number, ``尾号1234`` / ``订单号 ...`` in the text) looks up the
    customers that have it (in ``customers``, in ``events.order_id`` and in
    rows with an id). A hint naming ``k`` customers gives each ``w / k``
    (:data:`HINT_WEIGHTS`: order 0.9, phone prefix+tail 0.7, phone tail 0.35,
    nickname 0.4). A candidate with a signal about the same issue within
    ``max_gap_days`` (same issue key, or text cosine ``>= sim_threshold``) gets
    the ``issue`` weight 0.4, and for it a shared hint is divided only among
    the candidates that also share the issue (the hint plus the issue tell
    them apart). The scores combine as a noisy-or,
    ``1 - prod(1 - w)``. The best candidate is accepted when its score is
    ``>= threshold`` and beats the runner-up by ``margin``: an order number
    alone, a masked phone alone, a nickname or a phone tail *with* the same
    issue -- but never a nickname or a tail alone.

    Rows that stay unknown get a pseudo id from their strongest hint
    (``anon:order:...``, ``anon:phone:...``, ``anon:nickname:...``) so that
    anonymous posts of one person still merge, else ``anon:<source>:<row>``.

    Args:
        signals: Output of :func:`collect_signals`.
        customers: Master table (``phone``, ``nickname`` used when present).
        events: Events (``order_id`` used when present).
        threshold: Minimum combined score.
        margin: Minimum lead over the second candidate.
        sim_threshold: Cosine of TF-IDF character 1-2-grams that counts as the same issue.
        max_gap_days: The candidate's same-issue signal must be this close in time.
        vectors: Precomputed text vectors of ``signals`` (internal).

    Returns:
        A copy of ``signals`` with ``customer_key`` (the id, the resolved id or a
        pseudo id), ``identity`` (``id`` | ``fuzzy`` | ``anonymous``),
        ``identity_score`` and ``identity_hints`` (e.g. ``["order", "issue"]``).
    """
    sig = signals.copy()
    n = len(sig)
    key = sig["customer_id"].to_numpy(dtype=object).copy()
    ident = np.array(["id"] * n, dtype=object)
    score = np.ones(n)
    hints_used: list[list[str]] = [[] for _ in range(n)]
    anon = np.array([_is_missing(c) for c in key])
    if not anon.any():
        sig["customer_key"], sig["identity"], sig["identity_score"] = key, ident, score
        sig["identity_hints"] = hints_used
        return sig
    ref = _reference_index(sig, customers, events)
    x = vectors if vectors is not None else _text_vectors(sig["text"].tolist())
    known = ~anon & (sig["role"].to_numpy() == "signal")
    by_cust: dict[Any, list[int]] = defaultdict(list)
    for i in np.flatnonzero(known):
        by_cust[key[i]].append(int(i))
    phone = sig["phone"].tolist() if "phone" in sig else [None] * n
    nick = sig["nickname"].tolist() if "nickname" in sig else [None] * n
    order = sig["order_id"].tolist() if "order_id" in sig else [None] * n
    texts = sig["text"].astype(str).tolist()
    ikeys = sig["issue_key"].tolist()
    ts = sig["timestamp"].to_numpy()
    gap = np.timedelta64(int(max_gap_days * 86400), "s")
    for i in np.flatnonzero(anon):
        hints = _row_hints(phone[i], nick[i], order[i], texts[i])
        per_hint = [(kind, ref.get((kind, k), set())) for kind, k in hints]
        cands = set().union(*(ids for _, ids in per_hint)) if per_hint else set()
        same: dict[Any, bool] = {}
        for c in cands:
            rows = [r for r in by_cust.get(c, []) if abs(ts[r] - ts[i]) <= gap]
            ok = False
            if rows:
                if ikeys[i] is not None:
                    ok = any(ikeys[r] == ikeys[i] for r in rows)
                if not ok:
                    rs = np.array(rows)
                    ok = bool((_pair_cosine(x, np.full(len(rs), i), rs) >= sim_threshold).any())
            same[c] = ok
        scored = []
        for c in cands:
            ws = []
            for kind, ids in per_hint:
                if c not in ids:
                    continue
                # a hint shared by k customers counts 1/k; when the issue tells them apart, only
                # the candidates that share the issue divide it
                k_eff = sum(1 for o in ids if same[o]) if same[c] else len(ids)
                ws.append((kind, HINT_WEIGHTS[kind] / max(k_eff, 1)))
            if same[c]:
                ws.append(("issue", HINT_WEIGHTS["issue"]))
            sc = 1.0 - float(np.prod([1.0 - w for _, w in ws]))
            scored.append((sc, c, [k for k, _ in ws]))
        scored.sort(key=lambda t: -t[0])
        best = scored[0] if scored else None
        second = scored[1][0] if len(scored) > 1 else 0.0
        if best and best[0] >= threshold and best[0] - second >= margin:
            key[i], ident[i], score[i], hints_used[i] = best[1], "fuzzy", round(best[0], 4), best[2]
        else:
            strongest = sorted(hints, key=lambda h: -HINT_WEIGHTS[h[0]])
            key[i] = (
                f"anon:{strongest[0][0]}:{strongest[0][1]}"
                if strongest
                else f"anon:{sig['source'].iat[i]}:{sig['row'].iat[i]}"
            )
            ident[i], score[i] = "anonymous", 0.0
            hints_used[i] = [k for k, _ in strongest[:1]]
    sig["customer_key"], sig["identity"], sig["identity_score"] = key, ident, score
    sig["identity_hints"] = hints_used
    return sig


# --------------------------------------------------------------------------- grouping
class _UF:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def _group_items(
    sig: pd.DataFrame,
    x: Any,
    *,
    max_gap_days: float,
    aspect_gap_days: float,
    attach_days: float,
    sim_threshold: float,
) -> np.ndarray:
    """Item number per signal row (-1: a resolution row that attaches to no item)."""
    n = len(sig)
    uf = _UF(n)
    ts = sig["timestamp"].to_numpy()
    day = np.timedelta64(86400, "s")
    is_text = (sig["source"] == "feedback").to_numpy()
    role_sig = (sig["role"] == "signal").to_numpy()
    ikeys = sig["issue_key"].to_numpy(dtype=object)
    names = sig["issue_name"].to_numpy(dtype=object)
    aspects = [frozenset(a) for a in sig["aspects"]]
    groups = sig.groupby("customer_key", sort=False).indices

    # candidate text pairs within a customer (vectorised cosine)
    pi, pj = [], []
    for rows in groups.values():
        t = [r for r in rows if is_text[r] and role_sig[r]]
        for a in range(len(t)):
            for b in range(a + 1, len(t)):
                pi.append(t[a])
                pj.append(t[b])
    pi_a, pj_a = np.array(pi, dtype=int), np.array(pj, dtype=int)
    cos = _pair_cosine(x, pi_a, pj_a)
    for a, b, c in zip(pi_a, pj_a, cos, strict=True):
        gap = abs(ts[a] - ts[b]) / day
        if gap > max_gap_days:
            continue
        if ikeys[a] is not None and ikeys[b] is not None:
            if ikeys[a] == ikeys[b]:
                uf.union(a, b)
            continue
        if c >= sim_threshold or (aspects[a] & aspects[b] and gap <= aspect_gap_days):
            uf.union(a, b)

    # non-text signals: join the nearest text signal (same issue key if both have one), else
    # other non-text signals with the same description
    attached = np.zeros(n, dtype=bool)
    for rows in groups.values():
        texts = [r for r in rows if is_text[r] and role_sig[r]]
        others = [r for r in rows if not (is_text[r] and role_sig[r])]
        for r in others:
            best, best_gap = None, None
            for t in texts:
                if ikeys[r] is not None and ikeys[t] is not None and ikeys[r] != ikeys[t]:
                    continue
                gap = abs(ts[r] - ts[t]) / day
                limit = max_gap_days if (ikeys[r] is not None and ikeys[r] == ikeys[t]) else attach_days
                if gap <= limit and (best_gap is None or gap < best_gap):
                    best, best_gap = t, gap
            if best is not None:
                uf.union(best, r)
                attached[r] = True
        # leftover signals join contacts / events with the same description (or issue key)
        # within max_gap_days, attached or not
        sig_others = [r for r in others if role_sig[r]]
        left = [r for r in sig_others if not attached[r]]
        for ra in left:
            for rb in sig_others:
                if rb == ra:
                    continue
                same = (ikeys[ra] is not None and ikeys[ra] == ikeys[rb]) or (
                    ikeys[ra] is None and ikeys[rb] is None and names[ra] == names[rb]
                )
                if same and abs(ts[ra] - ts[rb]) / day <= max_gap_days:
                    uf.union(ra, rb)
    # resolution rows: attach to the latest item of the customer that started before them
    # (within max_gap_days of its last signal); otherwise they are dropped
    roots = np.array([uf.find(i) for i in range(n)])
    item = np.full(n, -1)
    root_ids: dict[int, int] = {}
    # number items by root, counting only groups with at least one signal
    has_sig: dict[int, bool] = defaultdict(bool)
    for i in range(n):
        has_sig[roots[i]] |= bool(role_sig[i])
    for i in range(n):
        if has_sig[roots[i]]:
            item[i] = root_ids.setdefault(roots[i], len(root_ids))
    for rows in groups.values():
        res = [r for r in rows if item[r] == -1]
        if not res:
            continue
        sig_rows = [r for r in rows if item[r] >= 0 and role_sig[r]]
        for r in res:
            cands = [s for s in sig_rows if ts[s] <= ts[r] and (ts[r] - ts[s]) / day <= max_gap_days]
            same = [
                s
                for s in cands
                if (ikeys[r] is not None and ikeys[s] == ikeys[r])
                or (not is_text[r] and names[s] == names[r])
            ]
            cands = same or cands
            if cands:
                item[r] = item[max(cands, key=lambda s: ts[s])]
    return item


# --------------------------------------------------------------------------- the queue
def _value_pct(events: pd.DataFrame | None, profiles: pd.DataFrame | None) -> pd.Series:
    if profiles is not None and "monetary" in profiles.columns:
        return profiles["monetary"].rank(pct=True)
    if events is None or not len(events) or "amount" not in events.columns:
        return pd.Series(dtype=float)
    ev = validate_events(events)
    o = ev[(ev["type"] == "order") & ev["validation_error"].isna()]
    return o.groupby("customer_id")["amount"].sum().rank(pct=True)


def _suggest(
    status: str,
    stage: str,
    temperament: str | None,
    silent: bool,
    reason: str | None,
    strategies: pd.DataFrame | None,
) -> tuple[str, str]:
    zh, en = [], []
    if status == "churned":
        zh.append(_CHURNED_SCRIPT[0])
        en.append(_CHURNED_SCRIPT[1])
    elif status == "resolved":
        zh.append(_RESOLVED_SCRIPT[0])
        en.append(_RESOLVED_SCRIPT[1])
    elif _RANK.get(stage, 0) >= _RANK["latent_complaint"]:
        zh.append(_ESCALATED_SCRIPT[0])
        en.append(_ESCALATED_SCRIPT[1])
    else:
        zh.append(_DEFAULT_SCRIPT[0])
        en.append(_DEFAULT_SCRIPT[1])
    if temperament in TEMPERAMENT_SCRIPTS:
        zh.append(TEMPERAMENT_SCRIPTS[temperament][0])
        en.append(TEMPERAMENT_SCRIPTS[temperament][1])
    if silent and reason and strategies is not None:
        hit = strategies[(strategies["kind"] == "reason") & (strategies["key"] == reason)]
        if len(hit):
            zh.append(str(hit.iloc[0]["strategy_zh"]))
            en.append(str(hit.iloc[0]["strategy_en"]))
    return "；".join(zh), "; ".join(en)


def _mode(values: Iterable[Any], skip: Sequence[Any] = (None, "none", "")) -> Any:
    c = Counter(v for v in values if not _is_missing(v) and v not in skip)
    return c.most_common(1)[0][0] if c else None


def build_repair_queue(
    feedback: pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    profiles: pd.DataFrame | None = None,
    issue_col: str | None = None,
    assignment: pd.DataFrame | None = None,
    as_of: Any = None,
    include_resolved: bool = True,
    max_gap_days: float = 60,
    aspect_gap_days: float = 45,
    attach_days: float = 3,
    sim_threshold: float = 0.3,
    identity_threshold: float = 0.6,
    mot_days: float = 7,
    low_nps: float = 6,
    event_types: Iterable[str] = tuple(EVENT_SEVERITY),
    text_col: str = "text",
) -> pd.DataFrame:
    """The centralized repair queue: one item per (customer, issue), highest priority first.

    **Who**: rows without ``customer_id`` are resolved by :func:`resolve_identities`.

    **Same issue** (within one customer; union of pairwise links, so links chain):

    * two texts with an issue key (``issue_col`` or ``assignment``) link when the
      keys are equal and they are at most ``max_gap_days`` apart;
    * otherwise two texts link when their TF-IDF character cosine is
      ``>= sim_threshold`` (within ``max_gap_days``) or they share an aspect
      within ``aspect_gap_days``;
    * a contact or event joins the nearest text within ``attach_days`` (any
      distance within ``max_gap_days`` when both carry the same issue key);
      a contact / event that joined no text links to the contacts / events
      with the same description (``topic``, ``type:detail``) within
      ``max_gap_days``;
    * resolution rows (resolved contacts, "resolved" texts) close the latest item
      of the customer with a signal before them (within ``max_gap_days``),
      preferring items with the same issue key or contact topic.

    **Per item**: ``severity`` = max over its signals (:data:`STAGE_SEVERITY`,
    :data:`BEHAVIOR_SEVERITY`, :data:`EVENT_SEVERITY`; unresolved contact 0.6)
    + 0.1 per extra channel, capped at 1. ``value`` = 0.5 + 0.5 × the customer's
    percentile of order amount (0.75 when unknown). ``urgency`` = 0.7 × (the
    highest text urgency of :func:`voc.demands.urgency_parts` + 0.15 ×
    ``min(1, (n_signals - 1) / 3)`` for repeats, capped at 1) + 0.3 × MOT,
    where MOT = ``exp(-days since the last signal / mot_days)`` (the moment of
    truth fades). ``priority = severity × value × max(urgency, 0.1) × status
    factor`` (:data:`STATUS_FACTOR`: open / in_progress 1, churned 0.6, resolved 0.3).

    **Status**: ``churned`` (a churn event of the customer on or after the item's
    first signal) > ``resolved`` (the latest row of the item is a resolution) >
    ``in_progress`` (a contact in the item) > ``open``. ``silent`` = no contact
    (contact row or contact-channel text) in the item.

    Args:
        feedback: Feedback texts (analysed, or the analyzer runs). Optional
            identity columns ``phone``, ``nickname``, ``order_id``.
        contacts: Contacts (optional; same identity columns).
        events: Events (optional; ``order_id`` used for identity).
        customers: Master table (optional; ``phone``, ``nickname``).
        profiles: :func:`voc.customers.profile_customers` output (for ``monetary``).
        issue_col: Column of ``feedback`` / ``contacts`` naming the issue.
        assignment: :func:`voc.issues.discover_issues` output (issue per text).
        as_of: Reference time for MOT (default: the latest signal).
        include_resolved: Keep resolved items (``False``: only the work to do).
        max_gap_days: Longest gap between two rows of one item.
        aspect_gap_days: Longest gap for linking texts by a shared aspect.
        attach_days: Contacts / events join a text at most this far away.
        sim_threshold: Text cosine that counts as the same issue.
        identity_threshold: See :func:`resolve_identities`.
        mot_days: Decay of the moment of truth.
        low_nps: NPS at or below this is dissatisfaction.
        event_types: Event types that are dissatisfaction signals.
        text_col: Text column.

    Returns:
        DataFrame, one row per item, by priority: ``rank``, ``item_id``,
        ``customer_id`` (known or resolved id; a pseudo ``anon:...`` id when
        unknown), ``identity`` (``id`` | ``fuzzy`` | ``anonymous``),
        ``issue``, ``summary``, ``channels``, ``n_sources``, ``sources`` (list of
        ``{"source", "row", "channel", "timestamp", "text", "identity"}`` -- a
        link to every source row), ``evidence`` (texts with their spans),
        ``first_seen``, ``last_seen``, ``complaint_stage`` (highest),
        ``stage_zh``, ``temperament``, ``reason``, ``silent``, ``status``,
        ``severity``, ``value``, ``urgency``, ``mot``, ``priority``,
        ``suggestion_zh``, ``suggestion_en``. ``attrs["signals"]`` keeps the
        signal table with its ``item_id``.
    """
    sig = collect_signals(
        feedback,
        contacts,
        events,
        low_nps=low_nps,
        event_types=event_types,
        issue_col=issue_col,
        assignment=assignment,
        text_col=text_col,
    )
    cols = [
        "rank",
        "item_id",
        "customer_id",
        "identity",
        "issue",
        "summary",
        "channels",
        "n_sources",
        "sources",
        "evidence",
        "first_seen",
        "last_seen",
        "complaint_stage",
        "stage_zh",
        "temperament",
        "reason",
        "silent",
        "status",
        "severity",
        "value",
        "urgency",
        "mot",
        "priority",
        "suggestion_zh",
        "suggestion_en",
    ]
    if sig.empty or not (sig["role"] == "signal").any():
        return pd.DataFrame(columns=cols)
    sig = sig.sort_values(["timestamp", "source"], kind="stable").reset_index(drop=True)
    x = _text_vectors(sig["text"].tolist())
    sig = resolve_identities(
        sig,
        customers,
        events,
        threshold=identity_threshold,
        sim_threshold=sim_threshold,
        max_gap_days=max_gap_days,
        vectors=x,
    )
    sig["item_id"] = _group_items(
        sig,
        x,
        max_gap_days=max_gap_days,
        aspect_gap_days=aspect_gap_days,
        attach_days=attach_days,
        sim_threshold=sim_threshold,
    )
    sig = sig[sig["item_id"] >= 0]
    if as_of is None:
        as_of = sig["timestamp"].max()
    as_of = pd.Timestamp(as_of)
    value = _value_pct(events, profiles)
    churn_at: dict[Any, Any] = {}
    ev_sig = sig[(sig["source"] == "event") & sig["text"].str.startswith("churn")]
    for c, t in zip(ev_sig["customer_key"], ev_sig["timestamp"], strict=True):
        churn_at[c] = min(churn_at.get(c, t), t)
    strategies = None
    try:
        from voc.personas import load_strategies

        strategies = load_strategies()
    except (ImportError, FileNotFoundError, ValueError):
        strategies = None

    recs = sig.to_dict("records")
    by_item: dict[int, list[int]] = defaultdict(list)
    for i, it in enumerate(sig["item_id"].to_numpy()):
        by_item[int(it)].append(i)
    day = pd.Timedelta(days=1)
    rows = []
    for item_id, idx in by_item.items():
        g = [recs[i] for i in idx]  # time-ordered (sig is sorted by time)
        s = [r for r in g if r["role"] == "signal"]
        cust = g[0]["customer_key"]
        first, last = s[0]["timestamp"], s[-1]["timestamp"]
        texts = [r for r in s if r["source"] == "feedback"]
        channels = sorted(
            {str(r["channel"]) for r in g if not _is_missing(r["channel"]) and r["channel"] != "event"}
        )
        stage = max((r["complaint_stage"] for r in texts), key=lambda v: _RANK.get(v, 0), default="none")
        n_ch = len({str(r["channel"]) for r in s if not _is_missing(r["channel"])})
        severity = min(1.0, max(float(r["severity"]) for r in s) + 0.1 * max(0, n_ch - 1))
        v = value.get(cust) if not str(cust).startswith("anon:") else None
        val = 0.5 + 0.5 * (float(v) if v is not None and not pd.isna(v) else 0.5)
        text_urg = max((float(r["urgency"]) for r in texts), default=0.0)
        text_urg = min(1.0, text_urg + 0.15 * min(1.0, (len(s) - 1) / 3))
        mot = float(np.exp(-max(0.0, (as_of - last) / day) / mot_days))
        urgency = 0.7 * text_urg + 0.3 * mot
        contact_in = any(bool(r["is_contact"]) for r in g)
        if cust in churn_at and churn_at[cust] >= first:
            status = "churned"
        elif g[-1]["role"] == "resolution":
            status = "resolved"
        elif contact_in:
            status = "in_progress"
        else:
            status = "open"
        priority = severity * val * max(urgency, 0.1) * STATUS_FACTOR[status]
        issue = (
            _mode(r["issue_name"] for r in texts)
            or _mode(r["issue_name"] for r in s if r["source"] == "contact")
            or _mode(a for r in texts for a in r["aspects"])
            or _mode(r["issue_name"] for r in s)
        )
        lead = max(texts, key=lambda r: (float(r["urgency"]), -r["timestamp"].value), default=s[0])
        summary_text = str(lead["text"])
        summary_text = summary_text if len(summary_text) <= 60 else summary_text[:59] + "…"
        stage_zh = STAGE_ZH.get(stage, stage)
        summary = f"[{issue}] {summary_text}（{len(g)}条来源/{len(channels)}个渠道，{stage_zh}）"
        temperament = _mode(r["temperament"] for r in texts)
        reason = _mode(x for r in texts for x in r["reasons"])
        sug_zh, sug_en = _suggest(status, stage, temperament, not contact_in, reason, strategies)
        identity = "fuzzy" if any(r["identity"] == "fuzzy" for r in g) else g[0]["identity"]
        rows.append(
            {
                "item_id": int(item_id),
                "customer_id": cust,
                "identity": identity,
                "issue": issue,
                "summary": summary,
                "channels": channels,
                "n_sources": len(g),
                "sources": [
                    {k: r[k] for k in ("source", "row", "channel", "timestamp", "text", "role", "identity")}
                    for r in g
                ],
                "evidence": [
                    {"row": r["row"], "channel": r["channel"], "text": r["text"], "spans": r["evidence"]}
                    for r in texts
                ],
                "first_seen": first,
                "last_seen": last,
                "complaint_stage": stage,
                "stage_zh": stage_zh,
                "temperament": temperament,
                "reason": reason,
                "silent": not contact_in,
                "status": status,
                "severity": round(severity, 4),
                "value": round(val, 4),
                "urgency": round(urgency, 4),
                "mot": round(mot, 4),
                "priority": round(priority, 4),
                "suggestion_zh": sug_zh,
                "suggestion_en": sug_en,
            }
        )
    q = pd.DataFrame(rows)
    if not include_resolved:
        q = q[q["status"] != "resolved"]
    q = q.sort_values(["priority", "first_seen"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    q.insert(0, "rank", np.arange(1, len(q) + 1))
    q.attrs["signals"] = sig
    q.attrs["as_of"] = as_of
    return q[cols]


def common_issues(queue: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Issues shared across the queue: items, customers, channels, open share, mean priority.

    Args:
        queue: Output of :func:`build_repair_queue`.
        top: Keep the ``top`` largest issues.

    Returns:
        DataFrame indexed by ``issue``, largest first: ``n_items``,
        ``n_customers``, ``channels`` (``{channel: items}``), ``open_share``
        (status open or in_progress), ``mean_priority``, ``example`` (the summary
        of the highest-priority item).
    """
    if queue.empty:
        return pd.DataFrame(
            columns=["n_items", "n_customers", "channels", "open_share", "mean_priority", "example"]
        )
    rows = []
    for issue, g in queue.groupby("issue", sort=False):
        ch = Counter(c for cs in g["channels"] for c in cs)
        rows.append(
            {
                "issue": issue,
                "n_items": len(g),
                "n_customers": g["customer_id"].nunique(),
                "channels": dict(ch.most_common()),
                "open_share": float(g["status"].isin(["open", "in_progress"]).mean()),
                "mean_priority": float(g["priority"].mean()),
                "example": g.sort_values("priority", ascending=False)["summary"].iloc[0],
            }
        )
    out = pd.DataFrame(rows).set_index("issue").sort_values(["n_items", "n_customers"], ascending=False)
    return out.head(top) if top else out


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


# --------------------------------------------------------------------------- evaluation
def plant_duplicates(
    history: dict[str, pd.DataFrame],
    *,
    rate: float = 0.3,
    decoy_rate: float = 0.1,
    shared_nickname_rate: float = 0.05,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Add anonymous cross-channel duplicates with identity hints to a synthetic history.

    Every customer gets a phone number and a nickname (``shared_nickname_rate``
    of them share a nickname with another customer, so that a nickname alone is
    ambiguous); orders get an ``order_id``. For ``rate`` of the customers with a
    negative text, one of those texts is reposted *without* ``customer_id`` in
    another public channel, with one identity hint drawn from: order number
    (column), masked phone ``138****1234`` (column), nickname (column), phone
    tail in the text (``手机尾号1234``), order number in the text, or a nickname
    plus the phone tail. ``decoy_rate`` × that many anonymous posts come from
    people who are not customers (unknown phone / nickname), with texts copied
    from customers: they must not be linked.

    Args:
        history: Output of :func:`voc.synthetic.generate_history`.
        rate: Share of customers with a negative text who get a duplicate.
        decoy_rate: Decoys per duplicate.
        shared_nickname_rate: Share of customers whose nickname is shared.
        seed: Random seed.

    Returns:
        A new dict with ``customers`` (+ ``phone``, ``nickname``), ``events``
        (+ ``order_id``), ``feedback`` (+ ``phone``, ``nickname``, ``order_id``,
        anonymous rows appended) and ``duplicates``: per appended row, ``row``
        (its feedback index), ``customer_id`` (the true one, ``None`` for
        decoys), ``original_row`` and ``hint``. The other frames are copied.
    """
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in history.items()}
    cu = out["customers"]
    n = len(cu)
    prefixes = [str(p) for p in (*range(130, 140), *range(150, 160), *range(180, 190), 166, 177, 199)]
    phones = [f"{rng.choice(prefixes)}{rng.integers(0, 10**8):08d}" for _ in range(n)]
    nicks = [f"用户{rng.integers(0, 10**7):07d}" for _ in range(n)]
    shared = rng.choice(n, size=int(shared_nickname_rate * n) // 2 * 2, replace=False)
    for a, b in zip(shared[::2], shared[1::2], strict=True):
        nicks[b] = nicks[a]
    cu["phone"], cu["nickname"] = phones, nicks
    ev = out["events"]
    ev["order_id"] = None
    is_order = ev["type"] == "order"
    ev.loc[is_order, "order_id"] = [f"E{rng.integers(10**11, 10**12)}" for _ in range(int(is_order.sum()))]
    fb = out["feedback"]
    for c in ("phone", "nickname", "order_id"):
        fb[c] = None
    info = cu.set_index("customer_id")
    first_order = ev[is_order].groupby("customer_id")["order_id"].first()
    neg = fb[(fb["sentiment"] == "negative") & fb["customer_id"].notna()]
    neg = neg[~neg["channel"].isin(CONTACT_FEEDBACK_CHANNELS)] if len(neg) else neg
    pick = neg.groupby("customer_id").head(1)
    pick = pick.iloc[np.flatnonzero(rng.random(len(pick)) < rate)]
    public = ["weibo", "app_review", "forum", "ecommerce_review", "douyin", "xiaohongshu"]
    add, truth = [], []
    hints = ["order", "phone", "nickname", "tail_text", "order_text", "nickname_tail"]
    for row, r in pick.iterrows():
        cid = r["customer_id"]
        phone, nick = info.at[cid, "phone"], info.at[cid, "nickname"]
        order = first_order.get(cid)
        h = str(rng.choice(hints))
        if h.startswith("order") and order is None:
            h = "phone"
        new = r.to_dict()
        new.update(
            customer_id=None,
            phone=None,
            nickname=None,
            order_id=None,
            channel=str(rng.choice([c for c in public if c != r["channel"]])),
            timestamp=r["timestamp"] + pd.Timedelta(hours=float(rng.uniform(1, 72))),
        )
        if h == "order":
            new["order_id"] = order
        elif h == "phone":
            new["phone"] = phone[:3] + "****" + phone[-4:]
        elif h == "nickname":
            new["nickname"] = nick
        elif h == "tail_text":
            new["text"] = f"{r['text']}，手机尾号{phone[-4:]}"
        elif h == "order_text":
            new["text"] = f"订单号{order}，{r['text']}"
        else:
            new["nickname"] = nick
            new["text"] = f"{r['text']}（尾号{phone[-4:]}）"
        add.append(new)
        truth.append({"customer_id": cid, "original_row": row, "hint": h})
    n_decoy = int(round(decoy_rate * len(add)))
    src = neg.iloc[rng.integers(0, len(neg), n_decoy)] if len(neg) and n_decoy else neg.iloc[0:0]
    for row, r in src.iterrows():
        new = r.to_dict()
        h = str(rng.choice(["phone", "nickname", "tail_text"]))
        new.update(
            customer_id=None,
            phone=None,
            nickname=None,
            order_id=None,
            channel=str(rng.choice(public)),
            timestamp=r["timestamp"] + pd.Timedelta(hours=5),
        )
        if h == "phone":
            new["phone"] = f"199****{rng.integers(0, 10**4):04d}"
        elif h == "nickname":
            new["nickname"] = f"路人{rng.integers(0, 10**6):06d}"
        else:
            new["text"] = f"{r['text']}，手机尾号{rng.integers(0, 10**4):04d}"
        add.append(new)
        truth.append({"customer_id": None, "original_row": row, "hint": "decoy_" + h})
    start = len(fb)
    fb = pd.concat([fb, pd.DataFrame(add, columns=fb.columns)], ignore_index=True)
    dup = pd.DataFrame(truth)
    dup.insert(0, "row", np.arange(start, start + len(dup)))
    out["feedback"], out["duplicates"] = fb, dup
    return out


def dedup_scores(queue: pd.DataFrame, duplicates: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of cross-channel dedup on planted duplicates.

    A planted duplicate counts as found when it is in the same queue item as its
    original row. Precision = found / rows linked to a known customer (decoys
    linked to anyone and duplicates linked to the wrong item count against it);
    recall = found / planted duplicates (decoys excluded).

    Args:
        queue: :func:`build_repair_queue` output (uses ``attrs["signals"]``).
        duplicates: ``plant_duplicates(...)["duplicates"]``.

    Returns:
        ``{"precision", "recall", "linked", "found", "planted", "decoys_linked"}``.
    """
    sig = queue.attrs["signals"]
    fbs = sig[sig["source"] == "feedback"]
    item = dict(zip(fbs["row"], fbs["item_id"], strict=True))
    ident = dict(zip(fbs["row"], fbs["identity"], strict=True))
    planted = duplicates[duplicates["customer_id"].notna()]
    decoys = duplicates[duplicates["customer_id"].isna()]
    found = sum(
        1
        for r, o in zip(planted["row"], planted["original_row"], strict=True)
        if r in item and o in item and item[r] == item[o]
    )
    linked = sum(1 for r in duplicates["row"] if ident.get(r) == "fuzzy")
    decoys_linked = sum(1 for r in decoys["row"] if ident.get(r) == "fuzzy")
    return {
        "precision": found / linked if linked else 1.0,
        "recall": found / len(planted) if len(planted) else 1.0,
        "linked": float(linked),
        "found": float(found),
        "planted": float(len(planted)),
        "decoys_linked": float(decoys_linked),
    }
