"""Route demands to a channel and a queue with an editable rule table, explaining each decision.

Seed 001 (渠道智能分流): "by the problem type, the urgency and the customer's
channel preference, guide the customer automatically to the most suitable
service channel -- simple problems to the bot, urgent ones to the phone".

The rules live in a CSV file (default ``voc/data/routing_rules.csv``), one
rule per row; edit it or pass your own file / DataFrame:

=================  ==========================================================
column             meaning
=================  ==========================================================
``rule_id``        name shown in the explanation
``order``          rules are tried in ascending order; the first match wins
``type``           demand types, ``|``-separated, or ``*`` for any
``min_urgency``    the rule needs ``urgency >= min_urgency`` (empty: no bound)
``max_urgency``    the rule needs ``urgency < max_urgency`` (empty: no bound)
``preferred_channel``  the customer's preferred channel, ``|``-separated, or
                   ``*`` for any (also when the preference is unknown)
``channel``        channel to use; ``{preferred}`` = the preferred channel
``fallback_channel``  used for ``{preferred}`` when the preference is unknown
                   (empty: ``online_chat``)
``queue``          queue / team
``description``    free text, part of the explanation
=================  ==========================================================

A ticket no rule matches gets ``channel = queue = None`` and the explanation
"no rule matched" (the shipped table ends with a catch-all rule ``R99``).

Example:
    >>> import pandas as pd
    >>> from voc.routing import route
    >>> t = pd.DataFrame({"customer_id": ["A", "B"], "type": ["complaint", "refund_return"],
    ...                   "urgency": [0.85, 0.3]})
    >>> r = route(t, preferred={"B": "app"})
    >>> r[["rule_id", "routed_channel", "queue"]].values.tolist()
    [['R01', 'hotline_callback', 'complaint_desk'], ['R05', 'online_chat', 'after_sales_refund']]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_RULES", "load_rules", "preferred_channels", "route"]

DEFAULT_RULES = Path(__file__).parent / "data" / "routing_rules.csv"
_REQUIRED = ("rule_id", "type", "channel", "queue")


def _split(v: Any) -> frozenset[str] | None:
    """``None`` for a wildcard, else the set of ``|``-separated values."""
    s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    if s in ("", "*"):
        return None
    return frozenset(x.strip() for x in s.split("|") if x.strip())


def _num(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    f = float(v)
    return None if np.isnan(f) else f


def load_rules(rules: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a routing rule table (default: the shipped ``routing_rules.csv``).

    Args:
        rules: CSV path or DataFrame with the columns of the module docstring.

    Returns:
        The rules sorted by ``order`` (file order when there is no ``order``).

    Raises:
        ValueError: A required column is missing or a bound is not a number.
    """
    df = (
        rules.copy()
        if isinstance(rules, pd.DataFrame)
        else pd.read_csv(rules or DEFAULT_RULES, dtype=str, keep_default_na=False)
    )
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"routing rules are missing column(s) {missing}; found {list(df.columns)}")
    for c, default in (
        ("min_urgency", ""),
        ("max_urgency", ""),
        ("preferred_channel", "*"),
        ("fallback_channel", ""),
        ("description", ""),
        ("order", None),
    ):
        if c not in df.columns:
            df[c] = np.arange(len(df)) if c == "order" else default
    for c in ("min_urgency", "max_urgency"):
        try:
            df[c] = [_num(v) for v in df[c]]
        except ValueError as e:
            raise ValueError(f"routing rules: column {c} must hold numbers or be empty ({e})") from e
    df["order"] = pd.to_numeric(df["order"], errors="coerce").fillna(np.inf)
    return df.sort_values("order", kind="stable").reset_index(drop=True)


def preferred_channels(
    contacts: pd.DataFrame | None = None, customers: pd.DataFrame | None = None
) -> pd.Series:
    """Each customer's preferred service channel.

    ``customers.preferred_channel`` when given, else the channel of most of the
    customer's contacts (ties: the most recent of them).

    Args:
        contacts: Contacts (``customer_id``, ``channel``, ``timestamp``).
        customers: Optional master table with a ``preferred_channel`` column.

    Returns:
        Series indexed by ``customer_id``.
    """
    pref = pd.Series(dtype=object)
    if contacts is not None and len(contacts):
        c = contacts[contacts["customer_id"].notna() & contacts["channel"].notna()]
        g = c.groupby(["customer_id", "channel"]).agg(n=("channel", "size"), last=("timestamp", "max"))
        g = g.reset_index().sort_values(["customer_id", "n", "last"], ascending=[True, False, False])
        pref = g.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    if customers is not None and "preferred_channel" in customers.columns:
        given = customers.dropna(subset=["preferred_channel"]).set_index("customer_id")["preferred_channel"]
        pref = pd.concat([given, pref[~pref.index.isin(given.index)]])
    pref.index.name = "customer_id"
    return pref


def _explain(rule: pd.Series, typ: str, urg: float, pref: str | None, channel: str) -> str:
    conds = []
    types = _split(rule["type"])
    conds.append(f"type={typ}" + (f" in {{{', '.join(sorted(types))}}}" if types else " (any type)"))
    lo, hi = _num(rule["min_urgency"]), _num(rule["max_urgency"])
    if lo is not None and hi is not None:
        conds.append(f"{lo:.2f} <= urgency {urg:.2f} < {hi:.2f}")
    elif lo is not None:
        conds.append(f"urgency {urg:.2f} >= {lo:.2f}")
    elif hi is not None:
        conds.append(f"urgency {urg:.2f} < {hi:.2f}")
    pc = _split(rule["preferred_channel"])
    if pc:
        conds.append(f"preferred channel {pref} in {{{', '.join(sorted(pc))}}}")
    how = ""
    if str(rule["channel"]).strip() == "{preferred}":
        how = " (the customer's preferred channel)" if pref else " (preference unknown: fallback)"
    desc = f" -- {rule['description']}" if str(rule["description"]).strip() else ""
    return f"rule {rule['rule_id']}: {'; '.join(conds)} -> {channel}{how} / {rule['queue']}{desc}"


def route(
    tickets: pd.DataFrame,
    rules: str | Path | pd.DataFrame | None = None,
    *,
    preferred: pd.Series | Mapping[Any, str] | None = None,
    type_col: str = "type",
    urgency_col: str = "urgency",
) -> pd.DataFrame:
    """Suggest a channel and a queue for each ticket; the first matching rule decides.

    Args:
        tickets: Rows with ``type`` and ``urgency`` (e.g. :func:`voc.demands.to_tickets`)
            and ``customer_id`` (for the preferred channel) or a
            ``preferred_channel`` column.
        rules: Rule table (path or DataFrame; default shipped).
        preferred: ``customer_id -> channel`` (e.g. :func:`preferred_channels`).
        type_col: Column with the demand type.
        urgency_col: Column with the urgency (0-1).

    Returns:
        A copy of ``tickets`` with ``preferred_channel``, ``routed_channel``
        (the suggested channel), ``queue``, ``rule_id`` and ``explanation``
        (the rule, each of its conditions with the ticket's values, the result
        and the rule's description). The tickets' own ``channel`` (where the
        text was posted) is left as is.

    Raises:
        ValueError: ``tickets`` lacks the type or urgency column.
    """
    for c in (type_col, urgency_col):
        if c not in tickets.columns:
            raise ValueError(f"route: tickets have no {c!r} column; found {list(tickets.columns)}")
    rs = load_rules(rules)
    compiled = [
        (r, _split(r["type"]), _num(r["min_urgency"]), _num(r["max_urgency"]), _split(r["preferred_channel"]))
        for _, r in rs.iterrows()
    ]
    out = tickets.copy()
    if "preferred_channel" in out.columns:
        pref = out["preferred_channel"]
    elif preferred is not None and "customer_id" in out.columns:
        m = preferred if isinstance(preferred, Mapping) else preferred.to_dict()
        pref = out["customer_id"].map(lambda c: m.get(c))
    else:
        pref = pd.Series(None, index=out.index, dtype=object)
    chans, queues, ids, expl = [], [], [], []
    for typ, urg, pc in zip(out[type_col].astype(str), out[urgency_col].astype(float), pref, strict=True):
        pc = pc if isinstance(pc, str) and pc else None
        hit = None
        for r, types, lo, hi, prefs in compiled:
            if types is not None and typ not in types:
                continue
            if lo is not None and not urg >= lo:
                continue
            if hi is not None and not urg < hi:
                continue
            if prefs is not None and pc not in prefs:
                continue
            hit = r
            break
        if hit is None:
            chans.append(None)
            queues.append(None)
            ids.append(None)
            expl.append(f"no rule matched type={typ}, urgency={urg:.2f}, preferred channel={pc}")
            continue
        ch = str(hit["channel"]).strip()
        if ch == "{preferred}":
            ch = pc or (str(hit["fallback_channel"]).strip() or "online_chat")
        chans.append(ch)
        queues.append(hit["queue"])
        ids.append(hit["rule_id"])
        expl.append(_explain(hit, typ, urg, pc, ch))
    out["preferred_channel"] = pref.to_numpy()
    out["routed_channel"] = chans
    out["queue"] = queues
    out["rule_id"] = ids
    out["explanation"] = expl
    return out
