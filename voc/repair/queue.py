"""The centralized repair queue (seed 002): :func:`build_repair_queue` and :func:`common_issues`.

One item per (customer, issue) across feedback, contacts and events, with links to
every source row, the evidence, a priority, a status and a repair suggestion
adapted to the temperament.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import validate_events
from voc.history import History
from voc.repair._common import _RANK, STAGE_ZH, _is_missing, _pair_cosine, _text_vectors
from voc.repair.identity import resolve_identities
from voc.repair.signals import EVENT_SEVERITY, collect_signals
from voc.schema import as_timestamp, default_as_of, id_str_column

__all__ = [
    "STATUS_FACTOR",
    "TEMPERAMENT_SCRIPTS",
    "build_repair_queue",
    "common_issues",
]

#: Priority multiplier per item status (resolved: a follow-up call; churned: win-back).
STATUS_FACTOR: dict[str, float] = {"open": 1.0, "in_progress": 1.0, "churned": 0.6, "resolved": 0.3}

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
    recur_days: float = 0.0,
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
    recurred = sig["recurred"].fillna(False).to_numpy(dtype=bool) if "recurred" in sig else np.zeros(n, bool)
    long_gap = max(max_gap_days, recur_days)
    # rows per customer as lists of ints; a customer with one row links nothing (no pair, nothing
    # to attach to, no earlier signal to close), so only customers with 2+ rows are walked
    groups = {k: v.tolist() for k, v in sig.groupby("customer_key", sort=False).indices.items() if len(v) > 1}

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
        if gap > long_gap:
            continue
        if ikeys[a] is not None and ikeys[b] is not None:
            if ikeys[a] == ikeys[b]:  # the same issue: one item, recurring episodes included
                uf.union(a, b)
            continue
        if gap <= max_gap_days:
            if c >= sim_threshold or (aspects[a] & aspects[b] and gap <= aspect_gap_days):
                uf.union(a, b)
            continue
        # a recurring episode (up to recur_days later): similar text about the same aspect, or a
        # text saying "again" (journey_stage recurred) about the same aspect or with a similar text
        later = a if ts[a] >= ts[b] else b
        shared = bool(aspects[a] & aspects[b]) or not (aspects[a] and aspects[b])
        if (c >= sim_threshold and shared) or (
            recurred[later] and (c >= sim_threshold or aspects[a] & aspects[b])
        ):
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
                same_key = ikeys[ra] is not None and ikeys[ra] == ikeys[rb]
                same = same_key or (ikeys[ra] is None and ikeys[rb] is None and names[ra] == names[rb])
                # an issue key or an event with detail (type:detail) names the problem: its
                # recurrences join up to recur_days later; a bare type only within max_gap_days
                specific = same_key or (not is_text[ra] and ":" in str(names[ra]))
                limit = long_gap if specific else max_gap_days
                if same and abs(ts[ra] - ts[rb]) / day <= limit:
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
        v = profiles["monetary"].rank(pct=True)
    elif events is None or not len(events) or "amount" not in events.columns:
        return pd.Series(dtype=float)
    else:
        ev = validate_events(events)
        o = ev[(ev["type"] == "order") & ev["validation_error"].isna()]
        v = o.groupby("customer_id")["amount"].sum().rank(pct=True)
    v.index = id_str_column(pd.Series(v.index, dtype=object)).to_numpy()  # the signals' ids are text
    return v


def _suggest(
    status: str,
    stage: str,
    temperament: str | None,
    silent: bool,
    reason: str | None,
    strategies: Mapping[str, tuple[str, str]] | None,
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
        hit = strategies.get(reason)
        if hit is not None:
            zh.append(hit[0])
            en.append(hit[1])
    return "；".join(zh), "; ".join(en)


#: Signal columns the per-item loop of :func:`build_repair_queue` reads.
_ITEM_FIELDS = (
    "source", "row", "channel", "timestamp", "text", "role", "identity", "customer_key", "issue_name",
    "aspects", "complaint_stage", "temperament", "reasons", "severity", "urgency", "evidence", "is_contact",
)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")`` column by column (one ``tolist`` per column instead of a conversion per cell)."""
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, row, strict=True)) for row in zip(*(df[c].tolist() for c in df.columns), strict=True)]


def _mode(values: Iterable[Any], skip: Sequence[Any] = (None, "none", "")) -> Any:
    counts: dict[Any, int] = {}
    for v in values:  # a plain dict: Counter costs more than the counting for a handful of values
        if v.__class__ is str:  # the common case, inlined: text is missing when blank
            if not v.strip() or v in skip:
                continue
        elif _is_missing(v) or v in skip:
            continue
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None  # the first of the most common


def build_repair_queue(
    feedback: pd.DataFrame | History,
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
    recur_days: float = 365,
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
      keys are equal and they are at most ``recur_days`` apart;
    * otherwise two texts link when their TF-IDF character cosine is
      ``>= sim_threshold`` (within ``max_gap_days``) or they share an aspect
      within ``aspect_gap_days``;
    * **recurring episodes** of the same problem join one item up to ``recur_days``
      (365) apart: a similar text about the same aspect, or a text saying "again"
      (``journey_stage`` ``recurred``) that is similar or shares an aspect;
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
        feedback: A :class:`voc.History` (its analyzed feedback, contacts, events,
            customers, profiles and ``as_of``; pass no other table then), or feedback
            texts (analysed, or the analyzer runs) -- the old form. Optional identity
            columns ``phone``, ``nickname``, ``order_id``.
        contacts: Contacts (optional; same identity columns).
        events: Events (optional; ``order_id`` used for identity).
        customers: Master table (optional; ``phone``, ``nickname``).
        profiles: :func:`voc.customers.profile_customers` output (for ``monetary``).
        issue_col: Column of ``feedback`` / ``contacts`` naming the issue.
        assignment: :func:`voc.issues.discover_issues` output (issue per text).
        as_of: Reference time for MOT (default: ``History.as_of``, or the latest timestamp of
            the inputs, :func:`voc.schema.default_as_of`).
        include_resolved: Keep resolved items (``False``: only the work to do).
        max_gap_days: Longest gap between two rows of one item (but see ``recur_days``).
        recur_days: Recurring episodes of one problem join the item up to this many days
            apart: texts with the same issue key; a similar text (cosine ``>= sim_threshold``)
            about the same aspect; a text saying "again" (``journey_stage == "recurred"``)
            with a similar text or a shared aspect; contacts / events with the same issue
            key or the same ``type:detail``. ``0``: no linking beyond ``max_gap_days``.
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
    if isinstance(feedback, History):
        h = feedback
        feedback, contacts, events, customers = h.unpack("build_repair_queue", contacts, events, customers)
        profiles = h.profiles if profiles is None else profiles
        as_of = h.as_of if as_of is None else as_of
        text_col = "text"
    if assignment is not None and hasattr(assignment, "assignment_"):
        assignment = assignment.assignment_
    # events are validated once here, for the signals and the order values (validate() passes a
    # validated table through); the tables as given still set the default as_of and the identities
    events_valid = validate_events(events) if events is not None and len(events) else None
    sig = collect_signals(
        feedback,
        contacts,
        events_valid,
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
        recur_days=recur_days,
    )
    sig = sig[sig["item_id"] >= 0]
    # the one default (voc.schema.default_as_of): the latest timestamp of the inputs
    as_of = default_as_of([sig, contacts, events]) if as_of is None else as_timestamp(as_of)
    value = _value_pct(events_valid, profiles).to_dict()  # a dict: one lookup per item
    churn_at: dict[Any, Any] = {}
    ev_sig = sig[(sig["source"] == "event") & sig["text"].str.startswith("churn")]
    for c, t in zip(ev_sig["customer_key"], ev_sig["timestamp"], strict=True):
        churn_at[c] = min(churn_at.get(c, t), t)
    strategies = None
    try:
        from voc.personas import load_strategies

        table = load_strategies()
        reasons = table[table["kind"] == "reason"].drop_duplicates("key")  # the first row per reason
        strategies = {k: (str(zh), str(en)) for k, zh, en in
                      zip(reasons["key"], reasons["strategy_zh"], reasons["strategy_en"], strict=True)}
    except (ImportError, FileNotFoundError, ValueError):
        strategies = None

    recs = _records(sig[[c for c in _ITEM_FIELDS if c in sig.columns]])
    # the channel of each row as text (None when missing), checked once per row instead of per use
    for r in recs:
        c = r["channel"]
        r["_ch"] = None if _is_missing(c) else str(c)
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
        channels = sorted({r["_ch"] for r in g if r["_ch"] is not None and r["channel"] != "event"})
        stage = max((r["complaint_stage"] for r in texts), key=lambda v: _RANK.get(v, 0), default="none")
        n_ch = len({r["_ch"] for r in s if r["_ch"] is not None})
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
