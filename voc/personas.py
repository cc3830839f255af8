"""Persona tags and Jungian archetypes (seed 000), assigned from signals by an editable table.

A *signal* is something observed about a customer; the **persona map**
(``voc/data/persona_map.csv``, or your own CSV / DataFrame) turns signals into
type tags (类型与标签) and archetype leans (荣格12原型), with weights. Every
assigned tag lists the signals that produced it and the evidence: feedback row
index, text snippet and the matched spans from the analyzer's ``evidence``
column, event rows, or profile values.

Persona map format (one row per signal; ``|`` separates several values)::

    signal,type_tags,archetypes,weight,description
    reason:channel_blocked,渠道依赖型|低反馈参与者,凡人,1.0,渠道不通
    reason:self_reliance,自主性|自我依赖型|自我成长型,智者|探险家:0.8,1.0,自助解决

* ``signal`` -- one of
    - ``<field>:<code>`` read from the feedback columns, with ``field`` in
      ``reason`` (non_complaint_reasons; a bare reason code also works),
      ``emotion``, ``intent``, ``temperament``, ``behavior``, ``aspect``,
      ``stage`` (complaint_stage), ``journey`` (journey_stage), ``sentiment``;
    - ``event:<type>`` or ``event:<type>:<detail>`` read from events;
    - ``profile:<column>`` -- a true boolean column of the profiles (``silent``,
      ``is_new``, ``churned`` ...);
    - a derived signal: ``calm_despite_problem`` (negative text, neutral
      emotion), ``low_contact_long_tenure`` (<= 1 contact a year, tenure >= 365
      days), ``public_venting`` (negative venting on weibo / forum / ...),
      ``unverified`` (customers.verified is False), ``low_value_low_frequency``
      (frequency and monetary in the bottom third), ``self_service_user`` (a
      self_service_fail event), ``urgent_contact`` (a contact-channel text with
      urge intent or impatience).
* ``type_tags`` / ``archetypes`` -- ``|``-separated names, each optionally
  ``name:multiplier``; either may be empty.
* ``weight`` -- the row's weight (default 1).

Scoring: a signal seen ``n`` times has strength ``1 - 0.5**n`` (0.5, 0.75,
0.875 ...). A tag's score is the sum of ``weight * multiplier * strength`` over
the rows naming it; the same for archetypes. The primary archetype is the
highest score (ties: the first in the map) if it reaches
``min_archetype_score``; ``archetype_share`` is its share of all archetype
scores of the customer.

Example:
    >>> from voc.synthetic import generate_history
    >>> from voc.customers import profile_customers
    >>> from voc.personas import assign_personas, segment_view
    >>> h = generate_history(n_customers=300, seed=2)
    >>> prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    >>> pers = assign_personas(prof, h["feedback"], h["events"])
    >>> tagged = pers[pers["tags"].map(len) > 0]
    >>> all(t["evidence"] for tags in tagged["tags"] for t in tags)
    True
    >>> view = segment_view(prof, pers)
    >>> "silent_share" in view.archetypes.columns
    True
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import CONTACT_FEEDBACK_CHANNELS, ensure_analyzed
from voc.history import History
from voc.schema import parse_list

__all__ = [
    "DEFAULT_MAP",
    "DEFAULT_STRATEGIES",
    "DERIVED_SIGNALS",
    "FEEDBACK_FIELDS",
    "SegmentView",
    "load_persona_map",
    "load_strategies",
    "strategy_for",
    "assign_personas",
    "segment_view",
]

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_MAP = DATA_DIR / "persona_map.csv"
DEFAULT_STRATEGIES = DATA_DIR / "persona_strategies.csv"

#: Signal prefix -> feedback column.
FEEDBACK_FIELDS: dict[str, str] = {
    "reason": "non_complaint_reasons",
    "emotion": "emotion",
    "intent": "intent",
    "temperament": "temperament",
    "behavior": "behaviors",
    "aspect": "aspects",
    "stage": "complaint_stage",
    "journey": "journey_stage",
    "sentiment": "sentiment",
}
_LIST_FIELDS = {"non_complaint_reasons", "behaviors", "aspects"}
#: Derived signals and what they mean.
DERIVED_SIGNALS: dict[str, str] = {
    "calm_despite_problem": "a negative text with neutral emotion",
    "low_contact_long_tenure": "at most 1 contact a year and a tenure of at least 365 days",
    "public_venting": "a negative venting text on a social channel",
    "unverified": "customers.verified is False",
    "low_value_low_frequency": "frequency and monetary both in the bottom third of customers",
    "self_service_user": "a self_service_fail event",
    "urgent_contact": "a contact-channel text with urge intent or impatience",
}
SOCIAL_CHANNELS = ("weibo", "forum", "douyin", "xiaohongshu", "tieba", "zhihu", "social", "wechat_moments")
_REASON_CODES = (
    "channel_blocked",
    "self_reliance",
    "distrust_service",
    "let_it_go",
    "not_bother",
    "conflict_avoidance",
    "fear_retaliation",
    "privacy_concern",
)
_SNIPPET = 80


# --------------------------------------------------------------------------- tables
def _split_weighted(value: Any) -> list[tuple[str, float]]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    out = []
    for part in str(value).split("|"):
        part = part.strip()
        if not part:
            continue
        name, mult = part, 1.0
        if ":" in part:
            head, tail = part.rsplit(":", 1)
            with contextlib.suppress(ValueError):
                name, mult = head.strip(), float(tail)
        out.append((name, mult))
    return out


def _normalize_signal(sig: str) -> str:
    sig = str(sig).strip()
    if ":" not in sig and sig in _REASON_CODES:
        return f"reason:{sig}"
    return sig


def _check_signal(sig: str) -> None:
    if sig in DERIVED_SIGNALS:
        return
    prefix, _, rest = sig.partition(":")
    if rest and (prefix in FEEDBACK_FIELDS or prefix in ("event", "profile")):
        return
    raise ValueError(
        f"persona map: unknown signal {sig!r}; use <field>:<code> with field in {sorted(FEEDBACK_FIELDS)}, "
        f"event:<type>[:<detail>], profile:<bool column>, or one of {sorted(DERIVED_SIGNALS)}"
    )


def load_persona_map(mapping: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and validate a persona map (default: the shipped ``persona_map.csv``).

    Args:
        mapping: A CSV path, a DataFrame with the same columns, or ``None``.

    Returns:
        DataFrame with ``signal`` (normalised), ``tags`` and ``archetypes``
        (lists of ``(name, multiplier)``), ``weight`` and ``description``.

    Raises:
        ValueError: Missing columns, an unknown signal or a bad weight.
    """
    if mapping is None:
        mapping = DEFAULT_MAP
    df = (
        mapping.copy()
        if isinstance(mapping, pd.DataFrame)
        else pd.read_csv(mapping, keep_default_na=False, dtype=str)
    )
    missing = [c for c in ("signal", "type_tags", "archetypes") if c not in df.columns]
    if missing:
        raise ValueError(
            f"persona map is missing column(s) {missing}; expected "
            "signal,type_tags,archetypes[,weight,description]; found " + str(list(df.columns))
        )
    weight = pd.to_numeric(df["weight"] if "weight" in df.columns else 1.0, errors="coerce")
    if isinstance(weight, pd.Series) and (weight.isna() | (weight < 0)).any():
        bad = df.loc[weight.isna() | (weight < 0), "signal"].tolist()
        raise ValueError(f"persona map: weight must be a number >= 0 (rows with signal {bad})")
    out = pd.DataFrame(
        {
            "signal": [_normalize_signal(s) for s in df["signal"]],
            "tags": [_split_weighted(v) for v in df["type_tags"]],
            "archetypes": [_split_weighted(v) for v in df["archetypes"]],
            "weight": weight if isinstance(weight, pd.Series) else [float(weight)] * len(df),
            "description": df["description"] if "description" in df.columns else "",
        }
    )
    for s in out["signal"]:
        _check_signal(s)
    return out.reset_index(drop=True)


def load_strategies(strategies: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read the strategy table (default: ``persona_strategies.csv``).

    Columns: ``kind`` (``archetype`` | ``reason`` | ``level``), ``key``,
    ``name_zh``, ``name_en``, ``strategy_zh``, ``strategy_en``, ``source``.
    """
    if strategies is None:
        strategies = DEFAULT_STRATEGIES
    df = (
        strategies.copy()
        if isinstance(strategies, pd.DataFrame)
        else pd.read_csv(strategies, keep_default_na=False, dtype=str)
    )
    missing = [c for c in ("kind", "key", "strategy_zh", "strategy_en") if c not in df.columns]
    if missing:
        raise ValueError(f"strategy table is missing column(s) {missing}; found {list(df.columns)}")
    df["key"] = df["key"].astype(str)
    return df


def strategy_for(kind: str, key: Any, strategies: pd.DataFrame | None = None, lang: str = "zh") -> str | None:
    """The strategy text for ``(kind, key)``, e.g. ``("archetype", "凡人")`` or ``("reason", "channel_blocked")``."""
    st = load_strategies() if strategies is None else strategies
    hit = st[(st["kind"] == kind) & (st["key"] == str(key))]
    return None if hit.empty else str(hit.iloc[0][f"strategy_{lang}"])


def _strategy_lookup(
    strategies: str | Path | pd.DataFrame | None = None,
) -> dict[tuple[str, str], tuple[str, str]]:
    """The strategy table as a lookup, for writing one message per customer.

    Args:
        strategies: Strategy table (CSV path / DataFrame; default shipped).

    Returns:
        ``{(kind, key): (strategy_zh, strategy_en)}``, e.g.
        ``{("reason", "channel_blocked"): ("...", "..."), ...}``.
    """
    st = load_strategies(strategies)
    return {
        (k, str(key)): (zh, en)
        for k, key, zh, en in zip(st["kind"], st["key"], st["strategy_zh"], st["strategy_en"], strict=True)
    }


# --------------------------------------------------------------------------- signals
_OCC_COLS = ["customer_id", "signal", "source", "row", "timestamp", "channel", "text", "spans", "detail"]


def _spans(evidence: Any, code: str) -> list[str]:
    if not isinstance(evidence, dict):
        return []
    items = evidence.get(code) or []
    if isinstance(items, (str, dict)):
        items = [items]
    return [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in items]


def _occ(ids: Any, signal: str, source: str, **cols: Any) -> pd.DataFrame:
    """Occurrence rows (:data:`_OCC_COLS`) of one signal; columns not given are ``None``."""
    n = len(ids)
    base = {"customer_id": ids, "signal": signal, "source": source, "row": None, "timestamp": None,
            "channel": None, "text": None, "spans": [[] for _ in range(n)], "detail": None}
    return pd.DataFrame({**base, **cols}, columns=_OCC_COLS)


def _col(sub: pd.DataFrame, name: str) -> Any:
    return sub[name].to_numpy() if name in sub.columns else None


def _feedback_occ(fb: pd.DataFrame, mask: pd.Series, signal: str, code: str | None) -> pd.DataFrame:
    sub = fb[mask]
    if sub.empty:
        return pd.DataFrame(columns=_OCC_COLS)
    ev = sub["evidence"] if "evidence" in sub.columns else [None] * len(sub)
    return _occ(sub["customer_id"].to_numpy(), signal, "feedback", row=sub.index.to_numpy(),
                timestamp=_col(sub, "timestamp"), channel=_col(sub, "channel"),
                text=sub["text"].astype(str).str.slice(0, _SNIPPET).to_numpy(),
                spans=[_spans(e, code) if code else [] for e in ev])


def _event_occ(ev: pd.DataFrame, mask: pd.Series, signal: str) -> pd.DataFrame:
    sub = ev[mask]
    if sub.empty:
        return pd.DataFrame(columns=_OCC_COLS)
    detail = sub["detail"] if "detail" in sub.columns else [None] * len(sub)
    return _occ(sub["customer_id"].to_numpy(), signal, "event", row=sub.index.to_numpy(),
                timestamp=sub["timestamp"].to_numpy(),
                detail=[f"{t}:{d}" if isinstance(d, str) and d else t for t, d in zip(sub["type"], detail, strict=True)])


def _profile_occ(prof: pd.DataFrame, mask: pd.Series, signal: str, cols: list[str]) -> pd.DataFrame:
    sub = prof[mask.fillna(False).astype(bool)]
    if sub.empty:
        return pd.DataFrame(columns=_OCC_COLS)
    detail = [{k: (round(float(v), 3) if isinstance(v, (float, np.floating)) else v) for k, v in r.items()}
              for r in sub[cols].to_dict("records")]
    return _occ(sub.index.to_numpy(), signal, "profile", detail=detail)


def _occurrences(
    signals: Iterable[str], prof: pd.DataFrame, fb: pd.DataFrame, ev: pd.DataFrame | None
) -> pd.DataFrame:
    parts = []
    neg = fb["sentiment"] == "negative" if "sentiment" in fb.columns else pd.Series(False, index=fb.index)
    chan = fb["channel"].astype(str).str.lower() if "channel" in fb.columns else pd.Series("", index=fb.index)
    exploded: dict[str, pd.Series] = {}
    for sig in dict.fromkeys(signals):
        prefix, _, code = sig.partition(":")
        if prefix in FEEDBACK_FIELDS:
            col = FEEDBACK_FIELDS[prefix]
            if col not in fb.columns:
                continue
            if col in _LIST_FIELDS:
                if col not in exploded:
                    exploded[col] = fb[col].map(parse_list)
                mask = exploded[col].map(lambda v, c=code: c in v)
            else:
                mask = fb[col] == code
            parts.append(_feedback_occ(fb, mask, sig, code))
        elif prefix == "event":
            if ev is None:
                continue
            etype, _, detail = code.partition(":")
            mask = ev["type"] == etype
            if detail:
                mask &= ev["detail"] == detail if "detail" in ev.columns else False
            parts.append(_event_occ(ev, mask, sig))
        elif prefix == "profile":
            if code not in prof.columns:
                raise ValueError(f"persona map signal {sig!r}: profiles have no column {code!r}")
            parts.append(_profile_occ(prof, prof[code] == True, sig, [code]))  # noqa: E712
        elif sig == "calm_despite_problem" and "emotion" in fb.columns:
            parts.append(_feedback_occ(fb, neg & (fb["emotion"] == "neutral"), sig, "neutral"))
        elif sig == "public_venting" and "intent" in fb.columns:
            parts.append(
                _feedback_occ(fb, neg & (fb["intent"] == "venting") & chan.isin(SOCIAL_CHANNELS), sig, None)
            )
        elif sig == "urgent_contact":
            urgent = pd.Series(False, index=fb.index)
            if "intent" in fb.columns:
                urgent |= fb["intent"] == "urge"
            if "emotion" in fb.columns:
                urgent |= fb["emotion"] == "impatience"
            parts.append(_feedback_occ(fb, urgent & chan.isin(CONTACT_FEEDBACK_CHANNELS), sig, "impatience"))
        elif sig == "self_service_user" and ev is not None:
            parts.append(_event_occ(ev, ev["type"] == "self_service_fail", sig))
        elif sig == "unverified" and "verified" in prof.columns:
            parts.append(_profile_occ(prof, prof["verified"] == False, sig, ["verified"]))  # noqa: E712
        elif sig == "low_contact_long_tenure":
            m = (prof["contacts_per_year"] <= 1) & (prof["tenure_days"] >= 365)
            parts.append(_profile_occ(prof, m, sig, ["contacts_per_year", "tenure_days"]))
        elif sig == "low_value_low_frequency":
            m = (prof["frequency"] <= prof["frequency"].quantile(1 / 3)) & (
                prof["monetary"] <= prof["monetary"].quantile(1 / 3)
            )
            parts.append(_profile_occ(prof, m, sig, ["frequency", "monetary"]))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_OCC_COLS)
    occ = pd.concat(parts, ignore_index=True)
    return occ[occ["customer_id"].isin(prof.index)]


def _evidence_record(r: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"signal": r.signal, "source": r.source}
    if r.source == "feedback":
        rec.update(row=r.row, text=r.text, spans=r.spans)
        if r.channel is not None:
            rec["channel"] = r.channel
    elif r.source == "event":
        rec.update(row=r.row, event=r.detail)
    else:
        rec["values"] = r.detail
    if r.timestamp is not None and not pd.isna(r.timestamp):
        rec["timestamp"] = str(pd.Timestamp(r.timestamp))
    return rec


# --------------------------------------------------------------------------- assignment
def assign_personas(
    profiles: pd.DataFrame | History,
    feedback: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    mapping: str | Path | pd.DataFrame | None = None,
    *,
    strategies: str | Path | pd.DataFrame | None = None,
    max_evidence: int = 5,
    min_archetype_score: float = 0.3,
    text_col: str = "text",
) -> pd.DataFrame:
    """Type tags and a primary archetype per customer, each with its evidence.

    Args:
        profiles: A :class:`voc.History` (its profiles, analyzed feedback and events are
            used; pass no ``feedback`` / ``events`` then), or the output of
            :func:`voc.customers.profile_customers` (index = customer_id) -- the old form.
        feedback: Feedback with ``customer_id`` and the analyzer columns (the
            analyzer runs if ``sentiment`` is missing). Its index is the
            ``row`` reported in the evidence.
        events: Events table (for ``event:*`` and ``self_service_user`` signals).
        mapping: Persona map: CSV path, DataFrame or ``None`` for the shipped one.
        strategies: Strategy table (only used for the archetype's English name).
        max_evidence: Evidence items kept per signal and customer.
        min_archetype_score: A primary archetype needs at least this score
            (default 0.3: one text signal of weight >= 0.6, or several weak
            profile signals); below it ``primary_archetype`` is ``None``.
        text_col: Text column of ``feedback``.

    Returns:
        DataFrame indexed like ``profiles`` with ``tags`` (list of
        ``{"tag", "score", "signals", "evidence"}``, best first; each evidence
        item is ``{"signal", "source": "feedback"|"event"|"profile", "row",
        "text", "spans", "timestamp", ...}``), ``primary_archetype``,
        ``archetype_en``, ``archetype_score``, ``archetype_share``,
        ``archetype_scores`` (dict), ``archetype_signals`` (list) and
        ``signals`` (dict signal -> count).

    Raises:
        ValueError: Bad mapping, or feedback without ``customer_id``.
    """
    table = load_persona_map(mapping)
    if isinstance(profiles, History):
        h = profiles
        if feedback is not None or events is not None:
            raise TypeError("assign_personas(history): the tables come from the History; pass no others")
        profiles, feedback, events, text_col = h.profiles, h.usable("feedback"), h.usable("events"), "text"
    if feedback is None:
        raise ValueError("assign_personas: feedback is required with a profiles table")
    if "customer_id" not in feedback.columns:
        raise ValueError("assign_personas: feedback needs a 'customer_id' column")
    fb = ensure_analyzed(feedback, text_col=text_col)
    ev = None
    if events is not None:
        ev = events.copy()
        ev["type"] = ev["type"].astype(str).str.lower()
    occ = _occurrences(table["signal"], profiles, fb, ev)

    counts = occ.groupby(["customer_id", "signal"]).size()
    kept = occ.groupby(["customer_id", "signal"], sort=False).head(max_evidence)
    evid: dict[tuple[Any, str], list[dict[str, Any]]] = defaultdict(list)
    for r in kept.itertuples(index=False):
        evid[(r.customer_id, r.signal)].append(_evidence_record(r))

    by_signal: dict[str, list[tuple[list[tuple[str, float]], list[tuple[str, float]], float]]] = defaultdict(
        list
    )
    order: dict[str, int] = {}
    for row in table.itertuples(index=False):
        by_signal[row.signal].append((row.tags, row.archetypes, float(row.weight)))
        for a, _ in row.archetypes:
            order.setdefault(a, len(order))
    st = load_strategies(strategies)
    en = (
        dict(
            zip(
                st.loc[st["kind"] == "archetype", "key"],
                st.loc[st["kind"] == "archetype", "name_en"],
                strict=True,
            )
        )
        if "name_en" in st.columns
        else {}
    )

    per_customer: dict[Any, dict[str, int]] = defaultdict(dict)
    for (cid, sig), n in counts.items():
        per_customer[cid][sig] = int(n)

    n = len(profiles)
    out = {
        "tags": [[] for _ in range(n)],
        "primary_archetype": [None] * n,
        "archetype_en": [None] * n,
        "archetype_score": [np.nan] * n,
        "archetype_share": [np.nan] * n,
        "archetype_scores": [{} for _ in range(n)],
        "archetype_signals": [[] for _ in range(n)],
        "signals": [{} for _ in range(n)],
    }
    pos = {cid: i for i, cid in enumerate(profiles.index)}
    for cid, sigs in per_customer.items():
        i = pos[cid]
        tag_score: dict[str, float] = defaultdict(float)
        tag_sigs: dict[str, list[str]] = defaultdict(list)
        arch_score: dict[str, float] = defaultdict(float)
        arch_sigs: dict[str, list[str]] = defaultdict(list)
        for sig, cnt in sigs.items():
            strength = 1.0 - 0.5**cnt
            for tags, archs, w in by_signal[sig]:
                for t, m in tags:
                    tag_score[t] += w * m * strength
                    if sig not in tag_sigs[t]:
                        tag_sigs[t].append(sig)
                for a, m in archs:
                    arch_score[a] += w * m * strength
                    if sig not in arch_sigs[a]:
                        arch_sigs[a].append(sig)
        tags = [
            {
                "tag": t,
                "score": round(s, 4),
                "signals": tag_sigs[t],
                "evidence": [e for sg in tag_sigs[t] for e in evid[(cid, sg)]],
            }
            for t, s in sorted(tag_score.items(), key=lambda kv: -kv[1])
            if s > 0
        ]
        out["tags"][i] = tags
        out["signals"][i] = dict(sigs)
        arch = {a: s for a, s in arch_score.items() if s > 0}
        if arch and max(arch.values()) >= min_archetype_score:
            best = max(arch, key=lambda a: (arch[a], -order.get(a, 0)))
            out["primary_archetype"][i] = best
            out["archetype_en"][i] = en.get(best)
            out["archetype_score"][i] = round(arch[best], 4)
            out["archetype_share"][i] = round(arch[best] / sum(arch.values()), 4)
            out["archetype_scores"][i] = {a: round(s, 4) for a, s in arch.items()}
            out["archetype_signals"][i] = arch_sigs[best]
    res = pd.DataFrame(out, index=profiles.index)
    return res


# --------------------------------------------------------------------------- segment view
@dataclass
class SegmentView:
    """Archetype and non-complaint-reason shares among silent vs vocal customers, with strategies.

    Attributes:
        archetypes: Index = archetype (plus ``unassigned``); columns
            ``silent_n``, ``silent_share``, ``vocal_n``, ``vocal_share``,
            ``all_n``, ``all_share`` (shares over customers with an archetype),
            ``name_en``, ``strategy_zh``, ``strategy_en``.
        reasons: Index = reason code; ``name_zh``, ``silent_n``, ``silent_share``
            (share of silent customers with the reason), ``vocal_n``,
            ``vocal_share``, ``strategy_zh``, ``strategy_en``.
    """

    archetypes: pd.DataFrame
    reasons: pd.DataFrame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.archetypes._repr_html_() + self.reasons._repr_html_()


def segment_view(
    profiles: pd.DataFrame,
    personas: pd.DataFrame,
    strategies: str | Path | pd.DataFrame | None = None,
) -> SegmentView:
    """Who the silent customers are (seed 000: ~50 % 凡人) and what to do for each group.

    Args:
        profiles: Output of :func:`voc.customers.profile_customers` (``silent``, ``vocal``, ``reason_*``).
        personas: Output of :func:`assign_personas`.
        strategies: Strategy table (CSV path / DataFrame; default shipped).

    Returns:
        A :class:`SegmentView`.
    """
    st = load_strategies(strategies)
    p = profiles.join(personas[["primary_archetype"]], how="left")
    groups = {
        "silent": p["silent"].astype(bool),
        "vocal": p["vocal"].astype(bool),
        "all": pd.Series(True, index=p.index),
    }
    arch = p["primary_archetype"].fillna("unassigned")
    cols = {}
    for g, m in groups.items():
        vc = arch[m].value_counts()
        assigned = vc.drop("unassigned", errors="ignore").sum()
        cols[f"{g}_n"] = vc
        cols[f"{g}_share"] = (vc / assigned if assigned else vc * np.nan).where(vc.index != "unassigned")
    a = pd.DataFrame(cols).fillna({f"{g}_n": 0 for g in groups})
    for g in groups:
        a[f"{g}_n"] = a[f"{g}_n"].astype(int)
    arch_st = st[st["kind"] == "archetype"].set_index("key")
    for c in ("name_en", "strategy_zh", "strategy_en"):
        a[c] = arch_st[c].reindex(a.index) if c in arch_st.columns else None
    a = a.sort_values(["silent_n", "all_n"], ascending=False)
    a = pd.concat([a.drop(index="unassigned", errors="ignore"), a.loc[a.index == "unassigned"]])
    a.index.name = "archetype"

    reason_cols = [c for c in profiles.columns if c.startswith("reason_")]
    reason_st = st[st["kind"] == "reason"].set_index("key")
    rows = {}
    for c in reason_cols:
        code = c[len("reason_") :]
        has = profiles[c] > 0
        row: dict[str, Any] = {"name_zh": reason_st["name_zh"].get(code) if "name_zh" in reason_st else None}
        for g in ("silent", "vocal"):
            m = groups[g]
            row[f"{g}_n"] = int((has & m).sum())
            row[f"{g}_share"] = float((has & m).sum() / m.sum()) if m.sum() else np.nan
        row["strategy_zh"] = reason_st["strategy_zh"].get(code)
        row["strategy_en"] = reason_st["strategy_en"].get(code)
        rows[code] = row
    r = pd.DataFrame.from_dict(rows, orient="index")
    if len(r):
        r = r.sort_values("silent_n", ascending=False)
    r.index.name = "reason"
    return SegmentView(archetypes=a, reasons=r)
