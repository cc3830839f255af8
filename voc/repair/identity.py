"""Fuzzy identity of rows without a ``customer_id``: :func:`resolve_identities`.

Order number, masked phone, nickname (columns, or ``尾号1234`` / ``订单号 ...`` in the
text), plus issue similarity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.repair._common import _id_column, _id_str, _is_missing, _pair_cosine, _text_vectors

__all__ = [
    "HINT_WEIGHTS",
    "resolve_identities",
]

#: Weight of each identity hint when it points to exactly one customer.
HINT_WEIGHTS: dict[str, float] = {
    "order": 0.9,
    "phone": 0.7,  # 3-digit prefix + 4-digit tail
    "phone_tail": 0.35,  # 4-digit tail only
    "nickname": 0.4,
    "issue": 0.4,  # the text is about an issue the candidate already raised
}


_TAIL_RE = re.compile(r"尾号\s*[:：]?\s*(\d{4})(?!\d)")
#: 订单号 / 订单编号 / 单号 / 运单号 / 快递单号 / 物流单号 / 订单, then ``:`` / ``：`` / ``#`` / spaces, then the number
_ORDER_RE = re.compile(
    r"(?:(?:订|运|快递|物流)?单(?:编号|号码|号)|订单)\s*[:：#]?\s*([A-Za-z]{0,4}\d[A-Za-z0-9-]{5,30})"
)
#: a masked phone (``138****5678``, ``138xxxx5678``) or a full mobile number written in a text
_PHONE_TEXT_RE = re.compile(r"(?<![\dA-Za-z])(1[3-9]\d)(?:[*＊xX]{3,5}|\d{4})(\d{4})(?!\d)")


def _text_hints(text: str) -> list[tuple[str, str]]:
    """Identity hints written in a text: masked / full phone, ``尾号1234``, order numbers.

    Full phone numbers are usually gone by now (``voc.analyze_frame`` masks them to
    ``<PHONE>``), but masked ones (``手机138****5678``) and order numbers after an
    order word survive the masking and are what links an anonymous post.
    """
    if not text:
        return []
    out: list[tuple[str, str]] = []
    for pre, tail in _PHONE_TEXT_RE.findall(text):
        out += [("phone", f"{pre}*{tail}"), ("phone_tail", tail)]
    out += [("phone_tail", m) for m in _TAIL_RE.findall(text)]
    out += [("order", m.strip("-").upper()) for m in _ORDER_RE.findall(text)]
    return out


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


# --------------------------------------------------------------------------- identity
def _reference_index(
    sig: pd.DataFrame, customers: pd.DataFrame | None, events: pd.DataFrame | None
) -> dict[tuple[str, str], set[Any]]:
    """``(hint kind, key) -> customer ids`` from every row that has both an id and a hint."""
    idx: dict[tuple[str, str], set[Any]] = defaultdict(set)

    def add(ids: Iterable[Any], phones: Iterable[Any], nicks: Iterable[Any], orders: Iterable[Any]) -> None:
        for cid_raw, ph, nk, od in zip(ids, phones, nicks, orders, strict=True):
            cid = _id_str(cid_raw)
            if cid is None:
                continue
            for k in _phone_keys(ph):
                idx[k].add(cid)
            n = _nick_key(nk)
            if n:
                idx[("nickname", n)].add(cid)
            o = _id_str(od)
            if o:
                idx[("order", o.upper())].add(cid)

    none = [None] * len(sig)
    add(
        sig["customer_id"],
        sig["phone"].tolist() if "phone" in sig else none,
        sig["nickname"].tolist() if "nickname" in sig else none,
        sig["order_id"].tolist() if "order_id" in sig else none,
    )
    if customers is not None and len(customers) and "customer_id" in customers.columns:
        n = [None] * len(customers)

        def hint(name: str) -> Any:
            s = _id_column(customers, name)
            return n if s is None else s

        add(customers["customer_id"], hint("phone"), hint("nickname"), hint("order_id"))
    od = _id_column(events, "order_id") if events is not None and "customer_id" in events.columns else None
    if od is not None:
        e = events[od.notna()]
        add(e["customer_id"], [None] * len(e), [None] * len(e), od[od.notna()])
    return idx


def _row_hints(phone: Any, nick: Any, order: Any, text: str) -> list[tuple[str, str]]:
    hints = list(_phone_keys(phone))
    n = _nick_key(nick)
    if n:
        hints.append(("nickname", n))
    o = _id_str(order)
    if o:
        hints.append(("order", o.upper()))
    for h in _text_hints(text):
        if h not in hints:
            hints.append(h)
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
